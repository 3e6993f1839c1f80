/**
 * The WebSocket fuzz at full size: 100,000 cases against a real running agent in this process
 * (apps/agent/test/reliability-fuzz.ts: what is generated and which properties hold on every case;
 * the CI test runs 1,500 × 2). Reported: cases per second, and violations (crashes, frames without
 * exactly one reply, lost or reordered events) — budget 0. Bounded: 15 minutes (FUZZ_CASES to change).
 */
import { startAgentServer, UNLIMITED_RATE } from '../apps/agent/test/reliability-kit.ts';
import { runFuzz } from '../apps/agent/test/reliability-fuzz.ts';
import type { BenchResult } from './result.ts';

const CASES = Number(process.env['FUZZ_CASES'] ?? 100_000);
const MAX_MS = 15 * 60_000;

export async function run(): Promise<BenchResult[]> {
  const h = await startAgentServer({ limits: { maxWaitMs: 30 }, rate: UNLIMITED_RATE });
  const seed = Date.now() % 2 ** 31;
  try {
    const r = await runFuzz(h, { numRuns: CASES, seed, maxMs: MAX_MS });
    const codes = Object.entries(r.codes).toSorted((a, b) => b[1] - a[1]).slice(0, 8).map(([c, n]) => `${c} ${n}`).join(', ');
    return [
      {
        name: `fuzz ${r.cases.toLocaleString('en')} cases: violations`,
        value: r.violations.length, unit: '', budget: '= 0', ok: r.violations.length === 0 && r.cases >= CASES,
        note: `seed ${seed}; ${r.replies.ok} ok, ${r.replies.error} errors (${codes}); ${r.resets} resets; ${r.events} events streamed${r.violations.length ? `; first: ${r.violations[0]!.slice(0, 300)}` : ''}${r.cases < CASES ? `; stopped at the ${MAX_MS / 60_000} min bound` : ''}`,
      },
      { name: 'fuzz rate', value: r.cases / (r.ms / 1000), unit: 'cases/s', budget: 'info', ok: true },
    ];
  } finally {
    await h.close();
  }
}
