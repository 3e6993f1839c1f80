/// <reference lib="webworker" />
import type { SessionEvent } from '@socketscope/shared';
import { packEvents, type FromPackWorker, type ToPackWorker } from './pack.ts';

/** Packs chunks of the timeline's older events off the main thread (pack.ts); the bytes are transferred back. */
declare const self: DedicatedWorkerGlobalScope;

/** slices of chunks not complete yet, by id (the page posts one chunk's slices in order, a chunk at a time) */
const parts = new Map<number, SessionEvent[]>();

self.addEventListener('message', (ev: MessageEvent<ToPackWorker>) => {
  const { id, events, last } = ev.data;
  const got = parts.get(id) ?? [];
  for (const e of events) got.push(e);
  if (!last) {
    parts.set(id, got);
    return;
  }
  parts.delete(id);
  const bytes = packEvents(got);
  self.postMessage({ id, bytes } satisfies FromPackWorker, [bytes.buffer]);
});
