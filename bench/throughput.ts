/**
 * TCP bulk throughput through the agent ÷ plain node:net, on loopback.
 * - baseline: a plain node:net sender process writing BYTES (with backpressure) to a sink process, in
 *   the same chunks as the agent variant it is compared with (1 MiB or 64 KiB write() calls);
 * - agent: the real agent process (`socketscope start`, as `pnpm start` runs it) sending the same BYTES to
 *   the same sink with tcp.sendBulk — the headline lines with the engine's default chunk (the command names
 *   none: 1 MiB, engine/tcp-writer.ts BULK_DEFAULT_CHUNK), lines for information with 64 KiB chunks; one
 *   api.call send event per chunk either way — the kernel probe following the socket, wire inference (or
 *   capture) adding segments, and every event streamed to a page over the WebSocket.
 * Time is the sink's, first byte to last, so process start-up is not counted. Best of ROUNDS each,
 * alternating, because the machine is shared. Budgets (default chunk): ≥ 0.95 with capture off, ≥ 0.80
 * with capture on (capture needs tcpdump/dumpcap and the rights; skipped with a note otherwise).
 * BYTES: 1 GiB; THROUGHPUT_QUICK=1 (or --quick) uses 256 MiB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { StreamClient } from '../apps/agent/test/reliability-kit.ts';
import { CaptureSource } from '../apps/agent/src/wire/capture.ts';
import { BENCH_TOKEN, cpuMsOf, ROOT, startAgentProcess } from './lib/agent-process.ts';
import type { BenchResult } from './result.ts';

const QUICK = process.env['THROUGHPUT_QUICK'] === '1' || process.argv.includes('--quick');
const say = (line: string) => { if (!process.argv.includes('--json')) process.stderr.write(`  throughput: ${line}\n`); };
const BYTES = QUICK ? 256 * 2 ** 20 : 2 ** 30;
const ROUNDS = 3;

interface Sink { port: number; next(): Promise<{ bytes: number; ms: number }>; close(): void }

async function startSink(): Promise<Sink> {
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'bench/fixtures/sink.mjs'), String(BYTES)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  lines.on('line', (l) => { const w = waiters.shift(); if (w) w(l); else queue.push(l); });
  const nextLine = () => new Promise<string>((resolve, reject) => {
    const q = queue.shift();
    if (q !== undefined) return resolve(q);
    const t = setTimeout(() => reject(new Error('sink: nothing in 120 s')), 120_000);
    waiters.push((l) => { clearTimeout(t); resolve(l); });
  });
  const { port } = JSON.parse(await nextLine()) as { port: number };
  return { port, next: async () => JSON.parse(await nextLine()) as { bytes: number; ms: number }, close: () => { child.stdin!.end(); child.kill(); } };
}

/** Engine's default sendBulk chunk (engine/tcp-writer.ts BULK_DEFAULT_CHUNK): the baseline's writes for the headline lines. */
const DEFAULT_CHUNK = 1 << 20;

async function plainRound(sink: Sink, chunk: number): Promise<number> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/fixtures/plain-send.mjs'), String(sink.port), String(BYTES), String(chunk)], { stdio: 'inherit' });
  const r = await sink.next();
  await new Promise((res) => child.once('exit', res));
  if (r.bytes !== BYTES) throw new Error(`plain: sink got ${r.bytes} of ${BYTES}`);
  return r.ms;
}

/** `chunk` undefined: the command names none (the engine's default). */
async function agentRounds(sink: Sink, capture: 'auto' | 'off', chunk: number | undefined): Promise<{ ms: number[]; events: number; lagMs: number; cpuMs: number }> {
  const agent = await startAgentProcess({ capture });
  const page = await StreamClient.open(agent.port, { token: BENCH_TOKEN, keepSeqs: false });
  try {
    // the capture tool is up once the agent says so (maybe already in the history sync sends)
    let up = false;
    page.onEach = (e) => { if (e.type === 'source.status' && e.source === 'wire') up = e.status.running; };
    await page.sync();
    if (capture === 'auto') await page.until(() => up, 15_000, 'capture running');
    page.onEach = null;
    const ms: number[] = [];
    let lagMs = 0;
    const cpu0 = cpuMsOf(agent.pid);
    for (let i = 0; i < ROUNDS; i++) {
      const c = await page.ok<{ sock: string }>({ op: 'tcp.connect', port: sink.port });
      const got = sink.next();
      const bulk = await page.cmd({ op: 'tcp.sendBulk', sock: c.sock, bytes: BYTES, ...(chunk ? { chunk } : {}) }, 120_000);
      if (!bulk.ok) throw new Error(`sendBulk: ${bulk.error?.code} ${bulk.error?.message}`);
      const r = await got;
      if (r.bytes !== BYTES) throw new Error(`agent: sink got ${r.bytes} of ${BYTES}`);
      ms.push(r.ms);
      // how far behind the page was when the last byte arrived
      const t = performance.now();
      await page.ok({ op: 'tcp.close', sock: c.sock });
      await quiet(page, 300);
      lagMs = Math.max(lagMs, performance.now() - t - 300);
    }
    return { ms, events: page.events, lagMs, cpuMs: cpuMsOf(agent.pid) - cpu0 };
  } finally {
    await page.close();
    await agent.stop();
  }
}

function within<T>(p: Promise<T>, ms: number, why: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { t = setTimeout(() => reject(new Error(why)), ms); })]).finally(() => clearTimeout(t));
}

/** Resolves once the page has received nothing new for `ms` (bounded: 60 s). */
async function quiet(page: StreamClient, ms: number): Promise<void> {
  const end = Date.now() + 60_000;
  let last = -2;
  while (Date.now() < end && page.lastSeq !== last) {
    last = page.lastSeq;
    await new Promise((r) => setTimeout(r, ms));
  }
}

export async function run(): Promise<BenchResult[]> {
  const sink = await startSink();
  const results: BenchResult[] = [];
  const mib = BYTES / 2 ** 20;
  const size = QUICK ? `${mib} MiB (quick)` : '1 GiB';
  // baselines by chunk size: plain node:net making the same write() calls as the agent's variant
  const plain = new Map<number, number[]>();
  const plainOf = async (chunk: number) => {
    const list = plain.get(chunk) ?? [];
    plain.set(chunk, list);
    list.push(await plainRound(sink, chunk));
    return list;
  };
  const capStatus = new CaptureSource({ mode: 'off' }).status();
  // budget null: for information (64 KiB sends: 16 times the events of the default chunk)
  const variants: { capture: 'off' | 'auto'; chunk?: number; budget: number | null }[] = [
    { capture: 'off', budget: 0.95 },
    { capture: 'auto', budget: 0.8 },
    { capture: 'off', chunk: 65536, budget: null },
    { capture: 'auto', chunk: 65536, budget: null },
  ];
  try {
    for (const chunk of [DEFAULT_CHUNK, 65536]) {
      for (let i = 0; i < ROUNDS; i++) await plainOf(chunk);
      say(`plain node:net, ${chunk >> 10} KiB writes: ${plain.get(chunk)!.map((m) => m.toFixed(0)).join('/')} ms`);
    }
    for (const v of variants) {
      const name = `throughput ${size}, ${v.chunk ? `${v.chunk >> 10} KiB sends` : 'default chunk (1 MiB)'}, capture ${v.capture === 'auto' ? 'on' : 'off'}`;
      const budget = v.budget === null ? 'info' : `ratio ≥ ${v.budget}`;
      if (v.capture === 'auto' && !capStatus.available) {
        results.push({ name, value: NaN, unit: 'MiB/s', budget, ok: v.budget === null, note: `SKIPPED: capture not available: ${capStatus.reason}` });
        continue;
      }
      try {
        say(`${name}…`);
        const r = await within(agentRounds(sink, v.capture, v.chunk), 240_000, `${name} took over 4 minutes`);
        say(`  ${r.ms.map((m) => m.toFixed(0)).join('/')} ms`);
        // a baseline after each variant too, in case the shared machine got busier meanwhile
        const base = Math.min(...(await plainOf(v.chunk ?? DEFAULT_CHUNK)));
        const best = Math.min(...r.ms);
        results.push({
          name, value: mib / (best / 1000), unit: 'MiB/s', baseline: mib / (base / 1000), ratio: base / best, budget, ok: v.budget === null || base / best >= v.budget,
          note: `best of ${ROUNDS}: agent ${r.ms.map((m) => m.toFixed(0)).join('/')} ms, plain node:net with the same ${((v.chunk ?? DEFAULT_CHUNK) >> 10)} KiB writes best ${base.toFixed(0)} ms; ${r.events} events streamed, the page caught up ${r.lagMs.toFixed(0)} ms after the last byte; agent CPU ${(r.cpuMs / 1000).toFixed(1)} s`,
        });
      } catch (err) {
        results.push({ name, value: NaN, unit: 'MiB/s', budget, ok: false, note: `failed: ${(err as Error).message}` });
      }
    }
  } finally {
    sink.close();
  }
  return results;
}
