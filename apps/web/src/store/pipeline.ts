import { fold, parseEvent, type SessionEvent } from '@socketscope/shared';
import type { AppStore } from './store.ts';
import type { AppState, DataSeen, LogRow } from './slices.ts';
import { appendBounded, appendVisible } from './log.ts';

/**
 * Events from the agent are queued here, outside React, and folded into the store in batches: once
 * per animation frame, with a timer fallback because a background tab gets no frames, and at most
 * `maxPerFlush` events per flush so a burst never freezes the page (the rest go in the next flush).
 * Each raw event is validated with the shared schema on arrival; a bad one is counted and dropped
 * and the stream goes on (after HTTP Toolkit's events-store).
 *
 * Duplicates are harmless: after a resync the agent may resend events the page already folded; an
 * event whose seq is not above the model's lastSeq is skipped, so it reaches neither the model nor the log.
 */

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
  private queue: SessionEvent[] = [];
  private head = 0;
  private cancel: (() => void) | null = null;
  private badSinceFlush = 0;
  private readonly maxPerFlush: number;
  private readonly schedule: FlushScheduler;
  private readonly logCap: number | undefined;
  private readonly onBadEvent: (error: string, raw: unknown) => void;

  constructor(private readonly store: AppStore, opts: PipelineOptions = {}) {
    this.maxPerFlush = opts.maxPerFlush ?? 2000;
    this.schedule = opts.schedule ?? frameScheduler();
    this.logCap = opts.logCap;
    this.onBadEvent = opts.onBadEvent ?? ((error) => console.warn(`SocketScope: dropped an invalid event: ${error}`));
  }

  /** Validates and queues raw events from an `events` message; schedules a flush. */
  push(raws: readonly unknown[]): void {
    for (const raw of raws) {
      const r = parseEvent(raw);
      if (r.ok) this.queue.push(r.event);
      else {
        this.badSinceFlush++;
        this.onBadEvent(r.error, raw);
      }
    }
    this.request();
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Folds up to maxPerFlush queued events into the store with a single setState. Returns how many were folded. */
  flush(): number {
    this.cancel?.();
    this.cancel = null;
    const s = this.store.getState();
    const model = s.model;
    const end = Math.min(this.queue.length, this.head + this.maxPerFlush);
    const rows: LogRow[] = [];
    let nextRow = s.nextRow;
    let lastData: Record<string, DataSeen> | null = null;
    for (let i = this.head; i < end; i++) {
      const e = this.queue[i]!;
      if (e.seq <= model.lastSeq) continue; // already folded (resync resends)
      fold(model, e);
      rows.push({ n: nextRow++, layer: e.layer, event: e });
      const seen = dataSeen(e);
      if (seen && e.sock) (lastData ??= { ...s.lastData })[e.sock] = seen;
    }
    this.head = end;
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    }

    const patch: Partial<AppState> = {};
    if (rows.length > 0) {
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

  private request(): void {
    if (this.cancel || (this.pending === 0 && this.badSinceFlush === 0)) return;
    this.cancel = this.schedule(() => {
      this.cancel = null;
      this.flush();
    });
  }
}

function dataSeen(e: SessionEvent): DataSeen | null {
  if (e.type !== 'api.call' || e.error || !e.data) return null;
  if (e.call !== 'send' && e.call !== 'recv' && e.call !== 'sendto' && e.call !== 'recvfrom') return null;
  const seen: DataSeen = { call: e.call, seq: e.seq, data: e.data };
  if (e.remote && (e.call === 'sendto' || e.call === 'recvfrom')) seen.peer = e.remote;
  return seen;
}
