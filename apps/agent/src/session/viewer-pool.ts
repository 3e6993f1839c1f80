/**
 * The read-only pages' streams (viewers: a class watching with `--share`), served together by one pump.
 * The teacher's pages keep their own Outbound (outbound.ts) and never wait for this one.
 *
 * Why not one Outbound per viewer: each would buffer up to its high-water mark plus a batch of 2,000
 * events in its socket (a few MB of strings on the heap), and each would serialise every batch itself.
 * 100 students who stopped reading held 100 times that and took the agent past its heap cap (issue 16);
 * 100 syncing at once made the event loop serialise for seconds while the teacher waited.
 *
 * Rules (tests: apps/agent/test/stalled-viewers.test.ts, session-viewer-pool.test.ts):
 * V1 A viewer is sent a message only while its socket holds at most perClientBytes (128 KiB) and the
 *    viewers' sockets together hold at most totalBytes (16 MiB). Messages are small (events up to about
 *    messageBytes, 64 KiB), so a viewer holds at most perClientBytes + one message; a larger message (a
 *    snapshot) waits until it fits in the total, or until no viewer holds anything.
 * V2 The pump works in slices of at most sliceMs (8 ms), round robin over the viewers, one message each
 *    per turn; between slices the agent reads its sockets, so the teacher's commands are answered and the
 *    teacher's stream runs on its own timer: a class of viewers delays the teacher by one slice at most.
 * V3 A viewer whose socket stays above perClientBytes for detachMs (2 s) while events wait, or whose next
 *    event fell out of the recorder, is detached: its backlog is dropped (nothing is prepared for it any
 *    more) and it costs only what its socket already holds.
 * V4 Once a detached viewer's socket drains (below perClientBytes / 2) it gets the model as it is now
 *    (`snapshot`), a `gap` from the first seq it missed to the snapshot, `synced` if it had not had it,
 *    then the live stream. Its page needs nothing new: it handles snapshot + gap as after a reconnect.
 * V5 When the total has kept a viewer that could read waiting for evictMs (5 s), the detached viewer whose
 *    socket holds the most is closed with tooSlow (its page reconnects and resumes with snapshot + gap).
 * V6 The text of an events message for a range of seqs is made once and sent to every viewer at that
 *    cursor. Viewers are not merged (outbound.ts O3): a viewer that falls behind is detached instead.
 * V7 While payloads are hidden (the teacher's switch, on by default while sharing), every event a viewer
 *    is sent has its payload bytes removed (hidePayload): api data's b64 and the wire's bytes are empty,
 *    lengths stay. The model has no payload bytes, so snapshots need nothing removed.
 */
import { CloseCode, type Model, type ServerMessage, type SessionEvent } from '@socketscope/shared';
import type { Transport } from './outbound.ts';
import { eventBytes, type Session } from './session.ts';
import { ViewerStream } from './viewer-stream.ts';

export { ViewerStream };

export interface ViewerPoolOptions {
  perClientBytes?: number;
  totalBytes?: number;
  /** an events message is cut after about this many estimated bytes of events (eventBytes) */
  messageBytes?: number;
  /** and after this many events */
  maxBatch?: number;
  sliceMs?: number;
  detachMs?: number;
  evictMs?: number;
  /** the pump runs about once per frame while events come */
  frameMs?: number;
  /** how often a viewer that only waits for its socket to drain is looked at again */
  pollMs?: number;
  hidePayloads?: boolean;
}

/** frames kept for viewers a little behind the others (V6), by count and by characters (a snapshot may be MBs) */
const FRAME_CACHE = 32;
const FRAME_CACHE_CHARS = 4 * 2 ** 20;

/** V7: the event without its payload bytes (the same object when it carries none). */
export function hidePayload(e: SessionEvent): SessionEvent {
  switch (e.type) {
    case 'api.call':
      return e.data && e.data.b64 !== '' ? { ...e, data: { len: e.data.len, b64: '', truncated: e.data.len > 0 } } : e;
    case 'tcp.segment':
    case 'udp.datagram':
      return e.bytes !== '' ? { ...e, bytes: '' } : e;
    default:
      return e;
  }
}

export class ViewerPool {
  readonly perClientBytes: number;
  readonly totalBytes: number;
  readonly detachMs: number;
  private readonly messageBytes: number;
  private readonly maxBatch: number;
  private readonly sliceMs: number;
  private readonly evictMs: number;
  private readonly frameMs: number;
  private readonly pollMs: number;
  private hide: boolean;
  private order: ViewerStream[] = [];
  private rr = 0;
  private frames = new Map<string, string>();
  private frameChars = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private lastPumpAt = 0;
  private starvedSince: number | null = null;
  private closed = false;
  private readonly offEvents: () => void;
  private readonly offReset: () => void;

  /** counters, for tests and diagnostics */
  stats = { slices: 0, messages: 0, framesMade: 0, framesShared: 0, detached: 0, resumed: 0, evicted: 0, longestSliceMs: 0 };

  constructor(readonly session: Session, opts: ViewerPoolOptions = {}) {
    this.perClientBytes = opts.perClientBytes ?? 128 * 1024;
    this.totalBytes = opts.totalBytes ?? 16 * 2 ** 20;
    this.messageBytes = opts.messageBytes ?? 64 * 1024;
    this.maxBatch = opts.maxBatch ?? 2000;
    this.sliceMs = opts.sliceMs ?? 8;
    this.detachMs = opts.detachMs ?? 2000;
    this.evictMs = opts.evictMs ?? 5000;
    this.frameMs = opts.frameMs ?? 16;
    this.pollMs = opts.pollMs ?? 50;
    this.hide = opts.hidePayloads ?? false;
    this.offEvents = session.subscribe(() => this.schedule());
    // seqs start again at 0 in a new session: frames of the old one must never be sent for them
    this.offReset = session.onReset(() => this.dropFrames());
  }

  get hidePayloads(): boolean { return this.hide; }

  /** V7: the teacher's switch. Frames made before it are dropped so the change applies from the next message. */
  setHidePayloads(hide: boolean): void {
    if (hide === this.hide) return;
    this.hide = hide;
    this.dropFrames();
  }

  open(transport: Transport): ViewerStream {
    const s = new ViewerStream(this, transport);
    this.order.push(s);
    return s;
  }

  /** @internal a stream that closed */
  remove(s: ViewerStream): void {
    const i = this.order.indexOf(s);
    if (i >= 0) this.order.splice(i, 1);
    if (this.rr >= this.order.length) this.rr = 0;
  }

  /** viewers' sockets' bytes now (V1) */
  held(): number {
    let total = 0;
    for (const s of this.order) total += s.buffered();
    return total;
  }

  get viewers(): number { return this.order.length; }

  close(): void {
    this.closed = true;
    this.offEvents();
    this.offReset();
    this.clearSchedule();
  }

  /**
   * Leading edge, as outbound.ts: a pump that has not run for a frame runs after this turn; otherwise at
   * the next frame. `soon`: the last slice ran out of time with work left (V2), go on after the agent
   * has read its sockets.
   */
  schedule(soon = false, later = 0): void {
    if (this.closed || this.immediate || this.order.length === 0) return;
    if (soon) {
      if (this.timer) { clearTimeout(this.timer); this.timer = null; }
      this.immediate = setImmediate(() => { this.immediate = null; this.pump(); });
      return;
    }
    if (this.timer) return;
    const wait = later > 0 ? later : Math.max(0, this.lastPumpAt + this.frameMs - Date.now());
    this.timer = setTimeout(() => { this.timer = null; this.pump(); }, wait);
    this.timer.unref?.();
  }

  private clearSchedule(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  /** One slice (V2). */
  private pump(): void {
    if (this.closed) return;
    const t0 = performance.now();
    const deadline = t0 + this.sliceMs;
    const now = Date.now();
    this.lastPumpAt = now;
    this.stats.slices++;
    let total = this.held();
    let outOfTime = false;
    let held = false;
    let draining = false;
    let starved = false;
    for (let progressed = true; progressed && !outOfTime;) {
      progressed = false;
      const n = this.order.length;
      for (let k = 0; k < n; k++) {
        const s = this.order[(this.rr + k) % n]!;
        const r = s.step(total, now);
        if (r.state === 'sent') { total += r.bytes; progressed = true; }
        else if (r.state === 'held') held = true;
        else if (r.state === 'starved') starved = true;
        else if (r.state === 'draining') draining = true;
        if (performance.now() >= deadline) {
          this.rr = (this.rr + k + 1) % Math.max(1, n);
          outOfTime = true;
          break;
        }
      }
    }
    this.stats.longestSliceMs = Math.max(this.stats.longestSliceMs, performance.now() - t0);
    if (starved) {
      this.starvedSince ??= now;
      if (now - this.starvedSince >= this.evictMs) { this.evictOne(); this.starvedSince = null; }
    } else this.starvedSince = null;
    if (outOfTime) this.schedule(true);
    else if (held || starved) this.schedule(false, this.frameMs);
    else if (draining) this.schedule(false, this.pollMs);
  }

  /** V5 */
  private evictOne(): void {
    let worst: ViewerStream | null = null;
    for (const s of this.order) if (s.detached && (!worst || s.buffered() > worst.buffered())) worst = s;
    if (!worst) return;
    this.stats.evicted++;
    worst.close(CloseCode.tooSlow, 'too slow: this page stopped reading and others needed the memory; reconnect to resume');
  }

  /** V6: the events message for [from, to), made once. */
  eventsFrame(from: number, to: number): string {
    const key = `${this.session.id}|e|${from}|${to}|${this.hide ? 1 : 0}`;
    return this.cached(key, () => {
      const window = this.session.range(from, to);
      return JSON.stringify({ t: 'events', events: this.hide ? window.map(hidePayload) : window } satisfies ServerMessage);
    });
  }

  snapshotFrame(atSeq: number, model: Model): string {
    return this.cached(`${this.session.id}|s|${atSeq}`, () => JSON.stringify({ t: 'snapshot', atSeq, model } satisfies ServerMessage));
  }

  private cached(key: string, make: () => string): string {
    const hit = this.frames.get(key);
    if (hit !== undefined) { this.stats.framesShared++; return hit; }
    const text = make();
    this.stats.framesMade++;
    this.frames.set(key, text);
    this.frameChars += text.length;
    // the newest stays even alone over the bound: the viewers at this cursor are about to be sent it
    while (this.frames.size > 1 && (this.frames.size > FRAME_CACHE || this.frameChars > FRAME_CACHE_CHARS)) {
      const [oldest, old] = this.frames.entries().next().value!;
      this.frames.delete(oldest);
      this.frameChars -= old.length;
    }
    return text;
  }

  private dropFrames(): void {
    this.frames.clear();
    this.frameChars = 0;
  }

  /** One message's range from `from`, at most up to `limit` (exclusive): cut by count and estimated bytes. */
  batchEnd(from: number, limit: number): number {
    const last = Math.min(limit, from + this.maxBatch);
    let bytes = 0;
    let seq = from;
    while (seq < last && bytes < this.messageBytes) {
      const e = this.session.get(seq);
      bytes += e ? eventBytes(e) : 0;
      seq++;
    }
    return seq;
  }

  /** @internal for the streams */
  fits(total: number, size: number): boolean {
    return total === 0 || total + size <= this.totalBytes;
  }
}
