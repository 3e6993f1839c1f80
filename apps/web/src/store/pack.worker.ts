/// <reference lib="webworker" />
import { packJsonNative, SliceJoiner, type FromPackWorker, type ToPackWorker } from './pack.ts';

/** Packs chunks of the timeline's older events off the main thread (pack.ts); the bytes are transferred back. */
declare const self: DedicatedWorkerGlobalScope;

const joiner = new SliceJoiner();

self.addEventListener('message', (ev: MessageEvent<ToPackWorker>) => {
  const json = joiner.add(ev.data);
  if (json === null) return;
  const { id } = ev.data;
  void packJsonNative(json).then((bytes) => self.postMessage({ id, bytes } satisfies FromPackWorker, [bytes.buffer]));
});
