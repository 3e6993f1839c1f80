/**
 * The Python programs the agent runs (py.* commands). Rules (tests: test/python-runner.test.ts):
 * PR1 Only the teacher's connection reaches this: a viewer's every command is refused before it is parsed
 *     (server/connection.ts P7); SECURITY.md says what running a program means.
 * PR2 A program is pasted code (written to a new private folder as its file name), one of the tutorial's
 *     examples (packages/shared programs/examples.ts: the text the page shows is the text that runs), or a
 *     file on the agent's machine (the CLI's `trace`).
 * PR3 At most MAX_RUNS run at once; another py.run gets E_LIMIT. Run ids ("p1", "p2" …) are never reused
 *     by one agent.
 * PR4 Every run ends with the session (reset: reason reset) and with the agent (stop: agent-exit); on the
 *     agent's exit, crash included, every group is killed synchronously (process 'exit').
 * PR5 Without a usable python3 (interpreter.ts), py.run fails with E_UNAVAILABLE and says why.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findExample, EXAMPLES, type CommandOf, type EventInput } from '@socketscope/shared';
import { CommandError } from '../engine/types.ts';
import type { TrackedSocket } from '../sources/source.ts';
import { python, type PythonStatus } from './interpreter.ts';
import { PythonRun, type EndReason, type RunSpec } from './run.ts';

export const MAX_RUNS = 8;
/** ended runs whose sockets the probe still follows (TIME_WAIT outlives a program) */
const KEEP_ENDED = 16;

export interface ProgramsOptions {
  emit(e: EventInput): void;
  tsAt(ns: number): number;
  changed(): void;
  log(line: string): void;
  /** tests: another interpreter, shorter limits */
  python?: () => PythonStatus;
  limits?: Pick<RunSpec, 'maxRunMs' | 'maxOutput'>;
}

/**
 * The lab (lab/lab.ts): where a program runs. `place` names how its argv is started on a host
 * (lab.wrap(host, …)) and, optionally, how its text changes there (the lessons' listings name 127.0.0.1;
 * on the lab the server is at another address): the changed text is run from a private copy, the file
 * given is never written.
 */
export interface ProgramPlace {
  wrap: (argv: string[]) => string[];
  text?: (code: string) => string;
}
export type ProgramHosts = (cmd: CommandOf<'py.run'>, file: string) => ProgramPlace | null;

const live = new Set<PythonRun>();
let exitHooked = false;

/** PR4: a crash still kills every program (SIGKILL of the agent is the tracer's parent-death signal). */
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const r of live) r.killNow();
  });
}

export class Programs {
  private readonly runs = new Map<string, PythonRun>();
  private ended: PythonRun[] = [];
  private next = 1;
  private hosts: ProgramHosts | null = null;

  constructor(private readonly opts: ProgramsOptions) {
    hookExit();
  }

  status(): PythonStatus {
    return (this.opts.python ?? python)();
  }

  /** The lab: every later py.run goes where `hosts` says (null: back to this machine). */
  useHosts(hosts: ProgramHosts | null): void {
    this.hosts = hosts;
  }

  get(run: string): PythonRun {
    const r = this.runs.get(run);
    if (!r || r.exited) throw new CommandError('E_NO_SOCKET', `no running program "${run}"`);
    return r;
  }

  running(): PythonRun[] {
    return [...this.runs.values()].filter((r) => !r.exited);
  }

  tracked(): TrackedSocket[] {
    const out: TrackedSocket[] = [];
    for (const r of [...this.ended, ...this.runs.values()]) out.push(...r.tracked());
    return out;
  }

  async start(cmd: CommandOf<'py.run'>): Promise<{ run: string; pid: number; file: string }> {
    const py = this.status();
    if (!py.available || !py.path) throw new CommandError('E_UNAVAILABLE', py.reason ?? 'python3 is not available');
    if (this.running().length >= MAX_RUNS) throw new CommandError('E_LIMIT', `at most ${MAX_RUNS} programs run at once; stop one first`);
    const run = `p${this.next++}`;
    let where = await this.place(run, cmd);
    const host = this.hosts?.(cmd, where.file) ?? null;
    if (host?.text) where = this.copyFor(run, where, host.text);
    const spec: RunSpec = {
      run, python: py.path, pythonVersion: py.version ?? '', args: cmd.args, step: cmd.step, ...where, ...this.opts.limits,
      ...(host ? { wrap: host.wrap } : {}),
    };
    const r = new PythonRun(spec, { emit: this.opts.emit, tsAt: this.opts.tsAt, changed: this.opts.changed, log: this.opts.log });
    if (!r.pid) {
      const end = await r.done;
      throw new CommandError('E_UNAVAILABLE', `${py.path} did not start (${end.reason})`);
    }
    this.runs.set(run, r);
    live.add(r);
    void r.done.then(() => {
      live.delete(r);
      this.runs.delete(run);
      this.ended = [...this.ended.slice(-(KEEP_ENDED - 1)), r];
    });
    return { run, pid: r.pid, file: spec.shownAs };
  }

  /** PR2 */
  private async place(run: string, cmd: CommandOf<'py.run'>): Promise<Pick<RunSpec, 'file' | 'shownAs' | 'cwd' | 'tempDir'>> {
    if (cmd.path !== undefined) {
      const file = path.resolve(cmd.path);
      const st = await stat(file).catch(() => null);
      if (!st?.isFile()) throw new CommandError('E_INVALID', `no file ${cmd.path}`);
      return { file, shownAs: path.basename(file), cwd: path.dirname(file) };
    }
    let name = cmd.name ?? 'program.py';
    let code = cmd.code;
    if (cmd.example !== undefined) {
      const ex = findExample(cmd.example);
      if (!ex) throw new CommandError('E_INVALID', `no example "${cmd.example}"; there are: ${EXAMPLES.map((e) => e.id).join(', ')}`);
      name = ex.file;
      code = ex.source;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), `socketscope-${run}-`));
    const file = path.join(dir, name);
    writeFileSync(file, code ?? '', { mode: 0o600 });
    return { file, shownAs: name, cwd: dir, tempDir: dir };
  }

  /** the lab's changed text, in a new private folder under the same name (its lines stay where they were) */
  private copyFor(run: string, where: Pick<RunSpec, 'file' | 'shownAs' | 'cwd' | 'tempDir'>, text: (code: string) => string): Pick<RunSpec, 'file' | 'shownAs' | 'cwd' | 'tempDir'> {
    const code = text(readFileSync(where.file, 'utf8'));
    const dir = where.tempDir ?? mkdtempSync(path.join(os.tmpdir(), `socketscope-${run}-`));
    const file = path.join(dir, path.basename(where.file));
    writeFileSync(file, code, { mode: 0o600 });
    return { file, shownAs: where.shownAs, cwd: dir, tempDir: dir };
  }

  async stopAll(reason: EndReason): Promise<void> {
    await Promise.all(this.running().map((r) => r.stop(reason)));
  }

  /** A new session: ended runs' sockets belong to the old one. */
  forgetEnded(): void {
    this.ended = [];
  }
}
