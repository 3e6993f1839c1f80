/**
 * What every engine operation shares, and the rules it enforces before touching the network:
 * - R1 targets: without --allow-remote, every address a socket binds, listens or sends to must be loopback
 *   (127.0.0.0/8, ::1). Loopback is decided on parsed addresses only (shared parseHost: one parser, so
 *   every spelling of an address — 127.1, 0x7f000001, ::ffff:7f00:1, ::1%lo … — gives the same answer).
 * - A1 no spelling reaches a resolver: an address is used in its parsed form, and a host that looks like
 *   a number but is no address (127.0.0.999, 127.0.0.08) is E_INVALID before anything is looked up.
 * - A2 a name is resolved first and EVERY address it gives must be loopback. localhost and *.localhost
 *   are loopback without asking anyone (RFC 6761); any other name is looked up in this machine's hosts
 *   file only: without --allow-remote the agent sends no DNS query (one can take 10 s and hold a resolver
 *   thread past our timeout), so a name the hosts file does not know is E_TARGET. With --allow-remote
 *   names go to the system's resolver (bounded, 3 s).
 * - R2 limits: sockets, listeners and bytes per command are bounded (E_LIMIT), and every wait is bounded.
 * (A3, the implicit bind of a UDP socket, is in udp.ts.)
 */
import dns from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isLoopbackAddress, isLoopbackName, parseHost, type ApiCallName, type ParsedHost } from '@socketscope/shared';
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

/** R1 + A1 as far as the host as written tells: invalid (E_INVALID) or an address outside loopback (E_TARGET). */
export function checkTarget(ctx: Ctx, host: string): void {
  const p = parseHost(host);
  if (p.kind === 'invalid') throw new CommandError('E_INVALID', `${host}: ${p.why}`);
  if (p.kind === 'ip' && !ctx.allowRemote && !isLoopbackAddress(p)) throw outside(host);
}

function outside(host: string, via = ''): CommandError {
  return new CommandError('E_TARGET', `${host}${via} is outside this machine's loopback; start the agent with --allow-remote to use it`);
}

/**
 * The address to use for a host, and its family: an address as parsed (A1), a localhost name as loopback,
 * any other name resolved (A2: the hosts file, or with --allow-remote the resolver, bounded) with every
 * address it gives checked. `family` prefers that family among a name's addresses; an address is
 * returned as it is (an IPv4-mapped one as IPv4).
 */
export async function resolveHost(ctx: Ctx, host: string, family?: 4 | 6): Promise<{ address: string; family: 4 | 6 }> {
  const p = parseHost(host);
  if (p.kind === 'invalid') throw new CommandError('E_INVALID', `${host}: ${p.why}`);
  if (p.kind === 'ip') {
    if (!ctx.allowRemote && !isLoopbackAddress(p)) throw outside(host);
    return { address: p.address, family: p.family };
  }
  // RFC 6761: localhost is loopback without asking anyone. getaddrinfo would ask DNS for an IPv6
  // localhost where /etc/hosts has none (seen in the fuzz: a query to the configured nameserver)
  if (isLoopbackName(p.name)) return family === 6 ? { address: '::1', family: 6 } : { address: '127.0.0.1', family: 4 };
  if (!ctx.allowRemote) {
    const known = hostsFileAddresses(p.name);
    if (known.length === 0) throw new CommandError('E_TARGET', `${host} is not a name this machine's hosts file knows, and without --allow-remote the agent asks no DNS server; use 127.0.0.1, ::1 or localhost`);
    return pickChecked(ctx, host, known, family);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommandError('EAI_AGAIN', `looking up ${host} took longer than ${LOOKUP_MS} ms`)), LOOKUP_MS);
  });
  let all: { address: string; family: number }[];
  try {
    all = await Promise.race([dns.lookup(p.name, { all: true }), timeout]);
  } catch (err) {
    if (err instanceof CommandError) throw err;
    throw new CommandError('EAI_NONAME', `cannot resolve ${host}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  return pickChecked(ctx, host, all.map((a) => a.address), family);
}

type IpHost = Extract<ParsedHost, { kind: 'ip' }>;

/** A2: R1 on every address a name gave, then the one to use (of `family` if it has one). */
export function pickChecked(ctx: Ctx, host: string, addresses: string[], family?: 4 | 6): { address: string; family: 4 | 6 } {
  const addrs = addresses.map((a) => parseHost(a)).filter((a): a is IpHost => a.kind === 'ip');
  if (addrs.length === 0) throw new CommandError('EAI_NONAME', `${host} has no address`);
  const away = addrs.filter((a) => !isLoopbackAddress(a));
  if (!ctx.allowRemote && away.length > 0) throw outside(host, ` (it resolves to ${away.map((a) => a.address).join(', ')})`);
  const pick = addrs.find((a) => a.family === family) ?? addrs[0]!;
  return { address: pick.address, family: pick.family };
}

export const HOSTS_FILE = '/etc/hosts';

/** Every address the hosts file gives a name (lines "address name alias…", # comments), in file order. */
export function hostsFileAddresses(name: string, file = HOSTS_FILE): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const want = name.toLowerCase().replace(/\.$/, '');
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const fields = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (fields.length < 2) continue;
    if (fields.slice(1).some((n) => n.toLowerCase() === want)) out.push(fields[0]!);
  }
  return out;
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
