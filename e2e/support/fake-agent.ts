import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { ROOT } from './agent.ts';

interface Ws {
  send(text: string): void;
  on(event: 'message', fn: (data: unknown) => void): void;
  once(event: 'open' | 'error', fn: (arg?: unknown) => void): void;
  close(): void;
}
interface WsLib {
  new (url: string, opts: { origin: string }): Ws;
  WebSocketServer: new (o: { noServer: true }) => {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: Ws) => void): void;
    clients: Set<{ terminate(): void }>;
    close(): void;
  };
}
/** the agent's own `ws` package (the e2e tree has no dependencies of its own) */
export const WebSocketLib = createRequire(path.join(ROOT, 'apps/agent/package.json'))('ws') as WsLib;


/**
 * The built page, and on /ws a stand-in for the agent that speaks the real protocol (hello, the page's
 * sync, then whatever the test sends): for what only a crafted stream can show — a snapshot that is not
 * a model, a captured packet that arrives after the calls that followed it. Loopback only.
 */
export interface FakeAgent {
  url: string;
  /** resolves once the page has sent its sync */
  synced: Promise<void>;
  send(msg: object): void;
  close(): Promise<void>;
}

export async function fakeAgent(opts: { view?: string; onSync?: (send: (msg: object) => void) => void; /** fields of the hello to replace (capabilities, readOnly) */ hello?: object; /** the page's other messages (cmd) */ onMessage?: (msg: { t: string; id?: string; cmd?: unknown }, send: (msg: object) => void) => void } = {}): Promise<FakeAgent> {
  const dist = path.join(ROOT, 'apps/web/dist');
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(dist, rel === '/' ? 'index.html' : rel);
    if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  const wss = new WebSocketLib.WebSocketServer({ noServer: true });
  let client: Ws | null = null;
  const sync: { done: () => void } = { done: () => {} };
  const synced = new Promise<void>((resolve) => { sync.done = resolve; });
  const send = (msg: object) => client?.send(JSON.stringify(msg));
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => {
    client = ws;
    ws.send(JSON.stringify({
      t: 'hello', protocolVersion: 1, agentVersion: '0.1.0', session: { id: 'fake', startedAt: new Date().toISOString() },
      capabilities: { kernel: { available: false }, wire: { available: true }, tcpInfo: { available: false }, remoteTargets: false, scenarios: [] },
      readOnly: true,
      ...opts.hello,
    }));
    ws.on('message', (data: unknown) => {
      const msg = JSON.parse(String(data)) as { t: string };
      if (msg.t !== 'sync') { opts.onMessage?.(msg, send); return; }
      opts.onSync?.(send);
      sync.done();
    });
  }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/?token=fake&view=${opts.view ?? 'playground'}&lang=en`,
    synced, send,
    close: () => new Promise((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
