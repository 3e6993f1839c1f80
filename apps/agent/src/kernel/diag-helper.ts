/**
 * The sock_diag helper (sock-diag.py) as the probe uses it: one long-lived Python process that asks the
 * kernel through netlink what `ss` would ask, for the sockets the probe follows only. Node has no netlink
 * sockets and the agent takes no native addons; Python is already the agent's (python/interpreter.ts).
 * Rules it enforces:
 * - D1 Started on first use, with the agent's own interpreter in isolated mode (`-I -S`: nothing from the
 *   environment or site-packages runs in it), as the agent's child on pipes only. It ends when its stdin
 *   closes, so it never outlives the agent however the agent ends; stop() also kills it. On a lab host it
 *   is the same program, started through the host's wrap (lab.wrap: `ip netns exec`, which execs in place),
 *   so it asks that host's namespace and is still the agent's child.
 * - D2 One request in flight; its reply is matched by id. A reply not back within REPLY_TIMEOUT_MS, a
 *   reply line over MAX_LINE bytes or an error answer fails that request (the probe reads /proc for that
 *   look) and counts as a failure.
 * - D3 It is never restarted in a loop: after FAILS_MAX failures in a row, or if it exits, status() says
 *   why and the probe reads /proc from then on. SOCKETSCOPE_NO_SOCK_DIAG=1 never starts it.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ProbeStatus } from '@socketscope/shared';
import { python } from '../python/interpreter.ts';

export const SOCK_DIAG_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sock-diag.py');

/** One question (sock-diag.py's header): a socket by its 4-tuple, or a dump the kernel filters by port. */
export type DiagQuery =
  | ['x', 'tcp', 4 | 6, string, number, string, number, 0 | 1]
  | ['d', 'tcp' | 'udp', 4 | 6, number, number[], number[], 0 | 1]
  | ['s', number];

/** [proto, family, state, localIp, localPort, remoteIp, remotePort, rqueue, wqueue, inode, drops, info] */
export type DiagRow = ['tcp' | 'udp', 4 | 6, number, string, number, string, number, number, number, number, number | null, DiagInfo | null];
/** [rttUs, cwnd, sndWnd, rcvSpace, rcvBuf, sndBuf]; 0 where the kernel did not say */
export type DiagInfo = [number, number, number, number, number, number];

/** `opens`: TCP connections opened so far in this namespace (with an ['s', …] query) */
export interface DiagReply { rows: DiagRow[]; cpuUs: number; opens?: number }

const REPLY_TIMEOUT_MS = 2000;
const START_TIMEOUT_MS = 10_000;
const MAX_LINE = 8 << 20;
const FAILS_MAX = 3;
const STDERR_KEEP = 2048;

export const SOCK_DIAG_TOOL = 'sock_diag netlink (as ss), via python3';

export class SockDiag {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | null = null;
  private state: 'idle' | 'starting' | 'ready' | 'failed' = 'idle';
  private reason = '';
  private fails = 0;
  private nextId = 1;
  private pending: { id: number; resolve: (r: DiagReply | null) => void; timer: NodeJS.Timeout } | null = null;
  private parts: Buffer[] = [];
  private held = 0;
  private stderr = '';
  private readyWaiters: (() => void)[] = [];

  /** `off`: why it must not run (D3), if so; `wrap`: the argv that runs it elsewhere (a lab host, D1) */
  constructor(off?: string, private readonly wrap?: (argv: string[]) => string[]) {
    if (!off && process.env['SOCKETSCOPE_NO_SOCK_DIAG'] === '1') off = 'turned off (SOCKETSCOPE_NO_SOCK_DIAG=1)';
    if (!off && process.platform !== 'linux') off = `sock_diag is Linux's; this is ${process.platform}`;
    if (off) { this.state = 'failed'; this.reason = off; }
  }

  /** answers requests now */
  get ready(): boolean { return this.state === 'ready'; }
  /** may still answer (not given up) */
  get usable(): boolean { return this.state !== 'failed'; }
  get pid(): number | undefined { return this.child?.pid; }

  status(): ProbeStatus {
    if (this.state === 'failed') return { available: false, reason: `sock_diag helper: ${this.reason}`, tool: SOCK_DIAG_TOOL };
    return { available: true, tool: SOCK_DIAG_TOOL };
  }

  /** D1: starts the helper if it is not running; the first reply (to an empty request) makes it ready. */
  start(): void {
    if (this.state !== 'idle') return;
    const py = python();
    if (!py.available || !py.path) return this.fail(`no Python to run it: ${py.reason ?? 'not found'}`);
    this.state = 'starting';
    let child: ChildProcessByStdio<Writable, Readable, Readable>;
    try {
      const argv = [py.path, '-I', '-S', SOCK_DIAG_SCRIPT];
      const run = this.wrap ? this.wrap(argv) : argv;
      child = spawn(run[0]!, run.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
    } catch (err) {
      return this.fail(`could not start ${py.path}: ${(err as Error).message}`);
    }
    this.child = child;
    child.stdout.on('data', (c: Buffer) => this.onData(c));
    child.stderr.on('data', (c: Buffer) => { this.stderr = (this.stderr + c.toString('utf8')).slice(-STDERR_KEEP); });
    child.stdin.on('error', () => { /* the exit handler says why */ });
    child.on('error', (err) => this.fail(`could not start: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      const why = this.stderr.trim().split('\n').at(-1) ?? '';
      this.fail(`exited (${signal ?? `code ${code}`})${why ? `: ${why.slice(0, 300)}` : ''}`);
    });
    void this.send([], START_TIMEOUT_MS).then((r) => {
      if (r && this.state === 'starting') this.state = 'ready';
      this.wake();
    });
  }

  /** Resolves once the helper is ready (true), has failed or is not starting (false), or after ms (false). */
  whenReady(ms: number): Promise<boolean> {
    if (this.state !== 'starting') return Promise.resolve(this.state === 'ready');
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.ready), ms);
      timer.unref();
      this.readyWaiters.push(() => { clearTimeout(timer); resolve(this.ready); });
    });
  }

  private wake(): void {
    for (const w of this.readyWaiters.splice(0)) w();
  }

  /** D2: one look's questions; null when the helper is not ready, busy, or failed this time. */
  query(q: DiagQuery[]): Promise<DiagReply | null> {
    if (this.state !== 'ready') return Promise.resolve(null);
    return this.send(q, REPLY_TIMEOUT_MS);
  }

  stop(): void {
    const child = this.child;
    this.child = null;
    if (this.state !== 'failed') this.state = 'idle';
    this.settle(null);
    this.wake();
    if (!child) return;
    child.stdin.end();
    // D1: it ends on EOF; a helper stuck in the kernel is killed
    const t = setTimeout(() => child.kill('SIGKILL'), 1000);
    t.unref();
    child.once('exit', () => clearTimeout(t));
  }

  private send(q: DiagQuery[], timeoutMs: number): Promise<DiagReply | null> {
    const child = this.child;
    if (!child || this.pending) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle(null);
        this.failure(`no answer within ${timeoutMs} ms`);
      }, timeoutMs);
      timer.unref();
      this.pending = { id, resolve, timer };
      child.stdin.write(`${JSON.stringify({ id, q })}\n`);
    });
  }

  private settle(r: DiagReply | null): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve(r);
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      const line = this.held ? Buffer.concat([...this.parts, piece]).toString('utf8') : piece.toString('utf8');
      this.parts = [];
      this.held = 0;
      this.onLine(line);
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) return;
    this.held += rest.length;
    if (this.held > MAX_LINE) {
      this.parts = [];
      this.held = 0;
      this.settle(null);
      this.failure('a reply longer than the limit');
      return;
    }
    this.parts.push(Buffer.from(rest));
  }

  private onLine(line: string): void {
    let msg: { id?: unknown; rows?: unknown; cpuUs?: unknown; opens?: unknown; error?: unknown };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return this.failure('an unreadable reply');
    }
    if (!this.pending || msg.id !== this.pending.id) return;
    if (typeof msg.error === 'string' || !Array.isArray(msg.rows)) {
      this.settle(null);
      return this.failure(typeof msg.error === 'string' ? msg.error.slice(0, 300) : 'a reply without rows');
    }
    this.fails = 0;
    const reply: DiagReply = { rows: msg.rows as DiagRow[], cpuUs: typeof msg.cpuUs === 'number' ? msg.cpuUs : 0 };
    if (typeof msg.opens === 'number') reply.opens = msg.opens;
    this.settle(reply);
  }

  /** D3: a failed request; too many in a row and the helper is given up */
  private failure(why: string): void {
    this.fails++;
    if (this.fails >= FAILS_MAX || this.state === 'starting') this.fail(why);
  }

  private fail(why: string): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.reason = why;
    this.settle(null);
    this.wake();
    const child = this.child;
    this.child = null;
    if (child) { child.stdin.end(); child.kill('SIGKILL'); }
  }
}
