/**
 * Captured bytes → session events: the pipe's chunks go through the shared streaming reader, the
 * session's packets (capture-match.ts) through the shared TcpTracker and toWireEvents, then out with
 * their socket id and capture time, one event each or, in a long run of data, summarised in a
 * tcp.bundle (capture-bundle.ts); every packet's raw frame goes into the ring either way. Each capture
 * process gets its own reader (its output starts with a pcap header); the tracker lives as long as the
 * session.
 * On the lab both hosts are captured at once (capture.ts useHosts): every packet carries the host whose
 * capture saw it (`host`), and each host has its own tracker, so the sequence analysis is that host's
 * view (a segment seen leaving the client and arriving at the server is not a retransmission), and its
 * own runs in the bundler (a bundle never mixes the two hosts' copies of the same packets).
 */
import type { EventInput, WireHost } from '@socketscope/shared';
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

/** the key of a stream without a lab host (loopback) */
const NO_HOST = '';

export class PacketPipeline {
  /** one per host (NO_HOST on loopback): the sequence analysis is each capture's own view */
  private readonly trackers = new Map<string, TcpTracker>();
  /** the current reader of each host's capture; a stopped capture's late bytes are ignored */
  private readonly readers = new Map<string, CaptureReader>();
  /** which host's capture each packet of the batch (and of limbo) came from; loopback's are not here */
  private readonly hostOf = new WeakMap<DecodedPacket, WireHost>();
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

  /**
   * A new capture process (of that lab host, or loopback's): its bytes start a new stream, replacing that
   * host's previous one. Returns the handler for its chunks.
   */
  newStream(host?: WireHost): (chunk: Buffer) => void {
    const reader = new CaptureReader();
    const key = host ?? NO_HOST;
    this.readers.set(key, reader);
    return (chunk) => this.onData(reader, key, host, chunk);
  }

  private onData(reader: CaptureReader, key: string, host: WireHost | undefined, chunk: Buffer): void {
    if (reader !== this.readers.get(key)) return;
    const t0 = performance.now();
    const records = reader.push(chunk, this.records);
    for (const r of records) {
      if (r.kind === 'packet') {
        if (host) this.hostOf.set(r, host);
        this.batch.push(r);
      } else if (r.kind === 'error') this.d.stats.decodeErrors++;
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
        const host = this.hostOf.get(p);
        const e = toWireEvents(p, this.tracker(host), p.proto === 'tcp' ? tcpOpts : { tsOrigin });
        const sock = this.d.matcher.sockFor(p);
        if (sock) e.sock = sock;
        if (host) e.host = host;
        this.d.ring.linkType = p.linkType;
        const index = this.d.ring.push(host ? { tsUs: p.tsUs, data: frameBytes(p), origLen: p.frameLen, host } : { tsUs: p.tsUs, data: frameBytes(p), origLen: p.frameLen });
        this.d.stats.emitted++;
        if (!bundler) this.send(e);
        else if (p.proto === 'tcp' && e.type === 'tcp.segment') bundler.tcp(p, e, index);
        else {
          bundler.udp(p.src, p.dst, host);
          this.send(e);
        }
      }
      if (bundler) this.d.stats.bundled = bundler.bundled;
    }
    packets.length = 0;
    this.d.stats.ignored = this.d.matcher.limboDropped;
  }

  private tracker(host: WireHost | undefined): TcpTracker {
    const key = host ?? NO_HOST;
    let t = this.trackers.get(key);
    if (!t) this.trackers.set(key, (t = new TcpTracker()));
    return t;
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
    for (const t of this.trackers.values()) t.clear();
    this.d.matcher.clear();
    this.d.ring.clear();
  }
}
