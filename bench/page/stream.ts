/**
 * What a stream of events costs the page's main thread, now that the session worker takes every event
 * and the page only applies one diff per frame:
 * - main-thread CPU per event: the renderer main thread's CPU time (CDP ThreadTime) from the first event
 *   sent until the page shows the last one, ÷ the events the page took (its scrubber's head); against
 *   JSON.parse of the same events' text, timed in the same page right after (median of 3 rounds), which is
 *   the least a page that received the events itself would pay. Budget: ≤ 0.25 of it.
 * - long tasks (> 50 ms, the browser's PerformanceObserver) on the page meanwhile; against the same page
 *   at rest for as long, just before.
 * Nothing polls the page while the events stream (an evaluate is main-thread work too): its head is read
 * before, and after the sender is done.
 */
import type { BenchResult } from '../result.ts';
import { LONG_TASK_MS, longSummary, longTasksSince, MainThread, pageHead, pageNow, reach, settle, sleep, watched, type Page } from './browser.ts';

export const PARSE_BUDGET = 0.25;

export interface StreamCost {
  /** events the page took (growth of its head) */
  events: number;
  sent: number;
  wallMs: number;
  /** main-thread CPU, task (wall), script and style+layout ms over the stream */
  cpuMs: number;
  taskMs: number;
  scriptMs: number;
  layoutMs: number;
  diffs: number;
  long: number[];
}

/**
 * Runs `send` (which streams into the page and resolves with how many events it sent) and measures the
 * page's main thread until the page shows them all (bounded: 60 s after the sender is done).
 */
export async function streamCost(page: Page, main: MainThread, send: () => Promise<number>): Promise<StreamCost> {
  await settle(page);
  const head0 = await pageHead(page);
  const diffs0 = await watched(page, 'benchDiffs');
  const since = await pageNow(page);
  const m0 = await main.times();
  const t0 = performance.now();
  const sent = await send();
  const head1 = await reach(page, head0 + sent, 60_000);
  await sleep(100); // the frame that shows the last diff
  const m1 = await main.times();
  const wallMs = performance.now() - t0;
  const diffs = (await watched(page, 'benchDiffs')) - diffs0;
  const long = await longTasksSince(page, since);
  return {
    events: head1 - head0, sent, wallMs, diffs, long,
    cpuMs: m1.cpu - m0.cpu, taskMs: m1.task - m0.task, scriptMs: m1.script - m0.script, layoutMs: m1.layout - m0.layout,
  };
}

/** JSON.parse of these texts in the page: µs per event, median of 3 rounds (texts handed over first, untimed). */
export async function parseCost(page: Page, texts: string[]): Promise<{ usPerEvent: number; rounds: number[] }> {
  await page.evaluate(() => { (window as unknown as { benchTexts: string[] }).benchTexts = []; });
  for (let i = 0; i < texts.length; i += 50) {
    await page.evaluate((part) => { (window as unknown as { benchTexts: string[] }).benchTexts.push(...part); }, texts.slice(i, i + 50));
  }
  const rounds: number[] = [];
  for (let r = 0; r < 3; r++) {
    rounds.push(await page.evaluate(() => {
      const all = (window as unknown as { benchTexts: string[] }).benchTexts;
      let n = 0;
      const t0 = performance.now();
      for (const s of all) n += (JSON.parse(s) as { events: unknown[] }).events.length;
      return ((performance.now() - t0) * 1000) / n;
    }));
  }
  await page.evaluate(() => { delete (window as unknown as { benchTexts?: string[] }).benchTexts; });
  return { usPerEvent: rounds.toSorted((a, b) => a - b)[1]!, rounds };
}

/** Long tasks of the page at rest for `ms` (the long-task lines' baseline). */
export async function restingLong(page: Page, ms: number): Promise<number[]> {
  const since = await pageNow(page);
  await sleep(ms);
  return longTasksSince(page, since);
}

function describe(c: StreamCost): string {
  const secs = c.wallMs / 1000;
  return `${c.events.toLocaleString('en')} events shown of ${c.sent.toLocaleString('en')} sent, in ${secs.toFixed(1)} s; main thread ${c.cpuMs.toFixed(0)} ms CPU `
    + `(${((c.cpuMs / c.wallMs) * 100).toFixed(0)} % of the wall time; tasks ${c.taskMs.toFixed(0)} ms wall, of which script ${c.scriptMs.toFixed(0)}, style and layout ${c.layoutMs.toFixed(0)}); `
    + `${c.diffs} diffs (${(c.events / Math.max(1, c.diffs)).toFixed(0)} events, ${(c.cpuMs / Math.max(1, c.diffs)).toFixed(2)} ms of main-thread CPU each)`;
}

/** The budget line: main-thread µs per event ÷ JSON.parse's µs per event. */
export function perEventLine(name: string, c: StreamCost, parse: { usPerEvent: number; rounds: number[] }, budget: boolean): BenchResult {
  const us = (c.cpuMs * 1000) / Math.max(1, c.events);
  const ratio = us / parse.usPerEvent;
  return {
    name, value: us, unit: 'µs/event', baseline: parse.usPerEvent, ratio,
    budget: budget ? `≤ ${PARSE_BUDGET} × JSON.parse` : 'info', ok: !budget || (ratio <= PARSE_BUDGET && c.events >= 0.99 * c.sent),
    note: `${describe(c)}; baseline: JSON.parse of the same events' text in the same page, µs per event in 3 rounds ${parse.rounds.map((r) => r.toFixed(2)).join('/')}`,
  };
}

/** The long-task line: count of tasks over 50 ms during the stream, against the page at rest. */
export function longLine(name: string, c: StreamCost, resting: number[]): BenchResult {
  const n = c.long.filter((d) => d > LONG_TASK_MS).length;
  const base = resting.filter((d) => d > LONG_TASK_MS).length;
  return {
    name, value: n, unit: 'tasks', baseline: base, budget: '0', ok: n === 0,
    note: `during: ${longSummary(c.long)}${n ? ` [${c.long.filter((d) => d > LONG_TASK_MS).map((d) => d.toFixed(0)).join(', ')} ms]` : ''}; baseline: the same page at rest for as long just before, ${longSummary(resting)}; ${c.events.toLocaleString('en')} events in ${(c.wallMs / 1000).toFixed(1)} s`,
  };
}
