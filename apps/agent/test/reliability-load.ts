/**
 * Load workload (reliability-load.test.ts at CI size, bench/concurrent.ts at full size): a lesson-like
 * script with `n` TCP connections open at once, driven through the agent's WebSocket by a page —
 * listen, n connects, n accepts, a message each way, recv each way, closes — and the same with plain
 * node:net as the baseline. The page keeps at most MAX_IN_FLIGHT (32) commands in flight, as the agent
 * allows one page (connection.ts P5).
 *
 * Limits: the engine's defaults (256 sockets) are for a classroom and stay so; n connections need
 * 2n + 1 sockets, so the caller starts the agent with createAgent({ limits: { maxSockets } }).
 */
import net from 'node:net';
import { MAX_IN_FLIGHT } from '../src/server/connection.ts';
import { StreamClient, type AgentServer, type Reply } from './reliability-kit.ts';

export interface LoadResult {
  n: number;
  ms: number;
  /** phase durations, ms */
  phases: Record<string, number>;
  errors: string[];
  events: number;
}

/** Runs `cmds` through the page with at most `window` in flight; returns replies in order. */
async function pipeline(page: StreamClient, cmds: Record<string, unknown>[], window = MAX_IN_FLIGHT): Promise<Reply[]> {
  const out: Reply[] = Array.from({ length: cmds.length });
  let next = 0;
  const lanes = Array.from({ length: Math.min(window, cmds.length) }, async () => {
    while (next < cmds.length) {
      const i = next++;
      out[i] = await page.cmd(cmds[i]!, 60_000);
    }
  });
  await Promise.all(lanes);
  return out;
}

export async function runAgentLoad(h: AgentServer, n: number): Promise<LoadResult> {
  const page = await StreamClient.open(h.port, { keepSeqs: false });
  await page.sync();
  const errors: string[] = [];
  const check = (what: string, rs: Reply[]) => {
    for (const r of rs) if (!r.ok && errors.length < 20) errors.push(`${what}: ${r.error?.code} ${r.error?.message}`);
  };
  const phases: Record<string, number> = {};
  const t0 = performance.now();
  let t = t0;
  const lap = (name: string) => { const now = performance.now(); phases[name] = now - t; t = now; };

  const l = await page.ok<{ sock: string; local: string }>({ op: 'tcp.listen', port: 0, backlog: Math.min(4096, n) });
  const port = Number(l.local.split(':').at(-1));
  // accept() blocks while nothing waits, and one blocking accept per socket is the rule (E_BUSY): like a
  // program, the script accepts once the listener has announced its incoming connections
  let incoming = 0;
  page.onEach = (e) => { if (e.type === 'api.notice' && e.what === 'incoming' && e.sock === l.sock) incoming++; };
  const connects = await pipeline(page, Array.from({ length: n }, () => ({ op: 'tcp.connect', port })));
  check('connect', connects);
  await page.until(() => incoming >= connects.filter((r) => r.ok).length, 30_000, 'incoming notices');
  page.onEach = null;
  lap('connect');
  const accepts = await pipeline(page, Array.from({ length: n }, () => ({ op: 'tcp.accept', sock: l.sock })));
  check('accept', accepts);
  lap('accept');
  const clients = connects.filter((r) => r.ok).map((r) => (r.result as { sock: string }).sock);
  const servers = accepts.filter((r) => r.ok).map((r) => (r.result as { newSock: string }).newSock);
  check('send', await pipeline(page, [
    ...clients.map((sock, i) => ({ op: 'tcp.send', sock, data: { text: `hello ${i}` } })),
    ...servers.map((sock, i) => ({ op: 'tcp.send', sock, data: { text: `world ${i}` } })),
  ]));
  lap('send');
  const recvs = await pipeline(page, [...clients, ...servers].map((sock) => ({ op: 'tcp.recv', sock, max: 64 })));
  check('recv', recvs);
  for (const r of recvs) if (r.ok && (r.result as { len: number }).len === 0 && errors.length < 20) errors.push('recv: got 0 bytes');
  lap('recv');
  check('close', await pipeline(page, [...clients, ...servers].map((sock) => ({ op: 'tcp.close', sock }))));
  await page.ok({ op: 'tcp.close', sock: l.sock });
  lap('close');
  const ms = performance.now() - t0;
  // the page got the whole stream, in order
  const last = h.agent.session.lastSeq;
  await page.until(() => page.lastSeq >= last, 30_000, `seq ${last}`);
  errors.push(...page.violations.slice(0, 10));
  if (connects.length !== n || accepts.length !== n) errors.push(`${connects.length} connects, ${accepts.length} accepts for ${n}`);
  await page.close();
  return { n, ms, phases, errors, events: page.events };
}

/** Reads one chunk from a paused socket. */
function readOne(s: net.Socket): Promise<void> {
  return new Promise<void>((resolve) => { s.once('data', () => { s.pause(); resolve(); }); s.resume(); });
}

/** The same script with plain node:net in one process: the baseline. */
export async function runPlainLoad(n: number): Promise<LoadResult> {
  const errors: string[] = [];
  const phases: Record<string, number> = {};
  const accepted: net.Socket[] = [];
  let waitingAccepts: (() => void) | null = null;
  const server = net.createServer({ pauseOnConnect: true }, (s) => {
    s.on('error', (e) => { if (errors.length < 20) errors.push(`server socket: ${e.message}`); });
    accepted.push(s);
    if (accepted.length === n) waitingAccepts?.();
  });
  await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: Math.min(4096, n) }, () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const t0 = performance.now();
  let t = t0;
  const lap = (name: string) => { const now = performance.now(); phases[name] = now - t; t = now; };
  const clients = await Promise.all(Array.from({ length: n }, () => new Promise<net.Socket>((resolve) => {
    const c = net.connect({ port, host: '127.0.0.1' }, () => resolve(c));
    c.pause();
    c.on('error', (e) => { if (errors.length < 20) errors.push(`client: ${e.message}`); resolve(c); });
  })));
  lap('connect');
  if (accepted.length < n) await new Promise<void>((r) => { waitingAccepts = r; });
  lap('accept');
  clients.forEach((c, i) => c.write(`hello ${i}`));
  accepted.forEach((s, i) => s.write(`world ${i}`));
  lap('send');
  await Promise.all([...clients, ...accepted].map(readOne));
  lap('recv');
  await Promise.all([...clients, ...accepted].map((s) => new Promise<void>((r) => { s.once('close', () => r()); s.destroy(); })));
  await new Promise<void>((r) => server.close(() => r()));
  lap('close');
  return { n, ms: performance.now() - t0, phases, errors, events: 0 };
}
