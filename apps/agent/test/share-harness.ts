/**
 * A real agent and server for the security and sharing tests, with the options those tests turn
 * (share address, rate, caps), and a WebSocket client that can reach either listener with any
 * Host / Origin. Every address is loopback (127.0.0.1, and 127.0.0.2 as a stand-in "LAN" address);
 * the test that crosses a real (namespaced) network is share-netns.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@socketscope/shared';
import { createAgent, type Agent } from '../src/agent.ts';
import { startServer, type RunningServer, type ServerOptions } from '../src/server/server.ts';
import type { Started } from './cli-kit.ts';
import { Inbox } from './server-helpers.ts';

export const FULL = 'f'.repeat(64);
export const VIEWER = 'v'.repeat(64);
/** a second loopback address: a share listener there is reachable only from this machine */
export const SHARE_HOST = '127.0.0.2';

export interface SecHarness {
  agent: Agent;
  server: RunningServer;
  port: number;
  logs: string[];
  close(): Promise<void>;
}

export type HarnessOptions = Partial<Omit<ServerOptions, 'token' | 'webRoot' | 'log'>> & { allowRemote?: boolean; share?: ServerOptions['share'] | true };

export async function startSec(o: HarnessOptions = {}): Promise<SecHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'socketscope-sec-'));
  const webRoot = path.join(dir, 'dist');
  mkdirSync(webRoot, { recursive: true });
  writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>SocketScope</title>');
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);
  const { allowRemote, share, ...rest } = o;
  const agent = createAgent({ log, capture: 'off', allowRemote: allowRemote ?? false });
  agent.start();
  const server = await startServer(agent, {
    port: 0, token: FULL, log, webRoot, ...rest,
    ...(share ? { share: share === true ? { host: SHARE_HOST, viewerToken: VIEWER } : share } : {}),
  });
  await agent.setUiPorts([server.port]);
  return {
    agent, server, port: server.port, logs,
    async close() {
      await server.close();
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Dial {
  /** the address to connect to (default 127.0.0.1) */
  addr?: string;
  token?: string | null;
  /** Host header (default addr:port) and Origin (default http://addr:port; null: none) */
  host?: string;
  origin?: string | null;
}

export type Refusal = Error & { status: number; body: string };

/** Opens a WebSocket with an inbox attached from the first byte; rejects with the HTTP status of a refusal. */
export function dial(port: number, d: Dial = {}): Promise<{ ws: WebSocket; inbox: Inbox }> {
  const addr = d.addr ?? '127.0.0.1';
  const token = d.token === undefined ? FULL : d.token;
  const q = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  const opts: WebSocket.ClientOptions = { headers: d.host ? { Host: d.host } : {} };
  const origin = d.origin === undefined ? `http://${addr}:${port}` : d.origin;
  if (origin !== null) opts.origin = origin;
  const ws = new WebSocket(`ws://${addr}:${port}/ws${q}`, opts);
  const inbox = new Inbox(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, inbox }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode ?? 0, body })));
    });
    ws.once('error', reject);
  });
}

/** The refusal of a dial that must fail (throws if it was accepted). */
export async function refused(p: Promise<{ ws: WebSocket }>): Promise<Refusal> {
  try {
    const { ws } = await p;
    ws.close();
  } catch (e) {
    return e as Refusal;
  }
  throw new Error('the WebSocket was accepted');
}

/** Dial, wait for hello, sync, wait for synced. */
export async function live(port: number, d: Dial = {}): Promise<{ ws: WebSocket; inbox: Inbox; hello: any }> {
  const c = await dial(port, d);
  const hello = await c.inbox.next((m) => m.t === 'hello');
  c.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
  await c.inbox.next((m) => m.t === 'synced');
  return { ...c, hello };
}

let ids = 0;
/** Sends a command; returns its id (await inbox.reply(id) for the answer). */
export function send(ws: WebSocket, cmd: unknown): string {
  const id = `k${++ids}`;
  ws.send(JSON.stringify({ t: 'cmd', id, cmd }));
  return id;
}

/** One raw HTTP request to addr:port, exactly as written. */
export function rawHttp(port: number, request: string, addr = '127.0.0.1'): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, addr, () => sock.write(request));
    let data = '';
    sock.on('data', (c) => { data += c.toString('latin1'); });
    sock.on('end', () => {
      const i = data.indexOf('\r\n\r\n');
      const head = i < 0 ? data : data.slice(0, i);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: i < 0 ? '' : data.slice(i + 4) });
    });
    sock.on('error', reject);
    sock.setTimeout(5000, () => sock.destroy(new Error('timeout')));
  });
}

export function get(port: number, p: string, headers: Record<string, string>, addr = '127.0.0.1') {
  const lines = Object.entries({ Host: `${addr}:${port}`, ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return rawHttp(port, `GET ${p} HTTP/1.1\r\n${lines}Connection: close\r\n\r\n`, addr);
}

/** Polls until check() returns something truthy (bounded). */
export async function until<T>(check: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ── the CLI, as a teacher starts it ──────────────────────────────────────────────────────────────
export { startCli, type Started } from './cli-kit.ts';

export async function links(s: Started, timeoutMs = 20_000): Promise<{ teacher: URL; students: URL }> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const a = /^SocketScope: (http:\/\/\S+)$/m.exec(s.stdout());
    const b = /^SocketScope read-only link for students: (http:\/\/\S+)$/m.exec(s.stdout());
    if (a && b) return { teacher: new URL(a[1]!), students: new URL(b[1]!) };
    await new Promise((r) => setTimeout(r, 50));
  }
  s.child.kill('SIGKILL');
  throw new Error(`no link lines; stdout: ${s.stdout()} stderr: ${s.stderr()}`);
}
