import { randomUUID } from 'node:crypto';
import {
  cloneModel, emptyModel, fold, SessionEvent, shareModel,
  type EventInput, type Model, type SessionEvent as SessionEventT,
} from '@socketscope/shared';
import { Ring } from './ring.ts';

export interface SessionOptions {
  /** events the recorder keeps (ring buffer); older ones survive only inside snapshots */
  ringSize?: number;
  /** a model snapshot is taken every this many events */
  snapshotEvery?: number;
  /**
   * An event that fails the shared schema is a bug in a producer. `throw` makes it loud (tests, dev);
   * `log` writes it to stderr and drops it, so a classroom session keeps running.
   */
  onInvalid?: 'throw' | 'log';
  /** where diagnostics go (stderr by default; never stdout, which `run --json` keeps for events) */
  log?: (line: string) => void;
}

export interface Snapshot {
  atSeq: number;
  model: Model;
}

/** What a client that holds events up to `since` needs to catch up. */
export interface Backlog {
  /** set when events after `since` have fallen out of the ring: the model at snapshot.atSeq replaces them */
  snapshot?: Snapshot;
  gap?: { from: number; to: number; reason: string };
  /** seq of the first event the client should be sent next */
  nextSeq: number;
}

export type Subscriber = (e: SessionEventT) => void;

export const DEFAULT_RING_SIZE = 200_000;

function defaultOnInvalid(): 'throw' | 'log' {
  return process.env['VITEST'] || process.env['NODE_ENV'] === 'test' || process.env['NODE_ENV'] === 'development' ? 'throw' : 'log';
}

export class InvalidEventError extends Error {
  constructor(message: string, readonly input: unknown) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/**
 * One recording session: the single place where observations become numbered events.
 *
 * emit() stamps v, seq (strictly increasing from 0, never reused) and ts (monotonic µs since the
 * session started, unless the producer gave one, e.g. a capture timestamp), validates against the
 * shared schema, appends to the ring, folds into the running model and notifies subscribers.
 *
 * A subscriber may emit (wire inference does): the nested event is stamped and recorded at once,
 * but its notification waits until the current one has reached every subscriber, so all
 * subscribers see events in seq order.
 */
/** Wall-clock milliseconds with µs resolution (Date.now() has only whole milliseconds). */
function preciseWallMs(): number {
  return performance.timeOrigin + performance.now();
}

export class Session {
  readonly ringSize: number;
  readonly snapshotEvery: number;
  private readonly onInvalid: 'throw' | 'log';
  private readonly log: (line: string) => void;

  id = randomUUID();
  /**
   * wall-clock start, for display and recordings; ts values are relative to this. Sub-millisecond,
   * because captured packets' wireTs (pcap time − start) must line up with ts to the microsecond.
   */
  startWallMs = preciseWallMs();
  private startNs = process.hrtime.bigint();

  private nextSeq = 0;
  private ring: Ring<SessionEventT>;
  private model: Model = emptyModel();
  /** oldest first; only snapshots a client could still use (atSeq >= ring.first - 1) are kept */
  private snapshots: Snapshot[] = [];
  private subscribers = new Set<Subscriber>();
  private notifyQueue: SessionEventT[] = [];
  private notifying = false;
  private resetListeners = new Set<() => void>();
  invalidDropped = 0;

  constructor(opts: SessionOptions = {}) {
    this.ringSize = opts.ringSize ?? DEFAULT_RING_SIZE;
    // never sparser than the ring, so once the ring overflows a snapshot that joins onto it exists
    this.snapshotEvery = Math.min(opts.snapshotEvery ?? Math.max(1, Math.min(10_000, Math.floor(this.ringSize / 8))), this.ringSize);
    this.onInvalid = opts.onInvalid ?? defaultOnInvalid();
    this.log = opts.log ?? ((line) => process.stderr.write(`socketscope: ${line}\n`));
    this.ring = new Ring(this.ringSize);
  }

  /** Monotonic microseconds since the session started. */
  nowUs(): number {
    return Number(process.hrtime.bigint() - this.startNs) / 1000;
  }

  get lastSeq(): number { return this.nextSeq - 1; }
  /** seq of the oldest event still held by the recorder */
  get firstHeldSeq(): number { return this.ring.first; }
  get startedAt(): string { return new Date(this.startWallMs).toISOString(); }

  emit(input: EventInput): SessionEventT {
    const stamped = { ...input, v: 1, seq: this.nextSeq, ts: input.ts ?? this.nowUs() };
    const r = SessionEvent.safeParse(stamped);
    if (!r.success) {
      const msg = `invalid ${String((input as { type?: unknown }).type)} event: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
      if (this.onInvalid === 'throw') throw new InvalidEventError(msg, input);
      this.invalidDropped++;
      this.log(`dropped ${msg}`);
      return stamped as SessionEventT;
    }
    const e = r.data;
    this.nextSeq++;
    const evicted = this.ring.push(e);
    fold(this.model, e);
    if ((e.seq + 1) % this.snapshotEvery === 0) this.takeSnapshot();
    if (evicted) this.pruneSnapshots();
    this.notifyQueue.push(e);
    if (!this.notifying) this.drainNotifications();
    return e;
  }

  private drainNotifications(): void {
    this.notifying = true;
    try {
      for (let i = 0; i < this.notifyQueue.length; i++) {
        const e = this.notifyQueue[i]!;
        for (const fn of this.subscribers) {
          try {
            fn(e);
          } catch (err) {
            // one broken subscriber must not stop the others or lose the event
            this.log(`subscriber failed on seq ${e.seq}: ${(err as Error).stack ?? String(err)}`);
          }
        }
      }
    } finally {
      this.notifyQueue = [];
      this.notifying = false;
    }
  }

  private takeSnapshot(): void {
    // shares the socket and connection objects fold never changes (F13): a deep copy of a model with
    // thousands of sockets, up to 20 times over for the default ring, made snapshots most of the agent's
    // memory (reliability-leak.test.ts measured 27 KB per socket cycle with cloneModel)
    this.snapshots.push({ atSeq: this.model.lastSeq, model: shareModel(this.model) });
  }

  private pruneSnapshots(): void {
    // A snapshot is useful only while the events after it are still in the ring (atSeq >= first - 1).
    // The oldest useful one is what a client that fell out of the ring gets: it then receives every
    // held event after it, so it loses as few individual events as possible.
    const minUseful = this.ring.first - 1;
    while (this.snapshots.length > 0 && this.snapshots[0]!.atSeq < minUseful) this.snapshots.shift();
  }

  subscribe(fn: Subscriber): () => void {
    this.subscribers.add(fn);
    return () => { this.subscribers.delete(fn); };
  }

  /** Called after reset(): clients must be told that a new session began. */
  onReset(fn: () => void): () => void {
    this.resetListeners.add(fn);
    return () => { this.resetListeners.delete(fn); };
  }

  /** The running model (live object: read it, never change it). */
  current(): Model { return this.model; }

  /** A deep copy of the model as it is now. */
  snapshotNow(): Snapshot { return { atSeq: this.model.lastSeq, model: cloneModel(this.model) }; }

  get(seq: number): SessionEventT | undefined { return this.ring.get(seq); }

  /** Held events with seq in [from, to). */
  range(from: number, to = this.nextSeq): SessionEventT[] { return this.ring.slice(from, to); }

  /**
   * Where a client that already holds every event up to `since` resumes (-1 or null: holds nothing).
   * A resume point still inside the ring gets exactly the missing events; one that has fallen out of
   * it gets the oldest usable snapshot, a gap for the events it replaces, and the events after it.
   */
  backlog(since: number | null): Backlog {
    let s = since ?? -1;
    // a resume point beyond this session's end comes from another (older) session: start over
    if (s > this.lastSeq) s = -1;
    const want = s + 1;
    if (want >= this.ring.first) return { nextSeq: want };
    const snap = this.snapshots.find((x) => x.atSeq >= this.ring.first - 1) ?? this.snapshotNow();
    return {
      snapshot: snap,
      gap: { from: want, to: snap.atSeq, reason: 'events before this point are no longer held by the recorder; the snapshot stands for them' },
      nextSeq: snap.atSeq + 1,
    };
  }

  /** Starts a new session: new id, seq from 0, clock from now, empty model. Subscribers stay. */
  reset(): void {
    this.id = randomUUID();
    this.startWallMs = preciseWallMs();
    this.startNs = process.hrtime.bigint();
    this.nextSeq = 0;
    this.ring.clear(0);
    this.model = emptyModel();
    this.snapshots = [];
    for (const fn of this.resetListeners) fn();
  }
}
