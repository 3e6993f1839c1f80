/**
 * One run of one Python program under the tracer. Rules (tests: test/python-runner.test.ts):
 * R1 The program is the real interpreter's direct child (interpreter.ts I1), in its own process group, with
 *    the tracer loaded through PYTHONPATH (tracer/sitecustomize.py): the student's file is run unchanged.
 * R2 The tracer's messages come on their own descriptor (3) and its control lines (go / step / run) go on
 *    another (4); nothing is mixed into the program's stdout or stderr, which stream as proc.output events
 *    with their bytes kept (≤ 3 KiB of bytes an event) and decoded as utf-8, or gbk where a stream is not
 *    valid utf-8.
 * R3 Stop (py.stop, session reset, agent shutdown) sends SIGTERM to the whole group, then SIGKILL after
 *    STOP_GRACE_MS; when the program exits by itself, what it left in its group is killed too. If the agent
 *    itself dies, even by SIGKILL, a watchdog ends the group: a small sh, started beside the program, whose
 *    stdin is a pipe from the agent; at EOF (the agent is gone, however it went) it sends SIGKILL to the
 *    program's group. (The tracer's parent-death signal ends the program too, but Linux does not pass that
 *    signal on to what the program starts: subprocess's children would be left.)
 * R4 Bounded: MAX_OUTPUT bytes of output (then it is stopped, reason output-limit) and MAX_RUN_MS of run
 *    time, not counting time paused before a call in step mode (a paused program waits as long as the
 *    teacher wants).
 * R5 proc.exit comes last, after every message and output byte of the program, with the exit status, the
 *    reason, and the uncaught exception the tracer saw (the student's frames only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import type { EventInput, ProcRef } from '@socketscope/shared';
import type { TrackedSocket } from '../sources/source.ts';
import { LineReader, type TracerMessage } from './tracer-messages.ts';
import { beginEvent, callEvent, type TranslateContext } from './translate.ts';

export const TRACER_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tracer');
export const STOP_GRACE_MS = 1000;
export const MAX_OUTPUT = 4 << 20;
export const MAX_RUN_MS = 10 * 60_000;
const CHUNK = 3072;
/** R3's watchdog: "$1" is the program's process group; the agent holds the other end of stdin */
// dash's kill takes no `--`: a negative number after the signal is a process group
const WATCHDOG = 'while read -r _; do :; done; kill -KILL "-$1" 2>/dev/null';

export type EndReason = 'exited' | 'stopped' | 'timeout' | 'output-limit' | 'agent-exit' | 'reset' | 'failed-to-start';

export interface RunSpec {
  run: string;
  /** the interpreter (interpreter.ts) */
  python: string;
  pythonVersion: string;
  /** the file to run, and what the page calls it */
  file: string;
  shownAs: string;
  args: string[];
  cwd: string;
  step: boolean;
  /** a folder made for this run (pasted code), removed when it ends */
  tempDir?: string;
  maxRunMs?: number;
  maxOutput?: number;
  /**
   * The lab (lab/lab.ts): the argv that starts the program on one of its hosts (`lab.wrap(host, argv)`,
   * which execs in place: the pid, process group, watchdog and exit status are the program's own).
   */
  wrap?: (argv: string[]) => string[];
}

export interface RunHooks {
  emit(e: EventInput): void;
  tsAt(ns: number): number;
  /** a traced socket was created, got an address or closed */
  changed(): void;
  log(line: string): void;
}

interface Pending { paused: boolean; since: number; line: number; call: string }

type Exc = Extract<TracerMessage, { k: 'exc' }>;

class StreamText {
  private enc: 'utf-8' | 'gbk' | null = null;
  private decoder: ReturnType<typeof iconv.getDecoder> | null = null;

  decode(chunk: Buffer): { text: string; encoding: 'utf-8' | 'gbk' } {
    if (!this.enc && chunk.some((b) => b >= 0x80)) {
      this.enc = validUtf8Prefix(chunk) ? 'utf-8' : 'gbk';
      this.decoder = iconv.getDecoder(this.enc);
    }
    if (!this.decoder) return { text: chunk.toString('latin1'), encoding: 'utf-8' }; // ASCII so far
    return { text: this.decoder.write(chunk), encoding: this.enc! };
  }
}

/** Valid utf-8, allowing a sequence cut off at the end (the rest comes in the next read). */
function validUtf8Prefix(b: Buffer): boolean {
  for (let cut = 0; cut <= 3 && cut < b.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, b.length - cut));
      return true;
    } catch {
      // try without the last bytes: a character split between two reads
    }
  }
  return false;
}

export class PythonRun {
  readonly run: string;
  readonly pid: number;
  private readonly child: ChildProcess;
  private watchdog: ChildProcess | null = null;
  private readonly ctx: TranslateContext;
  private readonly reader: LineReader;
  private readonly sockets = new Map<string, TrackedSocket>();
  /** calls begun and not returned, by "pid:id" (a forked child's ids continue from its parent's) */
  private readonly pending = new Map<string, Pending>();
  private readonly text = { stdout: new StreamText(), stderr: new StreamText() };
  private exc: Exc | null = null;
  private outputBytes = 0;
  private endReason: EndReason | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private clock: NodeJS.Timeout | null = null;
  private runMs = 0;
  private lastTick = Date.now();
  private exitedFlag = false;
  readonly done: Promise<{ code: number | null; signal: string | null; reason: EndReason }>;

  constructor(private readonly spec: RunSpec, private readonly hooks: RunHooks) {
    this.run = spec.run;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PYTHONPATH: [TRACER_DIR, process.env['PYTHONPATH']].filter(Boolean).join(path.delimiter),
      SOCKETSCOPE_TRACE_FD: '3',
      SOCKETSCOPE_CONTROL_FD: '4',
      SOCKETSCOPE_PPID: String(process.pid),
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONIOENCODING: process.env['PYTHONIOENCODING'] ?? 'utf-8',
    };
    if (spec.step) env['SOCKETSCOPE_STEP'] = '1';
    else delete env['SOCKETSCOPE_STEP'];
    const argv = [spec.python, '-u', spec.file, ...spec.args];
    const [exe, ...rest] = spec.wrap ? spec.wrap(argv) : argv;
    this.child = spawn(exe!, rest, {
      cwd: spec.cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid ?? 0;
    if (this.pid) {
      this.watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'socketscope-watchdog', String(this.pid)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
      this.watchdog.on('error', (err) => hooks.log(`the watchdog of ${spec.run} did not start: ${err.message}`));
      this.watchdog.stdin?.on('error', () => { /* it is gone */ });
      this.watchdog.unref();
    }
    const proc: ProcRef = { run: spec.run, pid: this.pid, program: spec.shownAs };
    this.ctx = { run: spec.run, proc, socks: new Map(), tsAt: hooks.tsAt };
    this.reader = new LineReader((m) => this.onMessage(m));

    this.done = new Promise((resolve) => {
      let spawnError: Error | null = null;
      this.child.once('error', (err) => { spawnError = err; });
      this.child.once('close', (code, signal) => {
        this.exitedFlag = true;
        this.stopTimers();
        this.killGroup('SIGKILL'); // R3: what it left behind in its group
        this.watchdog?.kill('SIGKILL'); // its job is done; it must not fire at a group id used again later
        if (spec.tempDir) rmSync(spec.tempDir, { recursive: true, force: true });
        for (const s of this.sockets.values()) s.closed = true;
        this.hooks.changed();
        const reason: EndReason = spawnError ? 'failed-to-start' : this.endReason ?? 'exited';
        this.emitExit(code, signal, reason, spawnError?.message);
        resolve({ code, signal, reason });
      });
    });
    if (!this.child.pid) return;
    this.hooks.emit({
      layer: 'session', type: 'proc.start', proc, file: spec.shownAs, args: spec.args.slice(0, 64),
      python: spec.pythonVersion, step: spec.step,
    });
    this.child.stdout!.on('data', (b: Buffer) => this.onOutput('stdout', b));
    this.child.stderr!.on('data', (b: Buffer) => this.onOutput('stderr', b));
    const trace = this.child.stdio[3] as NodeJS.ReadableStream;
    trace.on('data', (b: Buffer) => this.reader.push(b));
    for (const s of [this.child.stdin, this.child.stdio[4]] as (NodeJS.WritableStream | null)[]) s?.on('error', () => { /* the program is gone */ });
    this.clock = setInterval(() => this.tick(), 250);
    this.clock.unref();
  }

  get exited(): boolean { return this.exitedFlag; }

  /** The program's sockets, for the kernel probe and capture. */
  tracked(): TrackedSocket[] {
    return [...this.sockets.values()];
  }

  /** It has a call in progress that has lasted at least `ms` (blocked), or is paused before one. */
  blocked(ms: number): boolean {
    const now = Date.now();
    for (const p of this.pending.values()) if (p.paused || now - p.since >= ms) return true;
    return false;
  }

  /** The calls in progress (released, not returned yet), by name. */
  inCalls(): string[] {
    const out: string[] = [];
    for (const p of this.pending.values()) if (!p.paused) out.push(p.call);
    return out;
  }

  get paused(): boolean {
    for (const p of this.pending.values()) if (p.paused) return true;
    return false;
  }

  /** The call it is paused before (step mode), with its line; null when not paused. */
  pausedAt(): { key: string; line: number; call: string } | null {
    for (const [key, p] of this.pending) if (p.paused) return { key, line: p.line, call: p.call };
    return null;
  }

  go(): void { this.control('go'); }
  setStep(on: boolean): void { this.control(on ? 'step' : 'run'); }

  input(line: string): void {
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    this.child.stdin?.write(bytes);
    this.emitOutput('stdin', bytes, { text: `${line}\n`, encoding: 'utf-8' });
  }

  /** R3 */
  stop(reason: EndReason = 'stopped'): Promise<unknown> {
    if (this.exitedFlag) return this.done;
    this.endReason ??= reason;
    this.killGroup('SIGTERM');
    this.killTimer ??= setTimeout(() => this.killGroup('SIGKILL'), STOP_GRACE_MS);
    return this.done;
  }

  /** At once and synchronously: the agent is exiting. */
  killNow(): void {
    if (this.exitedFlag) return;
    this.endReason ??= 'agent-exit';
    this.killGroup('SIGKILL');
  }

  private killGroup(sig: NodeJS.Signals): void {
    if (!this.pid) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      // ESRCH: the group is already gone
    }
  }

  private control(line: string): void {
    const ctl = this.child.stdio[4] as NodeJS.WritableStream | null;
    if (!this.exitedFlag) ctl?.write(`${line}\n`);
  }

  private stopTimers(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    if (this.clock) clearInterval(this.clock);
  }

  /** R4: run time, not counting time paused before a call. */
  private tick(): void {
    const now = Date.now();
    if (!this.paused) this.runMs += now - this.lastTick;
    this.lastTick = now;
    if (this.runMs > (this.spec.maxRunMs ?? MAX_RUN_MS)) void this.stop('timeout');
  }

  private onOutput(stream: 'stdout' | 'stderr', b: Buffer): void {
    this.outputBytes += b.length;
    for (let i = 0; i < b.length; i += CHUNK) {
      const part = b.subarray(i, i + CHUNK);
      this.emitOutput(stream, part, this.text[stream].decode(part));
    }
    if (this.outputBytes > (this.spec.maxOutput ?? MAX_OUTPUT)) void this.stop('output-limit');
  }

  private emitOutput(stream: 'stdout' | 'stderr' | 'stdin', bytes: Buffer, t: { text: string; encoding: 'utf-8' | 'gbk' }): void {
    this.hooks.emit({
      layer: 'session', type: 'proc.output', run: this.run, stream, b64: bytes.toString('base64'),
      text: t.text.slice(0, 4096), encoding: t.encoding,
    });
  }

  private onMessage(m: TracerMessage): void {
    switch (m.k) {
      case 'hello': return;
      case 'begin': {
        this.pending.set(`${m.pid ?? 0}:${m.id}`, { paused: m.paused === true, since: Date.now(), line: m.src?.[1] ?? 0, call: m.call });
        const e = beginEvent(this.ctx, m);
        if (e) this.hooks.emit(e);
        return;
      }
      case 'call': {
        this.pending.delete(`${m.pid ?? 0}:${m.id}`);
        const e = callEvent(this.ctx, m);
        if (!e) return;
        this.hooks.emit(e);
        if (e.type === 'api.call') this.track(e);
        return;
      }
      case 'input': {
        const e: EventInput = { layer: 'session', type: 'proc.input', run: this.run, prompt: m.prompt.slice(0, 1024) };
        if (m.src) e.src = { file: m.src[0].slice(-512), line: m.src[1] };
        this.hooks.emit(e);
        return;
      }
      case 'exc':
        if (!m.thread || m.thread === 'MainThread') this.exc = m;
        return;
    }
  }

  /** What the probe and capture need to follow the program's sockets (sources/source.ts). */
  private track(e: Extract<EventInput, { type: 'api.call' }>): void {
    if (!e.sock || !e.proto) return;
    const prev = this.sockets.get(e.sock);
    const s: TrackedSocket = prev ?? { sock: e.sock, proto: e.proto, role: e.proto === 'udp' ? 'udp' : 'client', closed: false };
    const before = `${s.local}|${s.remote}|${s.role}|${s.closed}`;
    if (!e.error) {
      if (e.call === 'accept' && e.newSock) {
        this.sockets.set(e.newSock, { sock: e.newSock, proto: 'tcp', role: 'accepted', local: e.local, remote: e.remote, closed: false } as TrackedSocket);
        this.hooks.changed();
      } else {
        if (e.local) s.local = e.local;
        if (e.remote) s.remote = e.remote;
      }
      if (e.call === 'listen') {
        s.role = 'listener';
        const backlog = e.args['backlog'];
        if (typeof backlog === 'number') s.backlog = backlog;
      }
      if (e.call === 'close') s.closed = true;
    }
    if (!prev) this.sockets.set(e.sock, s);
    if (!prev || before !== `${s.local}|${s.remote}|${s.role}|${s.closed}`) this.hooks.changed();
  }

  private emitExit(code: number | null, signal: string | null, reason: EndReason, message?: string): void {
    const e: Extract<EventInput, { type: 'proc.exit' }> = { layer: 'session', type: 'proc.exit', run: this.run, code, signal, reason };
    if (this.exc) {
      e.exception = {
        type: this.exc.type.slice(0, 256), message: this.exc.message.slice(0, 2000),
        frames: this.exc.frames.slice(-64).map(([file, line, name]) => ({ file: file.slice(-512), line, name: name.slice(0, 256) })),
      };
    }
    const why = message ?? REASONS[reason];
    if (why) e.message = why.slice(0, 2000);
    this.hooks.emit(e);
  }
}

const REASONS: Partial<Record<EndReason, string>> = {
  stopped: 'stopped from the page',
  timeout: `ran longer than the agent allows (${MAX_RUN_MS / 60_000} minutes, not counting time paused)`,
  'output-limit': `printed more than ${MAX_OUTPUT >> 20} MiB`,
  'agent-exit': 'the agent is shutting down',
  reset: 'the session was reset',
};
