/**
 * The agent's one port: the built page over HTTP and the event stream on /ws. Rules enforced here
 * (the checks themselves are in security.ts, static.ts and connection.ts):
 *
 * N1 Bound to 127.0.0.1 unless told otherwise.
 * N2 Every HTTP request needs an allowed Host header (S3) and, if it carries one, an allowed Origin
 *    (S7), else a bare 403.
 * N3 Every upgrade is checked (S2–S4, S8, S9) before the WebSocket exists; refusals are a bare 403
 *    (S5) and the log line names the reason but never the URL (it holds a token: S6).
 * N4 WebSocket frames are bounded (maxPayload: 1 MiB for the teacher, 16 KiB for a viewer, whose only
 *    message is a small sync). At most maxClients (32) teacher connections and, separately, maxViewers
 *    (100) read-only ones at once; the next gets a bare 503. Counting them apart means a classroom of
 *    viewers can never lock the teacher out.
 * N5 close() flushes every client, closes it with CloseCode.shuttingDown, then closes the port(s).
 * N6 Sharing (`share`): a second listener on the share address, same port, with its own allow-lists
 *    (S9) where only the viewer token is accepted (S8). The teacher's listener stays on loopback.
 * N7 The share listener holds at most maxConnections TCP connections (viewers + page loads), and at most
 *    maxPerAddress (16) from any one address, so one machine's idle connections cannot fill the places of
 *    the class (a browser needs about 7: six page loads and the WebSocket); both listeners drop a
 *    connection that has not sent its request headers within 10 s (slowloris).
 * N8 While sharing, every teacher connection is told the viewer link in its hello and the number of
 *    viewers whenever it changes (`viewers {count}`); a viewer is told neither (P7).
 * N9 While sharing, read-only pages are streamed by one ViewerPool (session/viewer-pool.ts V1–V7): their
 *    sockets may hold 128 KiB each and 16 MiB together, a page that stops reading is detached and later
 *    resumed with snapshot + gap, and their work runs in 8 ms slices after the teacher's. Payload bytes
 *    are hidden from them by default (`hidePayloads`; the teacher's `share.payloads` switch, P11).
 * N10 A port already in use is reported with who holds it (port-holder.ts; never its command line, S6),
 *    so a stale agent left behind by a killed launcher is named with the pid to stop.
 * N11 While sharing, one class poll (answers/class-poll.ts AN1–AN8) takes the teacher's questions and the
 *    students' answers; every connection is told where it stands after its hello. Its per-address bound is
 *    N7's (maxPerAddress).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ShareInfo } from '@socketscope/shared';
import type { OutboundOptions } from '../session/outbound.ts';
import { ViewerPool, type ViewerPoolOptions } from '../session/viewer-pool.ts';
import { ClassPoll, type ClassPollOptions } from './answers/class-poll.ts';
import { ClientConnection, MAX_FRAME, type AgentPort } from './connection.ts';
import type { RateOptions } from './rate.ts';
import {
  allowedHosts, allowedOrigins, checkUpgrade, hostForUrl, httpAllowed, makeGate, shareHosts,
  type Gate, type ListenerKind, type Role, type Tokens,
} from './security.ts';
import { holderLine, portHolder } from './port-holder.ts';
import { DEFAULT_WEB_ROOT, securityHeaders, serveStatic } from './static.ts';

export const DEFAULT_PORT = 8787;
export const MAX_CLIENTS = 32;
export const MAX_VIEWERS = 100;
/** a viewer sends only `sync` (and perhaps refused commands): small frames are all it needs */
export const VIEWER_MAX_FRAME = 16 * 1024;
export const HEADERS_TIMEOUT_MS = 10_000;
/** N7: TCP connections one address may hold on the share listener */
export const MAX_PER_ADDRESS = 16;

export interface ShareOptions {
  /** one IP address of this machine (share.ts shareHostProblem) */
  host: string;
  viewerToken: string;
  maxViewers?: number;
  /** TCP connections the share listener holds at once (default maxViewers + 32) */
  maxConnections?: number;
  /** N7: TCP connections one address may hold on it (default MAX_PER_ADDRESS) */
  maxPerAddress?: number;
  /** hide payload bytes from read-only pages until the teacher shows them (default true) */
  hidePayloads?: boolean;
}

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port */
  port?: number;
  token: string;
  webRoot?: string;
  outbound?: OutboundOptions;
  /** messages per second per client (P8); load tests may raise it */
  rate?: RateOptions;
  /** teacher connections at once (N4) */
  maxClients?: number;
  share?: ShareOptions;
  /** the read-only pages' budgets (session/viewer-pool.ts); tests shorten them */
  viewerPool?: ViewerPoolOptions;
  /** N7: how long a connection may take to send its request headers (tests shorten it) */
  headersTimeoutMs?: number;
  /** N11: the class poll's bounds (answers/class-poll.ts); tests change them */
  classPoll?: ClassPollOptions;
  log?: (line: string) => void;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** the page's address with the token: print it once, never log it elsewhere */
  readonly url: string;
  /** while sharing: the students' read-only address with the viewer token (print it once) */
  readonly viewerUrl: string | null;
  /** connected pages, teacher and viewers */
  clients(): number;
  viewers(): number;
  close(): Promise<void>;
}

export async function startServer(agent: AgentPort, opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const webRoot = opts.webRoot ?? DEFAULT_WEB_ROOT;
  const share = opts.share;
  const maxClients = opts.maxClients ?? MAX_CLIENTS;
  const maxViewers = share?.maxViewers ?? MAX_VIEWERS;
  if (share && share.viewerToken === opts.token) throw new Error('the viewer token must differ from the token');
  const tokens: Tokens = { full: opts.token, viewer: share?.viewerToken };
  const connections = new Set<ClientConnection>();
  const sockets = new Set<WebSocket>();
  /** upgrades allowed and not yet closed, per role (counted before the handshake ends: no race past the caps) */
  const held: Record<Role, number> = { full: 0, viewer: 0 };
  let viewerUrl: string | null = null;
  // N9: read-only pages are served together, within budgets of their own, after the teacher
  const pool = share ? new ViewerPool(agent.session, { hidePayloads: share.hidePayloads ?? true, ...opts.viewerPool }) : undefined;
  // N11: questions to the class and their answers, beside the session (never in it)
  const classPoll = share ? new ClassPoll({ log, perAddress: share.maxPerAddress ?? MAX_PER_ADDRESS, ...opts.classPoll }) : undefined;

  // ws's own limit sits above ours, so an over-long frame gets an error reply (P3) rather than a
  // bare close; only a frame beyond 4 × MAX_FRAME is cut off by ws itself.
  const common = { noServer: true, clientTracking: false, perMessageDeflate: false } as const;
  const wss: Record<Role, WebSocketServer> = {
    full: new WebSocketServer({ ...common, maxPayload: MAX_FRAME * 4 }),
    viewer: new WebSocketServer({ ...common, maxPayload: VIEWER_MAX_FRAME }), // N4
  };

  const liveViewers = () => [...connections].filter((c) => c.role === 'viewer').length;
  const shareInfo = (): ShareInfo | undefined => (viewerUrl ? { viewerUrl, viewers: liveViewers() } : undefined);
  const tellViewers = () => {
    if (!share) return;
    const n = liveViewers();
    for (const c of connections) c.viewers(n); // N8 (viewers() ignores read-only connections)
  };

  const onRequest = (gate: Gate) => (req: IncomingMessage, res: ServerResponse) => {
    if (!httpAllowed(req, gate)) { // N2
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
  };

  const refuse = (socket: Duplex, req: IncomingMessage, kind: ListenerKind, status: 403 | 503, why: string) => {
    log(`refused a WebSocket from ${req.socket.remoteAddress ?? '?'} on the ${kind === 'share' ? 'share' : 'local'} address: ${why}`);
    socket.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Service Unavailable'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  const onUpgrade = (gate: Gate) => (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const verdict = checkUpgrade(req, tokens, gate); // N3
    if (!verdict.ok) return refuse(socket, req, gate.kind, 403, verdict.why);
    const role = verdict.role;
    const cap = role === 'full' ? maxClients : maxViewers;
    if (held[role] >= cap) return refuse(socket, req, gate.kind, 503, `already ${cap} ${role === 'full' ? 'teacher' : 'read-only'} connections`); // N4
    held[role]++;
    let released = false;
    const release = () => { if (!released) { released = true; held[role]--; } };
    socket.once('close', release); // a handshake ws refuses (bad key …) never reaches the callback
    wss[role].handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const conn = new ClientConnection(ws, agent, {
        role, log, share: shareInfo, pool, poll: classPoll, address: plainAddress(req.socket.remoteAddress),
        ...(opts.outbound ? { outbound: opts.outbound } : {}),
        ...(opts.rate ? { rate: opts.rate } : {}),
      });
      connections.add(conn);
      sockets.add(ws);
      ws.on('close', () => {
        connections.delete(conn);
        sockets.delete(ws);
        release();
        if (role === 'viewer') tellViewers();
      });
      if (role === 'viewer') tellViewers();
    });
  };

  const makeListener = (gate: Gate): Server => {
    // N7: Node checks the timeouts every connectionsCheckingInterval (30 s by default): check often
    const headersTimeout = opts.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
    const server = createServer({ headersTimeout, requestTimeout: Math.max(30_000, headersTimeout), connectionsCheckingInterval: Math.min(1000, headersTimeout) }, onRequest(gate));
    server.on('clientError', (_err, socket) => socket.destroy());
    server.on('upgrade', onUpgrade(gate));
    return server;
  };

  const localGate = makeGate('local', new Set());
  const local = makeListener(localGate);
  await listen(local, opts.port ?? DEFAULT_PORT, host, log); // N1
  const addr = local.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? DEFAULT_PORT);
  localGate.hosts = allowedHosts(port, host);
  localGate.origins = allowedOrigins(localGate.hosts);

  let shared: Server | null = null;
  if (share) {
    shared = makeListener(makeGate('share', shareHosts(port, share.host))); // N6, S9
    shared.maxConnections = share.maxConnections ?? maxViewers + 32; // N7
    limitPerAddress(shared, share.maxPerAddress ?? MAX_PER_ADDRESS, log);
    try {
      await listen(shared, port, share.host, log);
    } catch (err) {
      await new Promise<void>((r) => local.close(() => r()));
      throw err;
    }
    viewerUrl = `http://${hostForUrl(share.host)}:${port}/?token=${share.viewerToken}`;
  }

  const offReset = agent.session.onReset(() => { for (const c of connections) c.sessionReset(); });
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : hostForUrl(host);

  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    url: `http://${urlHost}:${port}/?token=${opts.token}`,
    viewerUrl,
    clients: () => connections.size,
    viewers: liveViewers,
    close() {
      closing ??= (async () => {
        offReset();
        for (const c of connections) c.shutdown(); // N5
        // give the close handshakes a moment, then cut whoever did not answer
        const deadline = Date.now() + 500;
        while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        for (const ws of sockets) ws.terminate();
        await Promise.all([local, shared].filter((s): s is Server => s !== null).map((s) => new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        })));
        wss.full.close();
        wss.viewer.close();
        pool?.close();
        classPoll?.close();
      })();
      return closing;
    },
  };
}

/** A remote address as one machine is counted: an IPv4-mapped IPv6 address as the IPv4 one. */
function plainAddress(raw: string | undefined): string {
  const a = raw ?? '?';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** N7: a connection beyond `max` from one address is closed as it arrives (logged once while that lasts). */
function limitPerAddress(server: Server, max: number, log: (line: string) => void): void {
  const held = new Map<string, number>();
  const told = new Set<string>();
  server.on('connection', (socket) => {
    const addr = plainAddress(socket.remoteAddress);
    const n = held.get(addr) ?? 0;
    if (n >= max) {
      socket.destroy();
      if (!told.has(addr)) {
        told.add(addr);
        log(`refused connections from ${addr} on the share address: more than ${max} at once from one address`);
      }
      return;
    }
    held.set(addr, n + 1);
    socket.once('close', () => {
      const left = (held.get(addr) ?? 1) - 1;
      if (left > 0) held.set(addr, left);
      else { held.delete(addr); told.delete(addr); }
    });
  });
}

/** Listens; when the port is taken, first logs who holds it (N10). */
function listen(server: Server, port: number, host: string, log: (line: string) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      if ((err as { code?: string }).code === 'EADDRINUSE') {
        const holder = portHolder(port);
        if (holder) log(holderLine(port, holder));
      }
      reject(err);
    };
    const onListening = () => { server.off('error', onError); resolve(); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
