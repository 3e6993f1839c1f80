/**
 * `pnpm bench [--json] [--only name]`: every performance budget of the project, each measured against
 * a baseline taken in the same run. One line per figure: name, value, unit, baseline, ratio, budget, ok.
 * Each bench/*.ts module (but this one) exports `run(): Promise<BenchResult[]>`.
 *
 * Every module runs in a process of its own (bench/lib/module-child.ts), in its own process group, with a
 * bound: its `boundMs` export, else its line in BOUNDS below, else DEFAULT_BOUND_MS. A module that passes
 * its bound is stopped — SIGTERM to its group, SIGKILL 5 s later, so the agents, sinks and senders it
 * started go with it — and reported as one failed line; the run goes on with the next module. Whatever is
 * left of a module's group when it ends is killed too. `--json` prints one JSON document on stdout (the
 * modules' own output goes to stderr).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './result.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

const MIN = 60_000;
/**
 * Bounds of the modules that do not export `boundMs`: their worst case with every internal limit reached,
 * and room for a busy machine (a full run takes about 25 minutes).
 */
const BOUNDS: Record<string, number> = {
  'capture-latency.ts': 3 * MIN, // 30 s in all
  'concurrent.ts': 5 * MIN, // ~5 s for 1,000 connections
  'fuzz.ts': 20 * MIN, // stops itself at 15 min
  'kernel-source.ts': 6 * MIN, // a 60 s cap per transfer, two sources, bpftrace's start
  'pcap-decode.ts': 10 * MIN, // tshark's baseline is cut at 60 s
  'reliability.ts': 25 * MIN, // the 10,000-cycle leak child is killed at 20 min
  'rss.ts': 20 * MIN, // three agents to 1,000,000 events each
  'seek.ts': 10 * MIN,
  'stalled-viewers.ts': 6 * MIN, // about 3 min if every wait of its kit times out
  'tracer.ts': 10 * MIN,
};
const DEFAULT_BOUND_MS = 10 * MIN;
/** Importing a module (tsx compiling it and what it imports) may take this long before its bound starts. */
const LOAD_MS = MIN;
const KILL_GRACE_MS = 5000;
const CHILD = path.join(here, 'lib/module-child.ts');

type ChildMsg = { t: 'bound'; ms: number | null; runs: boolean } | { t: 'results'; results: BenchResult[] } | { t: 'error'; message: string };

const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'result.ts'].includes(f) && !f.endsWith('.test.ts'))
  .filter((f) => !only || f.startsWith(only))
  .toSorted();

let current: number | null = null;
const killGroup = (pgid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
};
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (current !== null) killGroup(current, 'SIGKILL');
    process.exit(130);
  });
}

const failed = (file: string, note: string): BenchResult => ({ name: file, value: NaN, unit: '', budget: 'runs', ok: false, note });

/** Runs one module in its own process group; resolves with its lines (one failed line if it did not finish). */
function runModule(file: string): Promise<BenchResult[] | null> {
  const child = spawn(process.execPath, [...process.execArgv, CHILD, path.join(here, file), ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true, serialization: 'advanced',
  });
  const pgid = child.pid!;
  current = pgid;
  let tail = '';
  child.stdout!.pipe(process.stderr, { end: false });
  child.stderr!.on('data', (c: Buffer) => {
    process.stderr.write(c);
    tail = (tail + c.toString()).slice(-1500);
  });
  const t0 = Date.now();
  let results: BenchResult[] | null = null;
  let error: string | null = null;
  let runs = true;
  let killedAt: number | null = null;
  let timer: NodeJS.Timeout;
  const stop = (boundMs: number) => {
    killedAt = boundMs;
    killGroup(pgid, 'SIGTERM');
    timer = setTimeout(() => killGroup(pgid, 'SIGKILL'), KILL_GRACE_MS);
  };
  timer = setTimeout(() => stop(LOAD_MS), LOAD_MS);
  child.on('message', (m: ChildMsg) => {
    if (m.t === 'bound') {
      runs = m.runs;
      const bound = m.ms ?? BOUNDS[file] ?? DEFAULT_BOUND_MS;
      clearTimeout(timer);
      if (!json && runs) process.stderr.write(`bench: ${file} (bound ${Math.round(bound / 1000)} s)…\n`);
      timer = setTimeout(() => stop(bound), bound);
    } else if (m.t === 'results') results = m.results;
    else error = m.message;
  });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      killGroup(pgid, 'SIGKILL'); // whatever the module left running
      current = null;
      const secs = ((Date.now() - t0) / 1000).toFixed(0);
      const lastWords = tail.trim() ? `; its last output: ${tail.trim().split('\n').slice(-3).join(' | ').slice(-400)}` : '';
      if (killedAt !== null) resolve([failed(file, `stopped at its bound of ${Math.round(killedAt / 1000)} s${lastWords}`)]);
      else if (results) resolve(results);
      else if (error !== null) resolve([failed(file, `failed: ${error}`)]);
      else if (!runs) resolve(null);
      else resolve([failed(file, `its process ended (${code ?? signal}) after ${secs} s without results${lastWords}`)]);
    });
  });
}

const results: (BenchResult & { module: string })[] = [];
for (const file of modules) {
  const lines = await runModule(file);
  for (const r of lines ?? []) {
    results.push({ ...r, module: file });
    if (!json) console.log(formatLine(r));
  }
}
if (json) console.log(JSON.stringify({ results }, null, 2));
else console.log(`\n${results.filter((r) => r.ok).length} within budget, ${results.filter((r) => !r.ok).length} over budget`);
process.exit(0);

function n(x: number | undefined): string {
  if (x === undefined) return '-';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en') : x.toPrecision(4);
}

function formatLine(r: BenchResult): string {
  return [r.name.padEnd(44), `${n(r.value)} ${r.unit}`.padEnd(22), `baseline ${n(r.baseline)}`.padEnd(22), `ratio ${n(r.ratio)}`.padEnd(14), `budget ${r.budget}`.padEnd(22), r.ok ? 'ok' : 'OVER', r.note ? ` (${r.note})` : ''].join(' ');
}
