/**
 * TCP bulk throughput through the agent ÷ plain node:net, on loopback.
 * - baseline: a plain node:net sender process writing BYTES (with backpressure) to a sink process, in
 *   the same chunks as the agent variant it is compared with (1 MiB or 64 KiB write() calls);
 * - agent: the real agent process (`socketscope start`, as `pnpm start` runs it) sending the same BYTES to
 *   the same sink with tcp.sendBulk — the headline lines with the engine's default chunk (the command names
 *   none: 1 MiB, engine/tcp-writer.ts BULK_DEFAULT_CHUNK), lines for information with 64 KiB chunks; one
 *   api.call send event per chunk either way — the kernel probe following the socket, wire inference (or
 *   capture: segments, or bundles of them) adding events, and every event streamed to a page over the
 *   WebSocket.
 * Time is the sink's, first byte to last, so process start-up is not counted. Best of ROUNDS each,
 * alternating, because the machine is shared. Budgets (default chunk): ≥ 0.95 with capture off, ≥ 0.80
 * with capture on (capture needs tcpdump/dumpcap and the rights; skipped with a note otherwise).
 * BYTES: 1 GiB; THROUGHPUT_QUICK=1 (or --quick) uses 256 MiB.
 *
 * Bounded: every wait has its own limit (a transfer ROUND_MS, a variant VARIANT_MS, the agent's start,
 * the capture coming up, each command), a variant that passes its limit has its agent stopped before the
 * next one starts, and the sink's line for a transfer is found by the sender's port, so a late line of an
 * abandoned transfer is never taken for the next one. The module as a whole declares `boundMs` for
 * bench/run.ts. (The run that hung past 16 minutes: a baseline round waited for its sender's 'exit' after
 * the sink's line, and a sender that had already exited — its last bytes were still in the kernel's
 * buffers when it quit, 1 round in 10 here — never emits it again.)
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { SessionEvent } from '../packages/shared/src/index.ts';
import { StreamClient } from '../apps/agent/test/reliability-kit.ts';
import { CaptureSource } from '../apps/agent/src/wire/capture.ts';
import { BENCH_TOKEN, cpuMsOf, ROOT, startAgentProcess, type AgentProcess } from './lib/agent-process.ts';
import { startSink, type Sink } from './lib/sink.ts';
import type { BenchResult } from './result.ts';

const QUICK = process.env['THROUGHPUT_QUICK'] === '1' || process.argv.includes('--quick');
const say = (line: string) => { if (!process.argv.includes('--json')) process.stderr.write(`  throughput: ${line}\n`); };
const BYTES = QUICK ? 256 * 2 ** 20 : 2 ** 30;
const ROUNDS = 3;
/** Engine's default sendBulk chunk (engine/tcp-writer.ts BULK_DEFAULT_CHUNK): the baseline's writes for the headline lines. */
const DEFAULT_CHUNK = 1 << 20;

/** One transfer: BYTES at 40 MiB/s at the least (the slowest variant does ~150 MiB/s on a machine loaded 3×), 20 s at the least. */
const ROUND_MS = Math.max(20_000, (BYTES / (40 * 2 ** 20)) * 1000);
/** The sink ends a connection that sends nothing for this long (its line says "idle"). */
const SINK_IDLE_MS = 10_000;
/** One agent variant: start-up (30 s) and capture (15 s), then ROUNDS transfers with their close and catch-up. */
const VARIANT_MS = 45_000 + ROUNDS * (ROUND_MS + 30_000);
const VARIANTS = 4;
/** The module's bound for bench/run.ts: every step timing out in turn. */
export const boundMs = 30_000 + (2 * ROUNDS + VARIANTS) * (ROUND_MS + 15_000) + VARIANTS * VARIANT_MS;

function within<T>(p: Promise<T>, ms: number, why: () => string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { t = setTimeout(() => reject(new Error(why())), ms); })]).finally(() => clearTimeout(t));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One baseline transfer: plain-send.mjs in its own process, timed by the sink. */
async function plainRound(sink: Sink, chunk: number): Promise<number> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/fixtures/plain-send.mjs'), String(sink.port), String(BYTES), String(chunk), String(ROUND_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  // made at spawn: the sender may exit before the sink's line arrives, and 'exit' does not come twice
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const local = await within(new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', (l) => resolve((JSON.parse(l) as { local: number }).local));
      void exited.then(() => reject(new Error(`plain sender exited (${child.exitCode ?? child.signalCode}) before it connected`)));
    }), 10_000, () => 'plain sender: not connected in 10 s');
    const r = await sink.result(local, ROUND_MS);
    if (r.bytes !== BYTES) throw new Error(`plain: sink got ${r.bytes} of ${BYTES} (${r.end})`);
    return r.ms;
  } finally {
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await Promise.race([exited, sleep(2000)]);
    }
  }
}

interface AgentRounds { ms: number[]; events: number; types: Map<string, number>; lagMs: number; cpuMs: number }

/** `chunk` undefined: the command names none (the engine's default). */
async function agentVariant(sink: Sink, capture: 'auto' | 'off', chunk: number | undefined): Promise<AgentRounds> {
  const agent = await startAgentProcess({ capture });
  let page: StreamClient | null = null;
  let step = 'connecting the page';
  const work = (async () => {
    page = await StreamClient.open(agent.port, { token: BENCH_TOKEN, keepSeqs: false });
    return rounds(agent, page, sink, capture, chunk, (s) => { step = s; });
  })();
  work.catch(() => { /* reported through within() */ });
  try {
    return await within(work, VARIANT_MS, () => `not done in ${Math.round(VARIANT_MS / 1000)} s (at: ${step})`);
  } catch (err) {
    throw new Error(`${(err as Error).message}${exitNote(agent)}`, { cause: err });
  } finally {
    // stopping the agent ends whatever `work` still waits for (its page closes, the sink sees the end)
    await (page as StreamClient | null)?.close();
    await agent.stop();
  }
}

function exitNote(agent: AgentProcess): string {
  const code = agent.child.exitCode ?? agent.child.signalCode;
  return code === null ? '' : `; the agent had exited (${code}): ${agent.stderr().slice(-300)}`;
}

async function rounds(agent: AgentProcess, page: StreamClient, sink: Sink, capture: 'auto' | 'off', chunk: number | undefined, at: (step: string) => void): Promise<AgentRounds> {
  // the capture tool is up once the agent says so (maybe already in the history sync sends)
  let up = false;
  const types = new Map<string, number>();
  page.onEach = (e: SessionEvent) => {
    if (e.type === 'source.status' && e.source === 'wire') up = e.status.running;
    if (e.layer === 'wire') types.set(e.type, (types.get(e.type) ?? 0) + 1);
  };
  at('sync');
  await page.sync();
  at('capture coming up');
  if (capture === 'auto') await page.until(() => up, 15_000, 'capture running');
  const ms: number[] = [];
  let lagMs = 0;
  const cpu0 = cpuMsOf(agent.pid);
  for (let i = 0; i < ROUNDS; i++) {
    at(`round ${i + 1}: connect`);
    const c = await page.ok<{ sock: string; local: string }>({ op: 'tcp.connect', port: sink.port });
    const local = Number(c.local.split(':').at(-1));
    at(`round ${i + 1}: sendBulk`);
    // the reply comes once the kernel's buffer is full (or after maxWaitMs); the rest flows meanwhile
    const bulk = await page.cmd({ op: 'tcp.sendBulk', sock: c.sock, bytes: BYTES, ...(chunk ? { chunk } : {}) }, 30_000);
    if (!bulk.ok) throw new Error(`sendBulk: ${bulk.error?.code} ${bulk.error?.message}`);
    at(`round ${i + 1}: the sink reading ${BYTES} bytes`);
    const r = await sink.result(local, ROUND_MS);
    if (r.bytes !== BYTES) throw new Error(`agent: sink got ${r.bytes} of ${BYTES} (${r.end})`);
    ms.push(r.ms);
    // how far behind the page was when the last byte arrived
    at(`round ${i + 1}: close, the page catching up`);
    const t = performance.now();
    await page.ok({ op: 'tcp.close', sock: c.sock });
    await quiet(page, 300, 20_000);
    lagMs = Math.max(lagMs, performance.now() - t - 300);
  }
  page.onEach = null;
  return { ms, events: page.events, types, lagMs, cpuMs: cpuMsOf(agent.pid) - cpu0 };
}

/** Resolves once the page has received nothing new for `ms`, or after `maxMs`. */
async function quiet(page: StreamClient, ms: number, maxMs: number): Promise<void> {
  const end = Date.now() + maxMs;
  let last = -2;
  while (Date.now() < end && page.lastSeq !== last) {
    last = page.lastSeq;
    await sleep(ms);
  }
}

export async function run(): Promise<BenchResult[]> {
  const sink = await startSink(BYTES, SINK_IDLE_MS);
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
  const nameOf = (v: (typeof variants)[number]) => `throughput ${size}, ${v.chunk ? `${v.chunk >> 10} KiB sends` : 'default chunk (1 MiB)'}, capture ${v.capture === 'auto' ? 'on' : 'off'}`;
  try {
    try {
      for (const chunk of [DEFAULT_CHUNK, 65536]) {
        for (let i = 0; i < ROUNDS; i++) await plainOf(chunk);
        say(`plain node:net, ${chunk >> 10} KiB writes: ${plain.get(chunk)!.map((m) => m.toFixed(0)).join('/')} ms`);
      }
    } catch (err) {
      // no baseline, no ratio: every line says why
      return variants.map((v) => ({ name: nameOf(v), value: NaN, unit: 'MiB/s', budget: v.budget === null ? 'info' : `ratio ≥ ${v.budget}`, ok: false, note: `failed: baseline: ${(err as Error).message}` }));
    }
    for (const v of variants) {
      const name = nameOf(v);
      const budget = v.budget === null ? 'info' : `ratio ≥ ${v.budget}`;
      if (v.capture === 'auto' && !capStatus.available) {
        results.push({ name, value: NaN, unit: 'MiB/s', budget, ok: v.budget === null, note: `SKIPPED: capture not available: ${capStatus.reason}` });
        continue;
      }
      try {
        say(`${name}…`);
        const r = await agentVariant(sink, v.capture, v.chunk);
        say(`  ${r.ms.map((m) => m.toFixed(0)).join('/')} ms`);
        // a baseline after each variant too, in case the shared machine got busier meanwhile
        const base = Math.min(...(await plainOf(v.chunk ?? DEFAULT_CHUNK)));
        const best = Math.min(...r.ms);
        const wire = [...r.types].map(([t, n]) => `${n} ${t}`).join(', ') || 'none';
        results.push({
          name, value: mib / (best / 1000), unit: 'MiB/s', baseline: mib / (base / 1000), ratio: base / best, budget, ok: v.budget === null || base / best >= v.budget,
          note: `best of ${ROUNDS}: agent ${r.ms.map((m) => m.toFixed(0)).join('/')} ms, plain node:net with the same ${((v.chunk ?? DEFAULT_CHUNK) >> 10)} KiB writes best ${base.toFixed(0)} ms; ${r.events} events streamed (wire: ${wire}), the page caught up ${r.lagMs.toFixed(0)} ms after the last byte; agent CPU ${(r.cpuMs / 1000).toFixed(1)} s`,
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
