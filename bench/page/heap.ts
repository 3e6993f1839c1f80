/**
 * The page's JS heap holding 1,000,000 events, after a forced GC: the session worker's (where the
 * history, its snapshots and the model live) and the main thread's (the model the page renders and the
 * rows in view), each read through CDP (HeapProfiler.collectGarbage, Runtime.getHeapUsage): the objects,
 * and the contents of ArrayBuffers, which V8 keeps outside its heap (the worker's packed chunks are
 * those). Budget on the sum of all four: ≤ 300 MB. Baseline: the same of the same page connected, before
 * any event.
 * The events come from the bench feed no faster than the page takes them (at most 50,000 ahead of its
 * head). Bounded: feeding 6 min, the worker's packing of old chunks 2 min.
 */
import type { BenchResult } from '../result.ts';
import { MainThread, pageHead, settle, sleep, WorkerCdp, type Browser, type Heap, type Page } from './browser.ts';
import type { FeedServer } from './feed-server.ts';

/** the worker's event store keeps its 8 newest chunks as objects, and the one being filled */
const UNPACKED_CHUNKS = 9;
const MB = 2 ** 20;
const mb = (x: number) => (x / MB).toFixed(1);
const total = (h: Heap) => h.used + h.buffers;
const show = (h: Heap) => `${mb(total(h))} MB (${mb(h.used)} objects, ${mb(h.buffers)} in ArrayBuffers)`;

type Stored = { packedBytes: number; objectChunks: number; cachedChunks: number };
const stored = (page: Page) => page.evaluate(async () => (await (window as unknown as { socketscope: { stats(): Promise<{ stored?: Stored }> } }).socketscope.stats()).stored ?? null);

export async function heapLine(browser: Browser, feed: FeedServer & { port: number }, page: Page): Promise<BenchResult[]> {
  const main = await MainThread.attach(page);
  const worker = await WorkerCdp.attach(browser, `:${feed.port}/assets/session.worker`);
  try {
    await sleep(1000);
    const before = { main: await main.heapAfterGc(), worker: await worker.heapAfterGc() };
    const t0 = performance.now();
    while (feed.sent < feed.length && performance.now() - t0 < 360_000) {
      await feed.feed(100_000, 500);
      for (let k = 0; k < 100 && feed.sent - 1 - (await pageHead(page)) > 50_000; k++) await sleep(100);
    }
    const feedSecs = (performance.now() - t0) / 1000;
    await settle(page, 500, 120);
    const held = (await pageHead(page)) + 1;
    // full chunks are packed by the browser's zlib in the worker, asynchronously: wait until only the
    // newest are left as objects (bounded) and say how long that took
    const tPack = performance.now();
    for (let k = 0; k < 240 && ((await stored(page))?.objectChunks ?? 0) > UNPACKED_CHUNKS; k++) await sleep(500);
    const packWait = (performance.now() - tPack) / 1000;
    const footprint = await stored(page);
    await sleep(500);
    const after = { main: await main.heapAfterGc(), worker: await worker.heapAfterGc() };
    const v = (total(after.main) + total(after.worker)) / MB;
    const b = (total(before.main) + total(before.worker)) / MB;
    return [{
      name: `page JS heap holding ${(held / 1e6).toFixed(2)}M events (session worker + main thread)`, value: v, unit: 'MB', baseline: b, ratio: v / b,
      budget: '≤ 300 MB', ok: v <= 300 && held >= 1_000_000,
      note: `after a forced GC in each: session worker ${show(after.worker)}, main thread ${show(after.main)}; `
        + `baseline: the same page connected before any event, worker ${show(before.worker)}, main thread ${show(before.main)}; `
        + `${feed.sent.toLocaleString('en')} events fed in ${feedSecs.toFixed(0)} s by the bench feed; old chunks packed ${packWait.toFixed(1)} s after the page had the last event; `
        + `worker's storage ${footprint ? `${(footprint.packedBytes / MB).toFixed(1)} MB packed, ${footprint.objectChunks} chunks as objects, ${footprint.cachedChunks} cached` : 'not reported'}`,
    }];
  } finally {
    await worker.detach();
    await main.detach();
  }
}
