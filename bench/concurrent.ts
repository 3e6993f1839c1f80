/**
 * 1,000 TCP connections open at once through the agent: listen, 1,000 connects, 1,000 accepts, a message
 * each way, recv each way, 2,000 closes — driven by a page over the WebSocket (at most 32 commands in
 * flight, as the agent allows a page), with the kernel probe and wire inference running and every event
 * streamed to that page (apps/agent/test/reliability-load.ts, which the CI test runs with 200).
 * Baseline: the same script with plain node:net in one process. Budget: errors = 0 (the time is reported).
 * The agent runs in this process with createAgent({ limits: { maxSockets: 2016 } }) and an unlimited page
 * rate: the classroom's defaults (256 sockets, 50 frames/s) are deliberately lower.
 */
import { startAgentServer, UNLIMITED_RATE } from '../apps/agent/test/reliability-kit.ts';
import { runAgentLoad, runPlainLoad } from '../apps/agent/test/reliability-load.ts';
import type { BenchResult } from './result.ts';

const N = Number(process.env['CONCURRENT_N'] ?? 1000);

export async function run(): Promise<BenchResult[]> {
  const plain = await runPlainLoad(N);
  const h = await startAgentServer({ limits: { maxSockets: 2 * N + 16 }, rate: UNLIMITED_RATE });
  try {
    const r = await runAgentLoad(h, N);
    const plain2 = await runPlainLoad(N);
    const base = Math.min(plain.ms, plain2.ms);
    const phases = Object.entries(r.phases).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    return [
      {
        name: `${N} concurrent connections through the agent`,
        value: r.ms, unit: 'ms', baseline: base, ratio: r.ms / base, budget: 'errors = 0', ok: r.errors.length === 0 && plain.errors.length === 0,
        note: `${phases} ms; ${r.events} events streamed; ${(r.ms / (8 * N)).toFixed(2)} ms per command; errors: ${r.errors.length ? r.errors.slice(0, 3).join('; ') : 'none'}`,
      },
      { name: `${N} concurrent connections: errors`, value: r.errors.length + plain.errors.length, unit: '', budget: '= 0', ok: r.errors.length + plain.errors.length === 0 },
    ];
  } finally {
    await h.close();
  }
}
