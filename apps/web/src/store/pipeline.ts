import { parseEvent, type Model, type SessionEvent } from '@socketscope/shared';
import type { AppStore } from './store.ts';
import type { DataSeen, NoteKind } from './slices.ts';
import { LogIndex, type LogNote } from './log.ts';
import { BUSY_FOLDS, Publisher, type FlushChanges } from './publish.ts';
import { ReorderBuffer } from './reorder.ts';
import { Timeline } from './timeline.ts';

/**
 * Events from the agent (or a file) are queued here, outside React, and folded into the store in
 * batches: once per animation frame, with a timer fallback because a background tab gets no frames.
 * A flush folds for at most `budgetMs` (and at most `maxPerFlush` events), so a burst (a resync's
 * history, a loaded file) never freezes the page; the rest goes in the next flush. What it folded is
 * published by publish.ts: at once with one setState when quiet, and under load to one group of views
 * per frame, in turn.
 *
 * Validation happens at the boundary: the connection worker checks every event with the shared schema
 * before it is posted here (`pushChecked`; connection/decode.ts). `push` takes raw events and checks
 * them here (tests, and a page without the worker). A bad event is counted and dropped and the stream
 * goes on (after HTTP Toolkit's events-store).
 *
 * Between validation and folding, events pass the reorder buffer (reorder.ts): while packet capture
 * runs they wait `holdMs` so late-arriving captured packets take their place by capture time. Events
 * leave it in happened order and get the page's own seq (0, 1, 2 …) as they are appended to the
 * timeline; the agent's seq is kept beside each event for resync (`agentLastSeq`), gaps and the saved
 * recording.
 *
 * Duplicates are harmless: after a resync the agent may resend events the page already has; an event
 * whose agent seq is not above the last one received is skipped.
 */

/**
 * Something that is not a raw event but must take effect in stream order: a note for the log (gap,
 * merged samples), a snapshot that replaces the model before the events that follow it, or events a
 * file loader already validated and ordered.
 */
class Marker {
  constructor(
    readonly note: { kind: NoteKind; params: Record<string, string | number> } | null,
    readonly snapshot: { atSeq: number; model: Model } | null,
  ) {}
}
/** an event the connection worker validated (still subject to resync de-duplication) */
class Checked {
  constructor(readonly event: SessionEvent) {}
}
/** an event a file loader already validated and ordered (no resync, no duplicates) */
class Validated {
  constructor(readonly event: SessionEvent) {}
}
/** events the connection worker dropped as invalid, in stream order */
class BadCount {
  constructor(readonly count: number) {}
}
/** released in happened order (an event still carries the agent's seq), or a marker, in the order they are folded */
type Ready = SessionEvent | Marker;

/** Runs `flush` soon; returns a cancel function. */
export type FlushScheduler = (flush: () => void) => () => void;

export function frameScheduler(fallbackMs = 100): FlushScheduler {
  return (flush) => {
    let done = false;
    const run = (): void => {
      if (done) return;
      done = true;
      if (raf !== null) cancelAnimationFrame(raf);
      clearTimeout(timer);
      flush();
    };
    const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame(run) : null;
    const timer = setTimeout(run, fallbackMs);
    return () => {
      done = true;
      if (raf !== null) cancelAnimationFrame(raf);
      clearTimeout(timer);
    };
  };
}

export interface PipelineOptions {
  /** events folded per flush at most (default: no count limit, only the time budget) */
  maxPerFlush?: number;
  /** ms a flush may spend folding (checked every few events) */
  budgetMs?: number;
  schedule?: FlushScheduler;
  onBadEvent?: (error: string, raw: unknown) => void;
  /** the page clock in ms (performance.now) */
  now?: () => number;
  /** how long events wait for late captured packets while capture runs (0: never wait) */
  holdMs?: number;
}

export const DEFAULT_HOLD_MS = 500;
/** A flush folds for this long at most, in a frame without a view's refresh (publish.ts) … */
export const DEFAULT_BUDGET_MS = 6;
/** … and in a frame with one: the refresh takes most of that frame */
export const TURN_FOLD_MS = 1;
/** events folded between two looks at the clock */
const CLOCK_EVERY = 128;

export class EventPipeline {
  /** raw events, checked events, markers, as they arrived */
  private queue: unknown[] = [];
  private head = 0;
  /** released from the reorder buffer (and markers), in the order they are folded */
  private ready: Ready[] = [];
  private readyHead = 0;
  private cancel: (() => void) | null = null;
  private badSinceFlush = 0;
  private readonly reorder = new ReorderBuffer();
  private readonly publisher: Publisher;
  /** connections ("client>server") whose SYN+ACK was seen and whose client ACK would end the handshake */
  private readonly awaitingAck = new Set<string>();
  private readonly maxPerFlush: number;
  private readonly budgetMs: number;
  private readonly schedule: FlushScheduler;
  private readonly onBadEvent: (error: string, raw: unknown) => void;
  private readonly now: () => number;
  private readonly holdMs: number;
  /** the agent's seq of the last event received in this session: a resync resumes after it */
  agentLastSeq = -1;

  constructor(private readonly store: AppStore, opts: PipelineOptions = {}) {
    this.maxPerFlush = opts.maxPerFlush ?? Infinity;
    this.budgetMs = opts.budgetMs ?? DEFAULT_BUDGET_MS;
    this.schedule = opts.schedule ?? frameScheduler();
    this.onBadEvent = opts.onBadEvent ?? ((error) => console.warn(`SocketScope: dropped an invalid event: ${error}`));
    this.now = opts.now ?? (() => performance.now());
    this.holdMs = opts.holdMs ?? DEFAULT_HOLD_MS;
    this.publisher = new Publisher(store, this.now);
  }

  /** Queues raw events (not validated yet) from an `events` message; schedules a flush. */
  push(raws: readonly unknown[]): void {
    for (const raw of raws) this.queue.push(raw);
    this.request();
  }

  /** Queues events the connection already validated (`bad`: how many it dropped); schedules a flush. */
  pushChecked(events: readonly SessionEvent[], bad = 0): void {
    if (bad > 0) this.queue.push(new BadCount(bad));
    for (const e of events) this.queue.push(new Checked(e));
    this.request();
  }

  /** Events already validated and put in happened order (a loaded file). */
  pushValidated(events: readonly SessionEvent[]): void {
    for (const e of events) this.queue.push(new Validated(e));
    this.request();
  }

  /** A log note (gap, merged …) in stream order. */
  pushNote(kind: NoteKind, params: Record<string, string | number>): void {
    this.queue.push(new Marker({ kind, params }, null));
    this.request();
  }

  /** The agent's model at atSeq; it replaces ours where it falls in the stream. Returns false if it is not a model. */
  pushSnapshot(atSeq: number, raw: unknown): boolean {
    if (!looksLikeModel(raw)) return false;
    this.queue.push(new Marker({ kind: 'snapshot', params: { seq: atSeq } }, { atSeq, model: raw }));
    this.request();
    return true;
  }

  /** Events not folded yet (queued or released), not counting those waiting in the reorder buffer. */
  get pending(): number {
    return this.queue.length - this.head + this.ready.length - this.readyHead;
  }

  get held(): number {
    return this.reorder.size;
  }

  /**
   * Folds queued events into the store for at most budgetMs (and maxPerFlush events) with a single
   * setState, releasing from the reorder buffer what has waited long enough (everything with `force`).
   * Returns the events folded.
   */
  flush(force = false): number {
    this.cancel?.();
    this.cancel = null;
    const s = this.store.getState();
    const t0 = this.now();
    const deadline = force ? Infinity : t0 + (this.publisher.turnDue(t0) ? Math.min(TURN_FOLD_MS, this.budgetMs) : this.budgetMs);
    const ctx: FlushCtx = { tl: s.timeline, log: s.log, added: 0, notes: [], lastData: null, replaced: false, missing: 0, bad: 0 };
    this.take(t0, deadline);
    // capture runs: the session said so, or (a session just reset says nothing) the agent can capture
    const capturing = ctx.tl.headModel.sources.wire?.running ?? s.capabilities?.wire.available ?? false;
    for (const e of force ? this.reorder.releaseAll() : this.reorder.release(t0, capturing ? this.holdMs * 1000 : 0)) this.ready.push(e);
    let folded = 0;
    while (this.readyHead < this.ready.length && folded < this.maxPerFlush) {
      // the views' work ahead on these events comes after the fold, in the same frame (publish.ts)
      if ((folded & (CLOCK_EVERY - 1)) === CLOCK_EVERY - 1 && this.now() + this.publisher.aheadPerEvent * folded > deadline) break;
      const item = this.ready[this.readyHead++]!;
      if (item instanceof Marker) this.applyMarker(ctx, item);
      else { this.release(ctx, item); folded++; }
    }
    [this.ready, this.readyHead] = compact(this.ready, this.readyHead);
    ctx.missing = this.missingSeen;
    ctx.bad = this.badSinceFlush;
    this.missingSeen = 0;
    this.badSinceFlush = 0;
    this.publisher.commit(ctx, t0, { busy: folded >= BUSY_FOLDS || this.pending > 0, force });
    if (this.pending > 0 || this.reorder.size > 0 || this.publisher.behind) this.request();
    return folded;
  }

  /** Folds everything queued and held now (before a sync, so `since` is exact, and when a lesson ends). */
  flushAll(): void {
    do this.flush(true); while (this.pending > 0);
    if (this.badSinceFlush > 0 || this.publisher.behind) this.flush(true);
  }

  /** Drops whatever is queued or held (the session changed under us). */
  clear(): void {
    this.cancel?.();
    this.cancel = null;
    this.queue = [];
    this.head = 0;
    this.ready = [];
    this.readyHead = 0;
    this.reorder.clear();
    this.awaitingAck.clear();
    this.agentLastSeq = -1;
    this.publisher.clear();
  }

  /**
   * Takes queued items into the reorder buffer (validating raw ones); a marker releases everything
   * before it, so notes and snapshots take effect after everything that arrived before them. Bounded
   * by half the flush's time, and by what could be folded.
   */
  private take(now: number, deadline: number): void {
    const limit = Math.min(deadline, now + this.budgetMs / 2);
    const cap = this.maxPerFlush === Infinity ? Infinity : this.maxPerFlush * 4;
    let n = 0;
    while (this.head < this.queue.length && n < cap) {
      if ((n & (CLOCK_EVERY - 1)) === CLOCK_EVERY - 1 && this.now() > limit) break;
      const item = this.queue[this.head++];
      n++;
      if (item instanceof Marker) {
        for (const e of this.reorder.releaseAll()) this.ready.push(e);
        this.ready.push(item);
        continue;
      }
      if (item instanceof Validated) {
        this.reorder.add(item.event, now);
        continue;
      }
      if (item instanceof BadCount) {
        this.badSinceFlush += item.count;
        continue;
      }
      let e: SessionEvent;
      if (item instanceof Checked) e = item.event;
      else {
        const r = parseEvent(item);
        if (!r.ok) {
          this.badSinceFlush++;
          this.onBadEvent(r.error, item);
          continue;
        }
        e = r.event;
      }
      if (e.seq <= this.agentLastSeq) continue; // already have it (resync resends)
      if (this.agentLastSeq >= 0 && e.seq > this.agentLastSeq + 1) this.missingSeen += e.seq - this.agentLastSeq - 1;
      this.agentLastSeq = e.seq;
      this.reorder.add(e, now);
    }
    [this.queue, this.head] = compact(this.queue, this.head);
  }

  /** agent seqs found missing since the last flush */
  private missingSeen = 0;

  private applyMarker(ctx: FlushCtx, item: Marker): void {
    if (item.snapshot) {
      ctx.tl = new Timeline(item.snapshot.model);
      ctx.log = new LogIndex(ctx.tl, { layers: this.store.getState().layerFilter, sock: this.store.getState().sockFilter });
      ctx.replaced = true;
      ctx.lastData = null;
      this.agentLastSeq = Math.max(this.agentLastSeq, item.snapshot.atSeq);
      // notes of this flush that led here (the gap) stay readable above the new start
      for (const note of ctx.notes) ctx.log.addNote(-1, note);
    }
    if (item.note) {
      ctx.log.addNote(ctx.tl.last, item.note);
      ctx.notes.push(item.note);
      ctx.added++;
    }
  }

  /** Numbers a released event with the page's seq and appends it to the timeline and the log. */
  private release(ctx: FlushCtx, ev: SessionEvent): void {
    const agentSeq = ev.seq;
    const e = { ...ev, seq: ctx.tl.nextSeq } as SessionEvent;
    let origWire: number | undefined;
    // capture times are shown corrected by the estimated clock offset (≤ 1 ms, reorder.ts), so every
    // time on the page reads in the order things happened; the recording keeps the agent's value
    const skew = this.reorder.skew;
    if ((e.type === 'tcp.segment' || e.type === 'udp.datagram') && !e.inferred && e.wireTs !== undefined && skew > 0) {
      origWire = e.wireTs;
      e.wireTs = Math.round((e.wireTs - skew) * 1000) / 1000;
    }
    const mark = e.type === 'tcp.segment' ? this.handshakeMark(e) : undefined;
    ctx.tl.append(e, agentSeq, origWire);
    if (e.seq !== ctx.tl.last) return; // past the timeline's bound: folded, not kept
    ctx.log.addEvent(e.seq, mark);
    ctx.added++;
    if (this.store.getState().cursor !== null && !ctx.replaced) return;
    const seen = dataSeen(e);
    if (seen && e.sock) (ctx.lastData ??= ctx.replaced ? {} : { ...this.publisher.currentLastData() })[e.sock] = seen;
  }

  /** The client's bare ACK right after the server's SYN+ACK is the handshake's third step. */
  private handshakeMark(e: Extract<SessionEvent, { type: 'tcp.segment' }>): 'hs3' | undefined {
    const f = e.flags;
    if (f.includes('SYN') && f.includes('ACK')) {
      if (this.awaitingAck.size > 1024) this.awaitingAck.clear(); // bounded; a lost mark only loses a label
      this.awaitingAck.add(`${e.dst}>${e.src}`);
      return undefined;
    }
    const key = `${e.src}>${e.dst}`;
    if (f.length === 1 && f[0] === 'ACK' && this.awaitingAck.delete(key)) return 'hs3';
    if (f.includes('RST')) this.awaitingAck.delete(key);
    return undefined;
  }

  private request(): void {
    if (this.cancel || (this.pending === 0 && this.badSinceFlush === 0 && this.reorder.size === 0 && !this.publisher.behind)) return;
    this.cancel = this.schedule(() => {
      this.cancel = null;
      this.flush();
    });
  }
}

interface FlushCtx extends FlushChanges {
  /** notes added in this flush */
  notes: LogNote[];
}

/** A model from outside (an agent snapshot, a file's base) has the model's shape. */
export function looksLikeModel(m: unknown): m is Model {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return typeof o['sockets'] === 'object' && o['sockets'] !== null && Array.isArray(o['socketOrder'])
    && typeof o['conns'] === 'object' && Array.isArray(o['connOrder']) && typeof o['byEndpoints'] === 'object'
    && typeof o['counts'] === 'object' && typeof o['version'] === 'number';
}

export function dataSeen(e: SessionEvent): DataSeen | null {
  if (e.type !== 'api.call' || e.error || !e.data) return null;
  if (e.call !== 'send' && e.call !== 'recv' && e.call !== 'sendto' && e.call !== 'recvfrom') return null;
  const seen: DataSeen = { call: e.call, seq: e.seq, data: e.data };
  if (e.remote && (e.call === 'sendto' || e.call === 'recvfrom')) seen.peer = e.remote;
  return seen;
}

/**
 * A queue read from `head` (shift() on a long array is O(n)): emptied once all of it was read, and its
 * read front dropped once that grew large, so a queue that never empties does not keep every item.
 */
function compact<T>(q: T[], head: number): [T[], number] {
  if (head >= q.length) return [[], 0];
  if (head > 65_536) return [q.slice(head), 0];
  return [q, head];
}
