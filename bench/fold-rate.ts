/**
 * Fold rate in a worker (budget ≥ 1,000,000 events/s): the shared `fold` (packages/shared) folding a
 * generated busy session (bench/fixtures/session-gen.ts, FOLD_RATE_EVENTS events, 1,000,000 by default)
 * in a worker_threads Worker, as the page's session worker does with every event it receives.
 * - The feed offers more than the worker takes: every batch (BATCH events, one JSON text as a WebSocket
 *   frame brings them) is encoded before the clock starts, and IN_FLIGHT batches are kept queued at the
 *   worker (it acknowledges each). The bench checks that the worker always had a batch waiting when it
 *   finished one (else the figure would be the feed's, and the line fails).
 * - Value: events ÷ the worker's time inside fold. Baseline: the same batches parsed and folded on the
 *   bench's main thread, fold timed alone, in the same run (ratio: what the worker costs the fold). For
 *   information: the worker's rate with parsing each batch's text.
 * Bounded: generating and the baseline as they take (≈ 10 s for 1,000,000), the worker's run RUN_MS.
 * What the figure depends on: fold changes in place what it made or copied in the model's current epoch
 * (F13, packages/shared/src/model/fold-store.ts). While it copied the socket or connection (and a list)
 * of every event, this line read 0.34–0.51M events/s; in place, 1.25–2.39M, median ≈ 1.9M (15 paired runs
 * on a 2-core machine under a load of 2–7). This bench never ends an epoch; the page's session worker does
 * at each diff (shareModel), after which each entity that changes is copied once: a one-core loop over the
 * same events with a shareModel every 16,000 events folds 1.0–1.4M events per CPU-second (0.37–0.47M
 * before), shareModel's own copies of the records (≈ 2 ms each, 4,050 sockets) included.
 */
import { Worker } from 'node:worker_threads';
import { emptyModel, fold, type SessionEvent } from '../packages/shared/src/index.ts';
import { generateSession } from './fixtures/session-gen.ts';
import type { FoldWorkerTotals } from './lib/fold-worker.ts';
import type { BenchResult } from './result.ts';

const EVENTS = Number(process.env['FOLD_RATE_EVENTS'] ?? 1_000_000);
const BATCH = 1000;
const IN_FLIGHT = 16;
const RUN_MS = 120_000;
const BUDGET = 1_000_000;
export const boundMs = 5 * 60_000;

/**
 * A worker thread does not get the loader hooks tsx installed on this one (Node 20): it registers tsx
 * itself, then imports the worker's TypeScript, which imports the shared fold as is.
 */
function startWorker(): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const file = new URL('./lib/fold-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(file)}); })`, { eval: true });
}

/** The worker's totals, and the fewest batches still queued for it when it finished one (the feed's lead). */
function runWorker(batches: string[]): Promise<FoldWorkerTotals & { minQueued: number }> {
  const worker = startWorker();
  return new Promise<FoldWorkerTotals & { minQueued: number }>((resolve, reject) => {
    let next = 0;
    let acked = 0;
    let minQueued = Infinity;
    // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a worker_threads Worker, not a window: no origin
    const send = (m: { text: string } | { end: true }) => worker.postMessage(m);
    const offer = () => {
      if (next < batches.length) send({ text: batches[next++]! });
      else if (next === batches.length) {
        next++;
        send({ end: true });
      }
    };
    const limit = setTimeout(() => reject(new Error(`the worker had not folded ${EVENTS} events after ${RUN_MS / 1000} s (${next} batches offered)`)), RUN_MS);
    worker.on('message', (m: { ready?: true; ack?: number; totals?: FoldWorkerTotals }) => {
      if (m.totals) {
        clearTimeout(limit);
        resolve({ ...m.totals, minQueued: Number.isFinite(minQueued) ? minQueued : IN_FLIGHT });
      } else if (m.ready) {
        for (let i = 0; i < IN_FLIGHT; i++) offer();
      } else {
        acked++;
        // batches the worker had waiting when it acknowledged this one (while the feed still had some)
        if (next < batches.length) minQueued = Math.min(minQueued, next - acked);
        offer(); // one acknowledged, one more queued: IN_FLIGHT stay ahead of the worker
      }
    });
    worker.once('error', (err) => { clearTimeout(limit); reject(err); });
    worker.once('exit', (code) => { clearTimeout(limit); reject(new Error(`the worker exited (${code}) before its totals`)); });
  }).finally(() => void worker.terminate());
}

export async function run(): Promise<BenchResult[]> {
  const tg = performance.now();
  let events = generateSession({ events: EVENTS });
  const genMs = performance.now() - tg;

  const batches: string[] = [];
  for (let i = 0; i < events.length; i += BATCH) batches.push(JSON.stringify(events.slice(i, i + BATCH)));
  const mb = batches.reduce((s, b) => s + b.length, 0) / 1e6;
  events = []; // the worker gets text, as from a WebSocket; the objects are not needed any more

  // baseline: the same fold on this thread over the same parsed batches (parsing not timed)
  let mainMs = 0;
  const m = emptyModel();
  for (const text of batches) {
    const list = JSON.parse(text) as SessionEvent[];
    const tb = performance.now();
    for (const e of list) fold(m, e);
    mainMs += performance.now() - tb;
  }

  const name = `fold rate in a worker (${(EVENTS / 1e6).toLocaleString('en')}M generated events)`;
  const budget = `≥ ${BUDGET.toLocaleString('en')} events/s`;
  try {
    const t = await runWorker(batches);
    if (t.events !== EVENTS) throw new Error(`the worker folded ${t.events} of ${EVENTS} events`);
    const rate = t.events / (t.foldMs / 1000);
    const base = EVENTS / (mainMs / 1000);
    if (t.minQueued < 1) throw new Error(`the feed fell behind: the worker once had ${t.minQueued} batches queued (the figure would be the feed's)`);
    const note = `fold ${t.foldMs.toFixed(0)} ms, parse ${t.parseMs.toFixed(0)} ms, between batches (receiving the next text) ${t.idleMs.toFixed(0)} ms, of ${t.wallMs.toFixed(0)} ms; `
      + `${t.batches} batches of ${BATCH} (${mb.toFixed(0)} MB of JSON), the feed always ≥ ${t.minQueued} batches ahead; model: ${t.sockets} sockets, ${t.conns} conns; generating took ${(genMs / 1000).toFixed(1)} s`;
    return [
      { name, value: rate, unit: 'events/s', baseline: base, ratio: rate / base, budget, ok: rate >= BUDGET, note },
      {
        name: 'fold rate in a worker, parsing each batch too', value: t.events / ((t.foldMs + t.parseMs) / 1000), unit: 'events/s', budget: 'info', ok: true,
        note: `the worker's wall rate, waits included: ${Math.round(t.events / (t.wallMs / 1000)).toLocaleString('en')} events/s`,
      },
    ];
  } catch (err) {
    return [{ name, value: NaN, unit: 'events/s', budget, ok: false, note: `failed: ${(err as Error).message}` }];
  }
}
