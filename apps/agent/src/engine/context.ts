/**
 * What every engine operation shares, and the two rules it enforces before touching the network:
 * - R1 targets: without --allow-remote, every address a socket binds, listens or sends to must be loopback
 *   (127.0.0.0/8, ::1, localhost); a name is checked as written and again after it resolves.
 * - R2 limits: sockets, listeners and bytes per command are bounded (E_LIMIT), and every wait is bounded.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import { isLoopbackHost, type ApiCallName } from '@socketscope/shared';
import type { Recorder } from './calls.ts';
import type { Entry, SocketTable } from './table.ts';
import { CommandError, DEFAULT_LIMITS, type Limits } from './types.ts';

export type EngineLimits = Required<Limits>;

export interface Ctx {
  rec: Recorder;
  table: SocketTable;
  limits: EngineLimits;
  allowRemote: boolean;
}

export function resolveLimits(partial: Partial<Limits> | undefined): EngineLimits {
  const l = { ...DEFAULT_LIMITS, ...partial };
  return {
    maxSockets: l.maxSockets,
    maxListeners: l.maxListeners,
    maxBytesPerCommand: l.maxBytesPerCommand,
    maxWaitMs: l.maxWaitMs ?? 10_000,
  };
}

const LOOKUP_MS = 3000;

/** R1: refuses a host outside loopback unless remote targets are allowed. */
export function checkTarget(ctx: Ctx, host: string): void {
  if (!ctx.allowRemote && !isLoopbackHost(host)) {
    throw new CommandError('E_TARGET', `${host} is outside this machine's loopback; start the agent with --allow-remote to use it`);
  }
}

/** The address to use for a host (names resolved once, bounded), checked against R1 again after resolving. */
export async function resolveHost(ctx: Ctx, host: string, family?: 4 | 6): Promise<{ address: string; family: 4 | 6 }> {
  const kind = net.isIP(host);
  if (kind === 4 || kind === 6) return { address: host, family: kind };
  // RFC 6761: localhost is loopback without asking anyone. getaddrinfo would ask DNS for an IPv6
  // localhost where /etc/hosts has none (seen in the fuzz: a query to the configured nameserver)
  if (host.toLowerCase() === 'localhost') return family === 6 ? { address: '::1', family: 6 } : { address: '127.0.0.1', family: 4 };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommandError('EAI_AGAIN', `looking up ${host} took longer than ${LOOKUP_MS} ms`)), LOOKUP_MS);
  });
  try {
    const r = await Promise.race([dns.lookup(host, family ? { family } : {}), timeout]);
    checkTarget(ctx, r.address);
    return { address: r.address, family: r.family === 6 ? 6 : 4 };
  } catch (err) {
    if (err instanceof CommandError) throw err;
    throw new CommandError('EAI_NONAME', `cannot resolve ${host}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** R2: one more socket (and one more listener) may be opened. */
export function checkSocketLimit(ctx: Ctx, listener = false): void {
  if (ctx.table.openCount() >= ctx.limits.maxSockets) {
    throw new CommandError('E_LIMIT', `the agent holds at most ${ctx.limits.maxSockets} open sockets; close some first`);
  }
  if (listener && ctx.table.openListeners() >= ctx.limits.maxListeners) {
    throw new CommandError('E_LIMIT', `the agent holds at most ${ctx.limits.maxListeners} listening sockets; close one first`);
  }
}

/** R2: bytes one command may carry. */
export function checkBytes(ctx: Ctx, n: number): void {
  if (n > ctx.limits.maxBytesPerCommand) {
    throw new CommandError('E_LIMIT', `one command carries at most ${ctx.limits.maxBytesPerCommand} bytes (this one has ${n}); use tcp.sendBulk for more`);
  }
}

/**
 * The socket a command names. An unknown id fails as an event *without* `sock`, so the page's model does
 * not grow a socket that never existed (fold rule F2 creates sockets from any api event naming one).
 */
export function entryFor(ctx: Ctx, call: ApiCallName, args: Record<string, unknown>, id: string, since: bigint): Entry {
  try {
    return ctx.table.get(id);
  } catch (err) {
    throw ctx.rec.fail(call, { sock: id, ...args }, {}, since, err);
  }
}

/** Rejects with `err` unless `p` settles within ms. */
export function within<T>(p: Promise<T>, ms: number, err: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(err()), ms); }),
  ]).finally(() => clearTimeout(timer));
}
