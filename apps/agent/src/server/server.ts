/**
 * The agent's one port: the built page over HTTP and the event stream on /ws. Rules enforced here
 * (the checks themselves are in security.ts, static.ts and connection.ts):
 *
 * N1 Bound to 127.0.0.1 unless told otherwise.
 * N2 Every HTTP request needs an allowed Host header (S3), else a bare 403.
 * N3 Every upgrade is checked (S2–S4) before the WebSocket exists; refusals are a bare 403 (S5) and
 *    the log line names the reason but never the URL (it holds the token: S6).
 * N4 WebSocket frames are bounded (maxPayload); at most MAX_CLIENTS sockets at once.
 * N5 close() flushes every client, closes it with CloseCode.shuttingDown, then closes the port.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { OutboundOptions } from '../session/outbound.ts';
import { ClientConnection, MAX_FRAME, type AgentPort } from './connection.ts';
import { allowedHosts, allowedOrigins, checkUpgrade, hostAllowed } from './security.ts';
import { DEFAULT_WEB_ROOT, securityHeaders, serveStatic } from './static.ts';

export const DEFAULT_PORT = 8787;
export const MAX_CLIENTS = 32;

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port */
  port?: number;
  token: string;
  webRoot?: string;
  outbound?: OutboundOptions;
  log?: (line: string) => void;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** the page's address with the token: print it once, never log it elsewhere */
  readonly url: string;
  clients(): number;
  close(): Promise<void>;
}

export async function startServer(agent: AgentPort, opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const webRoot = opts.webRoot ?? DEFAULT_WEB_ROOT;
  const connections = new Set<ClientConnection>();
  const sockets = new Set<WebSocket>();
  let hosts = new Set<string>();
  let origins = new Set<string>();

  // ws's own limit sits above ours, so an over-long frame gets an error reply (P3) rather than a
  // bare close; only a frame beyond 4 × MAX_FRAME is cut off by ws itself.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME * 4, clientTracking: false, perMessageDeflate: false });

  const http: Server = createServer((req, res) => {
    if (!hostAllowed(req, hosts)) { // N2
      res.writeHead(403, { 'Content-Length': '0', Connection: 'close' });
      res.end();
      return;
    }
    const reqHost = req.headers.host!;
    if ((req.url ?? '').split('?')[0] === '/ws') {
      res.writeHead(426, { ...securityHeaders(reqHost), 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' });
      res.end('this address takes WebSocket connections only');
      return;
    }
    serveStatic(req, res, webRoot, reqHost).catch((err: unknown) => {
      log(`static file error: ${(err as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Length': '0' });
      res.end();
    });
  });
  http.on('clientError', (_err, socket) => socket.destroy());

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const verdict = checkUpgrade(req, opts.token, hosts, origins); // N3
    if (!verdict.ok || connections.size >= MAX_CLIENTS) {
      const why = verdict.ok ? 'too many clients' : verdict.why;
      log(`refused a WebSocket from ${req.socket.remoteAddress ?? '?'}: ${why}`);
      socket.end(`HTTP/1.1 ${verdict.ok ? 503 : 403} ${verdict.ok ? 'Service Unavailable' : 'Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const conn = new ClientConnection(ws, agent, opts.outbound, log);
      connections.add(conn);
      sockets.add(ws);
      ws.on('close', () => { connections.delete(conn); sockets.delete(ws); });
    });
  });

  const offReset = agent.session.onReset(() => { for (const c of connections) c.sessionReset(); });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => { http.off('listening', onListening); reject(err); };
    const onListening = () => { http.off('error', onError); resolve(); };
    http.once('error', onError);
    http.once('listening', onListening);
    http.listen(opts.port ?? DEFAULT_PORT, host); // N1
  });
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? DEFAULT_PORT);
  hosts = allowedHosts(port, host);
  origins = allowedOrigins(hosts);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    url: `http://${urlHost}:${port}/?token=${opts.token}`,
    clients: () => connections.size,
    close() {
      closing ??= (async () => {
        offReset();
        for (const c of connections) c.shutdown(); // N5
        // give the close handshakes a moment, then cut whoever did not answer
        const deadline = Date.now() + 500;
        while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        for (const ws of sockets) ws.terminate();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        wss.close();
      })();
      return closing;
    },
  };
}
