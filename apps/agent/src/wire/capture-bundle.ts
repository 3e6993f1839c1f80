/**
 * Bulk data, honestly aggregated: a long run of data segments becomes one tcp.bundle event instead of an
 * event per segment, because an event costs the agent's one thread ~25 µs (session, fold, stream, page)
 * and a bulk transfer on loopback captures thousands of segments a second. Rules (tests quote them):
 * - B1 A transfer is one connection's data (segments with len > 0) in one direction, without a pause:
 *   it ends at a SYN, FIN or RST in either direction, at data of the other direction, at a UDP datagram
 *   between the same two endpoints, and when the direction's next data segment comes more than IDLE_MS
 *   (capture time) after its last one, or nothing of it was heard for IDLE_MS (wall clock).
 * - B2 The first SINGLES (4) data segments of a transfer are emitted one by one, each as its tcp.segment:
 *   a lesson's messages, handshakes and teardowns are never summarised (an exchange of messages is data
 *   in turn, or paused between steps, so each message starts a transfer again). Later data segments of
 *   the transfer may go into bundles.
 * - B3 A run is what one bundle may summarise: a transfer's data segments with only the receiver's pure
 *   ACKs between them. Any other segment of the connection is emitted as itself and ends the run (not
 *   the transfer): one whose analysis says more than "retransmission" (zero window, window full, dup
 *   ACK, keep-alive …: flow control stays visible), an URG, a pure ACK of the sender, and a data segment
 *   more than DENSE_MS (1 ms) after the transfer's previous one: data slower than a thousand segments a
 *   second costs the agent little as single events, and the page draws every one (paced sends, a slow
 *   lab link, a program writing a line every few ms). A window update is such a segment only when it
 *   reopens a zero window: the receiver advertising more room as its program reads comes every few
 *   segments of a bulk transfer (measured: every 4–5 of 16 MiB on loopback) and is an ACK like the others
 *   in its bundle (whose win is the last one advertised).
 * - B4 After the first SINGLES, the receiver's pure ACKs in a run go into their own bundle (the same
 *   tcp.bundle event, other direction, bytes 0: "N ACKs"), so every captured packet is in exactly one
 *   event: its tcp.segment or one bundle.
 * - B5 A bundle holds at least LEAST (4) segments: until then its segments wait, and if the run ends
 *   first (or EVERY_MS passes) they are emitted one by one, in capture order, as they would have been. So
 *   a run chopped by flow control every few segments stays segment by segment.
 * - B6 A bundle is emitted EVERY_MS (50 ms) after its first segment, again at most every EVERY_MS while it
 *   grows (same `bundle` id, the newest event wins), and once with open: false when its run ends, before
 *   the event that ended it; a run shorter than EVERY_MS gives its bundle one event.
 * - B7 Every packet stays in the capture ring (the .pcap export writes them all); a bundle's record names
 *   its frames by ring index (first..last, the direction and the kind), so `capture.packets` can decode
 *   them again. The newest MAX_RECORDS bundles are kept.
 * - B8 On the lab (both hosts captured), a transfer is one host's view of it: runs are keyed by the host
 *   whose capture saw the segment (the event's `host`), a bundle carries that host, and its record names
 *   it, so the other host's copies of the same packets are never in it.
 */
import type { EventInput, WireHost } from '@socketscope/shared';
import { FLAG_NAMES, type TcpPacket } from '@socketscope/shared/pcap/index';
import { bytesToBase64, WIRE_PREVIEW_BYTES, type TcpSegmentInput } from '@socketscope/shared/wire/index';

export type TcpBundleInput = Extract<EventInput, { type: 'tcp.bundle' }>;

export const SINGLES = 4;
export const LEAST = 4;
export const DENSE_MS = 1;
export const EVERY_MS = 50;
export const IDLE_MS = 250;
export const MAX_RECORDS = 4096;
/** connections followed at once; the oldest transfer ends when a new one would exceed it */
const MAX_RUNS = 4096;

const FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10, URG = 0x20;

/** What `capture.packets` needs to find a bundle's segments in the ring and number them as the tracker did. */
export interface BundleRecord {
  id: number;
  kind: 'data' | 'ack';
  conn: string;
  src: string;
  dst: string;
  sock: string | undefined;
  /** the lab host whose capture saw its segments (B8); undefined on loopback */
  host: WireHost | undefined;
  /** ring indexes of its first and last packet (B7) */
  firstIndex: number;
  lastIndex: number;
  count: number;
  /** the sender's ISN as the tracker counts relative numbers (seq − relSeq), and the peer's (ack − relAck) */
  seqBase: number;
  ackBase: number | null;
  /** the tracker's window scaling (win ÷ raw field), once a segment with a non-zero raw window was seen */
  winMul: number | null;
  /** ring indexes of the segments the tracker called retransmissions */
  retransmitted: number[];
}

interface Waiting {
  index: number;
  e: TcpSegmentInput;
  /** its payload (a view into the capture's chunk) for the preview, made only if it goes out alone */
  payload: Uint8Array;
}

interface Bundle {
  rec: BundleRecord;
  /** B5: its segments while it has fewer than LEAST (then it has no id yet); empty once it is a bundle */
  waiting: Waiting[];
  bytes: number;
  firstSeq: number;
  endSeq: number;
  flagBits: number;
  win: number | null;
  wireTs: number;
  wireEndTs: number;
  /** clock of its first segment, of the last emission, and whether it grew since */
  startedAt: number;
  emittedAt: number;
  dirty: boolean;
}

/** A transfer (B1) and its run's two bundles (B3, B4). */
interface Run {
  /** its key in runs: the connection, after the host on the lab (B8) */
  key: string;
  conn: string;
  /** the direction of the data */
  src: string;
  dst: string;
  singles: number;
  data: Bundle | null;
  acks: Bundle | null;
  /** capture time (µs) of the transfer's last data segment, and when the agent last heard of the run (clock) */
  lastDataTsUs: number;
  heardAt: number;
  /** the receiver's last advertised window was 0 (its next window update is shown, B3) */
  zeroWindow: boolean;
}

/** a < b in sequence space (mod 2^32) */
const lt = (a: number, b: number): boolean => ((a - b) | 0) < 0;

export interface BundlerOptions {
  singles?: number;
  least?: number;
  denseMs?: number;
  everyMs?: number;
  idleMs?: number;
  /** the clock, in ms (default performance.now) */
  now?: () => number;
}

export class Bundler {
  private readonly runs = new Map<string, Run>();
  /** runs with a bundle (or segments waiting for one): the timer looks only at these */
  private readonly open = new Set<Run>();
  private readonly records = new Map<number, BundleRecord>();
  private nextId = 1;
  private timer: NodeJS.Timeout | null = null;
  private readonly singles: number;
  private readonly least: number;
  private readonly denseMs: number;
  private readonly everyMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  /** packets summarised in a bundle rather than emitted as an event of their own */
  bundled = 0;

  constructor(private readonly emit: (e: EventInput) => void, opts: BundlerOptions = {}) {
    this.singles = opts.singles ?? SINGLES;
    this.least = Math.max(2, opts.least ?? LEAST); // the contract: a bundle has count ≥ 2
    this.denseMs = opts.denseMs ?? DENSE_MS;
    this.everyMs = opts.everyMs ?? EVERY_MS;
    this.idleMs = opts.idleMs ?? IDLE_MS;
    this.now = opts.now ?? (() => performance.now());
  }

  record(id: number): BundleRecord | undefined {
    return this.records.get(id);
  }

  /**
   * A captured TCP packet of the session, its event and its ring index: emitted, or put into a bundle.
   * The event may come without its payload preview (bytes ''): it is made here for the ones emitted, so
   * the thousands a bulk transfer puts into bundles cost no base64.
   */
  tcp(p: TcpPacket, e: TcpSegmentInput, index: number): void {
    const key = runKey(e.host, e.conn ?? `${p.src}>${p.dst}`);
    let run = this.runs.get(key);
    const bits = p.flagBits;
    if ((bits & (SYN | FIN | RST)) !== 0) {
      if (run) this.end(run);
      this.single(e, p.payload);
      return;
    }
    const fromReceiver = run !== undefined && run.src === p.dst;
    const reopens = !fromReceiver || run!.zeroWindow;
    if (fromReceiver) run!.zeroWindow = p.win === 0;
    if ((bits & URG) !== 0 || notable(e.analysis, reopens) || (p.len === 0 && (bits & ACK) === 0)) {
      if (run) this.endRun(run);
      this.single(e, p.payload);
      return;
    }
    const now = this.now();
    if (p.len > 0) {
      if (run && (run.src !== p.src || p.tsUs - run.lastDataTsUs > this.idleMs * 1000)) {
        this.end(run);
        run = undefined;
      }
      if (!run) run = this.begin(key, e.conn ?? `${p.src}>${p.dst}`, p);
      const gapUs = p.tsUs - run.lastDataTsUs;
      run.lastDataTsUs = p.tsUs;
      run.heardAt = now;
      if (run.singles < this.singles) {
        run.singles++;
        this.single(e, p.payload);
        return;
      }
      if (gapUs > this.denseMs * 1000) {
        // B3: slower than a bundle is for; the page draws it
        this.endRun(run);
        this.single(e, p.payload);
        return;
      }
      run.data = this.join(run, run.data, 'data', p, e, index, now);
      return;
    }
    // a pure ACK: the receiver's, once the transfer is past its first segments, joins the ACK bundle (B4)
    if (run && run.src === p.dst && run.singles >= this.singles) {
      run.heardAt = now;
      run.acks = this.join(run, run.acks, 'ack', p, e, index, now);
      return;
    }
    if (run && run.src === p.src) this.endRun(run);
    this.single(e, p.payload);
  }

  /** B1: a datagram between a transfer's two endpoints ends it (seen by the same host, B8). */
  udp(src: string, dst: string, host?: WireHost): void {
    if (this.runs.size === 0) return;
    const run = this.runs.get(runKey(host, `${src}>${dst}`)) ?? this.runs.get(runKey(host, `${dst}>${src}`));
    if (run) this.end(run);
  }

  /** Ends every transfer now, with its bundles' last events (capture stopping or turned off). */
  endAll(): void {
    // deleting the entry being visited is safe in a Map's live iteration
    for (const run of this.runs.values()) this.end(run);
  }

  /** A new session: the old one's runs and bundles are forgotten, not emitted into the new one. */
  reset(): void {
    this.runs.clear();
    this.open.clear();
    this.records.clear();
    this.stopTimer();
  }

  /** The timer's work (B5, B6, B1's wall-clock pause); public for tests that drive the clock. */
  tick(): void {
    const now = this.now();
    for (const run of this.open) { // live: end() deletes only the run being visited
      if (now - run.heardAt >= this.idleMs) {
        this.end(run);
        continue;
      }
      // B5: segments that waited EVERY_MS for a bundle that did not come go out as themselves
      const stale = (b: Bundle | null) => b !== null && b.waiting.length > 0 && now - b.startedAt >= this.everyMs;
      if (stale(run.data) || stale(run.acks)) {
        this.flushWaiting(run.data?.waiting ?? [], run.acks?.waiting ?? []);
        if (run.data?.waiting.length === 0 && run.data.rec.id === 0) run.data = null;
        if (run.acks?.waiting.length === 0 && run.acks.rec.id === 0) run.acks = null;
      }
      for (const b of [run.data, run.acks]) if (b && b.dirty && now - b.emittedAt >= this.everyMs) this.send(b, true, now);
      if (!run.data && !run.acks) this.open.delete(run);
    }
    if (this.open.size === 0) this.stopTimer();
  }

  private begin(key: string, conn: string, p: TcpPacket): Run {
    if (this.runs.size >= MAX_RUNS) this.end(this.runs.values().next().value!);
    const run: Run = { key, conn, src: p.src, dst: p.dst, singles: 0, data: null, acks: null, lastDataTsUs: p.tsUs, heardAt: 0, zeroWindow: false };
    this.runs.set(key, run);
    return run;
  }

  private join(run: Run, b: Bundle | null, kind: 'data' | 'ack', p: TcpPacket, e: TcpSegmentInput, index: number, now: number): Bundle {
    const end = (p.seq + p.len) >>> 0;
    const wireTs = e.wireTs ?? 0;
    const retrans = e.analysis?.includes('retransmission') === true;
    if (!b) {
      const rec: BundleRecord = {
        id: 0, kind, conn: run.conn, src: p.src, dst: p.dst, sock: e.sock, host: e.host, firstIndex: index, lastIndex: index, count: 1,
        seqBase: (p.seq - (e.relSeq ?? 0)) >>> 0, ackBase: e.relAck === null || e.relAck === undefined ? null : (p.ack - e.relAck) >>> 0,
        winMul: p.win > 0 && e.win !== null ? e.win / p.win : null, retransmitted: retrans ? [index] : [],
      };
      this.open.add(run);
      this.startTimer();
      return {
        rec, waiting: [{ index, e, payload: p.payload }], bytes: p.len, firstSeq: p.seq, endSeq: end, flagBits: p.flagBits, win: e.win,
        wireTs, wireEndTs: wireTs, startedAt: now, emittedAt: now, dirty: false,
      };
    }
    const rec = b.rec;
    rec.count++;
    rec.lastIndex = index;
    if (retrans) rec.retransmitted.push(index);
    if (rec.winMul === null && p.win > 0 && e.win !== null) rec.winMul = e.win / p.win;
    b.bytes += p.len;
    if (lt(b.endSeq, end)) b.endSeq = end;
    b.flagBits |= p.flagBits;
    b.win = e.win;
    b.wireEndTs = wireTs;
    if (rec.id === 0) {
      if (rec.count < this.least) {
        b.waiting.push({ index, e, payload: p.payload });
        return b;
      }
      this.keep(rec); // B5: now it is a bundle
      this.bundled += rec.count - 1;
      b.waiting = [];
    }
    this.bundled++;
    b.dirty = true;
    if (now - b.emittedAt >= this.everyMs) this.send(b, true, now);
    return b;
  }

  private keep(rec: BundleRecord): void {
    rec.id = this.nextId++;
    if (this.records.size >= MAX_RECORDS) this.records.delete(this.records.keys().next().value!);
    this.records.set(rec.id, rec);
  }

  /** B1: the transfer is over, and with it its run. */
  private end(run: Run): void {
    this.runs.delete(run.key);
    this.endRun(run);
  }

  /** B3/B6: the run is over; its bundles say so, and segments still waiting go out as themselves (B5). */
  private endRun(run: Run): void {
    this.open.delete(run);
    const now = this.now();
    this.flushWaiting(run.data?.waiting ?? [], run.acks?.waiting ?? []);
    for (const b of [run.data, run.acks]) if (b && b.rec.id !== 0) this.send(b, false, now);
    run.data = null;
    run.acks = null;
    if (this.open.size === 0) this.stopTimer();
  }

  /** Waiting data segments and ACKs, emitted one by one in capture order (they arrived interleaved). */
  private flushWaiting(a: Waiting[], b: Waiting[]): void {
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const next = j >= b.length || (i < a.length && a[i]!.index < b[j]!.index) ? a[i++]! : b[j++]!;
      this.single(next.e, next.payload);
    }
    a.length = 0;
    b.length = 0;
  }

  /** A segment emitted as itself, with its payload preview. */
  private single(e: TcpSegmentInput, payload: Uint8Array): void {
    if (e.bytes === '' && payload.length > 0) e.bytes = bytesToBase64(payload, WIRE_PREVIEW_BYTES);
    this.emit(e);
  }

  private send(b: Bundle, open: boolean, now: number): void {
    b.emittedAt = now;
    b.dirty = false;
    const r = b.rec;
    const e: TcpBundleInput = {
      layer: 'wire', type: 'tcp.bundle', conn: r.conn, bundle: r.id, src: r.src, dst: r.dst, count: r.count, bytes: b.bytes,
      firstSeq: b.firstSeq, endSeq: b.endSeq, relFirstSeq: (b.firstSeq - r.seqBase) >>> 0, relEndSeq: (b.endSeq - r.seqBase) >>> 0,
      // one shared frozen array per flag combination, as on tcp.segment (events are records, never edited)
      flags: FLAG_NAMES[b.flagBits & 0xff] as TcpBundleInput['flags'],
      retransmissions: r.retransmitted.length, win: b.win, wireTs: b.wireTs, wireEndTs: b.wireEndTs, open,
    };
    if (r.sock !== undefined) e.sock = r.sock;
    if (r.host !== undefined) e.host = r.host;
    this.emit(e);
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** B8: a run's key; loopback's are the connection's alone */
function runKey(host: WireHost | undefined, conn: string): string {
  return host === undefined ? conn : `${host}|${conn}`;
}

/** Analysis other than a retransmission (or a window update that reopens nothing) makes a segment worth its own event (B3). */
function notable(analysis: readonly string[] | undefined, reopens: boolean): boolean {
  if (analysis === undefined) return false;
  for (const a of analysis) if (a !== 'retransmission' && (a !== 'window-update' || reopens)) return true;
  return false;
}
