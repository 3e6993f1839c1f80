/**
 * `socketscope trace [--json] [--capture auto|off] [--timeout S] [--idle MS] <file.py> [args…] [--then <file.py> [args…]]…`
 * Rules (tests: test/cli-trace.test.ts):
 * TC1 Options come before the first file; after a file, everything up to the next `--then` is its
 *     arguments (so a program's own `--port 9000` is never read as ours).
 * TC2 The programs start in order, each next one once the one before is blocked in a call (waiting in
 *     accept(), recv() …, or paused) for BLOCKED_MS, or has ended.
 * TC3 With --json every event is one line of stdout (NDJSON) and nothing else is; without it, readable lines.
 * TC4 It ends when every program has ended. Programs still running once all of them have been blocked
 *     with nothing happening for --idle ms (default 1000: a server waiting in accept() after its clients
 *     left) are stopped and named on stderr. --timeout seconds (default 60) bounds the whole run.
 * TC5 Exit status: 0 when no program failed (a non-zero exit of its own, or still running at --timeout);
 *     1 when one did; 2 when a program cannot start (no such file, no usable python3) or for a usage error.
 */
import { stat } from 'node:fs/promises';
import type { SessionEvent } from '@socketscope/shared';
import { CAPTURE_READY_MS, createAgent, type Agent } from '../agent.ts';
import { formatEvent } from '../session/format.ts';
import type { PythonRun } from './run.ts';

export const BLOCKED_MS = 50;

export interface TraceIo {
  write(line: string): void;
  drain(): Promise<void>;
  err(line: string): void;
  onSignals(stop: () => Promise<void>, code?: number): void;
  /** `trace --lab` (cli.ts C6): puts the agent on the lab before the first program starts; the agent's stop() removes it */
  lab?: { attach(agent: Agent, files: string[]): Promise<void> };
}

export class TraceUsageError extends Error {
  override name = 'UsageError';
}

interface Program { file: string; args: string[] }
interface TraceOptions { json: boolean; capture?: 'auto' | 'off'; timeoutMs: number; idleMs: number; programs: Program[] }

/** TC1 */
export function parseTraceArgs(argv: string[]): TraceOptions {
  const o: TraceOptions = { json: false, timeoutMs: 60_000, idleMs: 1000, programs: [] };
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new TraceUsageError(`${flag} needs a value`);
    return v;
  };
  for (; i < argv.length && argv[i]!.startsWith('--'); i++) {
    const a = argv[i]!;
    if (a === '--json') o.json = true;
    else if (a === '--capture') {
      const v = value(a);
      if (v !== 'auto' && v !== 'off') throw new TraceUsageError(`--capture must be auto or off, not "${v}"`);
      o.capture = v;
    } else if (a === '--timeout' || a === '--idle') {
      const n = Number(value(a));
      if (!Number.isFinite(n) || n <= 0 || n > 86_400_000) throw new TraceUsageError(`${a} must be a positive number`);
      if (a === '--timeout') o.timeoutMs = n * 1000;
      else o.idleMs = n;
    } else throw new TraceUsageError(`unknown option ${a} (options come before the first program)`);
  }
  while (i < argv.length) {
    const file = argv[i++]!;
    if (file === '--then') throw new TraceUsageError('--then needs a program after it');
    const args: string[] = [];
    while (i < argv.length && argv[i] !== '--then') args.push(argv[i++]!);
    if (argv[i] === '--then') {
      i++;
      if (i >= argv.length) throw new TraceUsageError('--then needs a program after it');
    }
    o.programs.push({ file, args });
  }
  if (o.programs.length === 0) throw new TraceUsageError('trace needs a Python file: socketscope trace [--json] <file.py> [args…] [--then <file.py> [args…]]…');
  if (o.programs.length > 8) throw new TraceUsageError('trace runs at most 8 programs');
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function trace(argv: string[], io: TraceIo): Promise<number> {
  const o = parseTraceArgs(argv);
  for (const p of o.programs) {
    const st = await stat(p.file).catch(() => null);
    if (!st?.isFile()) {
      io.err(`cannot start ${p.file}: no such file`);
      return 2;
    }
  }
  // the lab's hosts are sampled from their /proc tables (lab/attach.ts A2): no tracepoints there
  const agent = createAgent({ ...(o.capture ? { capture: o.capture } : {}), ...(io.lab ? { tracepoints: false } : {}) });
  const py = agent.programs!.status();
  if (!py.available) {
    io.err(`cannot run Python programs: ${py.reason ?? 'python3 is not available'}${py.fix?.linux ? `; install it with: ${py.fix.linux}` : ''}`);
    return 2;
  }
  let lastActivity = Date.now();
  agent.session.subscribe((e: SessionEvent) => {
    if (e.layer !== 'kernel') lastActivity = Date.now();
    io.write(o.json ? `${JSON.stringify(e)}\n` : `${formatEvent(e)}\n`);
  });
  const deadline = Date.now() + o.timeoutMs;
  const runs: PythonRun[] = [];
  const stopAll = async () => { await agent.stop(); await io.drain(); };
  io.onSignals(stopAll, 130);
  agent.start();
  await io.lab?.attach(agent, o.programs.map((p) => p.file));
  // the first packets are a handshake: let capture come up so they are captured, not inferred
  await agent.captureReady(CAPTURE_READY_MS);

  let failed = false;
  for (const p of o.programs) {
    let started: { run: string };
    try {
      started = await agent.programs!.start({ op: 'py.run', path: p.file, args: p.args, step: false });
    } catch (e) {
      io.err(`cannot start ${p.file}: ${(e as Error).message}`);
      await stopAll();
      return 2;
    }
    const r = agent.programs!.get(started.run);
    runs.push(r);
    // TC2
    while (!r.exited && !r.blocked(BLOCKED_MS) && Date.now() < deadline) await sleep(5);
  }

  // TC4
  const results = new Map<PythonRun, { code: number | null; reason: string }>();
  for (const r of runs) void r.done.then((d) => results.set(r, d));
  let timedOut = false;
  for (;;) {
    const alive = runs.filter((r) => !r.exited);
    if (alive.length === 0) break;
    if (Date.now() >= deadline) {
      timedOut = true;
      for (const r of alive) io.err(`${r.run} (pid ${r.pid}) still running after ${o.timeoutMs / 1000} s: stopped`);
      await Promise.all(alive.map((r) => r.stop('timeout')));
      break;
    }
    if (alive.every((r) => r.blocked(BLOCKED_MS)) && Date.now() - lastActivity >= o.idleMs) {
      for (const r of alive) io.err(`${r.run} (pid ${r.pid}) is waiting in a call with nothing else happening for ${o.idleMs} ms: stopped`);
      await Promise.all(alive.map((r) => r.stop('stopped')));
      break;
    }
    await sleep(10);
  }
  await Promise.all(runs.map((r) => r.done));
  for (const r of runs) {
    const d = results.get(r);
    if (timedOut || (d && d.reason === 'exited' && d.code !== 0)) failed = true;
  }
  // the kernel's last word on the programs' sockets (FIN_WAIT2 → TIME_WAIT …) before the sources stop
  agent.kernel?.poke();
  await sleep(100);
  await stopAll();
  return failed ? 1 : 0;
}
