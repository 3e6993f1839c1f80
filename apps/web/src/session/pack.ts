import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import type { SessionEvent } from '@socketscope/shared';

/**
 * Older events are kept packed: a chunk of events as JSON, deflated. Events are small, repetitive
 * JSON (the same endpoints, sockets, flags and payloads over and over), so a 4,096-event chunk packs
 * to ≈ 20 B per event against ≈ 300 B as parsed objects (measured on bench/fixtures/session-gen.ts:
 * 257 B of JSON → 19 B at level 3). Unpacking a chunk costs ≈ 4 µs per event (inflate + JSON.parse),
 * paid only when someone looks back past the events kept unpacked.
 *
 * All of this runs in the session worker (session.worker.ts), never on the page's main thread. What is packed
 * was validated when it arrived and is the session's own storage: unpacking trusts it.
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
 * (CompressionStream): fflate cost the worker 620 ms of CPU per 5 s at 15,000 events/s.
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

/** Packs at once, in this thread (tests, node). */
export const inlinePacker: Packer = { pack: (events, done) => done(packEvents(events)) };

/** Packs with the browser's zlib where there is one (the session worker), else inline. */
export const defaultPacker: Packer = typeof CompressionStream === 'function'
  ? { pack: (events, done) => void packJsonNative(JSON.stringify(events)).then(done) }
  : inlinePacker;
