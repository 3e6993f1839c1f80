/**
 * Tracer messages → session events. Rules (tests: test/python-runner.test.ts):
 * TR1 A traced socket's id is "<run>.s<n>" (n: the tracer's per-process socket number), so sockets of
 *     several programs never collide with each other or with the engine's "s<n>".
 * TR2 Only AF_INET/AF_INET6 sockets are given an id and a protocol (SOCK_STREAM → tcp, SOCK_DGRAM → udp):
 *     the kernel and wire layers know nothing else, and a Unix socket drawn as TCP would be a lie. Calls
 *     on other sockets are still api events, without `sock`.
 * TR3 A connected TCP socket carries conn "client>server": connect()'s local>remote, accept()'s new
 *     socket remote>local. A UDP call's remote is what the engine's says: sendto's target, recvfrom's sender.
 * TR4 ts is the tracer's own clock reading (CLOCK_MONOTONIC), on the session's time line: api.begin at
 *     the moment before the call, api.call when it returned, durationUs between.
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
  socks: Map<number, SockInfo>;
  tsAt(ns: number): number;
}

export function sockId(run: string, n: number): string {
  return `${run}.s${n}`;
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

export function beginEvent(ctx: TranslateContext, m: TracerBegin): EventInput | null {
  if (!CALLS.has(m.call)) return null;
  const info = m.sock === null || m.sock === undefined ? undefined : ctx.socks.get(m.sock);
  const e: Extract<EventInput, { type: 'api.begin' }> = {
    layer: 'api', type: 'api.begin', call: m.call as ApiCallName, args: m.args ?? {},
    proc: procOf(ctx, m.thread), callId: m.id, ts: ctx.tsAt(m.t),
  };
  const src = srcOf(m.src);
  if (src) e.src = src;
  if (m.paused) e.paused = true;
  if (info?.inet && m.sock !== null && m.sock !== undefined) e.sock = sockId(ctx.run, m.sock);
  return e;
}

function errorOf(err: NonNullable<TracerCall['error']>): SocketError {
  return { code: err.code ?? err.type, message: err.message || err.type };
}

export function callEvent(ctx: TranslateContext, m: TracerCall): EventInput | null {
  if (!CALLS.has(m.call)) return null;
  const info = learn(ctx, m);
  const e: Extract<EventInput, { type: 'api.call' }> = {
    layer: 'api', type: 'api.call', call: m.call as ApiCallName, args: m.args ?? {},
    durationUs: Math.max(0, (m.t1 - m.t0) / 1000), proc: procOf(ctx, m.thread), callId: m.id, ts: ctx.tsAt(m.t1),
  };
  const src = srcOf(m.src);
  if (src) e.src = src;
  if (m.result !== undefined && m.result !== null) e.result = m.result;
  if (m.error) e.error = errorOf(m.error);
  if (info?.inet && m.sock !== null && m.sock !== undefined) {
    e.sock = sockId(ctx.run, m.sock);
    if (info.proto) e.proto = info.proto;
    if (m.ino) e.ino = m.ino;
    if (typeof m.fd === 'number' && m.fd >= 0) e.fd = m.fd;
    if (m.data) e.data = m.data;
    if (m.call === 'accept' && m.new) {
      ctx.socks.set(m.new.sock, { inet: true, proto: 'tcp' });
      e.newSock = sockId(ctx.run, m.new.sock);
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
