import {
  MAX_BLOCK, MAX_INTERFACES, PCAPNG_BOM, PCAPNG_EPB, PCAPNG_IDB, PCAPNG_PB, PCAPNG_SHB, PCAPNG_SPB, PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
} from './constants.ts';
import { FrameDecoder } from './decode.ts';
import type { CaptureError, CaptureFormat, CaptureRecord, CaptureStats } from './types.ts';

/**
 * Streaming reader for classic pcap and pcapng. Feed it chunks as they come (a pipe from dumpcap,
 * a file read in pieces, a browser File); it hands back one record per packet record.
 *
 * Rules it keeps, whatever the input:
 * - It never throws: broken frames and blocks become `error` records; an unexpected exception
 *   inside becomes one fatal error and the reader stops.
 * - It never buffers without bound: a record or block longer than maxBlock (16 MiB) is corruption,
 *   reported as a fatal error, and the rest of the input is ignored.
 * - It always ends: every step consumes input or waits for more.
 * Decoded packets hold views into the chunks they came from (no copies); keep that in mind before
 * reusing a chunk's memory.
 */

export interface ReaderOptions {
  /** largest record or block accepted, in bytes (default 16 MiB) */
  maxBlock?: number;
}

interface Iface {
  linkType: number;
  /** timestamp units: 10^-n (decimal) or 2^-n (binary) seconds */
  decimal: boolean;
  exp: number;
  /** if_tsoffset, seconds */
  offsetSec: number;
}

type State = 'magic' | 'pcap' | 'pcapng' | 'failed';

const EMPTY = new Uint8Array(0);
const TWO32 = 4294967296;

export class CaptureReader {
  readonly stats: CaptureStats = { format: null, bytes: 0, frames: 0, tcp: 0, udp: 0, other: 0, errors: 0 };
  private readonly decoder = new FrameDecoder();
  private readonly maxBlock: number;
  private state: State = 'magic';
  /** bytes of an incomplete record carried over between chunks */
  private pend: Uint8Array = EMPTY;
  private pendLen = 0;
  /** bytes needed, from the current parse position, before parsing can go on */
  private need = 4;
  /** stream offset of the first byte not yet consumed */
  private base = 0;
  private frames = 0;
  private ended = false;
  // classic pcap
  private le = true;
  private nano = false;
  private linkType = 0;
  // pcapng: the current section's interfaces
  private ifaces: Iface[] = [];

  constructor(opts: ReaderOptions = {}) {
    this.maxBlock = Math.max(64, Math.min(opts.maxBlock ?? MAX_BLOCK, MAX_BLOCK));
  }

  get format(): CaptureFormat | null {
    return this.stats.format;
  }

  /** Feeds the next chunk; decoded records are appended to `out` (a new array by default). */
  push(chunk: Uint8Array, out: CaptureRecord[] = []): CaptureRecord[] {
    this.stats.bytes += chunk.length;
    if (this.state === 'failed' || this.ended || chunk.length === 0) return out;
    try {
      let pos = 0;
      while (this.pendLen > 0) {
        const take = Math.min(this.need - this.pendLen, chunk.length - pos);
        if (this.pend.length < this.need) {
          const bigger = new Uint8Array(this.need);
          bigger.set(this.pend.subarray(0, this.pendLen));
          this.pend = bigger;
        }
        this.pend.set(chunk.subarray(pos, pos + take), this.pendLen);
        this.pendLen += take;
        pos += take;
        if (this.pendLen < this.need) return out;
        const used = this.parse(this.pend, 0, this.pendLen, out);
        if (this.failed()) return out;
        if (used === this.pendLen) {
          // records may hold views into this buffer: never write into it again
          this.pend = EMPTY;
          this.pendLen = 0;
        } else if (used > 0) {
          const rest = this.pend.slice(used, this.pendLen);
          this.pend = new Uint8Array(Math.max(this.need, rest.length));
          this.pend.set(rest);
          this.pendLen = rest.length;
        }
      }
      pos += this.parse(chunk, pos, chunk.length, out);
      if (this.failed()) return out;
      if (pos < chunk.length) {
        const rest = chunk.length - pos;
        this.pend = new Uint8Array(Math.max(this.need, rest));
        this.pend.set(chunk.subarray(pos));
        this.pendLen = rest;
      }
    } catch (err) {
      this.fail(out, `internal decoder error: ${err instanceof Error ? err.message : String(err)}`, this.base);
    }
    return out;
  }

  /** a method, so the compiler does not narrow `state` across the parse calls that change it */
  private failed(): boolean {
    return this.state === 'failed';
  }

  /** The input is complete: reports a record cut off at the end. Further pushes are ignored. */
  end(out: CaptureRecord[] = []): CaptureRecord[] {
    if (this.ended) return out;
    this.ended = true;
    if (this.state === 'failed') return out;
    if (this.state === 'magic') {
      this.err(out, this.stats.bytes === 0 ? 'empty input: not a capture file' : 'input ends inside the capture file header', true);
    } else if (this.pendLen > 0) {
      this.err(out, `capture ends inside a record: ${this.pendLen} of ${this.need} bytes present (file truncated)`, false);
      this.pendLen = 0;
      this.pend = EMPTY;
    }
    return out;
  }

  /**
   * Parses whole records in b[off..end), returns the bytes consumed. When it stops without failing,
   * `need` is more than what is left, so the caller waits for more input.
   */
  private parse(b: Uint8Array, off: number, end: number, out: CaptureRecord[]): number {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let p = off;
    for (;;) {
      const avail = end - p;
      if (this.state === 'pcap') {
        if (avail < 16) { this.need = 16; break; }
        const le = this.le;
        const incl = dv.getUint32(p + 8, le);
        if (incl > this.maxBlock) {
          this.fail(out, `record ${this.frames + 1} claims ${incl} bytes, more than the ${this.maxBlock}-byte limit: the file is corrupt`, this.base + (p - off));
          return p - off;
        }
        if (avail < 16 + incl) { this.need = 16 + incl; break; }
        const orig = dv.getUint32(p + 12, le);
        const sec = dv.getUint32(p, le);
        const frac = dv.getUint32(p + 4, le);
        const tsUs = sec * 1e6 + (this.nano ? Math.floor(frac / 1000) : frac);
        this.emit(out, this.decoder.decode(b, p + 16, incl, orig > incl ? orig : incl, this.linkType, tsUs, ++this.frames, 0, this.base + (p - off)));
        p += 16 + incl;
      } else if (this.state === 'pcapng') {
        if (avail < 12) { this.need = 12; break; }
        const type = dv.getUint32(p, this.le);
        if (type === PCAPNG_SHB) {
          const bom = dv.getUint32(p + 8, true);
          if (bom === PCAPNG_BOM) this.le = true;
          else if (bom === 0x4d3c2b1a) this.le = false;
          else {
            this.fail(out, 'pcapng section header with a bad byte-order magic: the file is corrupt', this.base + (p - off));
            return p - off;
          }
        }
        const len = dv.getUint32(p + 4, this.le);
        if (len < 12 || len % 4 !== 0 || len > this.maxBlock) {
          this.fail(out, `pcapng block of type ${type} with impossible length ${len}: the file is corrupt`, this.base + (p - off));
          return p - off;
        }
        if (avail < len) { this.need = len; break; }
        const at = this.base + (p - off);
        if (dv.getUint32(p + len - 4, this.le) !== len) {
          this.err(out, `pcapng block at offset ${at}: trailing length differs from leading length ${len}`, false, at);
        } else if (!this.block(b, dv, p, type, len, at, out)) {
          return p - off;
        }
        p += len;
      } else if (this.state === 'magic') {
        if (avail < 4) { this.need = 4; break; }
        const m = dv.getUint32(p, true);
        if (m === PCAPNG_SHB) {
          this.state = 'pcapng';
          this.stats.format = 'pcapng';
          continue;
        }
        if (!isClassicMagic(m)) {
          this.fail(out, `not a pcap or pcapng file (magic 0x${m.toString(16).padStart(8, '0')})`, this.base + (p - off));
          return p - off;
        }
        if (avail < 24) { this.need = 24; break; }
        this.classicHeader(dv, p, m);
        p += 24;
      } else {
        break;
      }
    }
    this.base += p - off;
    return p - off;
  }

  private classicHeader(dv: DataView, p: number, magicLe: number): void {
    this.le = magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS;
    this.nano = (this.le ? magicLe : dv.getUint32(p, false)) === PCAP_MAGIC_NS;
    // the link type shares its field with FCS information in the upper bits
    this.linkType = dv.getUint32(p + 20, this.le) & 0xffff;
    this.state = 'pcap';
    this.stats.format = 'pcap';
  }

  /** One complete pcapng block. Returns false when the reader failed. */
  private block(b: Uint8Array, dv: DataView, p: number, type: number, len: number, at: number, out: CaptureRecord[]): boolean {
    const le = this.le;
    switch (type) {
      case PCAPNG_SHB: {
        if (len < 28) return this.fail(out, `pcapng section header too short (${len} bytes)`, at);
        const major = dv.getUint16(p + 12, le);
        if (major !== 1) return this.fail(out, `pcapng version ${major} is not supported`, at);
        this.ifaces = []; // interfaces are numbered per section
        return true;
      }
      case PCAPNG_IDB: {
        if (len < 20) { this.err(out, `pcapng interface block at offset ${at} too short`, false, at); return true; }
        if (this.ifaces.length >= MAX_INTERFACES) return this.fail(out, `more than ${MAX_INTERFACES} interfaces in one section`, at);
        const iface: Iface = { linkType: dv.getUint16(p + 8, le), decimal: true, exp: 6, offsetSec: 0 };
        // options: code, length, value padded to 4 bytes; stop at the end marker or the block's end
        let q = p + 16;
        const end = p + len - 4;
        while (q + 4 <= end) {
          const code = dv.getUint16(q, le);
          const olen = dv.getUint16(q + 2, le);
          if (code === 0 || q + 4 + olen > end) break;
          if (code === 9 && olen >= 1) {
            const r = b[q + 4]!;
            iface.decimal = (r & 0x80) === 0;
            iface.exp = r & 0x7f;
          } else if (code === 14 && olen === 8) {
            iface.offsetSec = Number(dv.getBigInt64(q + 4, le));
          }
          q += 4 + ((olen + 3) & ~3);
        }
        this.ifaces.push(iface);
        return true;
      }
      case PCAPNG_EPB:
      case PCAPNG_PB: {
        const index = ++this.frames;
        if (len < 32) { this.err(out, `frame ${index}: packet block too short`, false, at, index); return true; }
        const id = type === PCAPNG_EPB ? dv.getUint32(p + 8, le) : dv.getUint16(p + 8, le);
        const cap = dv.getUint32(p + 20, le);
        const orig = dv.getUint32(p + 24, le);
        if (cap > len - 32) { this.err(out, `frame ${index}: captured length ${cap} beyond its block`, false, at, index); return true; }
        const iface = this.ifaces[id];
        if (!iface) { this.err(out, `frame ${index}: interface ${id} has no description block`, false, at, index); return true; }
        const tsUs = tsToUs(dv.getUint32(p + 12, le), dv.getUint32(p + 16, le), iface);
        this.emit(out, this.decoder.decode(b, p + 28, cap, orig > cap ? orig : cap, iface.linkType, tsUs, index, id, at));
        return true;
      }
      case PCAPNG_SPB: {
        const index = ++this.frames;
        if (len < 16) { this.err(out, `frame ${index}: simple packet block too short`, false, at, index); return true; }
        const iface = this.ifaces[0];
        if (!iface) { this.err(out, `frame ${index}: interface 0 has no description block`, false, at, index); return true; }
        const orig = dv.getUint32(p + 8, le);
        const cap = Math.min(orig, len - 16);
        this.emit(out, this.decoder.decode(b, p + 12, cap, orig, iface.linkType, 0, index, 0, at));
        return true;
      }
      default:
        return true; // name resolution, statistics, custom, decryption secrets…: not ours to show
    }
  }

  private emit(out: CaptureRecord[], r: CaptureRecord): void {
    const s = this.stats;
    s.frames++;
    if (r.kind === 'packet') {
      if (r.proto === 'tcp') s.tcp++; else s.udp++;
    } else if (r.kind === 'other') s.other++;
    else s.errors++;
    out.push(r);
  }

  private err(out: CaptureRecord[], message: string, fatal: boolean, offset = this.base, index?: number): void {
    const e: CaptureError = { kind: 'error', offset, message, fatal };
    if (index !== undefined) {
      e.index = index;
      this.stats.frames++;
    }
    this.stats.errors++;
    out.push(e);
  }

  /** Stops the reader for good with one fatal error. Returns false for the caller's convenience. */
  private fail(out: CaptureRecord[], message: string, at: number): false {
    this.err(out, `${message} (at byte ${at}); decoding stopped`, true, at);
    this.state = 'failed';
    this.pend = EMPTY;
    this.pendLen = 0;
    return false;
  }
}

function isClassicMagic(le: number): boolean {
  return le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS || le === 0xd4c3b2a1 || le === 0x4d3cb2a1;
}

/** pcapng timestamp (64-bit count of the interface's units) → whole µs since the epoch, exactly where it matters. */
function tsToUs(hi: number, lo: number, f: Iface): number {
  let us: number;
  if (f.decimal) {
    if (f.exp === 6) us = hi * TWO32 + lo;
    else if (f.exp < 6) us = (hi * TWO32 + lo) * 10 ** (6 - f.exp);
    else if (f.exp <= 12) {
      // split the division so 64-bit nanosecond counts stay exact in doubles
      const d = 10 ** (f.exp - 6);
      const hq = Math.floor(hi / d);
      const hr = hi - hq * d;
      us = hq * TWO32 + Math.floor((hr * TWO32 + lo) / d);
    } else us = Math.floor((hi * TWO32 + lo) / 10 ** (f.exp - 6));
  } else {
    us = Math.floor(((hi * TWO32 + lo) / 2 ** f.exp) * 1e6);
  }
  return f.offsetSec === 0 ? us : us + f.offsetSec * 1e6;
}

export interface ReadResult {
  records: CaptureRecord[];
  stats: CaptureStats;
}

/** Reads a whole capture held in memory. */
export function readCapture(bytes: Uint8Array, opts?: ReaderOptions): ReadResult {
  const reader = new CaptureReader(opts);
  const records = reader.push(bytes);
  reader.end(records);
  return { records, stats: reader.stats };
}
