/**
 * The pcap decoder's budget: ≥ 1,000,000 packets/s, measured on a generated 1,000,000-packet capture
 * (Ethernet, TCP conversations with timestamps and snaplen-cut segments, some UDP and IPv6) fed in
 * 64 KiB chunks as a pipe from dumpcap would deliver it. Baseline, in the same run and on the same
 * file: tshark printing the same fields. Also measured: the whole import path (decode, conversation
 * tracking, wire events) and a longer fuzz run than CI does.
 *
 *   pnpm exec tsx bench/pcap-decode.ts            (alone)
 *   PCAP_BENCH_PACKETS=200000 … / PCAP_BENCH_TSHARK_S=120 …
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { CaptureReader, readCapture, type CaptureRecord } from '../packages/shared/src/pcap/index.ts';
import { TcpTracker, toWireEvents } from '../packages/shared/src/wire/index.ts';
import { generateCapture } from './fixtures/pcap-gen.ts';
import type { BenchResult } from './result.ts';

const PACKETS = Number(process.env['PCAP_BENCH_PACKETS'] ?? 1_000_000);
const TSHARK_LIMIT_S = Number(process.env['PCAP_BENCH_TSHARK_S'] ?? 60);
const FUZZ_RUNS = Number(process.env['PCAP_BENCH_FUZZ_RUNS'] ?? 5000);
const CHUNK = 64 * 1024;
const DECODE_BUDGET = 1_000_000;
const IMPORT_BUDGET = 250_000;

/** Decodes the file chunk by chunk; returns packets decoded per second. */
function decodeRate(file: Uint8Array): { rate: number; packets: number } {
  const t0 = performance.now();
  const reader = new CaptureReader();
  let packets = 0;
  const out: CaptureRecord[] = [];
  for (let i = 0; i < file.length; i += CHUNK) {
    out.length = 0;
    reader.push(file.subarray(i, i + CHUNK), out);
    for (const r of out) if (r.kind === 'packet') packets++;
  }
  reader.end();
  return { rate: packets / ((performance.now() - t0) / 1000), packets };
}

/** Decode + TcpTracker + toWireEvents: what the agent's capture and pcap import do per packet. */
function importRate(file: Uint8Array): number {
  const t0 = performance.now();
  const reader = new CaptureReader();
  const tracker = new TcpTracker();
  let events = 0;
  let sink = 0;
  const out: CaptureRecord[] = [];
  for (let i = 0; i < file.length; i += CHUNK) {
    out.length = 0;
    reader.push(file.subarray(i, i + CHUNK), out);
    for (const r of out) {
      if (r.kind !== 'packet') continue;
      sink += toWireEvents(r, tracker, { tsOrigin: 0 }).len;
      events++;
    }
  }
  if (sink < 0) console.log(sink);
  return events / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]): number => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** tshark on the same file and fields; stopped after TSHARK_LIMIT_S, then the rate is over what it printed. */
function tsharkRate(file: string): Promise<{ rate: number; packets: number; note?: string } | null> {
  if (spawnSync('which', ['tshark']).status !== 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const fields = ['frame.len', 'tcp.flags', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len', 'tcp.window_size_value', 'udp.length'];
    const t0 = performance.now();
    const child = spawn('tshark', ['-r', file, '-n', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { stdio: ['ignore', 'pipe', 'ignore'] });
    let lines = 0;
    let stopped = false;
    child.stdout.on('data', (d: Buffer) => { for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++; });
    const timer = setTimeout(() => { stopped = true; child.kill('SIGKILL'); }, TSHARK_LIMIT_S * 1000);
    child.once('close', () => {
      clearTimeout(timer);
      const s = (performance.now() - t0) / 1000;
      resolve({ rate: lines / s, packets: lines, note: stopped ? `tshark stopped after ${TSHARK_LIMIT_S} s at ${lines} packets` : undefined });
    });
    child.once('error', () => { clearTimeout(timer); resolve(null); });
  });
}

function check(input: Uint8Array, records: CaptureRecord[]): void {
  if (records.length > input.length / 12 + 2) throw new Error(`${records.length} records from ${input.length} bytes`);
  for (const r of records) if (r.kind === 'error' && r.message.includes('internal')) throw new Error(r.message);
}

/** Longer fuzzing than CI: no throw, no internal error, bounded output, chunking does not matter. */
function fuzz(seed: Uint8Array): { runs: number; failures: string[] } {
  const failures: string[] = [];
  const report = (r: { failed: boolean; counterexample: unknown }): void => {
    if (r.failed) failures.push(JSON.stringify(r.counterexample, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v)).slice(0, 200));
  };
  report(fc.check(fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => { check(b, readCapture(b).records); }), { numRuns: FUZZ_RUNS }));
  report(fc.check(fc.property(fc.uint8Array({ maxLength: 4096 }), (tail) => {
    const b = new Uint8Array(24 + tail.length);
    b.set(seed.subarray(0, 24));
    b.set(tail, 24);
    check(b, readCapture(b).records);
  }), { numRuns: FUZZ_RUNS }));
  const mutation = fc.record({ at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) });
  report(fc.check(fc.property(fc.array(mutation, { maxLength: 16 }), fc.nat({ max: 4000 }), (muts, cut) => {
    const b = seed.slice(0, 24 + cut);
    for (const m of muts) b[m.at % b.length] = m.v;
    const whole = readCapture(b).records;
    check(b, whole);
    const r = new CaptureReader();
    const parts: CaptureRecord[] = [];
    for (let i = 0; i < b.length; i += 97) r.push(b.subarray(i, i + 97), parts);
    r.end(parts);
    if (parts.length !== whole.length) throw new Error('chunked reading differs');
  }), { numRuns: FUZZ_RUNS }));
  return { runs: FUZZ_RUNS * 3, failures };
}

export async function run(): Promise<BenchResult[]> {
  const file = generateCapture({ packets: PACKETS });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'socketscope-bench-'));
  const filePath = path.join(dir, 'bench.pcap');
  writeFileSync(filePath, file);
  try {
    decodeRate(file.subarray(0, Math.min(file.length, 8 << 20))); // warm up the JIT
    const decodes: number[] = [];
    let packets = 0;
    for (let i = 0; i < 5; i++) {
      const r = decodeRate(file);
      decodes.push(r.rate);
      packets = r.packets;
    }
    const imports = [importRate(file), importRate(file), importRate(file)];
    const shark = await tsharkRate(filePath);
    const decode = median(decodes);
    const imp = median(imports);
    const fz = fuzz(file);
    const results: BenchResult[] = [
      {
        name: 'pcap decode (ours, 64 KiB chunks)', value: decode, unit: 'packets/s',
        baseline: shark?.rate, ratio: shark ? decode / shark.rate : undefined,
        budget: `≥ ${DECODE_BUDGET.toLocaleString('en')} packets/s`, ok: decode >= DECODE_BUDGET && packets === PACKETS,
        note: [`${packets} packets, ${(file.length / 1e6).toFixed(0)} MB, runs ${decodes.map((x) => Math.round(x / 1000)).join('/')} k/s`, shark?.note, shark ? undefined : 'tshark not installed: no baseline'].filter(Boolean).join('; '),
      },
      {
        name: 'pcap import (decode + track + events)', value: imp, unit: 'events/s',
        baseline: shark?.rate, ratio: shark ? imp / shark.rate : undefined,
        budget: `≥ ${IMPORT_BUDGET.toLocaleString('en')} events/s`, ok: imp >= IMPORT_BUDGET,
      },
      {
        name: 'pcap fuzz (no throw, bounded, chunking-invariant)', value: fz.runs, unit: 'cases',
        budget: '0 failures', ok: fz.failures.length === 0, note: fz.failures.length ? fz.failures.join(' | ') : undefined,
      },
    ];
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
