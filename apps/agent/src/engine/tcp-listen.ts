/**
 * The server side: socket → (setsockopt SO_REUSEADDR) → bind → listen, and accept.
 *
 * Node's event loop accepts every connection from the kernel the moment it completes, so the kernel's
 * accept queue stays empty. To keep "accept() takes the next waiting connection" true, the engine holds
 * those connections unread (pauseOnConnect) in a per-listener list, announces each with an `incoming`
 * notice, and tcp.accept hands out the oldest. Like Linux's accept queue the list holds backlog + 1
 * connections; beyond that the engine resets the newcomer (the kernel would instead leave it in SYN_SENT)
 * and says so with an E_LIMIT error notice. A held connection is ESTABLISHED in the kernel and the
 * client's bytes wait in its receive queue, exactly where they would wait for a real accept().
 *
 * accept() with nothing waiting blocks, bounded: it waits up to limits.maxWaitMs for a connection, then
 * fails with E_NOTHING_TO_ACCEPT.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { connKey, endpoint, type CommandOf } from '@socketscope/shared';
import { mark, type CallFacts } from './calls.ts';
import { checkSocketLimit, checkTarget, entryFor, resolveHost, within, type Ctx } from './context.ts';
import { portHolders, reuseAddrReport } from './reuseaddr.ts';
import type { ListenerEntry, PendingConn } from './table.ts';
import { attachConn } from './tcp-conn.ts';
import { CommandError } from './types.ts';

function somaxconn(): number {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim()) || 4096;
  } catch {
    return 4096;
  }
}
const SOMAXCONN = somaxconn();

/** errnos the kernel returns from bind(2); libuv defers them to listen(), but bind is the call that failed */
const BIND_ERRORS = new Set(['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES', 'EAFNOSUPPORT']);

export async function listen(ctx: Ctx, cmd: CommandOf<'tcp.listen'>): Promise<unknown> {
  const t0 = mark();
  const bindArgs = { host: cmd.host, port: cmd.port };
  const tcp: CallFacts = { proto: 'tcp' };
  try {
    checkSocketLimit(ctx, true);
  } catch (err) {
    throw ctx.rec.fail('socket', { family: 'AF_INET', type: 'SOCK_STREAM' }, tcp, t0, err);
  }
  try {
    checkTarget(ctx, cmd.host);
  } catch (err) {
    throw ctx.rec.fail('bind', bindArgs, tcp, t0, err);
  }
  const addr = await resolveHost(ctx, cmd.host).catch((err: unknown) => { throw ctx.rec.fail('bind', bindArgs, tcp, t0, err); });

  const id = ctx.table.nextId();
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  const kernelBacklog = Math.min(cmd.backlog || 511, SOMAXCONN); // Node passes `backlog || 511`
  const entry: ListenerEntry = { id, kind: 'listener', closed: false, server, listening: false, backlog: cmd.backlog, kernelBacklog, pending: [] };
  ctx.table.add(entry);
  const facts: CallFacts = { sock: id, proto: 'tcp' };
  ctx.rec.ok('socket', { family: addr.family === 6 ? 'AF_INET6' : 'AF_INET', type: 'SOCK_STREAM' }, facts, t0, { sock: id });
  if (cmd.reuseAddr) ctx.rec.ok('setsockopt', { level: 'SOL_SOCKET', option: 'SO_REUSEADDR', value: 1 }, facts, mark(), 0);

  const before = portHolders(addr.address, cmd.port);
  const t1 = mark();
  server.on('error', (err) => {
    // after listening: rare (e.g. EMFILE on accept); before: reported by the bind/listen call below
    if (entry.listening) ctx.rec.notice('error', { sock: id, local: entry.local }, undefined, err);
  });
  try {
    await within(new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
      server.listen({ host: addr.address, port: cmd.port, backlog: kernelBacklog, exclusive: true });
    }), ctx.limits.maxWaitMs, () => new CommandError('ETIMEDOUT', 'listen did not complete in time'));
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    server.close();
    throw failAndClose(ctx, entry, BIND_ERRORS.has(code) ? 'bind' : 'listen', BIND_ERRORS.has(code) ? bindArgs : { backlog: cmd.backlog }, t1, err);
  }
  const a = server.address() as net.AddressInfo;
  entry.local = endpoint(a.address, a.port);
  entry.listening = true;
  server.on('connection', (socket: net.Socket) => onIncoming(ctx, entry, socket));
  ctx.rec.ok('bind', bindArgs, { ...facts, local: entry.local }, t1, { local: entry.local, ...reuseAddrReport(cmd.reuseAddr, before, a.port) });
  ctx.rec.ok('listen', { backlog: cmd.backlog }, { ...facts, local: entry.local }, t1, { backlog: cmd.backlog, kernelBacklog });
  ctx.table.changed();
  return { sock: id, local: entry.local, backlog: cmd.backlog, kernelBacklog };
}

/** A call failed on a socket that is then unusable: the agent closes it, and says so with a close call. */
function failAndClose(ctx: Ctx, entry: ListenerEntry, call: 'bind' | 'listen', args: Record<string, unknown>, since: bigint, err: unknown): CommandError {
  const ce = ctx.rec.fail(call, args, { sock: entry.id, proto: 'tcp' }, since, err);
  ctx.table.markClosed(entry);
  ctx.rec.ok('close', {}, { sock: entry.id }, mark(), { auto: true, reason: `${call} failed, so the agent closed the socket` });
  return ce;
}

function onIncoming(ctx: Ctx, entry: ListenerEntry, socket: net.Socket): void {
  socket.on('error', () => { /* a held connection's errors surface when the app uses it after accept() */ });
  try {
    holdIncoming(ctx, entry, socket);
  } catch (err) {
    // runs in an event callback: a throw here would end the process (E1)
    socket.destroy();
    ctx.rec.notice('error', { sock: entry.id, local: entry.local }, undefined, err);
  }
}

function holdIncoming(ctx: Ctx, entry: ListenerEntry, socket: net.Socket): void {
  if (entry.closed || !socket.remoteAddress || socket.localPort === undefined || socket.remotePort === undefined) {
    socket.destroy();
    return;
  }
  const local = endpoint(socket.localAddress ?? '', socket.localPort);
  const remote = endpoint(socket.remoteAddress, socket.remotePort);
  const conn = connKey(remote, local);
  const capacity = Math.max(entry.backlog, 0) + 1;
  if (entry.pending.length >= capacity || ctx.table.openCount() >= ctx.limits.maxSockets) {
    socket.resetAndDestroy();
    const why = entry.pending.length >= capacity
      ? `${entry.pending.length} connections already wait for accept() (backlog ${entry.backlog}); the agent reset this one, where the kernel would have left the client in SYN_SENT`
      : `the agent holds at most ${ctx.limits.maxSockets} sockets; this connection was reset`;
    ctx.rec.notice('error', { sock: entry.id, local, remote, conn }, { dropped: true }, { code: 'E_LIMIT', message: why });
    return;
  }
  const pc: PendingConn = { socket, local, remote };
  entry.pending.push(pc);
  ctx.rec.notice('incoming', { sock: entry.id, local, remote, conn }, { pending: entry.pending.length });
  const waiter = entry.acceptWaiter;
  if (waiter) {
    entry.acceptWaiter = undefined;
    entry.pending.shift();
    waiter(pc);
  }
}

export async function accept(ctx: Ctx, cmd: CommandOf<'tcp.accept'>): Promise<unknown> {
  const t0 = mark();
  const entry = entryFor(ctx, 'accept', {}, cmd.sock, t0);
  const facts: CallFacts = { sock: cmd.sock, proto: entry.kind === 'udp' ? 'udp' : 'tcp' };
  if (entry.kind === 'udp') throw ctx.rec.fail('accept', {}, facts, t0, new CommandError('E_WRONG_KIND', 'accept() is for TCP listening sockets; UDP has no connections to accept'));
  if (entry.kind === 'conn') throw ctx.rec.fail('accept', {}, facts, t0, new CommandError('EINVAL', 'accept() needs a listening socket; this one is a connection'));
  if (entry.closed) throw ctx.rec.fail('accept', {}, facts, t0, new CommandError('EBADF', 'the listening socket is closed'));
  if (entry.acceptWaiter) throw ctx.rec.fail('accept', {}, facts, t0, new CommandError('E_BUSY', 'another accept() on this socket is still waiting'));

  let pc = entry.pending.shift();
  if (!pc) {
    const waitMs = ctx.limits.maxWaitMs;
    const got = await new Promise<PendingConn | Error>((resolve) => {
      const timer = setTimeout(() => {
        entry.acceptWaiter = undefined;
        resolve(new CommandError('E_NOTHING_TO_ACCEPT', `no connection arrived within ${waitMs} ms (a blocking accept() would still be waiting)`));
      }, waitMs);
      entry.acceptWaiter = (c) => { clearTimeout(timer); resolve(c); };
    });
    if (got instanceof Error) throw ctx.rec.fail('accept', {}, facts, t0, got);
    pc = got;
  }
  const id = ctx.table.nextId();
  const conn = connKey(pc.remote, pc.local);
  attachConn(ctx, { id, kind: 'conn', role: 'accepted', socket: pc.socket, local: pc.local, remote: pc.remote, conn, connected: true, closed: false, writeShut: false, appClosed: false, connecting: false });
  ctx.rec.ok('accept', {}, { ...facts, newSock: id, local: pc.local, remote: pc.remote, conn }, t0, { newSock: id, local: pc.local, remote: pc.remote, pending: entry.pending.length });
  return { newSock: id, local: pc.local, remote: pc.remote };
}

/** close() on a listener: stops listening; connections still waiting for accept() are reset, as Linux does. */
export function closeListener(ctx: Ctx, entry: ListenerEntry, since: bigint): unknown {
  const waiting = entry.pending.length;
  for (const pc of entry.pending.splice(0)) if (!pc.socket.destroyed) pc.socket.resetAndDestroy();
  entry.acceptWaiter?.(new CommandError('EBADF', 'the listening socket was closed while accept() was waiting'));
  entry.acceptWaiter = undefined;
  entry.server.close();
  entry.listening = false;
  ctx.table.markClosed(entry);
  const result = { resetWaiting: waiting };
  ctx.rec.ok('close', {}, { sock: entry.id, local: entry.local }, since, result);
  return result;
}
