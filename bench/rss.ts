/**
 * The agent's resident memory after 1,000,000 events, measured from outside (/proc/PID/status) on the
 * agent's own process. The events are real: 1,000 connection cycles through the engine (listen once;
 * connect, accept, close both), then bulk sends of 1-byte chunks to a sink (each chunk is one send()
 * with its api event and its inferred wire segment) until the session has recorded a million events,
 * with the kernel probe running and a page receiving the whole stream. The recorder keeps the newest
 * events within its byte budget (session.ts DEFAULT_RING_BYTES) and its snapshots. Baseline: the same
 * agent just started. Budget: ≤ 150 MB, for the agent as shipped: the node flags `pnpm start` uses
 * (apps/agent/bin/node-flags.mjs, passed by startAgentProcess) and the default ring. For information, the
 * same without those flags, and the old ring (200,000 events by count) with them. The agent runs through
 * bench/lib/agent-child.ts (what `socketscope start` runs, with the page's frame rate unlimited so the
 * 4,000 commands of the connection cycles do not take 80 s).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { StreamClient } from '../apps/agent/test/reliability-kit.ts';
import { AGENT_NODE_FLAGS } from '../apps/agent/bin/node-flags.mjs';
import { BENCH_TOKEN, ROOT, rssOf, startAgentProcess } from './lib/agent-process.ts';
import type { BenchResult } from './result.ts';

const EVENTS = Number(process.env['RSS_EVENTS'] ?? 1_000_000);
const BUDGET_MB = 150;
const say = (line: string) => { if (!process.argv.includes('--json')) process.stderr.write(`  rss: ${line}\n`); };

async function pipeline(page: StreamClient, cmds: Record<string, unknown>[]): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < cmds.length) {
      const r = await page.cmd(cmds[next++]!, 60_000);
      if (!r.ok) throw new Error(`${JSON.stringify(cmds[next - 1])}: ${r.error?.code} ${r.error?.message}`);
    }
  }));
}

export interface Variant { name: string; ringSize?: number; nodeArgs?: string[]; budget: boolean }

export async function measure(v: Variant, sinkPort: number): Promise<BenchResult> {
  const agent = await startAgentProcess({ unlimitedRate: true, ...(v.ringSize ? { ringSize: v.ringSize } : {}), ...(v.nodeArgs ? { nodeArgs: v.nodeArgs } : {}) });
  const t0 = performance.now();
  try {
    const page = await StreamClient.open(agent.port, { token: BENCH_TOKEN, keepSeqs: false });
    await page.sync();
    await new Promise((r) => setTimeout(r, 1000));
    const base = rssOf(agent.pid);
    // 1,000 connections (they stay in the session's model)
    const l = await page.ok<{ sock: string; local: string }>({ op: 'tcp.listen', port: 0, backlog: 64 });
    const port = Number(l.local.split(':').at(-1));
    for (let i = 0; i < 1000; i += 25) {
      const cs: string[] = [];
      for (let k = 0; k < 25; k++) cs.push((await page.ok<{ sock: string }>({ op: 'tcp.connect', port })).sock);
      const as: string[] = [];
      for (let k = 0; k < 25; k++) as.push((await page.ok<{ newSock: string }>({ op: 'tcp.accept', sock: l.sock })).newSock);
      await pipeline(page, [...cs, ...as].map((sock) => ({ op: 'tcp.close', sock })));
    }
    say(`${v.name}: 1,000 connection cycles, ${page.lastSeq + 1} events`);
    // then bulk sends of 1-byte chunks until a million events are recorded
    const c = await page.ok<{ sock: string }>({ op: 'tcp.connect', port: sinkPort });
    const deadline = Date.now() + 600_000;
    while (page.lastSeq + 1 < EVENTS && Date.now() < deadline) {
      const left = EVENTS - (page.lastSeq + 1);
      // the reply comes when the bytes are in the kernel (or after 10 s, still sending: then E_BUSY a while)
      const r = await page.cmd({ op: 'tcp.sendBulk', sock: c.sock, bytes: Math.max(1000, Math.min(100_000, Math.floor(left / 2))), chunk: 1 }, 120_000);
      if (!r.ok && r.error?.code === 'E_BUSY') await new Promise((res) => setTimeout(res, 200));
      else if (!r.ok) throw new Error(`sendBulk: ${r.error?.code} ${r.error?.message}`);
    }
    // let the last of it arrive, then measure
    let last = -2;
    while (page.lastSeq !== last) { last = page.lastSeq; await new Promise((r) => setTimeout(r, 500)); }
    const after = rssOf(agent.pid);
    const events = page.lastSeq + 1;
    // what the heap holds versus what it has committed (agent-child.ts answers SIGUSR2 on stderr)
    agent.child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 300));
    const mem = /MEMORY (\{.*\})/.exec(agent.stderr().split('\n').findLast((line) => line.startsWith('MEMORY')) ?? '');
    const heap = mem ? JSON.parse(mem[1]!) as { heapUsed: number; heapTotal: number } : null;
    const heapNote = heap ? `; heap ${(heap.heapUsed / 2 ** 20).toFixed(0)} MB used of ${(heap.heapTotal / 2 ** 20).toFixed(0)} MB committed` : '';
    await page.close();
    return {
      name: `agent RSS after ${(events / 1e6).toFixed(2)}M events: ${v.name}`,
      value: after.rss, unit: 'MB', baseline: base.rss, ratio: after.rss / base.rss,
      budget: v.budget ? `≤ ${BUDGET_MB} MB` : 'info', ok: !v.budget || (after.rss <= BUDGET_MB && events >= EVENTS),
      note: `peak ${after.peak.toFixed(0)} MB; just started ${base.rss.toFixed(0)} MB; ${events} events in ${((performance.now() - t0) / 1000).toFixed(0)} s${heapNote}`,
    };
  } finally {
    await agent.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const sink = spawn(process.execPath, [path.join(ROOT, 'bench/fixtures/sink.mjs'), '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const sinkPort = await new Promise<number>((resolve) => {
    createInterface({ input: sink.stdout! }).once('line', (l) => resolve((JSON.parse(l) as { port: number }).port));
  });
  const variants: Variant[] = [
    { name: `as shipped (${AGENT_NODE_FLAGS.join(' ')}; ring by bytes)`, budget: true },
    { name: 'no node flags (V8 defaults); ring by bytes', nodeArgs: [], budget: false },
    { name: 'shipped flags; ring 200,000 events by count (the old default)', ringSize: 200_000, budget: false },
  ];
  const out: BenchResult[] = [];
  try {
    for (const v of variants) {
      try {
        out.push(await measure(v, sinkPort));
      } catch (err) {
        out.push({ name: `agent RSS after 1M events: ${v.name}`, value: NaN, unit: 'MB', budget: v.budget ? `≤ ${BUDGET_MB} MB` : 'info', ok: false, note: `failed: ${(err as Error).message}` });
      }
    }
  } finally {
    sink.stdin!.end();
    sink.kill();
  }
  return out;
}
