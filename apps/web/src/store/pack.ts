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
 * thread only posts the chunk (a structured clone) and keeps the bytes that come back. What is packed
 * was validated when it arrived and is the page's own storage: unpacking trusts it.
 */
export function packEvents(events: readonly SessionEvent[]): Uint8Array {
  return deflateSync(strToU8(JSON.stringify(events)), { level: 3 });
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

export type ToPackWorker = { id: number; events: readonly SessionEvent[] };
export type FromPackWorker = { id: number; bytes: Uint8Array };

export class WorkerPacker implements Packer {
  private next = 0;
  private readonly waiting = new Map<number, (bytes: Uint8Array) => void>();

  constructor(private readonly worker: Worker) {
    worker.addEventListener('message', (ev: MessageEvent<FromPackWorker>) => {
      const done = this.waiting.get(ev.data.id);
      this.waiting.delete(ev.data.id);
      done?.(ev.data.bytes);
    });
  }

  pack(events: readonly SessionEvent[], done: (bytes: Uint8Array) => void): void {
    const id = ++this.next;
    this.waiting.set(id, done);
    this.worker.postMessage({ id, events } satisfies ToPackWorker, []);
  }
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
