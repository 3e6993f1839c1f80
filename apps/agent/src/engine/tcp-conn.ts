/**
 * Connected TCP sockets (a client's, or one accept() returned): connect, send, recv, shutdown, close, abort.
 *
 * Every socket is half-open capable (allowHalfOpen), so a peer's FIN does not make Node close our side:
 * the app decides, as with BSD sockets, and the kernel shows CLOSE_WAIT until it does. Nothing is read
 * except by recv (tcp-reader.ts), so the peer's FIN is observed when recv reaches it.
 * Asynchronous errors (ECONNRESET, EPIPE …) become `error` notices, or the error of the recv that was
 * waiting; no socket is ever left without an 'error' listener.
 */
import net from 'node:net';
import { connKey, endpoint, type CommandOf } from '@socketscope/shared';
import { mark, preview, type CallFacts } from './calls.ts';
import { checkBytes, checkSocketLimit, checkTarget, entryFor, resolveHost, type Ctx } from './context.ts';
import { encodePayload } from './payload.ts';
import type { ConnEntry, Entry } from './table.ts';
import { nodeHandle, TcpReader } from './tcp-reader.ts';
import { TcpWriter } from './tcp-writer.ts';
import { CommandError } from './types.ts';

function facts(e: ConnEntry): CallFacts {
  return { sock: e.id, proto: 'tcp', local: e.local, remote: e.remote, conn: e.conn };
}

/** Registers a connection and wires its events. The error listener goes first so it sees whether a recv was waiting. */
export function attachConn(ctx: Ctx, e: ConnEntry): void {
  const { socket } = e;
  socket.on('error', (err) => {
    if (e.connecting || e.reader?.busy || err === e.errorReported) return; // reported by that call
    ctx.rec.notice('error', facts(e), undefined, err);
  });
  e.reader = new TcpReader(socket);
  e.writer = new TcpWriter(e, socket, ctx.rec);
  socket.on('end', () => ctx.rec.notice('peer-closed', facts(e)));
  socket.on('close', (hadError) => {
    e.writer?.stop();
    if (!e.appClosed && !e.connecting && hadError) {
      ctx.rec.notice('closed', facts(e), { by: 'runtime', reason: 'the connection failed, so Node closed its handle' });
    }
    ctx.table.markClosed(e);
  });
  ctx.table.add(e);
}

export async function connect(ctx: Ctx, cmd: CommandOf<'tcp.connect'>): Promise<unknown> {
  const t0 = mark();
  const args: Record<string, unknown> = { host: cmd.host, port: cmd.port };
  if (cmd.localPort !== undefined) args['localPort'] = cmd.localPort;
  const tcp: CallFacts = { proto: 'tcp' };
  try {
    checkTarget(ctx, cmd.host);
  } catch (err) {
    throw ctx.rec.fail('connect', args, tcp, t0, err);
  }
  try {
    checkSocketLimit(ctx);
  } catch (err) {
    throw ctx.rec.fail('socket', { type: 'SOCK_STREAM' }, tcp, t0, err);
  }
  const addr = await resolveHost(ctx, cmd.host).catch((err: unknown) => { throw ctx.rec.fail('connect', args, tcp, t0, err); });

  const id = ctx.table.nextId();
  const socket = new net.Socket({ allowHalfOpen: true });
  socket.pause(); // no reading until recv: Node would otherwise start reading as soon as it connects
  const e: ConnEntry = { id, kind: 'conn', role: 'client', socket, closed: false, connected: false, writeShut: false, appClosed: false, connecting: true };
  attachConn(ctx, e);
  ctx.rec.ok('socket', { family: addr.family === 6 ? 'AF_INET6' : 'AF_INET', type: 'SOCK_STREAM' }, { sock: id, proto: 'tcp' }, t0, { sock: id });

  const t1 = mark();
  const opts: net.TcpNetConnectOpts = { host: addr.address, port: cmd.port, family: addr.family };
  if (cmd.localPort !== undefined) opts.localPort = cmd.localPort;
  const outcome = await new Promise<Error | null>((resolve) => {
    const timer = setTimeout(() => resolve(new CommandError('ETIMEDOUT', `no answer within ${ctx.limits.maxWaitMs} ms; the agent gave up (the kernel would keep retrying the SYN for about two minutes)`)), ctx.limits.maxWaitMs);
    socket.once('connect', () => { clearTimeout(timer); resolve(null); });
    socket.once('error', (err) => { clearTimeout(timer); resolve(err); });
    socket.connect(opts);
  });
  e.connecting = false;
  if (outcome) {
    const bindFailed = (outcome as { syscall?: string }).syscall === 'bind';
    if (!bindFailed && cmd.localPort !== undefined) ctx.rec.ok('bind', { port: cmd.localPort }, { sock: id, proto: 'tcp' }, t1, {});
    const ce = ctx.rec.fail(bindFailed ? 'bind' : 'connect', bindFailed ? { port: cmd.localPort } : args, { sock: id, proto: 'tcp' }, t1, outcome);
    e.appClosed = true;
    socket.destroy();
    ctx.table.markClosed(e);
    ctx.rec.ok('close', {}, { sock: id }, mark(), { auto: true, reason: `${bindFailed ? 'bind' : 'connect'} failed, so the agent closed the socket` });
    throw ce;
  }
  e.connected = true;
  e.local = endpoint(socket.localAddress ?? '', socket.localPort ?? 0);
  e.remote = endpoint(socket.remoteAddress ?? addr.address, socket.remotePort ?? cmd.port);
  e.conn = connKey(e.local, e.remote);
  ctx.table.changed();
  if (cmd.localPort !== undefined) ctx.rec.ok('bind', { port: cmd.localPort }, { ...facts(e), remote: undefined, conn: undefined }, t1, { local: e.local });
  ctx.rec.ok('connect', args, facts(e), t1, { local: e.local, remote: e.remote });
  return { sock: id, local: e.local, remote: e.remote };
}

/** The connection a data call names, or the errno a BSD program would get for the socket it named. */
function connFor(ctx: Ctx, call: 'send' | 'recv' | 'shutdown', args: Record<string, unknown>, id: string, since: bigint): ConnEntry {
  const e: Entry = entryFor(ctx, call, args, id, since);
  const f: CallFacts = { sock: id, proto: e.kind === 'udp' ? 'udp' : 'tcp' };
  if (e.kind === 'udp') throw ctx.rec.fail(call, args, f, since, new CommandError('E_WRONG_KIND', `${call}() on a UDP socket: use ${call === 'recv' ? 'udp.recvfrom' : 'udp.sendto'}`));
  if (e.kind === 'listener') {
    // Linux's own answers: a listening socket carries no data (send → EPIPE, recv → ENOTCONN)
    const err = call === 'send'
      ? new CommandError('EPIPE', 'a listening socket carries no data; send on the socket accept() returned')
      : call === 'recv'
        ? new CommandError('ENOTCONN', 'a listening socket carries no data; recv on the socket accept() returned')
        : new CommandError('E_WRONG_KIND', 'shutdown() applies to a connected socket, not a listening one');
    throw ctx.rec.fail(call, args, f, since, err);
  }
  if (e.appClosed) throw ctx.rec.fail(call, args, facts(e), since, new CommandError('EBADF', 'the socket is closed'));
  return e;
}

export function send(ctx: Ctx, cmd: CommandOf<'tcp.send'>): unknown {
  const t0 = mark();
  const { bytes, encoding } = encodePayload(cmd.data);
  const args = { len: bytes.length, encoding };
  const e = connFor(ctx, 'send', args, cmd.sock, t0);
  try {
    checkBytes(ctx, bytes.length);
    if (e.writeShut) throw new CommandError('EPIPE', 'this side was shut down for writing (shutdown); nothing more can be sent');
    if (e.socket.destroyed || e.socket.errored) throw new CommandError('EPIPE', 'the connection is gone (reset or closed); nothing can be sent');
    if (e.writer?.bulkActive) throw new CommandError('E_BUSY', 'a bulk send on this socket is still running');
  } catch (err) {
    throw ctx.rec.fail('send', args, facts(e), t0, err);
  }
  const waiting = e.writer!.write(bytes);
  const failed = e.socket.errored;
  if (failed) {
    // write(2) failed at once (EPIPE, ECONNRESET): send() reports it, as it would for a BSD program
    e.errorReported = failed;
    throw ctx.rec.fail('send', args, facts(e), t0, failed);
  }
  const result = { bytes: bytes.length, waiting };
  ctx.rec.ok('send', args, { ...facts(e), data: preview(bytes) }, t0, result);
  e.writer!.reportBlocked(waiting);
  return result;
}

export async function sendBulk(ctx: Ctx, cmd: CommandOf<'tcp.sendBulk'>): Promise<unknown> {
  const t0 = mark();
  const args = { bytes: cmd.bytes, chunk: cmd.chunk };
  const e = connFor(ctx, 'send', args, cmd.sock, t0);
  try {
    // No maxBytesPerCommand check on the chunk: that limit is on what one command carries, and sendBulk
    // carries nothing (the agent generates the bytes); the schema bounds a chunk at 1 MiB.
    if (e.writeShut) throw new CommandError('EPIPE', 'this side was shut down for writing (shutdown); nothing more can be sent');
    if (e.socket.destroyed || e.socket.errored) throw new CommandError('EPIPE', 'the connection is gone (reset or closed); nothing can be sent');
    if (e.writer?.bulkActive) throw new CommandError('E_BUSY', 'a bulk send on this socket is still running');
  } catch (err) {
    throw ctx.rec.fail('send', args, facts(e), t0, err);
  }
  return e.writer!.bulk(cmd.bytes, cmd.chunk, ctx.limits.maxWaitMs);
}

export async function recv(ctx: Ctx, cmd: CommandOf<'tcp.recv'>): Promise<unknown> {
  const t0 = mark();
  const args = { max: cmd.max };
  const e = connFor(ctx, 'recv', args, cmd.sock, t0);
  let r;
  try {
    r = await e.reader!.read(cmd.max, ctx.limits.maxWaitMs);
  } catch (err) {
    throw ctx.rec.fail('recv', args, facts(e), t0, err);
  }
  const bytes = 'eof' in r ? Buffer.alloc(0) : r.bytes;
  const result = { len: bytes.length, eof: 'eof' in r };
  ctx.rec.ok('recv', args, { ...facts(e), data: preview(bytes) }, t0, result);
  return { ...result, data: preview(bytes) };
}

export function shutdown(ctx: Ctx, cmd: CommandOf<'tcp.shutdown'>): unknown {
  const t0 = mark();
  const args = { how: 'SHUT_WR' };
  const e = connFor(ctx, 'shutdown', args, cmd.sock, t0);
  if (e.socket.destroyed) throw ctx.rec.fail('shutdown', args, facts(e), t0, new CommandError('ENOTCONN', 'the connection is gone (reset or closed)'));
  e.writer?.stop();
  // Node sends the FIN once bytes still waiting in the agent have reached the kernel; the kernel queues
  // it behind whatever its own send buffer holds, as shutdown(SHUT_WR) does.
  const result = { waiting: e.socket.writableLength };
  if (!e.writeShut) e.socket.end();
  e.writeShut = true;
  ctx.rec.ok('shutdown', args, facts(e), t0, result);
  return result;
}

/** close(): the kernel sends FIN (or RST if unread bytes remain) and keeps the connection as long as TCP needs. */
export function closeConn(ctx: Ctx, e: ConnEntry, since: bigint): unknown {
  if (e.appClosed) throw ctx.rec.fail('close', {}, facts(e), since, new CommandError('EBADF', 'the socket is already closed'));
  const result: Record<string, unknown> = {};
  const discarded = e.socket.writableLength;
  if (discarded > 0) result['discarded'] = discarded; // bytes that never reached the kernel
  if (e.socket.destroyed) result['alreadyClosedByRuntime'] = true;
  e.appClosed = true;
  e.writer?.stop();
  e.reader?.cancel(new CommandError('EBADF', 'the socket was closed while recv was waiting'));
  e.socket.destroy();
  ctx.table.markClosed(e);
  ctx.rec.ok('close', {}, facts(e), since, result);
  return result;
}

/** Abortive close: SO_LINGER {on, 0} then close, so the kernel sends RST and skips TIME_WAIT. */
export function abortConn(ctx: Ctx, e: ConnEntry, since: bigint): unknown {
  if (e.appClosed) throw ctx.rec.fail('close', {}, facts(e), since, new CommandError('EBADF', 'the socket is already closed'));
  ctx.rec.ok('setsockopt', { level: 'SOL_SOCKET', option: 'SO_LINGER', value: { onoff: 1, linger: 0 } }, facts(e), since, 0);
  const t1 = mark();
  e.appClosed = true;
  e.writer?.stop();
  e.reader?.cancel(new CommandError('EBADF', 'the socket was closed while recv was waiting'));
  const handle = nodeHandle<unknown>(e.socket);
  const live = handle !== null && !e.socket.destroyed;
  if (live) e.socket.resetAndDestroy();
  else e.socket.destroy();
  ctx.table.markClosed(e);
  const result = live ? { rst: true } : { rst: false, alreadyClosedByRuntime: true };
  ctx.rec.ok('close', {}, facts(e), t1, result);
  return result;
}
