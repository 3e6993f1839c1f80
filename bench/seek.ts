/**
 * Seeking in a 1,000,000-event recording with the shared fold: the model at any point is the nearest
 * snapshot (taken every N events while folding) copied and folded forward, as the page's timeline
 * (apps/web/src/session/timeline.ts, in the page's session worker) and the agent's recorder do. Two ways to copy are measured:
 * - cloneModel (a deep JSON copy): each snapshot costs the whole model, and so does each seek;
 * - shareModel (shares the entities; fold copies one before changing it after a share, F13): one pointer per entity.
 * Baseline: folding from zero to the same points. Budget: p95 ≤ 100 ms for any point.
 * Also reported: what the snapshots cost to keep. Bounded: 200 seeks per variant, 5 baseline folds.
 * (cloneModel every 1,000 events is left out: it measured 115 s to build and 3.2 GB of snapshots.)
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { cloneModel, emptyModel, fold, SessionEvent, shareModel, type Model } from '../packages/shared/src/index.ts';
import { generateSession } from './fixtures/session-gen.ts';
import type { BenchResult } from './result.ts';

const EVENTS = Number(process.env['SEEK_EVENTS'] ?? 1_000_000);
const SEEKS = 200;
const BUDGET_MS = 100;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function pct(xs: number[], p: number): number {
  const s = xs.toSorted((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** deterministic targets spread over the whole recording */
function targets(n: number, max: number): number[] {
  let x = 12345;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % max;
  });
}

interface Snap { at: number; model: Model }
type Copy = (m: Model) => Model;

function buildSnapshots(events: SessionEvent[], every: number, copy: Copy): { snaps: Snap[]; ms: number } {
  const t0 = performance.now();
  const head = emptyModel();
  const snaps: Snap[] = [{ at: -1, model: emptyModel() }];
  for (let i = 0; i < events.length; i++) {
    fold(head, events[i]!);
    if ((i + 1) % every === 0) snaps.push({ at: i, model: copy(head) });
  }
  return { snaps, ms: performance.now() - t0 };
}

function seek(events: SessionEvent[], snaps: Snap[], every: number, at: number, copy: Copy): Model {
  const snap = snaps[Math.min(Math.floor((at + 1) / every), snaps.length - 1)]!;
  const m = copy(snap.model);
  for (let i = snap.at + 1; i <= at; i++) fold(m, events[i]!);
  return m;
}

export async function run(): Promise<BenchResult[]> {
  const tGen = performance.now();
  const events = generateSession({ events: EVENTS });
  const genMs = performance.now() - tGen;
  // the generator's events must be what the agent would send
  for (let i = 0; i < events.length; i += 9973) {
    const r = SessionEvent.safeParse(events[i]);
    if (!r.success) throw new Error(`generated event ${i} fails the schema: ${r.error.message}`);
  }

  // baseline: fold from zero to a few points (the cost seeking would have without snapshots)
  const base: number[] = [];
  for (const at of targets(5, EVENTS)) {
    const t0 = performance.now();
    const m = emptyModel();
    for (let i = 0; i <= at; i++) fold(m, events[i]!);
    base.push(performance.now() - t0);
  }
  const fullFoldMs = (() => {
    const t0 = performance.now();
    const m = emptyModel();
    for (const e of events) fold(m, e);
    return performance.now() - t0;
  })();
  const finalModel = (() => { const m = emptyModel(); for (const e of events) fold(m, e); return m; })();
  const modelKb = JSON.stringify(finalModel).length / 1024;

  const results: BenchResult[] = [];
  const variants: { name: string; every: number; copy: Copy; budget: boolean }[] = [
    { name: 'shareModel', every: 10_000, copy: shareModel, budget: true },
    { name: 'shareModel', every: 1000, copy: shareModel, budget: false },
    { name: 'cloneModel', every: 10_000, copy: cloneModel, budget: false },
  ];
  for (const v of variants) {
    const h0 = heapMb();
    const { snaps, ms: buildMs } = buildSnapshots(events, v.every, v.copy);
    const snapMb = heapMb() - h0;
    const times: number[] = [];
    for (const at of targets(SEEKS, EVENTS)) {
      const t0 = performance.now();
      const m = seek(events, snaps, v.every, at, v.copy);
      times.push(performance.now() - t0);
      if (m.lastSeq !== at) throw new Error(`seek to ${at} gave a model at ${m.lastSeq}`);
    }
    // a seek must give exactly the model folding from zero gives
    const probeAt = EVENTS - 1 - (EVENTS % 7919);
    const direct = emptyModel();
    for (let i = 0; i <= probeAt; i++) fold(direct, events[i]!);
    if (JSON.stringify(seek(events, snaps, v.every, probeAt, v.copy)) !== JSON.stringify(direct)) throw new Error(`${v.name}: seeking gave another model than folding from zero`);
    const p95 = pct(times, 95);
    const baseline = base.reduce((a, b) => a + b, 0) / base.length;
    results.push({
      name: `seek 1M events: ${v.name} every ${v.every}, p95`,
      value: p95, unit: 'ms', baseline, ratio: p95 / baseline, budget: v.budget ? `≤ ${BUDGET_MS} ms` : 'info', ok: !v.budget || p95 <= BUDGET_MS,
      note: `max ${Math.max(...times).toFixed(1)} ms; ${snaps.length} snapshots hold ${snapMb.toFixed(0)} MB; folding while taking them ${(buildMs / 1000).toFixed(1)} s vs ${(fullFoldMs / 1000).toFixed(1)} s without`,
    });
    snaps.length = 0;
  }
  results.push({
    name: 'fold rate (1M events, no snapshots)', value: EVENTS / (fullFoldMs / 1000), unit: 'events/s', budget: 'info', ok: true,
    note: `final model ${modelKb.toFixed(0)} KB as JSON (${finalModel.socketOrder.length} sockets, ${finalModel.connOrder.length} conns); generating the recording took ${(genMs / 1000).toFixed(1)} s`,
  });
  return results;
}
