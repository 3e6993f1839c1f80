/// <reference lib="webworker" />
import { SliceJoiner, type FromPackWorker, type ToPackWorker } from './pack.ts';

/** Packs chunks of the timeline's older events off the main thread (pack.ts); the bytes are transferred back. */
declare const self: DedicatedWorkerGlobalScope;

const joiner = new SliceJoiner();

self.addEventListener('message', (ev: MessageEvent<ToPackWorker>) => {
  const bytes = joiner.add(ev.data);
  if (bytes) self.postMessage({ id: ev.data.id, bytes } satisfies FromPackWorker, [bytes.buffer]);
});
