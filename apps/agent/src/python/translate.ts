/**
 * Tracer messages → session events. Rules (tests: test/python-runner.test.ts):
 * TR1 A traced socket's id is "<run>.s<n>" (n: the tracer's per-process socket number), so sockets of
 *     several programs never collide with each other or with the engine's "s<n>".
 * TR2 Only AF_INET/AF_INET6 sockets are given an id and a protocol (SOCK_STREAM → tcp, SOCK_DGRAM → udp):
 *     the kernel and wire layers know nothing else, and a Unix socket drawn as TCP would be a lie. Calls
 *     on other sockets are still api events, without `sock`.
 * TR3 A connected TCP socket carries conn "client>server": connect()'s local>remote, accept()'s new
 *     socket remote>local. A UDP call's remote is what the engine's says: sendto's target, recvfrom's sender.
 * TR5 A forked child (a ForkingTCPServer's handler) speaks with its own pid: its calls carry that pid, the
 *     sockets it inherited keep their ids, and a socket it makes itself is "<run>.<pid>.s<n>" (its numbers
 *     continue from its parent's, so the parent's next socket may have the same n).
 * TR4 ts is when the agent heard of the call (the session stamps it), as for every other source: views and
 *     recordings order events by it, so it must not run backwards against what came before. The program's
 *     own clock (CLOCK_MONOTONIC, the same as the agent's) gives durationUs: how long the call took.
 */
import {
  API_CALLS, connKey, endpoint,
  type ApiCallName, type EventInput, type ProcRef, type SocketError,
} from '@socketscope/shared';
import type { TracerBegin, TracerCall } from './tracer-messages.ts';

const CALLS = new Set<string>(API_CALLS);

export interface SockInfo { proto?: 'tcp' | 'udp'; inet: boolean }

/** What a run remembers of its sockets between messages. */
export interface TranslateContext {
  run: string;
  proc: ProcRef;
  /** tracer socket number → what its socket() call said */
  socks: Pick<Map<number, SockInfo>, 'get' | 'set' | 'keys'>;
  /** the session's id of socket number n (TR1; TR5 in a forked child) */
  idOf?: (n: number) => string;
  /** TR5: per forked child, the socket numbers it inherited (and the ones it made: by id) */
  children?: Map<number, { inherited: Set<number>; socks: Map<number, SockInfo> }>;
  tsAt(ns: number): number;
}

export function sockId(run: string, n: number): string {
  return `${run}.s${n}`;
}

/** TR5: the context a message speaks in — the program's, or a forked child's with its own pid and sockets. */
function scope(ctx: TranslateContext, pid: number | undefined): TranslateContext {
  if (pid === undefined || pid === ctx.proc.pid) return ctx;
  ctx.children ??= new Map();
  let child = ctx.children.get(pid);
  if (!child) {
    if (ctx.children.size >= 256) ctx.children.delete(ctx.children.keys().next().value!);
    child = { inherited: new Set(ctx.socks.keys()), socks: new Map() };
    ctx.children.set(pid, child);
  }
  const { inherited, socks } = child;
  const parent = ctx;
  return {
    run: ctx.run, proc: { ...ctx.proc, pid }, tsAt: ctx.tsAt,
    socks: {
      get: (n: number) => (inherited.has(n) ? parent.socks.get(n) : socks.get(n)),
      set(n: number, v: SockInfo) { if (!inherited.has(n)) socks.set(n, v); return socks; },
      keys: () => socks.keys(),
    },
    idOf: (n: number) => (inherited.has(n) ? sockId(ctx.run, n) : `${ctx.run}.${pid}.s${n}`),
  };
}

function idOf(ctx: TranslateContext, n: number): string {
  return ctx.idOf?.(n) ?? sockId(ctx.run, n);
}

function protoOf(family: string | null | undefined, type: string | null | undefined): SockInfo {
  const inet = family === 'AF_INET' || family === 'AF_INET6';
  if (!inet) return { inet: false };
  if (type?.startsWith('SOCK_STREAM')) return { inet, proto: 'tcp' };
  if (type?.startsWith('SOCK_DGRAM')) return { inet, proto: 'udp' };
  return { inet };
}

function procOf(ctx: TranslateContext, thread: string | null | undefined): ProcRef {
  return thread && thread !== 'MainThread' ? { ...ctx.proc, thread: thread.slice(0, 128) } : ctx.proc;
}

function srcOf(src: [string, number] | null | undefined): { file: string; line: number } | undefined {
  if (!src) return undefined;
  const [file, line] = src;
  return { file: file.length > 512 ? file.slice(-512) : file, line };
}

function learn(ctx: TranslateContext, m: TracerCall): SockInfo | undefined {
  if (m.sock === null || m.sock === undefined) return undefined;
  let info = ctx.socks.get(m.sock);
  if (!info || (m.family && !info.inet && !info.proto)) {
    info = protoOf(m.family, m.type);
    if (m.family) ctx.socks.set(m.sock, info);
  }
  return info;
}

export function beginEvent(outer: TranslateContext, m: TracerBegin): EventInput | null {
  if (!CALLS.has(m.call)) return null;
  const ctx = scope(outer, m.pid);
  const info = m.sock === null || m.sock === undefined ? undefined : ctx.socks.get(m.sock);
  const e: Extract<EventInput, { type: 'api.begin' }> = {
    layer: 'api', type: 'api.begin', call: m.call as ApiCallName, args: m.args ?? {},
    proc: procOf(ctx, m.thread), callId: m.id,
  };
  const src = srcOf(m.src);
  if (src) e.src = src;
  if (m.paused) e.paused = true;
  if (info?.inet && m.sock !== null && m.sock !== undefined) e.sock = idOf(ctx, m.sock);
  return e;
}

function errorOf(err: NonNullable<TracerCall['error']>): SocketError {
  return { code: err.code ?? err.type, message: err.message || err.type };
}

export function callEvent(outer: TranslateContext, m: TracerCall): EventInput | null {
  if (!CALLS.has(m.call)) return null;
  const ctx = scope(outer, m.pid);
  const info = learn(ctx, m);
  const e: Extract<EventInput, { type: 'api.call' }> = {
    layer: 'api', type: 'api.call', call: m.call as ApiCallName, args: m.args ?? {},
    durationUs: Math.max(0, (m.t1 - m.t0) / 1000), proc: procOf(ctx, m.thread), callId: m.id,
  };
  const src = srcOf(m.src);
  if (src) e.src = src;
  if (m.result !== undefined && m.result !== null) e.result = m.result;
  if (m.error) e.error = errorOf(m.error);
  if (info?.inet && m.sock !== null && m.sock !== undefined) {
    e.sock = idOf(ctx, m.sock);
    if (info.proto) e.proto = info.proto;
    if (m.ino) e.ino = m.ino;
    if (typeof m.fd === 'number' && m.fd >= 0) e.fd = m.fd;
    if (m.data) e.data = m.data;
    if (m.call === 'accept' && m.new) {
      ctx.socks.set(m.new.sock, { inet: true, proto: 'tcp' });
      e.newSock = idOf(ctx, m.new.sock);
      if (m.new.local) e.local = m.new.local;
      if (m.new.remote) e.remote = m.new.remote;
      if (m.new.local && m.new.remote) e.conn = connKey(m.new.remote, m.new.local);
    } else {
      if (m.local) e.local = m.local;
      if (info.proto === 'udp') {
        // as the engine reports them: sendto's target, recvfrom's sender (the socket's peer only once connected)
        const host = e.args['host'];
        const port = e.args['port'];
        if (m.call === 'sendto' && typeof host === 'string' && typeof port === 'number') e.remote = endpoint(host, port);
        else if (m.remote) e.remote = m.remote;
      } else if (m.remote) {
        e.remote = m.remote;
        if (m.local && (m.call === 'connect' || m.call === 'connect_ex')) e.conn = connKey(m.local, m.remote);
      }
    }
  } else if (m.data) {
    e.data = m.data;
  }
  return e;
}
