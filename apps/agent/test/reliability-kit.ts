/**
 * Shared by the reliability tests (apps/agent/test/reliability-*.test.ts, CI sizes) and the benchmarks
 * (bench/*.ts, full sizes): a real agent + server on a free loopback port, and a WebSocket client that
 * speaks the protocol and checks the stream as it goes (seq order, no duplicates, gaps only when the
 * agent announced them). Lives here rather than in bench/ because `ws` is the agent's dependency.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, type CommandInput, type SessionEvent } from '@socketscope/shared';
import { createAgent, type Agent, type CreateAgentOptions } from '../src/agent.ts';
import { startServer, type RunningServer } from '../src/server/server.ts';
import type { RateOptions } from '../src/server/rate.ts';
import type { OutboundOptions } from '../src/session/outbound.ts';

export const KIT_TOKEN = 'r'.repeat(64);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface AgentServer {
  agent: Agent;
  server: RunningServer;
  port: number;
  logs: string[];
  close(): Promise<void>;
}

/** A real agent and its server on 127.0.0.1:<free port>, capture off unless asked for. */
/** Frames per second a page may send (server/rate.ts): the default (50/s) is a person's; load and fuzz need more. */
export const UNLIMITED_RATE: RateOptions = { perSecond: 1e9, burst: 1e9 };

export async function startAgentServer(opts: CreateAgentOptions & { outbound?: OutboundOptions; webRoot?: string; rate?: RateOptions } = {}): Promise<AgentServer> {
  const logs: string[] = [];
  const log = (l: string) => { if (logs.length < 10_000) logs.push(l); };
  const { outbound, webRoot, rate, ...agentOpts } = opts;
  const agent = createAgent({ capture: 'off', log, ...agentOpts });
  const server = await startServer(agent, {
    port: 0, token: KIT_TOKEN, log,
    ...(outbound ? { outbound } : {}),
    ...(webRoot ? { webRoot } : {}),
    ...(rate ? { rate } : {}),
  });
  await agent.setUiPorts([server.port]);
  agent.start();
  return {
    agent, server, port: server.port, logs,
    async close() {
      await server.close();
      await agent.stop();
    },
  };
}

/** A server message as parsed; the client's invariants check what it relies on. */
export type Msg = { t: string; [k: string]: any };

const CLOSED = '\u0000closed';

export interface Reply { re: string; ok: boolean; result?: unknown; error?: { code: string; message: string; hint?: string } }

/**
 * One page's connection. It keeps what a page keeps (the session id and the last seq it holds) and
 * fails loudly — `violations` — when the agent breaks the stream's rules: a seq not above the last one
 * held, or a jump that no `gap` or `merged` announced.
 */
export class StreamClient {
  readonly ws: WebSocket;
  sessionId: string | null = null;
  /** the session id of this socket's latest hello */
  private helloSession: string | null = null;
  /** last seq held for sessionId (-1: none) */
  lastSeq = -1;
  /** every seq received, in order, for this session (tests compare it with the session's range) */
  seqs: number[] = [];
  events = 0;
  gaps: { from: number; to: number }[] = [];
  snapshots: { atSeq: number; model: unknown }[] = [];
  merged = 0;
  synced = false;
  violations: string[] = [];
  hellos = 0;
  closed: { code: number; reason: string } | null = null;
  /** keep every event (off for long runs: seqs are enough) */
  keepEvents = false;
  kept: SessionEvent[] = [];
  /** sync again by itself when a new hello comes (session reset), as the page does */
  autoResync = false;
  /** the TCP socket under the WebSocket (pause it to be a page that stops reading) */
  tcp: Socket | null = null;
  /** sees every event as it arrives */
  onEach: ((e: SessionEvent) => void) | null = null;
  /** replies without a pending waiter, in order (for frames whose reply has re "") */
  unclaimed: Reply[] = [];
  private pending = new Map<string, (r: Reply) => void>();
  private waiters: (() => void)[] = [];
  private allowJump = 0;
  private nextId = 0;

  private constructor(ws: WebSocket, readonly keepSeqs: boolean) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => this.onMessage(String(data)));
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: String(reason) };
      for (const w of this.pending.values()) w({ re: CLOSED, ok: false });
      this.pending.clear();
      this.wake();
    });
    ws.on('error', () => { /* close follows */ });
  }

  static open(port: number, opts: { token?: string; keepSeqs?: boolean } = {}): Promise<StreamClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${opts.token ?? KIT_TOKEN}`, { origin: `http://127.0.0.1:${port}`, perMessageDeflate: false });
    const c = new StreamClient(ws, opts.keepSeqs ?? true);
    ws.once('upgrade', (res) => { c.tcp = res.socket; });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(c));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Carries the state of a dropped connection over to a new one (what a page does when it reconnects). */
  adopt(prev: StreamClient): void {
    this.sessionId = prev.sessionId;
    this.lastSeq = prev.lastSeq;
    this.seqs = prev.seqs;
    this.events = prev.events;
    this.gaps = prev.gaps;
    this.snapshots = prev.snapshots;
    this.merged = prev.merged;
    this.violations = prev.violations;
    this.kept = prev.kept;
    this.keepEvents = prev.keepEvents;
    // the new socket's hello may have come before adopt(): it decides which session we are in
    if (this.helloSession) this.enterSession(this.helloSession);
  }

  private enterSession(id: string): void {
    if (this.sessionId === id) return;
    // a new session (reset): drop what we hold, as the page does
    this.sessionId = id;
    this.lastSeq = -1;
    this.seqs = [];
    this.kept = [];
  }

  private onMessage(text: string): void {
    let m: Msg;
    try {
      m = JSON.parse(text) as Msg;
    } catch {
      this.violations.push(`agent sent a frame that is not JSON: ${text.slice(0, 80)}`);
      return;
    }
    switch (m.t) {
      case 'hello':
        this.hellos++;
        this.helloSession = m['session'].id as string;
        this.enterSession(this.helloSession);
        // a hello after we synced means a new session (P6): a page syncs again at once
        if (this.autoResync && this.hellos > 1) this.send({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: this.lastSeq });
        break;
      case 'snapshot':
        this.snapshots.push({ atSeq: m['atSeq'], model: m['model'] });
        break;
      case 'gap':
        if (m['from'] !== this.lastSeq + 1) this.violations.push(`gap from ${m['from']} but last held is ${this.lastSeq}`);
        this.gaps.push({ from: m['from'], to: m['to'] });
        this.lastSeq = m['to'];
        break;
      case 'merged':
        this.merged += m['count'] as number;
        this.allowJump += m['count'] as number;
        break;
      case 'synced':
        this.synced = true;
        break;
      case 'events':
        for (const e of m['events'] as SessionEvent[]) this.onEvent(e);
        break;
      case 'reply': {
        const r = m as unknown as Reply;
        const w = this.pending.get(r.re);
        if (w) { this.pending.delete(r.re); w(r); } else this.unclaimed.push(r);
        break;
      }
      // the class poll (while sharing) and the viewer count are the protocol's too; nothing to check here
      case 'poll':
      case 'viewers':
        break;
      default:
        this.violations.push(`unknown message t=${String(m.t)}`);
    }
    this.wake();
  }

  private onEvent(e: SessionEvent): void {
    this.onEach?.(e);
    if (e.seq <= this.lastSeq) this.violations.push(`seq ${e.seq} not above last held ${this.lastSeq} (duplicate or out of order)`);
    else if (e.seq > this.lastSeq + 1) {
      const jump = e.seq - this.lastSeq - 1;
      if (jump > this.allowJump) this.violations.push(`seq jumped from ${this.lastSeq} to ${e.seq} without a gap or merged notice`);
      this.allowJump = Math.max(0, this.allowJump - jump);
    }
    this.lastSeq = Math.max(this.lastSeq, e.seq);
    this.events++;
    if (this.keepSeqs) this.seqs.push(e.seq);
    if (this.keepEvents) this.kept.push(e);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when pred() holds (checked after every message), rejects after ms or when the socket closes. */
  async until(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Sends sync from what this client holds; resolves once `synced` arrived. */
  async sync(ms = 10_000): Promise<void> {
    await this.until(() => this.hellos > 0, ms, 'hello');
    this.synced = false;
    this.allowJump = 0;
    this.send({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: this.lastSeq });
    await this.until(() => this.synced, ms, 'synced');
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** One command, one reply (rejects on timeout or close). */
  cmd(cmd: CommandInput | Record<string, unknown>, ms = 15_000): Promise<Reply> {
    const id = `k${++this.nextId}`;
    return this.cmdWithId(id, cmd, ms);
  }

  cmdWithId(id: string, cmd: unknown, ms = 15_000): Promise<Reply> {
    const r = this.waitFor(id, ms, JSON.stringify(cmd).slice(0, 120));
    if (!this.closed) this.ws.send(JSON.stringify({ t: 'cmd', id, cmd }));
    return r;
  }

  /** The reply whose `re` is id (register before sending the frame). */
  waitFor(id: string, ms = 15_000, what = ''): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error(`socket closed (${this.closed.code} ${this.closed.reason}) before ${id} was sent`));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new Error(`no reply to ${id} (${what}) in ${ms} ms`)); }, ms);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        if (r.re === CLOSED) reject(new Error(`socket closed (${this.closed?.code} ${this.closed?.reason}) before the reply to ${id}`));
        else resolve(r);
      });
    });
  }

  /** A command that must succeed; returns its result. */
  async ok<T = Record<string, unknown>>(cmd: CommandInput, ms?: number): Promise<T> {
    const r = await this.cmd(cmd, ms);
    if (!r.ok) throw new Error(`${cmd.op} failed: ${r.error?.code} ${r.error?.message}`);
    return r.result as T;
  }

  /** Waits until an unclaimed reply is there and takes the oldest. */
  async nextUnclaimed(ms = 5000): Promise<Reply> {
    await this.until(() => this.unclaimed.length > 0, ms, 'a reply');
    return this.unclaimed.shift()!;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000, 'done');
      setTimeout(() => { this.ws.terminate(); resolve(); }, 1000).unref();
    });
  }

  /** Drops the connection like a network failure (no close handshake). */
  drop(): void {
    this.ws.terminate();
  }
}

/** Open file descriptors of this process (Linux). */
export async function openFds(): Promise<number> {
  const { readdirSync } = await import('node:fs');
  return readdirSync('/proc/self/fd').length;
}

/** percentile of an unsorted list */
export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = xs.toSorted((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
