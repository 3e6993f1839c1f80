import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import type { SessionEvent } from '@socketscope/shared';

/**
 * Older events are kept packed: a chunk of events as JSON, deflated. Events are small, repetitive
 * JSON (the same endpoints, sockets, flags and payloads over and over), so a 4,096-event chunk packs
 * to ≈ 20 B per event against ≈ 300 B as parsed objects (measured on bench/fixtures/session-gen.ts:
 * 257 B of JSON → 19 B at level 3). Unpacking a chunk costs ≈ 4 µs per event (inflate + JSON.parse),
 * paid only when the page looks back past the events it keeps unpacked.
 *
 * Packing costs ≈ 7 µs per event, so in the page it runs in a worker (pack.worker.ts) and the main
 * thread only posts the chunk's JSON text and keeps the bytes that come back. Text, not the objects:
 * a structured clone of an event measured ≈ 3.4 µs on the main thread (CPU profile at 10,000 events/s),
 * JSON.stringify about a third of that, and a string crosses to the worker as one copy. What is packed
 * was validated when it arrived and is the page's own storage: unpacking trusts it.
 */
export function packEvents(events: readonly SessionEvent[]): Uint8Array {
  return packJson(JSON.stringify(events));
}

/** Packs the JSON text of an array of events. */
export function packJson(json: string): Uint8Array {
  return deflateSync(strToU8(json), { level: 3 });
}

/**
 * The same raw deflate (unpackEvents reads either), by the browser's own zlib where there is one
 * (CompressionStream): the pack worker spent 620 ms of CPU per 5 s in fflate while the page took in
 * 15,000 events/s, on the same two cores as the page's main thread.
 */
export async function packJsonNative(json: string): Promise<Uint8Array> {
  if (typeof CompressionStream !== 'function') return packJson(json);
  const stream = new Blob([json]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function unpackEvents(bytes: Uint8Array): SessionEvent[] {
  return JSON.parse(strFromU8(inflateSync(bytes))) as SessionEvent[];
}

export interface Packer {
  /** Packs a chunk; `done` gets the bytes, now or later. */
  pack(events: readonly SessionEvent[], done: (bytes: Uint8Array) => void): void;
}

/** Packs at once, in this thread (tests, and where no worker can start). */
export const inlinePacker: Packer = { pack: (events, done) => done(packEvents(events)) };

/** a slice of one chunk as the JSON text of an array of its events; `last`: the chunk is complete, pack it */
export type ToPackWorker = { id: number; json: string; count: number; last: boolean };

/**
 * The worker's side (pack.worker.ts): joins the slices of each chunk; the worker packs it when its last
 * slice arrives. The slices of one chunk come in order.
 */
export class SliceJoiner {
  private readonly parts = new Map<number, string[]>();

  /** The chunk's JSON text once `m` was its last slice, else null. */
  add(m: ToPackWorker): string | null {
    const got = this.parts.get(m.id) ?? [];
    // each slice is "[…]": the chunk is their insides joined
    if (m.count > 0) got.push(m.json.slice(1, -1));
    if (!m.last) {
      this.parts.set(m.id, got);
      return null;
    }
    this.parts.delete(m.id);
    return `[${got.join(',')}]`;
  }
}
export type FromPackWorker = { id: number; bytes: Uint8Array };

/** events per postMessage: the JSON text of this many costs well under 1 ms, so a slice fits an idle gap */
export const PACK_SLICE = 512;

/**
 * Hands chunks to the pack worker in slices of PACK_SLICE events, in idle time: a whole 4,096-event
 * chunk at once is several ms of main thread, a dropped frame while events stream. The
 * worker joins the slices of a chunk and packs it when the last one arrives.
 */
export class WorkerPacker implements Packer {
  private next = 0;
  private readonly waiting = new Map<number, (bytes: Uint8Array) => void>();
  /** chunks not fully posted yet, oldest first, and how far the first one got */
  private readonly queue: { id: number; events: readonly SessionEvent[] }[] = [];
  private at = 0;
  private scheduled = false;

  constructor(
    private readonly worker: Worker,
    private readonly idle: (run: (deadline?: { timeRemaining(): number }) => void, soon: boolean) => void = idleCallback,
    private readonly now: () => number = () => performance.now(),
  ) {
    worker.addEventListener('message', (ev: MessageEvent<FromPackWorker>) => {
      const done = this.waiting.get(ev.data.id);
      this.waiting.delete(ev.data.id);
      done?.(ev.data.bytes);
    });
  }

  pack(events: readonly SessionEvent[], done: (bytes: Uint8Array) => void): void {
    const id = ++this.next;
    this.waiting.set(id, done);
    this.queue.push({ id, events });
    this.schedule();
  }

  private schedule(soon = false): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    this.idle((deadline) => {
      this.scheduled = false;
      this.post(deadline);
      // a page that is never idle (events pouring in) packs in short turns between its frames
      this.schedule(!deadline);
    }, soon);
  }

  /**
   * Posts slices while the idle period lasts, at least one. Without a deadline (the page was not idle
   * before the timeout) for POST_BUDGET_MS at most: posting everything queued at once was a 40–60 ms
   * task every second while 15,000 events/s streamed in (CPU profile), a dropped frame each time.
   */
  private post(deadline?: { timeRemaining(): number }): void {
    const t0 = this.now();
    // bounded: at most every queued slice once
    for (let n = 0; this.queue.length > 0 && n < 100_000; n++) {
      if (n > 0 && (deadline ? deadline.timeRemaining() < 2 : this.now() - t0 >= POST_BUDGET_MS)) return;
      const job = this.queue[0]!;
      const end = Math.min(job.events.length, this.at + PACK_SLICE);
      const last = end === job.events.length;
      this.worker.postMessage({ id: job.id, json: JSON.stringify(job.events.slice(this.at, end)), count: end - this.at, last } satisfies ToPackWorker, []);
      if (last) {
        this.queue.shift();
        this.at = 0;
      } else this.at = end;
    }
  }
}

/** main-thread time per post without an idle deadline: a slice or two, well inside a frame's slack */
export const POST_BUDGET_MS = 3;

/**
 * requestIdleCallback where there is one, else soon. Its timeout: a page that is never idle still packs,
 * first after 1 s, then (`soon`, more was queued) every 50 ms, fast enough for 15,000 events/s.
 */
function idleCallback(run: (deadline?: { timeRemaining(): number }) => void, soon: boolean): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback((d) => run(d.didTimeout ? undefined : d), { timeout: soon ? 50 : 1000 });
  else setTimeout(() => run(), 0);
}

let shared: Packer | null = null;

/** The page's packer: a worker where one can start, else this thread. */
export function defaultPacker(): Packer {
  if (shared) return shared;
  if (typeof Worker === 'undefined' || typeof window === 'undefined') return (shared = inlinePacker);
  try {
    shared = new WorkerPacker(new Worker(new URL('./pack.worker.ts', import.meta.url), { type: 'module', name: 'socketscope-pack' }));
  } catch (err) {
    console.warn(`SocketScope: no packing worker (${(err as Error).message}); packing on the main thread`);
    shared = inlinePacker;
  }
  return shared;
}
