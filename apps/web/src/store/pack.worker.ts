/// <reference lib="webworker" />
import { packEvents, type FromPackWorker, type ToPackWorker } from './pack.ts';

/** Packs chunks of the timeline's older events off the main thread (pack.ts); the bytes are transferred back. */
declare const self: DedicatedWorkerGlobalScope;

self.addEventListener('message', (ev: MessageEvent<ToPackWorker>) => {
  const bytes = packEvents(ev.data.events);
  self.postMessage({ id: ev.data.id, bytes } satisfies FromPackWorker, [bytes.buffer]);
});
