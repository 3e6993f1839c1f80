/**
 * The raw frames capture kept, for `--pcap FILE` export and for a bundle's segments (`capture.packets`):
 * a bounded ring (packets and bytes), oldest dropped first, written with the shared pcap writer. Every
 * captured packet of the session's sockets is here, whether its event was a tcp.segment or it was
 * summarised in a tcp.bundle; inferred packets never are (they have no bytes to export). Each frame has
 * an absolute index (frames pushed before it, never reused, not even across clear()), so a bundle can
 * name its frames by range and find out which of them the ring no longer holds.
 */
import { open } from 'node:fs/promises';
import type { WireHost } from '@socketscope/shared';
import {
  FrameDecoder, LINKTYPE_ETHERNET, LINKTYPE_NULL, buildIpPacket, ethernetFrame, writePcapHeader, writePcapRecord,
  type DecodedPacket,
} from '@socketscope/shared/pcap/index';

export interface RingFrame {
  tsUs: number;
  data: Uint8Array;
  origLen: number;
  /** the lab host whose capture saw it (absent on loopback) */
  host?: WireHost;
}

export interface PcapExport {
  path: string;
  packets: number;
  bytes: number;
  /** captured packets that had already left the ring (it keeps the newest) */
  droppedFromRing: number;
  note: string;
}

export class FrameRing {
  private frames: (RingFrame | undefined)[] = [];
  private head = 0;
  private count = 0;
  private bytes = 0;
  /** frames ever pushed: the absolute index the next frame gets */
  private pushed = 0;
  dropped = 0;
  linkType = LINKTYPE_ETHERNET;
  snaplen = 262144;

  constructor(readonly maxPackets = 50_000, readonly maxBytes = 16 * 1024 * 1024) {}

  get size(): number {
    return this.count;
  }

  /** The absolute index the next pushed frame gets. */
  get nextIndex(): number {
    return this.pushed;
  }

  /** The absolute index of the oldest frame still held. */
  get firstIndex(): number {
    return this.pushed - this.count;
  }

  /** Returns the frame's absolute index. */
  push(f: RingFrame): number {
    while (this.count > 0 && (this.count >= this.maxPackets || this.bytes + f.data.length > this.maxBytes)) this.shift();
    const i = (this.head + this.count) % this.maxPackets;
    this.frames[i] = f;
    this.count++;
    this.bytes += f.data.length;
    return this.pushed++;
  }

  /** The frame with this absolute index, or undefined when it has left the ring (or never came). */
  at(index: number): RingFrame | undefined {
    const k = index - this.firstIndex;
    if (k < 0 || k >= this.count) return undefined;
    return this.frames[(this.head + k) % this.maxPackets];
  }

  private shift(): void {
    const f = this.frames[this.head];
    this.frames[this.head] = undefined;
    this.head = (this.head + 1) % this.maxPackets;
    this.count--;
    this.bytes -= f?.data.length ?? 0;
    this.dropped++;
  }

  *all(): Generator<RingFrame> {
    for (let k = 0; k < this.count; k++) {
      const f = this.frames[(this.head + k) % this.maxPackets];
      if (f) yield f;
    }
  }

  /** Forgets every frame; absolute indexes go on counting (a stale bundle finds nothing, never another's frames). */
  clear(): void {
    this.frames = [];
    this.head = 0;
    this.count = 0;
    this.bytes = 0;
    this.dropped = 0;
  }

  /**
   * Every frame held, in the order captured frames were delivered; `host`: only that lab host's capture (the
   * lab's two captures hold each packet that crossed the link twice, once per host).
   */
  async writePcap(path: string, host?: WireHost): Promise<PcapExport> {
    const fh = await open(path, 'w');
    let packets = 0;
    let bytes = 0;
    try {
      const header = writePcapHeader(this.snaplen, this.linkType);
      await fh.write(header);
      bytes += header.length;
      // batched writes: one syscall per ~256 KiB rather than per packet
      let batch: Uint8Array[] = [];
      let batchLen = 0;
      for (const f of this.all()) {
        if (host !== undefined && f.host !== host) continue;
        const rec = writePcapRecord(f.tsUs, f.data, f.origLen);
        batch.push(rec);
        batchLen += rec.length;
        packets++;
        if (batchLen > 256 * 1024) {
          await fh.write(Buffer.concat(batch));
          bytes += batchLen;
          batch = [];
          batchLen = 0;
        }
      }
      if (batchLen > 0) await fh.write(Buffer.concat(batch));
      bytes += batchLen;
    } finally {
      await fh.close();
    }
    return {
      path, packets, bytes, droppedFromRing: this.dropped,
      note: 'every captured packet is exported, also those the event stream summarised in tcp.bundle events; inferred packets (capture off or not permitted) have no bytes and are not in the file',
    };
  }
}

const checker = new FrameDecoder();

/**
 * Frames are copied into shared slabs rather than each into an ArrayBuffer of its own: a bulk transfer
 * keeps thousands of ~130-byte frames a second, and an ArrayBuffer per frame was most of the garbage the
 * capture made (measured: GC 64 → 299 ms of the agent's CPU over 768 MiB sent with capture on). A slab is
 * freed once the ring has dropped every frame in it (the ring is first in, first out, so slabs go in order).
 */
const SLAB_BYTES = 256 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabAt = 0;

function keep(bytes: Uint8Array): Uint8Array {
  if (bytes.length > SLAB_BYTES / 8) return bytes.slice();
  if (slabAt + bytes.length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabAt = 0;
  }
  const out = slab.subarray(slabAt, slabAt + bytes.length);
  out.set(bytes);
  slabAt += bytes.length;
  return out;
}

/**
 * The captured bytes of the frame a decoded packet came from, copied (so the pipe's 64 KiB chunk can
 * be freed). The decoder hands out the payload as a view into the chunk, and on a loopback capture the
 * frame ends where the captured payload ends; the guess is checked by decoding it again. Where the
 * check fails (a trailer after the IP packet) the frame is rebuilt from the decoded fields.
 */
export function frameBytes(p: DecodedPacket): Uint8Array {
  const pl = p.payload;
  const start = pl.byteOffset + pl.length - p.capLen;
  if (start >= 0) {
    const view = new Uint8Array(pl.buffer, start, p.capLen);
    const again = checker.decode(view, 0, p.capLen, p.frameLen, p.linkType, p.tsUs, p.index, p.iface, 0);
    if (again.kind === 'packet' && again.proto === p.proto && again.src === p.src && again.dst === p.dst && again.len === p.len
      && (again.proto !== 'tcp' || p.proto !== 'tcp' || (again.seq === p.seq && again.flagBits === p.flagBits))) {
      return keep(view);
    }
  }
  return rebuild(p);
}

function rebuild(p: DecodedPacket): Uint8Array {
  const ip = buildIpPacket(p.proto === 'tcp'
    ? { proto: 'tcp', src: p.src, dst: p.dst, flags: p.flagBits, seq: p.seq, ack: p.ack, win: p.win, options: p.options, payload: p.payload, len: p.len }
    : { proto: 'udp', src: p.src, dst: p.dst, payload: p.payload, len: p.len });
  if (p.linkType === LINKTYPE_NULL) {
    const out = new Uint8Array(4 + ip.data.length);
    new DataView(out.buffer).setUint32(0, p.family === 4 ? 2 : 30, true);
    out.set(ip.data, 4);
    return out;
  }
  return ethernetFrame(ip).data;
}
