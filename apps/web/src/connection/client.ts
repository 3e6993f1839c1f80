import {
  CloseCode, PROTOCOL_VERSION, parseCommand, type ClientMessage, type CommandInput, type ServerMessage as ServerMsg,
} from '@socketscope/shared';
import { backoffDelay } from './backoff.ts';
import { parseServerMessage } from './validate.ts';

/**
 * The page's one WebSocket to the agent.
 *
 * Protocol (packages/shared/src/protocol/messages.ts): the agent speaks first with `hello`; we check
 * its protocol version (a mismatch stops here with a stated reason) and answer `sync` with the last
 * seq we hold, so the agent resends only what we missed. Then `events`, `snapshot`, `gap`, `merged`,
 * `synced` and `reply` arrive. Every server message is validated; a bad one is counted and dropped.
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
  events(raw: unknown[]): void;
  snapshot(atSeq: number, model: unknown): void;
  gap(from: number, to: number, reason: string): void;
  merged(count: number, sinceSeq: number): void;
  synced(lastSeq: number): void;
  /** while sharing, on the teacher's page: how many read-only pages are watching */
  viewers?(count: number): void;
  badMessage(error: string): void;
}

export interface ClientOptions {
  url: string;
  sink: ClientSink;
  commandTimeoutMs?: number;
  /** tests and odd environments may pass their own */
  WebSocketImpl?: typeof WebSocket;
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
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private status: ClientStatus = 'connecting';
  private readonly pending = new Map<string, Pending>();
  private nextId = 0;
  private readonly idPrefix = Math.random().toString(36).slice(2, 8);
  private readonly timeoutMs: number;
  private readonly WS: typeof WebSocket;

  constructor(private readonly opts: ClientOptions) {
    this.timeoutMs = opts.commandTimeoutMs ?? 15_000;
    this.WS = opts.WebSocketImpl ?? WebSocket;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Closes for good (page unload). */
  stop(): void {
    this.stopped = true;
    this.clearRetry();
    this.ws?.close(1000, 'page closed');
    this.ws = null;
  }

  /** Reconnect now instead of waiting for the backoff timer. */
  retryNow(): void {
    if (this.stopped || this.status === 'live' || this.status === 'syncing') return;
    this.clearRetry();
    this.open();
  }

  /** Drops the current connection as if the network failed; the client reconnects and resyncs by itself. */
  dropConnection(): void {
    this.ws?.close(4000, 'dropped by the page');
  }

  /** Sends a command; resolves with the agent's reply, or an E_INVALID / E_TIMEOUT / E_DISCONNECTED error. */
  request(cmd: CommandInput): Promise<CommandReply> {
    const parsed = parseCommand(cmd);
    if (!parsed.ok) return Promise.resolve({ ok: false, error: { code: 'E_INVALID', message: parsed.error } });
    const ws = this.ws;
    if (!ws || ws.readyState !== this.WS.OPEN || (this.status !== 'live' && this.status !== 'syncing')) {
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

  private open(): void {
    this.setStatus(this.attempt === 0 ? 'connecting' : 'reconnecting', null);
    let ws: WebSocket;
    try {
      ws = new this.WS(this.opts.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.addEventListener('message', (ev) => {
      if (this.ws === ws) this.onMessage(ev.data);
    });
    ws.addEventListener('close', (ev) => {
      if (this.ws === ws) this.onClose(ev.code, ev.reason);
    });
    // onerror is always followed by onclose, which decides what to do
  }

  private onMessage(data: unknown): void {
    let raw: unknown;
    try {
      raw = JSON.parse(typeof data === 'string' ? data : String(data));
    } catch {
      this.opts.sink.badMessage('not JSON');
      return;
    }
    const r = parseServerMessage(raw);
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
          this.ws?.close(CloseCode.protocolMismatch, 'protocol version mismatch');
          return;
        }
        const since = sink.hello(msg);
        this.attempt = 0;
        this.setStatus('syncing', null);
        this.send({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since });
        return;
      }
      case 'events': sink.events(msg.events); return;
      case 'snapshot': sink.snapshot(msg.atSeq, msg.model); return;
      case 'gap': sink.gap(msg.from, msg.to, msg.reason); return;
      case 'merged': sink.merged(msg.count, msg.sinceSeq); return;
      case 'viewers': sink.viewers?.(msg.count); return;
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
    this.ws = null;
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
    this.ws?.send(JSON.stringify(msg));
  }
}
