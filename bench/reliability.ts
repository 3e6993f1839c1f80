/**
 * The reliability tests at full size (apps/agent/test/reliability-*.test.ts run them scaled down):
 * - reconnect: 100 drops of the page's WebSocket during traffic, each resumed with sync {since}; every
 *   event exactly once and in order;
 * - leaks: 10,000 socket cycles through the engine in a child process with --expose-gc: file descriptors
 *   back to the start, memory per cycle (the session's model keeps every socket), and after reset.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startAgentServer } from '../apps/agent/test/reliability-kit.ts';
import type { LeakReport } from '../apps/agent/test/reliability-leak-child.ts';
import { runReconnect } from '../apps/agent/test/reliability-reconnect.ts';
import { ROOT } from './lib/agent-process.ts';
import type { BenchResult } from './result.ts';

const DROPS = 100;
const CYCLES = Number(process.env['LEAK_CYCLES'] ?? 10_000);

async function reconnect(): Promise<BenchResult[]> {
  const h = await startAgentServer();
  try {
    const r = await runReconnect(h, { drops: DROPS, maxMs: 120_000 });
    const sorted = r.resumeMs.toSorted((a, b) => a - b);
    const problems = [...r.violations, ...r.trafficFailures];
    return [{
      name: `reconnect ${r.drops}× during traffic: lost/duplicated`,
      value: problems.length, unit: '', budget: '= 0', ok: problems.length === 0 && r.drops === DROPS,
      note: `${r.events} events over ${r.cycles} traffic cycles; resume (open → synced) p50 ${sorted[sorted.length >> 1]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms${problems.length ? `; ${problems[0]}` : ''}`,
    }];
  } finally {
    await h.close();
  }
}

async function leaks(): Promise<BenchResult[]> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(ROOT, 'apps/agent/test/reliability-leak-child.ts'), String(CYCLES)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20 * 60_000);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`leak child exited ${code}: ${err.slice(-500)}`);
  const rep = JSON.parse(out.trim().split('\n').at(-1)!) as LeakReport;
  const perCycleKb = ((rep.heapEnd - rep.heapStart) * 1024) / rep.cycles;
  return [
    {
      // network sockets, what a leak would leak (the probe and its ss children hold other descriptors for moments)
      name: `leaks: ${rep.cycles.toLocaleString('en')} socket cycles, TCP/UDP sockets after − before`,
      value: rep.socketsEnd - rep.socketsStart, unit: 'sockets', budget: '= 0', ok: rep.socketsEnd === rep.socketsStart,
      note: `all descriptors ${rep.fdsStart} → ${rep.fdsEnd}; ${rep.events} events in ${(rep.ms / 1000).toFixed(0)} s (${(rep.cycles / (rep.ms / 1000)).toFixed(0)} cycles/s); page got ${rep.pageEvents}`,
    },
    {
      name: 'leaks: heap growth per socket cycle (after gc)', value: perCycleKb, unit: 'KB', budget: '< 16 KB', ok: perCycleKb < 16,
      note: `heap ${rep.heapStart.toFixed(1)} → ${rep.heapEnd.toFixed(1)} MB with ${rep.modelSockets} sockets in the session's model; rss ${rep.rssStart.toFixed(0)} → ${rep.rssEnd.toFixed(0)} MB`,
    },
    {
      name: 'leaks: heap after session.reset − before', value: rep.heapAfterReset - rep.heapStart, unit: 'MB', budget: '< 4 MB', ok: rep.heapAfterReset - rep.heapStart < 4,
    },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const [name, f] of [['reconnect', reconnect], ['leaks', leaks]] as const) {
    try {
      out.push(...await f());
    } catch (err) {
      out.push({ name, value: NaN, unit: '', budget: 'runs', ok: false, note: `failed: ${(err as Error).message}` });
    }
  }
  return out;
}
