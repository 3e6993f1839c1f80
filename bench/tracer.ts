/**
 * The tracer's cost per socket call (issue budget: ≤ 20 µs). One Python program makes CALLS socket calls
 * (send of 1 byte, recv of 1 byte, over a loopback TCP connection to itself) and prints how long its loop
 * took. Baseline, in the same run: the same program with the same interpreter, not traced. Traced: run
 * by the agent's runner into a real session (the agent reads, validates, translates and folds every call),
 * as in class. Each side runs ROUNDS times; the medians are compared.
 *
 *   pnpm bench --only tracer          TRACER_BENCH_CALLS=40000 …
 * Bounded: each program is stopped after RUN_LIMIT_MS and the figure then reports failure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAgent } from '../apps/agent/src/agent.ts';
import { probePython } from '../apps/agent/src/python/interpreter.ts';
import type { BenchResult } from './result.ts';

const CALLS = Number(process.env['TRACER_BENCH_CALLS'] ?? 20_000);
const ROUNDS = 3;
const RUN_LIMIT_MS = 120_000;
const BUDGET_US = 20;

const program = `import socket, sys, time
n = int(sys.argv[1]) // 2
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
a = socket.create_connection(ls.getsockname())
b, _ = ls.accept()
t0 = time.perf_counter_ns()
for i in range(n):
    a.send(b"x")
    b.recv(1)
print(time.perf_counter_ns() - t0)
`;

function plain(python: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [file, String(CALLS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the plain run took over ${RUN_LIMIT_MS} ms`)); }, RUN_LIMIT_MS);
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Number(out.trim()));
      else reject(new Error(`the plain run exited ${code}`));
    });
  });
}

async function traced(file: string): Promise<{ ns: number; events: number }> {
  const agent = createAgent({ capture: 'off', log: () => {} });
  let out = '';
  let events = 0;
  let ended: (code: number | null) => void = () => {};
  const done = new Promise<number | null>((r) => { ended = r; });
  agent.session.subscribe((e) => {
    events++;
    if (e.type === 'proc.output' && e.stream === 'stdout') out += e.text;
    if (e.type === 'proc.exit') ended(e.code);
  });
  agent.start();
  try {
    const { run } = await agent.exec({ op: 'py.run', path: file, args: [String(CALLS)], step: false }) as { run: string };
    const timer = setTimeout(() => { void agent.exec({ op: 'py.stop', run }).catch(() => {}); }, RUN_LIMIT_MS);
    const code = await done;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`the traced run exited ${code}`);
    return { ns: Number(out.trim()), events };
  } finally {
    await agent.stop();
  }
}

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<BenchResult[]> {
  const py = probePython();
  if (!py.available || !py.path) {
    return [{ name: 'tracer: cost per socket call', value: NaN, unit: 'µs', budget: `≤ ${BUDGET_US} µs`, ok: false, note: `SKIPPED: ${py.reason}` }];
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'socketscope-bench-tracer-'));
  try {
    const file = path.join(dir, 'calls.py');
    writeFileSync(file, program);
    const base: number[] = [];
    const withTracer: number[] = [];
    let events = 0;
    for (let i = 0; i < ROUNDS; i++) {
      base.push(await plain(py.path, file));
      const t = await traced(file);
      withTracer.push(t.ns);
      events = t.events;
    }
    const b = median(base);
    const t = median(withTracer);
    const perCallUs = (t - b) / CALLS / 1000;
    return [
      {
        name: `tracer: cost per socket call (${CALLS.toLocaleString('en')} calls)`, value: perCallUs, unit: 'µs',
        baseline: b / CALLS / 1000, ratio: t / b, budget: `≤ ${BUDGET_US} µs`, ok: perCallUs <= BUDGET_US,
        note: `Python ${py.version}; baseline = the untraced call; ${events.toLocaleString('en')} events in the traced session`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
