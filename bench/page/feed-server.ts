/**
 * The bench-owned feed for the page's lines that need more events than the agent can emit (≈ 16 µs per
 * event in the agent, inference included): it serves a built page (dist/) with the agent's own static
 * handler (same CSP) and speaks the real protocol on /ws: hello, the page's sync {since}, history after
 * `since`, synced, then pre-encoded `events` messages about once a frame, as the agent's outbound does,
 * holding back while the socket's buffer is over 8 MB (the agent's high-water mark does the same). The
 * page cannot tell it from an agent; what is measured is the page. It also serves a one-line page at
 * BLANK_PATH (the first-paint line's baseline).
 * Loopback only (127.0.0.1, an ephemeral port); every loop is bounded by the events it was given and a time.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ClientMessage, PROTOCOL_VERSION, type ServerMessage, type SessionEvent } from '../../packages/shared/src/index.ts';
import { KIT_TOKEN } from '../../apps/agent/test/reliability-kit.ts';
import { serveStatic } from '../../apps/agent/src/server/static.ts';
import { ROOT } from '../lib/agent-process.ts';

type WsLike = { send(data: string): void; close(): void; bufferedAmount: number; readyState: number; on(ev: 'message', f: (data: Buffer) => void): void; on(ev: 'close', f: () => void): void };
type WssLike = { on(ev: 'connection', f: (ws: WsLike) => void): void; handleUpgrade(req: unknown, socket: unknown, head: Buffer, cb: (ws: WsLike) => void): void; close(): void };
/** `ws` is the agent's dependency (not hoisted to the root): load it the way the agent does */
const { WebSocketServer } = createRequire(path.join(ROOT, 'apps/agent/package.json'))('ws') as { WebSocketServer: new (o: { noServer: true }) => WssLike };
const HIGH_WATER = 8 * 2 ** 20;
export const BLANK_PATH = '/bench-blank';
const BLANK = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body><p>SocketScope</p></body></html>';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class FeedServer {
  private ws: WsLike | null = null;
  /** events [0, sent) went out (or are history a new page gets after its since) */
  sent = 0;
  private synced = false;
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private session = randomUUID();

  private constructor(private readonly encoded: string[], dist: string) {
    this.http = createServer((req, res) => {
      if (req.url === BLANK_PATH) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(BLANK);
      else void serveStatic(req, res, dist, req.headers.host ?? '127.0.0.1');
    });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== '/ws' || url.searchParams.get('token') !== KIT_TOKEN) { socket.destroy(); return; }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  static async start(events: readonly SessionEvent[], dist: string): Promise<FeedServer & { port: number }> {
    const f = new FeedServer(events.map((e) => JSON.stringify(e)), dist);
    await new Promise<void>((r) => f.http.listen(0, '127.0.0.1', r));
    return Object.assign(f, { port: (f.http.address() as AddressInfo).port });
  }

  get length(): number {
    return this.encoded.length;
  }

  /** A new session (the next page starts from event 0). */
  reset(): void {
    this.ws?.close();
    this.ws = null;
    this.sent = 0;
    this.synced = false;
    this.session = randomUUID();
  }

  private accept(ws: WsLike): void {
    this.ws?.close();
    this.ws = ws;
    this.synced = false;
    const hello: ServerMessage = {
      t: 'hello', protocolVersion: PROTOCOL_VERSION, agentVersion: 'bench-feed', readOnly: false,
      session: { id: this.session, startedAt: new Date().toISOString() },
      capabilities: {
        kernel: { available: false, reason: 'bench feed: recorded events only' }, wire: { available: false, reason: 'bench feed' },
        tcpInfo: { available: false }, remoteTargets: false, scenarios: [],
      },
    };
    ws.send(JSON.stringify(hello));
    ws.on('message', (data) => {
      const m = ClientMessage.safeParse(JSON.parse(data.toString()));
      if (!m.success) return;
      if (m.data.t === 'cmd') {
        const reply: ServerMessage = { t: 'reply', re: m.data.id, ok: false, error: { code: 'E_INVALID', message: 'the bench feed runs no commands' } };
        ws.send(JSON.stringify(reply));
        return;
      }
      if (m.data.t !== 'sync') return; // a class poll's messages: the feed has no class
      // history after `since`, in batches, then synced
      for (let i = (m.data.since ?? -1) + 1; i < this.sent; i += 2000) ws.send(this.batch(i, Math.min(this.sent, i + 2000)));
      ws.send(JSON.stringify({ t: 'synced', lastSeq: this.sent - 1 } satisfies ServerMessage));
      this.synced = true;
    });
    ws.on('close', () => { if (this.ws === ws) this.ws = null; });
  }

  /** The events [from, to) as the page receives them: `events` messages of at most `per` events. */
  texts(from: number, to: number, per: number): string[] {
    const out: string[] = [];
    for (let i = from; i < to; i += per) out.push(this.batch(i, Math.min(to, i + per)));
    return out;
  }

  private batch(from: number, to: number): string {
    return `{"t":"events","events":[${this.encoded.slice(from, to).join(',')}]}`;
  }

  /** Sends events up to `to` now if the page's socket can take them; returns how many went. */
  sendUpTo(to: number): number {
    const ws = this.ws;
    if (!ws || !this.synced || ws.readyState !== 1 || ws.bufferedAmount > HIGH_WATER) return 0;
    const end = Math.min(to, this.encoded.length);
    if (end <= this.sent) return 0;
    ws.send(this.batch(this.sent, end));
    const n = end - this.sent;
    this.sent = end;
    return n;
  }

  /** Offers `rate` events/s for `ms`, one message per ~16 ms frame; returns how many were sent. */
  async feed(rate: number, ms: number): Promise<number> {
    const t0 = performance.now();
    const from = this.sent;
    let lastSend = -Infinity;
    while (performance.now() - t0 < ms && this.sent < this.encoded.length) {
      const now = performance.now();
      if (now - lastSend >= 16) {
        this.sendUpTo(from + Math.floor(((now - t0) / 1000) * rate));
        lastSend = now;
      }
      await sleep(2);
    }
    return this.sent - from;
  }

  async close(): Promise<void> {
    this.ws?.close();
    this.wss.close();
    await new Promise<void>((r) => this.http.close(() => r()));
  }
}
