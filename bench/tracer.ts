/**
 * The tracer's cost per socket call (issue budget: ≤ 20 µs). One Python program makes CALLS socket calls
 * (send of 1 byte, recv of 1 byte, over a loopback TCP connection to itself) and prints how long its loop
 * took. Baseline, in the same run: the same program with the same interpreter, not traced. Two traced runs:
 * - the tracer alone: its messages go to a pipe that is only drained (what the tracer itself costs the
 *   program: the budget's line);
 * - through the agent, as in class: the runner reads, validates, translates and folds every message into a
 *   real session. When the agent takes longer per message than the program per call, the pipe fills and
 *   the program waits for it: that line shows the agent's per-event cost (the data path's own issue), and
 *   is information here, not the tracer's budget.
 * Each runs ROUNDS times; medians are compared.
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
import { TRACER_DIR } from '../apps/agent/src/python/run.ts';
import type { BenchResult } from './result.ts';

const CALLS = Number(process.env['TRACER_BENCH_CALLS'] ?? 20_000);
const ROUNDS = 5;
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
c0 = time.process_time_ns()
for i in range(n):
    a.send(b"x")
    b.recv(1)
print(time.process_time_ns() - c0, time.perf_counter_ns() - t0)
`;

/** What the program measured of its loop: CPU time (its own user + system) and wall time, in ns. */
interface Loop { cpu: number; wall: number }

function parseLoop(out: string): Loop {
  const [cpu = NaN, wall = NaN] = out.trim().split(/\s+/).map(Number);
  return { cpu, wall };
}

/** The program alone, or (traced) with the tracer writing to a pipe that is drained and nothing more. */
function plain(python: string, file: string, withTracer = false): Promise<Loop> {
  return new Promise((resolve, reject) => {
    const env = withTracer
      ? { ...process.env, PYTHONPATH: TRACER_DIR, SOCKETSCOPE_TRACE_FD: '3', SOCKETSCOPE_CONTROL_FD: '4', SOCKETSCOPE_PPID: String(process.pid) }
      : process.env;
    const child = spawn(python, [file, String(CALLS)], { stdio: ['ignore', 'pipe', 'inherit', 'pipe', 'pipe'], env });
    (child.stdio[3] as NodeJS.ReadableStream).resume();
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the plain run took over ${RUN_LIMIT_MS} ms`)); }, RUN_LIMIT_MS);
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(parseLoop(out));
      else reject(new Error(`the plain run exited ${code}`));
    });
  });
}

async function traced(file: string): Promise<{ loop: Loop; events: number }> {
  const agent = createAgent({ capture: 'off', log: () => {} });
  let out = '';
  let events = 0;
  const exit = deferred<number | null>();
  const done = exit.promise;
  const ended = exit.resolve;
  agent.session.subscribe((e) => {
    events++;
    if (e.type === 'proc.output' && e.stream === 'stdout') out += e.text;
    if (e.type === 'proc.exit') ended(e.code);
  });
  agent.start();
  try {
    const started = await agent.exec({ op: 'py.run', path: file, args: [String(CALLS)], step: false }) as { run: string };
    const timer = setTimeout(() => { void agent.exec({ op: 'py.stop', run: started.run }).catch(() => {}); }, RUN_LIMIT_MS);
    const code = await done;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`the traced run exited ${code}`);
    return { loop: parseLoop(out), events };
  } finally {
    await agent.stop();
  }
}

/** A promise and its resolve (Node 20 has no Promise.withResolvers). */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
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
    const base: Loop[] = [];
    const alone: Loop[] = [];
    const withAgent: Loop[] = [];
    let events = 0;
    for (let i = 0; i < ROUNDS; i++) {
      base.push(await plain(py.path, file));
      alone.push(await plain(py.path, file, true));
      const t = await traced(file);
      withAgent.push(t.loop);
      events = t.events;
    }
    const us = (ns: number) => ns / CALLS / 1000;
    const m = (xs: Loop[], k: keyof Loop) => median(xs.map((x) => x[k]));
    const cost = us(m(alone, 'cpu') - m(base, 'cpu'));
    return [
      {
        name: `tracer: CPU cost per socket call (${CALLS.toLocaleString('en')} calls)`, value: cost, unit: 'µs',
        baseline: us(m(base, 'cpu')), ratio: m(alone, 'cpu') / m(base, 'cpu'), budget: `≤ ${BUDGET_US} µs`, ok: cost <= BUDGET_US,
        note: `Python ${py.version}; the program's own CPU time (user + system) per call, traced minus untraced; messages drained by a plain reader`,
      },
      {
        name: 'tracer: wall time per call, tracer alone', value: us(m(alone, 'wall') - m(base, 'wall')), unit: 'µs',
        baseline: us(m(base, 'wall')), ratio: m(alone, 'wall') / m(base, 'wall'), budget: 'info', ok: true,
        note: 'includes waiting for the CPU on a loaded machine',
      },
      {
        name: 'tracer: wall time per call through the agent', value: us(m(withAgent, 'wall') - m(base, 'wall')), unit: 'µs',
        baseline: us(m(base, 'wall')), ratio: m(withAgent, 'wall') / m(base, 'wall'), budget: 'info', ok: true,
        note: `${events.toLocaleString('en')} events in the session; more than the tracer alone when the agent is slower per event than the program per call`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
