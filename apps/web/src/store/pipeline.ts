import { fold, parseEvent, type Model, type SessionEvent } from '@socketscope/shared';
import type { AppStore } from './store.ts';
import type { AppState, DataSeen, LogRow, NoteKind } from './slices.ts';
import { appendBounded, appendVisible } from './log.ts';

/**
 * Events from the agent are queued here, outside React, and folded into the store in batches: once
 * per animation frame, with a timer fallback because a background tab gets no frames, and at most
 * `maxPerFlush` events per flush so a burst (a resync's history) never freezes the page: the rest go
 * in the next flush. Each raw event is validated with the shared schema when its flush takes it
 * (validation costs about as much as folding, so it counts against the same cap); a bad one is
 * counted and dropped and the stream goes on (after HTTP Toolkit's events-store).
 * Measured in node (100,000 kernel events): a 1,000-event flush takes ≈ 6 ms (median), so a frame stays
 * within budget and a resync of 100k events catches up in ≈ 100 frames.
 *
 * Duplicates are harmless: after a resync the agent may resend events the page already folded; an
 * event whose seq is not above the model's lastSeq is skipped, so it reaches neither the model nor the log.
 */

/**
 * Something from the agent that is not an event but must take effect in stream order: a note for the
 * log (gap, merged samples) or a snapshot that replaces the model before the events that follow it.
 */
class Marker {
  constructor(
    readonly note: { kind: NoteKind; params: Record<string, string | number> } | null,
    readonly snapshot: { atSeq: number; model: Model } | null,
  ) {}
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
}

export class EventPipeline {
  private queue: unknown[] = [];
  private head = 0;
  private cancel: (() => void) | null = null;
  private badSinceFlush = 0;
  /** connections ("client>server") whose SYN+ACK was seen and whose client ACK would end the handshake */
  private readonly awaitingAck = new Set<string>();
  private readonly maxPerFlush: number;
  private readonly schedule: FlushScheduler;
  private readonly logCap: number | undefined;
  private readonly onBadEvent: (error: string, raw: unknown) => void;

  constructor(private readonly store: AppStore, opts: PipelineOptions = {}) {
    this.maxPerFlush = opts.maxPerFlush ?? 1000;
    this.schedule = opts.schedule ?? frameScheduler();
    this.logCap = opts.logCap;
    this.onBadEvent = opts.onBadEvent ?? ((error) => console.warn(`SocketScope: dropped an invalid event: ${error}`));
  }

  /** Queues raw events from an `events` message; schedules a flush. */
  push(raws: readonly unknown[]): void {
    for (const raw of raws) this.queue.push(raw);
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
    raw.lastSeq = atSeq;
    this.queue.push(new Marker({ kind: 'snapshot', params: { seq: atSeq } }, { atSeq, model: raw }));
    this.request();
    return true;
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Folds up to maxPerFlush queued events into the store with a single setState. Returns how many were folded. */
  flush(): number {
    this.cancel?.();
    this.cancel = null;
    const s = this.store.getState();
    let model = s.model;
    const end = Math.min(this.queue.length, this.head + this.maxPerFlush);
    const rows: LogRow[] = [];
    let nextRow = s.nextRow;
    let lastData: Record<string, DataSeen> | null = null;
    for (let i = this.head; i < end; i++) {
      const item = this.queue[i];
      if (item instanceof Marker) {
        if (item.snapshot) model = item.snapshot.model;
        if (item.note) rows.push({ n: nextRow++, layer: 'session', note: item.note });
        continue;
      }
      const r = parseEvent(item);
      if (!r.ok) {
        this.badSinceFlush++;
        this.onBadEvent(r.error, item);
        continue;
      }
      const e: SessionEvent = r.event;
      if (e.seq <= model.lastSeq) continue; // already folded (resync resends)
      const mark = e.type === 'tcp.segment' ? this.handshakeMark(e) : undefined;
      fold(model, e);
      rows.push(mark ? { n: nextRow++, layer: e.layer, event: e, mark } : { n: nextRow++, layer: e.layer, event: e });
      const seen = dataSeen(e);
      if (seen && e.sock) (lastData ??= { ...s.lastData })[e.sock] = seen;
    }
    this.head = end;
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    }

    const patch: Partial<AppState> = {};
    if (model !== s.model) patch.model = model;
    if (rows.length > 0 || model !== s.model) {
      patch.modelVersion = model.version;
      patch.log = appendBounded(s.log, rows, this.logCap);
      patch.visibleLog = appendVisible(s.visibleLog, rows, s.layerFilter, patch.log);
      patch.nextRow = nextRow;
      if (lastData) patch.lastData = lastData;
    }
    if (this.badSinceFlush > 0) {
      patch.badEvents = s.badEvents + this.badSinceFlush;
      this.badSinceFlush = 0;
    }
    if (Object.keys(patch).length > 0) this.store.setState(patch);
    if (this.pending > 0) this.request();
    return rows.length;
  }

  /** Folds everything queued now (before a sync, so `since` is exact, and before a snapshot or reset). */
  flushAll(): void {
    while (this.pending > 0) this.flush();
    if (this.badSinceFlush > 0) this.flush();
  }

  /** Drops whatever is queued (the session changed under us). */
  clear(): void {
    this.cancel?.();
    this.cancel = null;
    this.queue = [];
    this.head = 0;
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
    if (this.cancel || (this.pending === 0 && this.badSinceFlush === 0)) return;
    this.cancel = this.schedule(() => {
      this.cancel = null;
      this.flush();
    });
  }
}

function looksLikeModel(m: unknown): m is Model {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return typeof o['sockets'] === 'object' && o['sockets'] !== null && Array.isArray(o['socketOrder'])
    && typeof o['conns'] === 'object' && Array.isArray(o['connOrder']) && typeof o['byEndpoints'] === 'object'
    && typeof o['counts'] === 'object' && typeof o['version'] === 'number';
}

function dataSeen(e: SessionEvent): DataSeen | null {
  if (e.type !== 'api.call' || e.error || !e.data) return null;
  if (e.call !== 'send' && e.call !== 'recv' && e.call !== 'sendto' && e.call !== 'recvfrom') return null;
  const seen: DataSeen = { call: e.call, seq: e.seq, data: e.data };
  if (e.remote && (e.call === 'sendto' || e.call === 'recvfrom')) seen.peer = e.remote;
  return seen;
}
