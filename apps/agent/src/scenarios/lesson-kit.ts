import type { SessionEvent } from '@socketscope/shared';
import { CommandError } from '../engine/types.ts';
import type { ScenarioContext } from './types.ts';

/**
 * Socket calls the course's TCP lessons share (tcp-handshake, -teardown, -buffers, -stream, -echo,
 * -refused). Every helper makes real engine calls through the context, so each is an api.call event,
 * and every wait is bounded: a lesson goes on without a picture rather than hang.
 */

export const HOST = '127.0.0.1';

/** What a TCP lesson's steps hand each other; `open` is what cleanup must close. */
export interface TcpLessonState {
  open: Set<string>;
}

export function need(scenario: string, sock: string | undefined, what: string): string {
  if (!sock) throw new Error(`${scenario}: no ${what} socket (an earlier step did not make it)`);
  return sock;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function field(result: unknown, key: string): unknown {
  return result && typeof result === 'object' ? (result as Record<string, unknown>)[key] : undefined;
}

/** socket → (SO_REUSEADDR) → bind → listen; returns the listener's id and address once the kernel shows LISTEN. */
export async function listen(ctx: ScenarioContext, s: TcpLessonState, port: number, backlog: number, reuseAddr: boolean): Promise<{ sock: string; local: string }> {
  const r = await ctx.call({ op: 'tcp.listen', host: HOST, port, backlog, reuseAddr });
  const sock = need(ctx.scenario, r.sock, 'listening');
  s.open.add(sock);
  await ctx.waitForTcpState(sock, ['LISTEN']);
  return { sock, local: str(field(r.result, 'local')) ?? `${HOST}:${port}` };
}

/** connect(); returns the client's id and its local address (the kernel's temporary port). */
export async function connect(ctx: ScenarioContext, s: TcpLessonState, port: number): Promise<{ sock: string; local: string }> {
  const r = await ctx.call({ op: 'tcp.connect', host: HOST, port });
  const sock = need(ctx.scenario, r.sock, 'client');
  s.open.add(sock);
  await ctx.waitForTcpState(sock, ['ESTABLISHED']);
  return { sock, local: str(field(r.result, 'local')) ?? '' };
}

/** accept() (waiting, bounded, for a connection); returns the new socket once the kernel shows it. */
export async function accept(ctx: ScenarioContext, s: TcpLessonState, listener: string): Promise<string> {
  const r = await ctx.callWhenReady({ op: 'tcp.accept', sock: listener });
  const sock = need(ctx.scenario, r.newSock, 'accepted');
  s.open.add(sock);
  await ctx.waitForTcpState(sock, ['ESTABLISHED', 'CLOSE_WAIT']);
  return sock;
}

export async function send(ctx: ScenarioContext, sock: string, text: string): Promise<void> {
  await ctx.call({ op: 'tcp.send', sock, data: { text, encoding: 'utf8' } });
}

export interface Received {
  /** bytes per recv() call, in order; 0 is the peer's FIN */
  lens: number[];
  text: string;
  eof: boolean;
}

/**
 * recv(max) until `want` bytes came or the peer closed, at most `maxCalls` calls (TCP has no message
 * boundaries, so one recv may return less than was sent). want = 0: exactly one recv.
 */
export async function recv(ctx: ScenarioContext, sock: string, max: number, want: number, maxCalls = 16): Promise<Received> {
  const out: Received = { lens: [], text: '', eof: false };
  let got = 0;
  for (let i = 0; i < maxCalls && (i === 0 || got < want); i++) {
    const r = await ctx.callWhenReady({ op: 'tcp.recv', sock, max });
    const data = r.calls.find((c) => c.call === 'recv')?.data;
    const len = data?.len ?? 0;
    out.lens.push(len);
    if (len === 0) { out.eof = true; break; }
    got += len;
    if (data) out.text += Buffer.from(data.b64, 'base64').toString('utf8');
  }
  return out;
}

/** close() once; a socket the engine already closed (e.g. after a failed call) is just forgotten. */
export async function close(ctx: ScenarioContext, s: TcpLessonState, sock: string | undefined): Promise<void> {
  if (!sock || !s.open.has(sock)) return;
  s.open.delete(sock);
  try {
    await ctx.call({ op: 'tcp.close', sock });
  } catch (err) {
    if (!(err instanceof CommandError && err.code === 'EBADF')) throw err;
  }
}

/** cleanup: everything still open, connections before listeners (so a listener never resets a held one needlessly). */
export async function closeAll(ctx: ScenarioContext, s: TcpLessonState, listeners: (string | undefined)[] = []): Promise<void> {
  const last = new Set(listeners.filter((x): x is string => !!x));
  const order = [...s.open].toSorted((a, b) => Number(last.has(a)) - Number(last.has(b)));
  for (const sock of order) await close(ctx, s, sock).catch((err: unknown) => ctx.log(`${ctx.scenario} cleanup: ${(err as Error).message}`));
}

/** A kernel.tcp event about one socket, by id or (for a connection the agent does not hold yet) by endpoints. */
export function kernelTcp(e: SessionEvent, match: { sock?: string; local?: string; remote?: string }): e is Extract<SessionEvent, { type: 'kernel.tcp' }> {
  if (e.type !== 'kernel.tcp' || e.gone) return false;
  if (match.sock !== undefined) return e.sock === match.sock;
  return e.local === match.local && e.remote === match.remote;
}

/** Waits (bounded) for a TCP segment on the wire matching pred, captured or inferred; null when none came. */
export function waitForSegment(ctx: ScenarioContext, pred: (e: Extract<SessionEvent, { type: 'tcp.segment' }>) => boolean, timeoutMs = 300): Promise<SessionEvent | null> {
  return ctx.waitForEvent((e) => e.type === 'tcp.segment' && pred(e), { timeoutMs });
}

/**
 * Waits until the kernel stops reporting a larger value for a socket's queue: the plateau of a filling
 * buffer. Returns the largest value seen (0 if none). Bounded by rounds × quietMs.
 */
export async function queuePlateau(ctx: ScenarioContext, sock: string, queue: 'recvQueue' | 'sendQueue', quietMs = 400, rounds = 25): Promise<number> {
  let best = 0;
  let since: number | undefined;
  for (let i = 0; i < rounds; i++) {
    const e = await ctx.waitForEvent((x) => kernelTcp(x, { sock }) && x[queue] > best, since === undefined ? { timeoutMs: quietMs } : { timeoutMs: quietMs, sinceSeq: since });
    if (!e || e.type !== 'kernel.tcp') break;
    best = e[queue];
    since = e.seq + 1;
  }
  return best;
}
