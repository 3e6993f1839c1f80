import {
  CloseCode, PROTOCOL_VERSION, parseCommand, type ClassPollInput, type ClientMessage, type CommandInput, type PollState, type ServerMessage as ServerMsg, type SessionEvent,
} from '@socketscope/shared';
import { backoffDelay } from './backoff.ts';
import type { DecodedMessage } from './decode.ts';
import { DirectTransport, type Transport } from './transport.ts';

/**
 * The page's one WebSocket to the agent.
 *
 * Protocol (packages/shared/src/protocol/messages.ts): the agent speaks first with `hello`; we check
 * its protocol version (a mismatch stops here with a stated reason) and answer `sync` with the last
 * seq we hold, so the agent resends only what we missed. Then `events`, `snapshot`, `gap`, `merged`,
 * `synced` and `reply` arrive. Every server message is validated (and every event in it) by the
 * transport before it gets here (decode.ts; in the page, in a worker); a bad one is counted and dropped.
 *
 * When the socket closes we retry with backoff and resync, except when the agent told us retrying is
 * pointless (bad token, bad origin, protocol mismatch). Commands carry an id and resolve with exactly
 * one reply, a timeout, or "disconnected"; they never reject.
 */

export type Hello = Extract<ServerMsg, { t: 'hello' }>;
export type CommandReply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; hint?: string } };
export type ClientStatus = 'connecting' | 'syncing' | 'live' | 'reconnecting' | 'stopped';
export type StopReason = { kind: 'badToken' | 'badOrigin' | 'protocol'; agentProtocol?: number };

export interface ClientSink {
  status(status: ClientStatus, detail: { attempt: number; retryAt: number | null; stop?: StopReason }): void;
  /** returns the `since` for sync: the last seq the page holds for this session, or null */
  hello(hello: Hello): number | null;
  /** validated events in stream order; `bad`: one error text per event that failed validation and was dropped */
  events(events: SessionEvent[], bad: readonly string[]): void;
  snapshot(atSeq: number, model: unknown): void;
  gap(from: number, to: number, reason: string): void;
  merged(count: number, sinceSeq: number): void;
  synced(lastSeq: number): void;
  /** while sharing, on the teacher's page: how many read-only pages are watching */
  viewers?(count: number): void;
  /** while sharing: the question put to the class now (views/predict) */
  poll?(poll: PollState | null): void;
  badMessage(error: string): void;
}

export interface ClientOptions {
  url: string;
  sink: ClientSink;
  commandTimeoutMs?: number;
  /** tests and odd environments may pass their own */
  WebSocketImpl?: typeof WebSocket;
  /** where the socket lives (the page: a worker, pageTransport()); default: this thread with WebSocketImpl */
  transport?: Transport;
}

/**
 * Calls that block in a real program until something happens (data arrives, a client connects, the
 * send buffer drains) get no client-side timeout: the agent replies when the call completes, and the
 * page shows the call as blocked meanwhile. A disconnect still ends them.
 */
export const BLOCKING_OPS: ReadonlySet<string> = new Set(['tcp.accept', 'tcp.recv', 'tcp.send', 'tcp.sendBulk', 'udp.recvfrom', 'scenario.run']);

interface Pending {
  resolve: (r: CommandReply) => void;
  timer: ReturnType<typeof setTimeout> | null;
}

export class AgentClient {
  private connected = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private status: ClientStatus = 'connecting';
  private readonly pending = new Map<string, Pending>();
  private nextId = 0;
  private readonly idPrefix = Math.random().toString(36).slice(2, 8);
  private readonly timeoutMs: number;
  private readonly transport: Transport;

  constructor(private readonly opts: ClientOptions) {
    this.timeoutMs = opts.commandTimeoutMs ?? 15_000;
    this.transport = opts.transport ?? new DirectTransport(opts.WebSocketImpl ?? WebSocket);
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Closes for good (page unload). */
  stop(): void {
    this.stopped = true;
    this.clearRetry();
    if (this.connected) this.transport.close(1000, 'page closed');
    this.connected = false;
  }

  /** Reconnect now instead of waiting for the backoff timer. */
  retryNow(): void {
    if (this.stopped || this.status === 'live' || this.status === 'syncing') return;
    this.clearRetry();
    this.open();
  }

  /** Drops the current connection as if the network failed; the client reconnects and resyncs by itself. */
  dropConnection(): void {
    if (this.connected) this.transport.close(4000, 'dropped by the page');
  }

  /** Sends a command; resolves with the agent's reply, or an E_INVALID / E_TIMEOUT / E_DISCONNECTED error. */
  request(cmd: CommandInput): Promise<CommandReply> {
    const parsed = parseCommand(cmd);
    if (!parsed.ok) return Promise.resolve({ ok: false, error: { code: 'E_INVALID', message: parsed.error } });
    if (!this.connected || !this.transport.isOpen || (this.status !== 'live' && this.status !== 'syncing')) {
      return Promise.resolve({ ok: false, error: { code: 'E_DISCONNECTED', message: 'not connected to the agent' } });
    }
    const id = `${this.idPrefix}-${++this.nextId}`;
    return new Promise<CommandReply>((resolve) => {
      const timer = BLOCKING_OPS.has(parsed.cmd.op) ? null : setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: { code: 'E_TIMEOUT', message: `no reply within ${this.timeoutMs} ms` } });
      }, this.timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.send({ t: 'cmd', id, cmd: parsed.cmd });
    });
  }

  /**
   * A student's answer or the teacher's question to the class (the class poll, views/predict); resolves
   * with its one reply, a timeout or "disconnected", as request() does.
   */
  classPoll(msg: ClassPollInput): Promise<CommandReply> {
    if (!this.connected || !this.transport.isOpen || (this.status !== 'live' && this.status !== 'syncing')) {
      return Promise.resolve({ ok: false, error: { code: 'E_DISCONNECTED', message: 'not connected to the agent' } });
    }
    const id = `${this.idPrefix}-${++this.nextId}`;
    return new Promise<CommandReply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: { code: 'E_TIMEOUT', message: `no reply within ${this.timeoutMs} ms` } });
      }, this.timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.send({ ...msg, id } as ClientMessage);
    });
  }

  private open(): void {
    this.setStatus(this.attempt === 0 ? 'connecting' : 'reconnecting', null);
    try {
      this.transport.open(this.opts.url, {
        message: (m) => this.onMessage(m),
        // an error is always followed by close, which decides what to do
        close: (code, reason) => this.onClose(code, reason),
      });
      this.connected = true;
    } catch {
      this.connected = false;
      this.scheduleRetry();
    }
  }

  private onMessage(r: DecodedMessage): void {
    if (!r.ok) {
      this.opts.sink.badMessage(r.error);
      return;
    }
    const msg = r.msg;
    const sink = this.opts.sink;
    switch (msg.t) {
      case 'hello': {
        if (msg.protocolVersion !== PROTOCOL_VERSION) {
          this.stopWith({ kind: 'protocol', agentProtocol: msg.protocolVersion });
          this.transport.close(CloseCode.protocolMismatch, 'protocol version mismatch');
          return;
        }
        const since = sink.hello(msg);
        this.attempt = 0;
        this.setStatus('syncing', null);
        this.send({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since });
        return;
      }
      case 'events': sink.events(msg.events, msg.bad); return;
      case 'snapshot': sink.snapshot(msg.atSeq, msg.model); return;
      case 'gap': sink.gap(msg.from, msg.to, msg.reason); return;
      case 'merged': sink.merged(msg.count, msg.sinceSeq); return;
      case 'viewers': sink.viewers?.(msg.count); return;
      case 'poll': sink.poll?.(msg.poll); return;
      case 'synced':
        sink.synced(msg.lastSeq);
        this.setStatus('live', null);
        return;
      case 'reply': {
        const p = this.pending.get(msg.re);
        if (!p) return; // timed out already
        this.pending.delete(msg.re);
        if (p.timer) clearTimeout(p.timer);
        p.resolve(msg.ok ? { ok: true, result: msg.result } : { ok: false, error: msg.error });
        return;
      }
    }
  }

  private onClose(code: number, reason: string): void {
    this.connected = false;
    this.failPending();
    if (this.stopped) return;
    if (code === CloseCode.badToken) return this.stopWith({ kind: 'badToken' });
    if (code === CloseCode.badOrigin) return this.stopWith({ kind: 'badOrigin' });
    if (code === CloseCode.protocolMismatch) {
      const m = /(\d+)/.exec(reason);
      return this.stopWith({ kind: 'protocol', ...(m ? { agentProtocol: Number(m[1]) } : {}) });
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    this.attempt++;
    const delay = backoffDelay(this.attempt);
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
    this.setStatus('reconnecting', Date.now() + delay);
  }

  private stopWith(stop: StopReason): void {
    if (this.status === 'stopped') return;
    this.stopped = true;
    this.clearRetry();
    this.status = 'stopped';
    this.opts.sink.status('stopped', { attempt: this.attempt, retryAt: null, stop });
  }

  private setStatus(status: ClientStatus, retryAt: number | null): void {
    this.status = status;
    this.opts.sink.status(status, { attempt: this.attempt, retryAt });
  }

  private failPending(): void {
    for (const [id, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.resolve({ ok: false, error: { code: 'E_DISCONNECTED', message: 'the connection to the agent closed before it replied' } });
      this.pending.delete(id);
    }
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private send(msg: ClientMessage): void {
    if (this.connected) this.transport.send(JSON.stringify(msg));
  }
}
