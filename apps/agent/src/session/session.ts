import { randomUUID } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import {
  cloneModel, emptyModel, fold, SessionEvent, shareModel,
  type EventInput, type Model, type SessionEvent as SessionEventT,
} from '@socketscope/shared';
import { Ring } from './ring.ts';

export interface SessionOptions {
  /**
   * Most events the recorder keeps (ring buffer); older ones survive only inside snapshots. Given alone
   * (tests), the ring is bounded by count only.
   */
  ringSize?: number;
  /**
   * Bytes of events the recorder keeps, by estimate (eventBytes()). The default bound:
   * DEFAULT_RING_BYTES, with a count cap of ringBytes / MIN_EVENT_BYTES.
   */
  ringBytes?: number;
  /** a model snapshot is taken every this many events (and every ringBytes / 8 of events, see emit()) */
  snapshotEvery?: number;
  /**
   * An event that fails the shared schema is a bug in a producer. `throw` makes it loud (tests, dev);
   * `log` writes it to stderr and drops it, so a classroom session keeps running.
   */
  onInvalid?: 'throw' | 'log';
  /**
   * Check every event against the shared schema before it is recorded. Default: on in tests and
   * development (VITEST, NODE_ENV test/development, SOCKETSCOPE_VALIDATE_EVENTS=1), off in production.
   * See emit() for why.
   */
  validate?: boolean;
  /**
   * Heap guard: when the V8 heap is fuller than this fraction of its limit, the recorder gives up its
   * oldest events (its byte budget shrinks by a quarter, down to RING_FLOOR_BYTES) rather than let the
   * process run out of memory under its heap cap. Default 0.8; 0 turns it off. Only with a byte budget.
   */
  heapGuard?: number;
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

/**
 * What the recorder may hold, in estimated bytes of events on the agent's heap. Sized so that the agent
 * stays within its memory budget (bench/rss.ts: ≤ 150 MB RSS after 1,000,000 events, with the V8 heap cap
 * it is started with, apps/agent/bin/node-flags.mjs): about 36,000 events of a bulk send (an api.call send
 * and its wire segment, ~350 bytes each live), fewer when they carry long byte previews (~18,000 with
 * 256-byte previews), at most 57,000 (12 MiB / MIN_EVENT_BYTES: kernel samples). PROTOCOL.md quotes it.
 * Measured (bench/rss.ts, 1,000,000 events): 16 MiB gave 147 MB RSS, too close to 150; 32 MiB 167 MB.
 */
export const DEFAULT_RING_BYTES = 12 * 2 ** 20;
/**
 * Live heap of the smallest events (a kernel sample: ~220 bytes measured for the object, its nested
 * objects and boxed doubles): the floor of eventBytes() and the divisor of the ring's count cap.
 */
export const MIN_EVENT_BYTES = 220;
/** The heap guard never shrinks the recorder below this. */
export const RING_FLOOR_BYTES = 4 * 2 ** 20;
/** How often (in events) the heap guard looks: getHeapStatistics() costs a few µs. */
const HEAP_CHECK_EVERY = 1024;

/**
 * Estimated heap bytes of one recorded event: the floor, its nested objects, and its strings that grow
 * with the data (byte previews, an inference's reason). Calibrated by measurement (heap after gc over
 * 50,000 events of one kind): kernel.tcp 217, a 1-byte send 354, a send with a 256-byte preview 720,
 * an inferred 1-byte segment 337, a captured segment 371.
 */
export function eventBytes(e: SessionEventT): number {
  switch (e.type) {
    case 'api.call': return MIN_EVENT_BYTES + 130 + (e.data ? e.data.b64.length : 0);
    case 'tcp.segment': return MIN_EVENT_BYTES + 100 + e.bytes.length + (e.inferred ? (e.inferredFrom?.length ?? 0) : 50);
    case 'udp.datagram': return MIN_EVENT_BYTES + 60 + e.bytes.length + (e.inferredFrom?.length ?? 0);
    default: return MIN_EVENT_BYTES;
  }
}

function testOrDev(): boolean {
  return Boolean(process.env['VITEST']) || process.env['NODE_ENV'] === 'test' || process.env['NODE_ENV'] === 'development';
}

function defaultOnInvalid(): 'throw' | 'log' {
  return testOrDev() ? 'throw' : 'log';
}

function defaultValidate(): boolean {
  return testOrDev() || process.env['SOCKETSCOPE_VALIDATE_EVENTS'] === '1';
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
  /** most events the ring holds */
  readonly ringSize: number;
  /** estimated bytes of events the ring holds at most (Infinity: bounded by count only) */
  readonly ringBytes: number;
  /** the byte budget now: ringBytes, or less once the heap guard has had to shrink it */
  private budgetBytes: number;
  private readonly heapGuard: number;
  readonly snapshotEvery: number;
  /** a snapshot is also taken after this many estimated bytes of events, so big events cannot outrun them */
  private readonly snapshotBytes: number;
  private bytesSinceSnapshot = 0;
  private readonly onInvalid: 'throw' | 'log';
  readonly validate: boolean;
  private readonly log: (line: string) => void;

  id = randomUUID();
  /**
   * wall-clock start, for display and recordings; ts values are relative to this. Sub-millisecond,
   * because captured packets' wireTs (pcap time − start) must line up with ts to the microsecond.
   */
  startWallMs = preciseWallMs();
  private startNs = process.hrtime.bigint();

  private nextSeq = 0;
  /** the sockets of the session before this one (reset), whose late kernel and wire events are dropped */
  private previousSockets = new Set<string>();
  /** late events about the last session's sockets, dropped (see emit) */
  lateDropped = 0;
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
    this.ringBytes = opts.ringBytes ?? (opts.ringSize === undefined ? DEFAULT_RING_BYTES : Infinity);
    this.ringSize = opts.ringSize ?? Math.ceil(this.ringBytes / MIN_EVENT_BYTES);
    // never sparser than the ring, so once the ring overflows a snapshot that joins onto it exists: by
    // count (at most ringSize events are held) and by bytes (a ring of big events holds fewer of them)
    this.snapshotEvery = Math.min(opts.snapshotEvery ?? Math.max(1, Math.min(10_000, Math.floor(this.ringSize / 8))), this.ringSize);
    this.snapshotBytes = this.ringBytes / 8;
    this.budgetBytes = this.ringBytes;
    this.heapGuard = opts.heapGuard ?? 0.8;
    this.onInvalid = opts.onInvalid ?? defaultOnInvalid();
    this.validate = opts.validate ?? defaultValidate();
    this.log = opts.log ?? ((line) => process.stderr.write(`socketscope: ${line}\n`));
    this.ring = new Ring(this.ringSize, this.ringBytes);
  }

  /** Monotonic microseconds since the session started. */
  nowUs(): number {
    return Number(process.hrtime.bigint() - this.startNs) / 1000;
  }

  /**
   * A CLOCK_MONOTONIC reading in ns (Python's time.monotonic_ns() in a traced program; Node's hrtime reads
   * the same clock on Linux) as this session's ts.
   */
  tsAtMonotonicNs(ns: bigint): number {
    return Math.max(0, Number(ns - this.startNs) / 1000);
  }

  get lastSeq(): number { return this.nextSeq - 1; }
  /** seq of the oldest event still held by the recorder */
  get firstHeldSeq(): number { return this.ring.first; }
  get startedAt(): string { return new Date(this.startWallMs).toISOString(); }

  /**
   * Why production does not run the schema here: every producer of these events is the agent's own
   * typed code (EventInput is the schema's inferred type, so tsc checks each one), and validation stays at
   * every boundary where something untyped comes in — commands, client messages, imported files — and
   * in the page, which parses what it receives. zod's parse was the largest single cost per event
   * (5–12 µs of the 30–60 µs each event costs the agent's one thread; bench/throughput.ts: ~20 % of the
   * agent's CPU with capture on, plus the garbage of the copy it returns), and the sender of a bulk send
   * is that same thread. Tests and development keep validating (defaultValidate), with `onInvalid:
   * 'throw'`, so a producer that drifts from the schema still fails the tests. What is recorded is the
   * stamped object itself in both modes, so tests see exactly what production sends.
   */
  emit(input: EventInput): SessionEventT {
    // a kernel's or a capture's late word about a socket the last session closed (its CLOSE from
    // bpftrace, the probe's last look, a FIN captured after the reset) is not this session's story: it
    // would start it with a socket nobody made in it. Socket ids are never reused, so only those match.
    if (input.layer !== 'api' && input.layer !== 'session' && input.sock !== undefined && this.previousSockets.has(input.sock)) {
      this.lateDropped++;
      return { v: 1, seq: -1, ts: input.ts ?? this.nowUs(), ...input } as SessionEventT;
    }
    // Envelope first, then the producer's fields, then ts set once: `{ ...input, v, seq, ts }` (three keys
    // added after a spread) made V8 give every event a slow property store, 776 bytes live for a 1-byte
    // send against 360 this way (measured, heap after gc) — most of what the ring held. The input itself is
    // not stamped in place: producers may keep it (the kernel probe re-emits its last event as `gone`).
    const stamped = { v: 1, seq: this.nextSeq, ts: 0, ...input } as SessionEventT;
    stamped.ts = input.ts ?? this.nowUs();
    if (this.validate) {
      const r = SessionEvent.safeParse(stamped);
      if (!r.success) {
        const msg = `invalid ${String((input as { type?: unknown }).type)} event: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
        if (this.onInvalid === 'throw') throw new InvalidEventError(msg, input);
        this.invalidDropped++;
        this.log(`dropped ${msg}`);
        return stamped;
      }
    }
    const e = stamped;
    this.nextSeq++;
    const bytes = this.ringBytes === Infinity ? 0 : eventBytes(e);
    const evicted = this.ring.push(e, bytes);
    fold(this.model, e);
    this.bytesSinceSnapshot += bytes;
    if ((e.seq + 1) % this.snapshotEvery === 0 || this.bytesSinceSnapshot >= this.snapshotBytes) this.takeSnapshot();
    if ((e.seq & (HEAP_CHECK_EVERY - 1)) === 0 && this.heapGuard > 0 && this.budgetBytes !== Infinity) this.checkHeap();
    if (evicted > 0) this.pruneSnapshots();
    this.notifyQueue.push(e);
    if (!this.notifying) this.drainNotifications();
    return e;
  }

  /**
   * The heap guard (see SessionOptions.heapGuard). What a heap cap turns into a crash — a session whose
   * model keeps growing (it keeps every socket it has seen), a burst of load — becomes a shorter history:
   * a page that falls behind gets snapshot + gap sooner, as it would with a smaller ring.
   */
  private checkHeap(): void {
    const h = getHeapStatistics();
    if (h.used_heap_size < this.heapGuard * h.heap_size_limit || this.budgetBytes <= RING_FLOOR_BYTES) return;
    this.budgetBytes = Math.max(RING_FLOOR_BYTES, Math.min(this.budgetBytes, this.ring.heldBytes) * 0.75);
    const dropped = this.ring.trimTo(this.budgetBytes);
    this.ring.maxBytes = this.budgetBytes;
    this.pruneSnapshots();
    this.log(`memory: heap ${Math.round(h.used_heap_size / 2 ** 20)} of ${Math.round(h.heap_size_limit / 2 ** 20)} MB; the recorder now keeps ${Math.round(this.budgetBytes / 2 ** 20)} MB of events (dropped the oldest ${dropped})`);
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
    // shares the socket and connection objects (after shareModel, fold copies an entity before it changes
    // it: F13): a deep copy of a model with
    // thousands of sockets, up to 20 times over for the default ring, made snapshots most of the agent's
    // memory (reliability-leak.test.ts measured 27 KB per socket cycle with cloneModel)
    this.snapshots.push({ atSeq: this.model.lastSeq, model: shareModel(this.model) });
    this.bytesSinceSnapshot = 0;
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
    // only sockets the agent or its programs made: a watched socket's id comes from its addresses and may
    // well be seen again in the new session
    this.previousSockets = new Set(Object.values(this.model.sockets).filter((x) => x.owned).map((x) => x.id));
    this.id = randomUUID();
    this.startWallMs = preciseWallMs();
    this.startNs = process.hrtime.bigint();
    this.nextSeq = 0;
    this.ring.clear(0);
    this.model = emptyModel();
    this.snapshots = [];
    this.bytesSinceSnapshot = 0;
    // a new session starts with the whole budget again (the guard shrinks it again if it must)
    this.budgetBytes = this.ringBytes;
    this.ring.maxBytes = this.budgetBytes;
    for (const fn of this.resetListeners) fn();
  }
}
