/**
 * The Node side of link_forwarder.py (its rules F1–F6 are in that file). It runs in the link namespace as
 * the agent's child; its stdin is our pipe, so it ends when the agent does (F4), and the keeper kills what
 * is left in the namespace anyway (keeper.ts K2).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { within } from '../wire/capture-process.ts';
import { LAB_IFACES } from './names.ts';

export const FORWARDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'link_forwarder.py');
const REPLY_MS = 3000;
const STDERR_KEEP = 2000;

/** One line of the forwarder's `drop` report (F3). */
export interface ForwarderDrop {
  t: number;
  dir: 'c2s' | 's2c';
  reason: 'loss' | 'oneshot' | 'queue';
  proto: 'tcp' | 'udp';
  src: string;
  dst: string;
  len: number;
  flags?: string[];
  seq?: number;
}

/** One line of the forwarder's `hold` report (F6): a frame a one-shot holds back, sent holdMs late. */
export type ForwarderHold = Omit<ForwarderDrop, 'reason'> & { holdMs: number };

/** A one-shot (F2, F6): the next matching frame from that host is lost, or with holdMs held back that long. */
export interface ForwarderShot {
  from: 'client' | 'server';
  match?: 'data' | 'syn' | 'any';
  proto?: 'tcp' | 'udp';
  /** hold the frame this many ms beyond the link's delay instead of losing it (1..MAX_HOLD_MS) */
  holdMs?: number;
}

/** the forwarder's bound on holdMs (link_forwarder.py MAX_HOLD_MS; the contract's lab.oneshot has the same) */
export const MAX_HOLD_MS = 5000;

export interface ForwarderStats {
  fwd: { c2s: number; s2c: number };
  drops: { loss: number; oneshot: number; queue: number };
  /** frames waiting in the forwarder right now */
  held: number;
  /** frames one-shots held back so far (F6) */
  holds: number;
}

export interface ForwarderHooks {
  drop(d: ForwarderDrop): void;
  /** it ended without being asked to (its reason, if it gave one) */
  died(why: string): void;
  /** F5: frames the kernel dropped before the forwarder read them, unseen one by one */
  overrun(dir: 'c2s' | 's2c', count: number): void;
  /** F6: a one-shot held a frame back (it is not lost: it arrives holdMs late) */
  hold?(h: ForwarderHold): void;
}

type Waiter = { resolve(v: Record<string, unknown>): void; reject(e: Error): void };

export class Forwarder {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | null = null;
  private closed: Promise<void> = Promise.resolve();
  private buf = '';
  private stderr = '';
  private nextAck = 1;
  private readonly waiting = new Map<number, Waiter>();
  private stats: Waiter[] = [];
  private readyWaiter: Waiter | null = null;
  private stopping = false;

  constructor(private readonly hooks: ForwarderHooks) {}

  /** `wrap` puts the command in the link namespace (lab.ts). Resolves once both ends are bound. */
  async start(python: string, wrap: (argv: string[]) => string[]): Promise<void> {
    const argv = wrap([python, '-u', FORWARDER, LAB_IFACES.toClient, LAB_IFACES.toServer]);
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONPATH: '' } });
    this.child = child;
    child.stdin.on('error', () => { /* gone: 'close' reports it */ });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (t: string) => this.onText(t));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => { this.stderr = (this.stderr + t).slice(-STDERR_KEEP); });
    this.closed = new Promise<void>((resolve) => {
      child.on('error', (err) => { this.stderr += `\n${err.message}`; });
      child.on('close', (code, signal) => {
        this.child = null;
        const why = `the link forwarder ended (${signal ?? `exit ${code}`})${this.stderr.trim() ? `: ${this.stderr.trim().slice(-500)}` : ''}`;
        for (const w of [...this.waiting.values(), ...this.stats.splice(0), ...(this.readyWaiter ? [this.readyWaiter] : [])]) w.reject(new Error(why));
        this.waiting.clear();
        this.readyWaiter = null;
        if (!this.stopping) this.hooks.died(why);
        resolve();
      });
    });
    await this.reply(new Promise((resolve, reject) => { this.readyWaiter = { resolve, reject }; }), 'to start');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Sends a control line (F4) and resolves when the forwarder has applied it. */
  async send(cmd: Record<string, unknown>): Promise<void> {
    const child = this.child;
    if (!child) throw new Error('the link forwarder is not running');
    const ack = this.nextAck++;
    const p = new Promise<Record<string, unknown>>((resolve, reject) => this.waiting.set(ack, { resolve, reject }));
    child.stdin.write(`${JSON.stringify({ ...cmd, ack })}\n`);
    await this.reply(p, `to ${String(cmd['op'])}`);
  }

  /** Arms a one-shot (F2; F6 with holdMs); resolves once the forwarder has it. */
  async oneshot(shot: ForwarderShot): Promise<void> {
    const hold = shot.holdMs;
    if (hold !== undefined && !(Number.isFinite(hold) && hold >= 1 && hold <= MAX_HOLD_MS)) {
      throw new Error(`holdMs is a number of ms from 1 to ${MAX_HOLD_MS} (not ${hold})`);
    }
    await this.send({
      op: 'oneshot', from: shot.from, match: shot.match ?? 'data',
      ...(shot.proto ? { proto: shot.proto } : {}), ...(hold !== undefined ? { holdMs: hold } : {}),
    });
  }

  /** Disarms every one-shot still waiting (F4 clear). */
  async clearShots(): Promise<void> {
    await this.send({ op: 'clear' });
  }

  async readStats(): Promise<ForwarderStats> {
    const child = this.child;
    if (!child) throw new Error('the link forwarder is not running');
    const p = new Promise<Record<string, unknown>>((resolve, reject) => this.stats.push({ resolve, reject }));
    child.stdin.write('{"op":"stats"}\n');
    return (await this.reply(p, 'for its counters')) as unknown as ForwarderStats;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    child.stdin.end();
    if (await within(this.closed, 1000)) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
    await within(this.closed, 1000);
  }

  private async reply<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the link forwarder did not answer ${what} within ${REPLY_MS} ms`)), REPLY_MS);
    });
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private onText(text: string): void {
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // not ours (a Python warning would go to stderr; nothing else writes here)
      }
      this.onMessage(m);
    }
    if (this.buf.length > 1 << 20) this.buf = '';
  }

  private onMessage(m: Record<string, unknown>): void {
    switch (m['k']) {
      case 'drop': this.hooks.drop(m as unknown as ForwarderDrop); return;
      case 'hold': this.hooks.hold?.(m as unknown as ForwarderHold); return;
      case 'overrun': this.hooks.overrun(m['dir'] === 's2c' ? 's2c' : 'c2s', Number(m['count']) || 0); return;
      case 'ready': this.readyWaiter?.resolve(m); this.readyWaiter = null; return;
      case 'stats': this.stats.shift()?.resolve(m); return;
      case 'ack': {
        const w = this.waiting.get(Number(m['ack']));
        this.waiting.delete(Number(m['ack']));
        w?.resolve(m);
        return;
      }
      case 'error': {
        const w = this.waiting.get(Number(m['ack']));
        const err = new Error(`the link forwarder: ${String(m['message'])}`);
        if (w) {
          this.waiting.delete(Number(m['ack']));
          w.reject(err);
        } else if (this.readyWaiter) {
          this.readyWaiter.reject(err);
          this.readyWaiter = null;
        }
        return;
      }
      default:
    }
  }
}
