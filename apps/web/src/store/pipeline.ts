import { parseEvent, type Model, type SessionEvent } from '@socketscope/shared';
import type { AppStore } from './store.ts';
import type { AppState, DataSeen, LogRow, NoteKind } from './slices.ts';
import { appendBounded, appendVisible } from './log.ts';
import { ReorderBuffer } from './reorder.ts';
import { Timeline } from './timeline.ts';

/**
 * Events from the agent (or a file) are queued here, outside React, and folded into the store in
 * batches: once per animation frame, with a timer fallback because a background tab gets no frames,
 * and at most `maxPerFlush` events per flush so a burst (a resync's history, a loaded file) never
 * freezes the page: the rest go in the next flush. Each raw event is validated with the shared schema
 * when its flush takes it; a bad one is counted and dropped and the stream goes on (after HTTP
 * Toolkit's events-store). Measured in node (100,000 kernel events): a 1,000-event flush takes ≈ 6 ms.
 *
 * Between validation and folding, events pass the reorder buffer (reorder.ts): while packet capture
 * runs they wait `holdMs` so late-arriving captured packets take their place by capture time. Events
 * leave it in happened order and get the page's own seq (0, 1, 2 …) as they are appended to the
 * timeline; the agent's seq is kept for resync (`agentLastSeq`), gaps and the saved recording.
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
class Validated {
  constructor(readonly event: SessionEvent) {}
}

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
  maxPerFlush?: number;
  schedule?: FlushScheduler;
  logCap?: number;
  onBadEvent?: (error: string, raw: unknown) => void;
  /** the page clock in ms (performance.now) */
  now?: () => number;
  /** how long events wait for late captured packets while capture runs (0: never wait) */
  holdMs?: number;
}

export const DEFAULT_HOLD_MS = 500;

export class EventPipeline {
  private queue: unknown[] = [];
  private head = 0;
  private cancel: (() => void) | null = null;
  private badSinceFlush = 0;
  private readonly reorder = new ReorderBuffer();
  /** connections ("client>server") whose SYN+ACK was seen and whose client ACK would end the handshake */
  private readonly awaitingAck = new Set<string>();
  private readonly maxPerFlush: number;
  private readonly schedule: FlushScheduler;
  private readonly logCap: number | undefined;
  private readonly onBadEvent: (error: string, raw: unknown) => void;
  private readonly now: () => number;
  private readonly holdMs: number;
  /** the agent's seq of the last event received in this session: a resync resumes after it */
  agentLastSeq = -1;

  constructor(private readonly store: AppStore, opts: PipelineOptions = {}) {
    this.maxPerFlush = opts.maxPerFlush ?? 1000;
    this.schedule = opts.schedule ?? frameScheduler();
    this.logCap = opts.logCap;
    this.onBadEvent = opts.onBadEvent ?? ((error) => console.warn(`SocketScope: dropped an invalid event: ${error}`));
    this.now = opts.now ?? (() => performance.now());
    this.holdMs = opts.holdMs ?? DEFAULT_HOLD_MS;
  }

  /** Queues raw events from an `events` message; schedules a flush. */
  push(raws: readonly unknown[]): void {
    for (const raw of raws) this.queue.push(raw);
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

  /** Raw events not folded yet, and events waiting in the reorder buffer. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  get held(): number {
    return this.reorder.size;
  }

  /**
   * Folds up to maxPerFlush queued events into the store with a single setState, releasing from the
   * reorder buffer what has waited long enough (everything with `force`). Returns the rows added.
   */
  flush(force = false): number {
    this.cancel?.();
    this.cancel = null;
    const s = this.store.getState();
    const now = this.now();
    const ctx: FlushCtx = { tl: s.timeline, rows: [], nextRow: s.nextRow, lastData: null, replaced: false, missing: s.missing };
    const end = Math.min(this.queue.length, this.head + this.maxPerFlush);
    for (let i = this.head; i < end; i++) {
      const item = this.queue[i];
      if (item instanceof Marker) {
        // notes and snapshots take effect after everything that arrived before them
        this.release(ctx, this.reorder.releaseAll());
        if (item.snapshot) {
          ctx.tl = new Timeline(item.snapshot.model);
          ctx.replaced = true;
          this.agentLastSeq = Math.max(this.agentLastSeq, item.snapshot.atSeq);
        }
        if (item.note) ctx.rows.push({ n: ctx.nextRow++, at: ctx.tl.last, layer: 'session', note: item.note });
        continue;
      }
      if (item instanceof Validated) {
        // the loader keeps the file's own events as the recording (timeline.raw)
        this.reorder.add(item.event, now);
        continue;
      }
      const r = parseEvent(item);
      if (!r.ok) {
        this.badSinceFlush++;
        this.onBadEvent(r.error, item);
        continue;
      }
      const e = r.event;
      if (e.seq <= this.agentLastSeq) continue; // already have it (resync resends)
      if (this.agentLastSeq >= 0 && e.seq > this.agentLastSeq + 1) ctx.missing += e.seq - this.agentLastSeq - 1;
      this.agentLastSeq = e.seq;
      ctx.tl.raw.push(e);
      this.reorder.add(e, now);
    }
    this.head = end;
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    // capture runs: the session said so, or (a session just reset says nothing) the agent can capture
    const capturing = ctx.tl.headModel.sources.wire?.running ?? s.capabilities?.wire.available ?? false;
    this.release(ctx, force ? this.reorder.releaseAll() : this.reorder.release(now, capturing ? this.holdMs * 1000 : 0));
    this.commit(s, ctx);
    if (this.pending > 0 || this.reorder.size > 0) this.request();
    return ctx.rows.length;
  }

  /** Folds everything queued and held now (before a sync, so `since` is exact, and when a lesson ends). */
  flushAll(): void {
    do this.flush(true); while (this.pending > 0);
    if (this.badSinceFlush > 0) this.flush(true);
  }

  /** Drops whatever is queued or held (the session changed under us). */
  clear(): void {
    this.cancel?.();
    this.cancel = null;
    this.queue = [];
    this.head = 0;
    this.reorder.clear();
    this.awaitingAck.clear();
    this.agentLastSeq = -1;
  }

  /** Numbers released events with the page's seq and appends them to the timeline. */
  private release(ctx: FlushCtx, events: SessionEvent[]): void {
    const follow = this.store.getState().cursor === null;
    const skew = this.reorder.skew;
    for (const ev of events) {
      const e = { ...ev, seq: ctx.tl.nextSeq } as SessionEvent;
      // capture times are shown corrected by the estimated clock offset (≤ 1 ms, reorder.ts), so every
      // time on the page reads in the order things happened; the recording keeps the agent's value
      if ((e.type === 'tcp.segment' || e.type === 'udp.datagram') && !e.inferred && e.wireTs !== undefined && skew > 0) {
        e.wireTs = Math.round((e.wireTs - skew) * 1000) / 1000;
      }
      const mark = e.type === 'tcp.segment' ? this.handshakeMark(e) : undefined;
      ctx.tl.append(e);
      if (e.seq !== ctx.tl.last) continue; // past the timeline's bound: folded, not kept
      ctx.rows.push(mark ? { n: ctx.nextRow++, at: e.seq, layer: e.layer, event: e, mark } : { n: ctx.nextRow++, at: e.seq, layer: e.layer, event: e });
      const seen = follow ? dataSeen(e) : null;
      if (seen && e.sock) (ctx.lastData ??= ctx.replaced ? {} : { ...this.store.getState().lastData })[e.sock] = seen;
    }
  }

  private commit(s: AppState, ctx: FlushCtx): void {
    const patch: Partial<AppState> = {};
    const follow = s.cursor === null;
    if (ctx.replaced) {
      patch.timeline = ctx.tl;
      patch.log = [];
      patch.visibleLog = [];
      if (!follow) patch.cursor = null;
      patch.model = ctx.tl.headModel;
      patch.lastData = ctx.lastData ?? {};
    }
    if (ctx.rows.length > 0 || ctx.replaced) {
      const log = appendBounded(ctx.replaced ? [] : s.log, ctx.rows, this.logCap);
      patch.log = log;
      patch.visibleLog = appendVisible(ctx.replaced ? [] : s.visibleLog, ctx.rows, s.layerFilter, s.sockFilter, log);
      patch.nextRow = ctx.nextRow;
      patch.headSeq = ctx.tl.last;
      patch.timelineVersion = s.timelineVersion + 1;
      if (follow || ctx.replaced) {
        patch.model = ctx.tl.headModel;
        patch.modelVersion = ctx.tl.headModel.version;
        if (ctx.lastData) patch.lastData = ctx.lastData;
      }
    }
    if (ctx.missing !== s.missing) patch.missing = ctx.missing;
    if (this.badSinceFlush > 0) {
      patch.badEvents = s.badEvents + this.badSinceFlush;
      this.badSinceFlush = 0;
    }
    if (Object.keys(patch).length > 0) this.store.setState(patch);
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
    if (this.cancel || (this.pending === 0 && this.badSinceFlush === 0 && this.reorder.size === 0)) return;
    this.cancel = this.schedule(() => {
      this.cancel = null;
      this.flush();
    });
  }
}

interface FlushCtx {
  tl: Timeline;
  rows: LogRow[];
  nextRow: number;
  lastData: Record<string, DataSeen> | null;
  /** the timeline was replaced (an agent snapshot) */
  replaced: boolean;
  missing: number;
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
