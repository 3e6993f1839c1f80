/**
 * A classroom whose students stop reading (issue 16): the agent as shipped (its own process, the node
 * flags of apps/agent/bin/node-flags.mjs, `--share` on 127.0.0.2) with a session of a 1 MiB bulk send in
 * 16-byte chunks; 100 read-only pages sync and stop reading; another 512 KiB goes by while they are stalled;
 * then they read again. The teacher makes a call every 100 ms throughout and times each reply
 * (apps/agent/test/stalled-kit.ts; the CI test is apps/agent/test/stalled-viewers.test.ts, same sizes).
 * Value: the agent's RSS while the pages are stalled. Baseline: the same run with no viewers.
 * Budget: the agent's V8 heap stays under its cap and the teacher's replies p95 ≤ 100 ms.
 * Bounded: every wait in the kit is (a run takes 10–20 s; at most about 3 minutes if everything times out).
 */
import { AGENT_HEAP_MB } from '../apps/agent/bin/node-flags.mjs';
import { pct, runStalled, type StalledReport } from '../apps/agent/test/stalled-kit.ts';
import type { BenchResult } from './result.ts';

const VIEWERS = Number(process.env['STALLED_VIEWERS'] ?? 100);
const P95_MS = 100;
const say = (line: string) => { if (!process.argv.includes('--json')) process.stderr.write(`  stalled-viewers: ${line}\n`); };

const options = (viewers: number) => ({ viewers, bytesBefore: 1 << 20, bytesDuring: 1 << 19, stallMs: 3000, log: say });

export async function run(): Promise<BenchResult[]> {
  const none: StalledReport = await runStalled(options(0));
  const r: StalledReport = await runStalled(options(VIEWERS));
  const p95 = pct(r.replyMs, 95);
  const max = Math.max(...r.replyMs);
  const heapOk = r.alive && r.heap !== null && r.heap.peakMb < AGENT_HEAP_MB;
  const viewersOk = r.caughtUp === VIEWERS && r.withSnapshotAndGap === VIEWERS && r.violations.length === 0;
  const value = r.rss?.stalled ?? NaN;
  const base = none.rss?.stalled ?? NaN;
  return [{
    name: `agent RSS with ${VIEWERS} stalled viewers`,
    value, unit: 'MB', baseline: base, ratio: value / base,
    budget: `heap < ${AGENT_HEAP_MB} MB cap, teacher p95 ≤ ${P95_MS} ms`,
    ok: heapOk && p95 <= P95_MS && r.failedReplies.length === 0 && viewersOk,
    note: r.died ? `the agent died: ${r.died.split('\n').find((l) => l.includes('FATAL')) ?? r.died.slice(-200)}`
      : `${r.eventsBefore} events before, ${r.eventsAfter} after; heap peak ${r.heap?.peakMb.toFixed(0)} MB (no viewers ${none.heap?.peakMb.toFixed(0)}); `
      + `RSS peak ${r.rss?.peak.toFixed(0)} MB; teacher replies ${r.replyMs.length}: p50 ${pct(r.replyMs, 50).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${max.toFixed(0)} ms `
      + `(no viewers: p95 ${pct(none.replyMs, 95).toFixed(1)} ms); longest agent turn ${r.heap?.loopMaxMs.toFixed(0)} ms (no viewers ${none.heap?.loopMaxMs.toFixed(0)}); `
      + `${r.caughtUp}/${VIEWERS} caught up, ${r.withSnapshotAndGap} with snapshot + gap; ${r.closedViewers.length} closed; ${r.seconds.toFixed(0)} s`,
  }];
}
