import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import type { ServerMessage } from '@socketscope/shared';
import { createAgent, type Agent } from '../src/agent.ts';
import { startServer, type RunningServer } from '../src/server/server.ts';
import type { OutboundOptions } from '../src/session/outbound.ts';
import type { SessionOptions } from '../src/session/session.ts';

export const TOKEN = 'a'.repeat(64);

export interface Harness {
  agent: Agent;
  server: RunningServer;
  port: number;
  base: string;
  webRoot: string;
  /** everything the agent logged */
  logs: string[];
  close(): Promise<void>;
}

/** A real agent and server on a free loopback port, serving a small page from a temp folder. */
export async function startHarness(opts: { webRoot?: string | null; outbound?: OutboundOptions; session?: SessionOptions } = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'socketscope-web-'));
  const webRoot = path.join(dir, 'dist');
  mkdirSync(path.join(webRoot, 'assets'), { recursive: true });
  writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>SocketScope</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(path.join(webRoot, 'assets', 'app.js'), 'console.log("app")');
  for (const f of ['assets/session.worker-Ab1_c-9.js', 'assets/evil-session.worker-1.js', 'session.worker-1.js', 'assets/session.worker-1.js.map']) writeFileSync(path.join(webRoot, f), '// worker');
  writeFileSync(path.join(dir, 'secret.txt'), 'TOP-SECRET-OUTSIDE-ROOT');
  symlinkSync(path.join(dir, 'secret.txt'), path.join(webRoot, 'link.txt'));
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);
  const agent = await createAgent({ log, capture: 'off', ...(opts.session ? { session: opts.session } : {}) });
  agent.start();
  const server = await startServer(agent, {
    port: 0, token: TOKEN, log,
    webRoot: opts.webRoot === null ? path.join(dir, 'missing') : opts.webRoot ?? webRoot,
    ...(opts.outbound ? { outbound: opts.outbound } : {}),
  });
  await agent.setUiPorts([server.port]);
  return {
    agent, server, port: server.port, base: `http://127.0.0.1:${server.port}`, webRoot, logs,
    async close() {
      await server.close();
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ConnectOptions { token?: string | null; origin?: string | null; host?: string; path?: string }

/** Opens a WebSocket; resolves with it once open, or rejects with the HTTP status of the refusal. */
export function connect(port: number, o: ConnectOptions = {}): Promise<WebSocket> {
  const token = o.token === undefined ? TOKEN : o.token;
  const q = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  const headers: Record<string, string> = {};
  if (o.host) headers['Host'] = o.host;
  const wsOpts: WebSocket.ClientOptions = { headers };
  const origin = o.origin === undefined ? `http://127.0.0.1:${port}` : o.origin;
  if (origin !== null) wsOpts.origin = origin;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${o.path ?? '/ws'}${q}`, wsOpts);
  // listen before 'open': the hello can arrive in the same read as the upgrade response
  inboxes.set(ws, new Inbox(ws));
  ws.once('upgrade', (res) => { tcpSockets.set(ws, res.socket); });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode, body })));
    });
    ws.once('error', reject);
  });
}

const inboxes = new WeakMap<WebSocket, Inbox>();
const tcpSockets = new WeakMap<WebSocket, net.Socket>();

/** The TCP socket under a client WebSocket (to stop reading from it, as a busy page would). */
export function tcpSocketOf(ws: WebSocket): net.Socket {
  const s = tcpSockets.get(ws);
  if (!s) throw new Error('not a socket from connect()');
  return s;
}

/** Every message the socket received since it was opened by connect(). */
export function inboxOf(ws: WebSocket): Inbox {
  const i = inboxes.get(ws);
  if (!i) throw new Error('not a socket from connect()');
  return i;
}

/** Collects every message a client receives, with helpers to wait for one. */
export class Inbox {
  readonly all: any[] = [];
  private waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  closed: { code: number; reason: string } | null = null;
  private closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      this.all.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      for (const w of this.closeWaiters) w(this.closed);
    });
  }

  next(pred: (m: any) => boolean, timeoutMs = 5000): Promise<any> {
    const have = this.all.find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(this.all.map((m) => m.t))}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  }

  reply(id: string): Promise<any> { return this.next((m) => m.t === 'reply' && m.re === id); }

  whenClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.closeWaiters.push((c) => { clearTimeout(t); resolve(c); });
    });
  }

  events(): any[] { return this.all.filter((m) => m.t === 'events').flatMap((m) => m.events); }
}

/** A raw HTTP request, so the path reaches the server exactly as written (no client normalisation). */
export function rawGet(port: number, rawPath: string, host = `127.0.0.1:${port}`): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      sock.write(`GET ${rawPath} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    sock.on('data', (c) => { data += c.toString('latin1'); });
    sock.on('end', () => {
      const i = data.indexOf('\r\n\r\n');
      const head = data.slice(0, i);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: data.slice(i + 4) });
    });
    sock.on('error', reject);
    sock.setTimeout(5000, () => sock.destroy(new Error('timeout')));
  });
}
