/**
 * Running real Python programs under the agent's runner in tests: the interpreters on this machine, an
 * agent whose events are collected, programs written to a private folder, and bounded waits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import type { SessionEvent } from '@socketscope/shared';
import { createAgent, type Agent } from '../src/agent.ts';
import { probePython, type PythonStatus } from '../src/python/interpreter.ts';

export const PY = probePython();
if (!PY.available) console.warn(`SKIPPED traced Python tests: ${PY.reason}`);

const versionKey = (v: string) => v.split('.').map((n) => n.padStart(3, '0')).join('.');

/** Every Python ≥ 3.8 found: Debian's, and each one under pyenv (PYENV_ROOT or ~/.pyenv), oldest first. */
export function interpreters(): PythonStatus[] {
  const found = new Map<string, PythonStatus>();
  const root = process.env['PYENV_ROOT'] ?? path.join(os.homedir(), '.pyenv');
  let versions: string[] = [];
  try {
    versions = readdirSync(path.join(root, 'versions'));
  } catch {
    // no pyenv here
  }
  for (const cmd of ['/usr/bin/python3', ...versions.map((v) => path.join(root, 'versions', v, 'bin', 'python3'))]) {
    const s = probePython(cmd);
    if (s.available && s.path) found.set(s.version!, s);
  }
  return [...found.values()].toSorted((a, b) => versionKey(a.version!).localeCompare(versionKey(b.version!)));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Lab {
  agent: Agent;
  events: SessionEvent[];
  /** starts code as `name` and resolves with its run id */
  run(code: string, opts?: { name?: string; args?: string[]; step?: boolean }): Promise<string>;
  /** the first event (from index `from`) that matches, within ms */
  waitFor<T extends SessionEvent>(pred: (e: SessionEvent) => e is T, ms?: number, from?: number): Promise<T>;
  waitFor(pred: (e: SessionEvent) => boolean, ms?: number, from?: number): Promise<SessionEvent>;
  exited(run: string, ms?: number): Promise<Extract<SessionEvent, { type: 'proc.exit' }>>;
  calls(run: string): Extract<SessionEvent, { type: 'api.call' }>[];
  output(run: string, stream?: 'stdout' | 'stderr'): string;
  stop(): Promise<void>;
}

export function lab(opts: { capture?: 'auto' | 'off'; python?: PythonStatus } = {}): Lab {
  const agent = createAgent({ capture: opts.capture ?? 'off', log: () => {} });
  if (opts.python) {
    const py = opts.python;
    (agent.programs as unknown as { opts: { python: () => PythonStatus } }).opts.python = () => py;
  }
  const events: SessionEvent[] = [];
  const waiters = new Set<() => void>();
  agent.session.subscribe((e) => {
    events.push(e);
    for (const w of waiters) w();
  });
  agent.start();
  const waitFor = (pred: (e: SessionEvent) => boolean, ms = 10_000, from = 0): Promise<SessionEvent> => new Promise((resolve, reject) => {
    const check = () => {
      for (let i = from; i < events.length; i++) {
        if (pred(events[i]!)) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(events[i]!);
          return;
        }
      }
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`no matching event within ${ms} ms; last events:\n${events.slice(-12).map((e) => JSON.stringify(e).slice(0, 300)).join('\n')}`));
    }, ms);
    waiters.add(check);
    check();
  });
  return {
    agent, events,
    async run(code, o = {}) {
      const r = await agent.exec({ op: 'py.run', code, name: o.name ?? 'program.py', args: o.args ?? [], step: o.step ?? false }) as { run: string };
      return r.run;
    },
    waitFor: waitFor as Lab['waitFor'],
    exited: (run, ms = 15_000) => waitFor((e) => e.type === 'proc.exit' && e.run === run, ms) as Promise<Extract<SessionEvent, { type: 'proc.exit' }>>,
    calls: (run) => events.filter((e): e is Extract<SessionEvent, { type: 'api.call' }> => e.type === 'api.call' && e.proc?.run === run),
    output: (run, stream = 'stdout') => events.filter((e) => e.type === 'proc.output' && e.run === run && e.stream === stream).map((e) => (e as { text: string }).text).join(''),
    stop: () => agent.stop(),
  };
}

/** The line number (1-based) of the first line of `code` that contains `needle`. */
export function lineOf(code: string, needle: string): number {
  const i = code.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`"${needle}" is not in the program`);
  return i + 1;
}

/** Process ids in process group `pgid` (from /proc), zombies excluded. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] !== 'Z' && Number(rest[2]) === pgid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
