/**
 * Captured bytes → session events: the pipe's chunks go through the shared streaming reader, the
 * session's packets (capture-match.ts) through the shared TcpTracker and toWireEvents, then out with
 * their socket id and capture time, one event each or, in a long run of data, summarised in a
 * tcp.bundle (capture-bundle.ts); every packet's raw frame goes into the ring either way. Each capture
 * process gets its own reader (its output starts with a pcap header); the tracker lives as long as the
 * session.
 */
import type { EventInput } from '@socketscope/shared';
import { CaptureReader, type CaptureRecord, type DecodedPacket } from '@socketscope/shared/pcap/index';
import { TcpTracker, toWireEvents } from '@socketscope/shared/wire/index';
import type { Emit } from '../sources/source.ts';
import { Bundler, type BundlerOptions } from './capture-bundle.ts';
import { readBundle, type BundlePackets } from './capture-bundle-read.ts';
import { LIMBO_MS, type PacketMatcher } from './capture-match.ts';
import { frameBytes, type FrameRing } from './capture-ring.ts';

export interface CaptureStats {
  /** TCP/UDP packets decoded from the pipe */
  decoded: number;
  /** of those, the session's (kept in the ring; an event each, or in a bundle) */
  emitted: number;
  /** of those, summarised in a tcp.bundle rather than an event of their own */
  bundled: number;
  /** never claimed by the session (left limbo) */
  ignored: number;
  kernelDrops: number;
  starts: number;
  decodeErrors: number;
  /** time spent decoding, matching and emitting, µs (the capture's cost inside the agent) */
  busyUs: number;
}

export interface PipelineDeps {
  matcher: PacketMatcher;
  ring: FrameRing;
  stats: CaptureStats;
  /** the session's emit while the source is started, else null */
  emit: () => Emit | null;
  /** capture time (µs since the epoch) at which the session started */
  tsOrigin: () => number;
  log: (line: string) => void;
  /** false: every packet its own event, as before bundles; otherwise how runs are summarised */
  bundles?: false | BundlerOptions;
}

export class PacketPipeline {
  private readonly tracker = new TcpTracker();
  private reader: CaptureReader | null = null;
  private readonly records: CaptureRecord[] = [];
  private readonly batch: DecodedPacket[] = [];
  private readonly claimed: DecodedPacket[] = [];
  private processing: NodeJS.Immediate | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private readonly bundler: Bundler | null;
  private readonly send = (e: EventInput): void => {
    const emit = this.d.emit();
    if (!emit) return;
    try {
      emit(e);
    } catch (err) {
      this.d.log(`capture: emit failed: ${(err as Error).message}`);
    }
  };

  constructor(private readonly d: PipelineDeps) {
    this.bundler = d.bundles === false ? null : new Bundler(this.send, d.bundles);
  }

  /** A new capture process: its bytes start a new stream. Returns the handler for its chunks. */
  newStream(): (chunk: Buffer) => void {
    const reader = new CaptureReader();
    this.reader = reader;
    return (chunk) => this.onData(reader, chunk);
  }

  private onData(reader: CaptureReader, chunk: Buffer): void {
    if (reader !== this.reader) return;
    const t0 = performance.now();
    const records = reader.push(chunk, this.records);
    for (const r of records) {
      if (r.kind === 'packet') this.batch.push(r);
      else if (r.kind === 'error') this.d.stats.decodeErrors++;
    }
    records.length = 0;
    this.d.stats.busyUs += (performance.now() - t0) * 1000;
    // After this turn's other I/O callbacks: on loopback the handshake is over before tcpdump even writes
    // it, so a connect() completing in the same turn has told the engine its port by then (M3).
    this.processing ??= setImmediate(() => this.process());
  }

  private process(): void {
    const t0 = performance.now();
    this.processing = null;
    this.d.stats.decoded += this.batch.length;
    this.deliver(this.d.matcher.take(this.batch, this.claimed));
    this.batch.length = 0;
    this.d.stats.busyUs += (performance.now() - t0) * 1000;
    // limbo empties itself even when no further packet comes (M2)
    if (this.d.matcher.pending > 0 && !this.expiryTimer) {
      this.expiryTimer = setTimeout(() => {
        this.expiryTimer = null;
        this.deliver(this.d.matcher.flush());
        if (this.d.matcher.pending > 0) this.process();
      }, LIMBO_MS + 20);
      this.expiryTimer.unref();
    }
  }

  private deliver(packets: DecodedPacket[]): void {
    if (this.d.emit()) {
      const tsOrigin = this.d.tsOrigin();
      const bundler = this.bundler;
      // with bundles, a TCP segment's payload preview is made by the bundler, only for segments it emits
      const tcpOpts = bundler ? { tsOrigin, previewBytes: 0 } : { tsOrigin };
      for (const p of packets) {
        const e = toWireEvents(p, this.tracker, p.proto === 'tcp' ? tcpOpts : { tsOrigin });
        const sock = this.d.matcher.sockFor(p);
        if (sock) e.sock = sock;
        this.d.ring.linkType = p.linkType;
        const index = this.d.ring.push({ tsUs: p.tsUs, data: frameBytes(p), origLen: p.frameLen });
        this.d.stats.emitted++;
        if (!bundler) this.send(e);
        else if (p.proto === 'tcp' && e.type === 'tcp.segment') bundler.tcp(p, e, index);
        else {
          bundler.udp(p.src, p.dst);
          this.send(e);
        }
      }
      if (bundler) this.d.stats.bundled = bundler.bundled;
    }
    packets.length = 0;
    this.d.stats.ignored = this.d.matcher.limboDropped;
  }

  /** A bundle's segments from the ring (`capture.packets`); undefined when the bundle is not known. */
  bundlePackets(id: number): BundlePackets | undefined {
    const rec = this.bundler?.record(id);
    return rec ? readBundle(rec, this.d.ring, this.d.tsOrigin()) : undefined;
  }

  /** Every open run ends now: its bundles' last events (open: false) go out. */
  endRuns(): void {
    this.bundler?.endAll();
  }

  /** Limbo packets a change now claims go out at once, not with the next captured packet. */
  scheduleFlush(): void {
    if (this.flushTimer || this.d.matcher.pending === 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.deliver(this.d.matcher.flush());
    }, 0);
    this.flushTimer.unref();
  }

  /** Packets already read are delivered now rather than after this turn. */
  drain(): void {
    if (!this.processing) return;
    clearImmediate(this.processing);
    this.process();
  }

  /** Delivers what was read, ends the open runs and stops every timer (capture turned off or stopping). */
  quiesce(): void {
    this.drain();
    this.endRuns();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.flushTimer = null;
    this.expiryTimer = null;
  }

  /** A new session: connections, limbo and kept frames belong to the old one. */
  reset(): void {
    this.bundler?.reset();
    this.tracker.clear();
    this.d.matcher.clear();
    this.d.ring.clear();
  }
}
