/**
 * Packet capture on loopback: how long from a socket write until its tcp.segment event is emitted
 * (tcpdump → pipe → shared decoder → match → event), against the baseline of the same bytes reaching
 * the peer socket's 'data' event; and what a packet that is not the session's costs (decoded, then
 * dropped in process), which is what the fixed capture filter pays for never losing a handshake.
 * Bounded: 300 pings, 20 000 foreign datagrams, 30 s in all. Loopback only.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { EventInput, SessionEvent } from '../packages/shared/src/index.ts';
import { CaptureSource } from '../apps/agent/src/wire/capture.ts';
import type { BenchResult } from './result.ts';

const PINGS = 300;
const WARMUP = 30;
const FOREIGN = 20_000;
const P95_BUDGET_MS = 5;
const FOREIGN_BUDGET_US = 20;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function pct(xs: number[], p: number): number {
  const s = xs.toSorted((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Sends FOREIGN datagrams to a socket nobody in the session owns; returns this process's CPU µs meanwhile. */
async function foreignFlood(): Promise<number> {
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  const sender = dgram.createSocket('udp4');
  const cpu = process.cpuUsage();
  for (let i = 0; i < FOREIGN; i += 100) {
    for (let j = 0; j < 100; j++) sender.send('foreign traffic', sink.address().port, '127.0.0.1');
    await sleep(1);
  }
  await sleep(300);
  const used = process.cpuUsage(cpu);
  sender.close();
  sink.close();
  return used.user + used.system;
}

export async function run(): Promise<BenchResult[]> {
  const probe = new CaptureSource({ mode: 'off' }).status();
  if (!probe.available) {
    return [{ name: 'capture: write → event p95', value: NaN, unit: 'ms', budget: `< ${P95_BUDGET_MS} ms`, ok: false, note: `capture not available: ${probe.reason}` }];
  }
  // what sending the foreign datagrams costs this process by itself (no capture yet)
  const sendOnly = await foreignFlood();
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;

  let seq = 0;
  const seen = new Map<string, number>();
  const emit = (e: EventInput): SessionEvent => {
    const now = performance.now();
    if (e.type === 'tcp.segment' && e.len > 0 && e.dst.endsWith(`:${port}`)) seen.set(Buffer.from(e.bytes, 'base64').toString(), now);
    return { ...e, v: 1, seq: seq++, ts: 0 } as SessionEvent;
  };
  const capture = new CaptureSource({ ports: () => [port], session: { startWallMs: Date.now() } });
  capture.start(emit);
  for (let i = 0; i < 300 && !capture.running; i++) await sleep(10);

  const arrived = new Map<string, number>();
  server.on('connection', (s) => s.on('data', (d) => arrived.set(d.toString(), performance.now())));
  const client = net.connect(port, '127.0.0.1');
  client.setNoDelay(true);
  await new Promise<void>((r) => client.once('connect', () => r()));

  const capLat: number[] = [];
  const baseLat: number[] = [];
  const deadline = Date.now() + 20_000;
  // the first WARMUP pings warm the JIT and are not counted
  for (let i = -WARMUP; i < PINGS && Date.now() < deadline; i++) {
    const tag = `p${i}.`;
    const t0 = performance.now();
    client.write(tag);
    for (let k = 0; k < 400 && !(seen.has(tag) && arrived.has(tag)); k++) await new Promise((r) => setImmediate(r));
    for (let k = 0; k < 100 && !(seen.has(tag) && arrived.has(tag)); k++) await sleep(1);
    if (i >= 0 && seen.has(tag)) capLat.push(seen.get(tag)! - t0);
    if (i >= 0 && arrived.has(tag)) baseLat.push(arrived.get(tag)! - t0);
    await sleep(2);
  }

  // foreign traffic, now with capture running: decoded, found not the session's, dropped
  const before = capture.stats.decoded;
  const busyBefore = capture.stats.busyUs;
  const withCapture = await foreignFlood();
  for (let i = 0; i < 200 && capture.stats.decoded - before < FOREIGN; i++) await sleep(10);
  const decoded = capture.stats.decoded - before;
  const perForeignUs = (capture.stats.busyUs - busyBefore) / Math.max(1, decoded);
  // the same from the process's CPU time (noisier: it subtracts the flood's own cost)
  const perForeignCpuUs = Math.max(0, withCapture - sendOnly) / Math.max(1, decoded);

  client.destroy();
  server.close();
  await capture.stop();

  if (process.env['BENCH_DEBUG']) console.error(capLat.map((x, i) => `${i}:${x.toFixed(2)}`).filter((_, i) => capLat[i]! > 2).join(' '));
  const p50 = pct(capLat, 50);
  const p95 = pct(capLat, 95);
  const b50 = pct(baseLat, 50);
  const b95 = pct(baseLat, 95);
  const note = `${capLat.length}/${PINGS} pings captured; ${capture.stats.kernelDrops} kernel drops`;
  return [
    { name: 'capture: write → event p50', value: p50, unit: 'ms', baseline: b50, ratio: p50 / b50, budget: `< ${P95_BUDGET_MS} ms`, ok: p50 < P95_BUDGET_MS, note },
    { name: 'capture: write → event p95', value: p95, unit: 'ms', baseline: b95, ratio: p95 / b95, budget: `< ${P95_BUDGET_MS} ms`, ok: p95 < P95_BUDGET_MS && capLat.length === PINGS, note },
    { name: 'capture: CPU per foreign packet (dropped)', value: perForeignUs, unit: 'µs', budget: `≤ ${FOREIGN_BUDGET_US} µs`, ok: perForeignUs <= FOREIGN_BUDGET_US, note: `${decoded} foreign packets decoded and dropped in process (agent CPU per packet, by cpuUsage: ${perForeignCpuUs.toFixed(1)} µs)` },
  ];
}

// `tsx bench/capture-latency.ts` runs it alone
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
