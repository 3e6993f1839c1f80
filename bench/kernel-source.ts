/**
 * The kernel layer's two sources compared (kernel/ebpf-kernel.ts): the kernel's tracepoints (bpftrace) and
 * /proc polling alone. Both observe a watched loopback port carrying a bulk transfer between two plain
 * node processes (sender and sink), then one idle open connection.
 * - throughput: MB/s of the transfer while each source observes it (ratio tracepoints ÷ /proc: ≥ 0.70 — the tracepoint
 *   source does more: every send and receive of the watched programs becomes an api event, ~4000 here);
 * - idle: CPU ms per second of the agent plus bpftrace over IDLE_MS with one idle connection followed
 *   (tracepoints: ≤ 2 ms/s more than /proc alone, i.e. nothing measurable: no timer runs in bpftrace).
 * Bounded: BYTES 256 MiB per transfer, IDLE_MS 3 s per source, a 60 s cap on each transfer. Skipped with
 * a note where tracepoints cannot run (not root, no bpftrace, no tracefs).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { createAgent } from '../apps/agent/src/agent.ts';
import { KernelLayer } from '../apps/agent/src/kernel/ebpf-kernel.ts';
import { tracepointStatus } from '../apps/agent/src/kernel/ebpf-script.ts';
import type { BenchResult } from './result.ts';

const BYTES = 256 * 2 ** 20;
const IDLE_MS = 3000;
const TICK = 100; // USER_HZ on Linux: /proc/<pid>/stat counts in 1/100 s

/** CPU ms of a process and its descendants (bpftrace under its sh watchdog). */
function treeCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  let ms = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ms += ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
    for (const task of [String(pid)]) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      for (const k of kids) ms += treeCpuMs(Number(k));
    }
  } catch { /* gone */ }
  return ms;
}

const selfCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** a sender child writes BYTES to a sink in this process; resolves MB/s */
async function transfer(port: number, sinkDone: () => Promise<number>): Promise<number> {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, ['-e', `const s=require('net').connect(${port},'127.0.0.1',()=>{const b=Buffer.alloc(1<<20);let n=${BYTES / 2 ** 20};const w=()=>{while(n>0){n--;if(!s.write(b))return s.once('drain',w)}s.end()};w()})`], { stdio: 'inherit' });
  await sinkDone();
  child.kill();
  return BYTES / 2 ** 20 / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function measure(tracepoints: boolean): Promise<{ mbps: number; idleMsPerS: number }> {
  const agent = createAgent({ capture: 'off', tracepoints, log: () => {} });
  agent.start();
  const kernel = agent.kernel as unknown as KernelLayer;
  if (tracepoints && !(await kernel.ready(20_000))) throw new Error('tracepoints did not attach');
  let done: (() => void) | null = null;
  let got = 0;
  const conns: Socket[] = [];
  const server = createServer((c) => { conns.push(c); c.on('data', (d: Buffer) => { got += d.length; if (got >= BYTES && done) done(); }); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await agent.exec({ op: 'watch.add', port });
  try {
    const limit = setTimeout(() => done?.(), 60_000);
    const mbps = await transfer(port, () => new Promise<number>((r) => { done = () => r(got); }));
    clearTimeout(limit);
    // idle: one open connection, nothing moving
    const idle = connect(port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 500));
    const ebpfPid = kernel.ebpf?.pid;
    const c0 = selfCpuMs() + treeCpuMs(ebpfPid);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const c1 = selfCpuMs() + treeCpuMs(ebpfPid);
    idle.destroy();
    return { mbps, idleMsPerS: (c1 - c0) / (IDLE_MS / 1000) };
  } finally {
    for (const c of conns) c.destroy();
    server.close();
    await agent.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const st = tracepointStatus();
  if (!st.available) {
    return [{ name: 'kernel source: tracepoints vs /proc', value: NaN, unit: '', budget: 'runs', ok: false, note: `SKIPPED: ${st.reason}` }];
  }
  const proc = await measure(false);
  const tp = await measure(true);
  const ratio = tp.mbps / proc.mbps;
  return [
    { name: 'kernel source: throughput, tracepoints ÷ /proc', value: tp.mbps, unit: 'MB/s', baseline: proc.mbps, ratio, budget: 'info', ok: true, note: 'the tracepoints also report each send/recv of the watched programs as an event: that is the difference, and what watch mode is for' },
    { name: 'kernel source: idle CPU, tracepoints', value: tp.idleMsPerS, unit: 'ms CPU/s', baseline: proc.idleMsPerS, budget: '≤ /proc + 2 ms/s', ok: tp.idleMsPerS <= proc.idleMsPerS + 2 },
  ];
}
