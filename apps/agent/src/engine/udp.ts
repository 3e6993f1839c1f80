/**
 * UDP: socket, bind, sendto, recvfrom, SO_RCVBUF, close. No connections: every sendto names its target,
 * every recvfrom reports its sender, and datagrams wait in the kernel until recvfrom (udp-reader.ts), so a
 * flooded receiver's full buffer and rising drop counter are the kernel's own.
 *
 * Node creates a UDP socket's kernel half only when it is bound (bind, or the implicit bind of the first
 * sendto, which picks 0.0.0.0 / :: and an ephemeral port exactly as the kernel's autobind does).
 *
 * A3 (issue 16) A first sendto on an unbound socket binds it to loopback, in the target's family
 *    (127.0.0.1, ::1, or ::ffff:127.0.0.1 for an IPv6 socket sending to IPv4), with an ephemeral port,
 *    and says so: a `bind` api.call with `implicit: true` and a note. The kernel's own choice, every
 *    interface, would let any machine on the classroom network send datagrams into the teacher's session
 *    (the udp-echo lesson does exactly this). With --allow-remote the kernel's choice stands.
 * A target is used in the socket's own family: IPv4 (also written ::ffff:a.b.c.d) from an IPv6 socket as
 * its mapped address; IPv6 from an IPv4 socket is EAFNOSUPPORT, as the kernel says it.
 */
import dgram from 'node:dgram';
import { endpoint, type CommandOf } from '@socketscope/shared';
import { mark, preview, type CallFacts } from './calls.ts';
import { checkBytes, checkSocketLimit, checkTarget, entryFor, resolveHost, within, type Ctx } from './context.ts';
import { encodePayload } from './payload.ts';
import type { UdpEntry } from './table.ts';
import { DatagramReader } from './udp-reader.ts';
import { CommandError } from './types.ts';

function facts(e: UdpEntry): CallFacts {
  return { sock: e.id, proto: 'udp', local: e.local };
}

function create(ctx: Ctx, family: 'ipv4' | 'ipv6', since: bigint): UdpEntry {
  try {
    checkSocketLimit(ctx);
  } catch (err) {
    throw ctx.rec.fail('socket', { type: 'SOCK_DGRAM' }, { proto: 'udp' }, since, err);
  }
  const id = ctx.table.nextId();
  const socket = dgram.createSocket({ type: family === 'ipv6' ? 'udp6' : 'udp4', reuseAddr: false });
  const e: UdpEntry = { id, kind: 'udp', socket, family, bound: false, closed: false, reader: new DatagramReader(socket) };
  socket.on('error', (err) => {
    if (e.reader.busy || e.binding) return; // reported by that recvfrom / bind
    ctx.rec.notice('error', facts(e), undefined, err);
  });
  socket.on('listening', () => {
    // also the implicit bind of a first sendto: the socket now has an address the probe can follow
    const a = socket.address();
    e.bound = true;
    e.local = endpoint(a.address, a.port);
    ctx.table.changed();
  });
  socket.on('close', () => ctx.table.markClosed(e));
  ctx.table.add(e);
  ctx.rec.ok('socket', { family: family === 'ipv6' ? 'AF_INET6' : 'AF_INET', type: 'SOCK_DGRAM' }, { sock: id, proto: 'udp' }, since, { sock: id });
  return e;
}

export function socketCmd(ctx: Ctx, cmd: CommandOf<'udp.socket'>): unknown {
  const e = create(ctx, cmd.family, mark());
  return { sock: e.id };
}

export async function bind(ctx: Ctx, cmd: CommandOf<'udp.bind'>): Promise<unknown> {
  const t0 = mark();
  const args = { host: cmd.host, port: cmd.port };
  try {
    checkTarget(ctx, cmd.host);
  } catch (err) {
    throw ctx.rec.fail('bind', args, { proto: 'udp' }, t0, err);
  }
  const addr = await resolveHost(ctx, cmd.host).catch((err: unknown) => { throw ctx.rec.fail('bind', args, { proto: 'udp' }, t0, err); });
  const e = create(ctx, addr.family === 6 ? 'ipv6' : 'ipv4', t0);
  const t1 = mark();
  e.binding = true;
  try {
    await within(new Promise<void>((resolve, reject) => {
      e.socket.once('listening', resolve);
      e.socket.once('error', reject);
      e.socket.bind({ address: addr.address, port: cmd.port, exclusive: true });
    }), ctx.limits.maxWaitMs, () => new CommandError('ETIMEDOUT', 'bind did not complete in time'));
  } catch (err) {
    e.binding = false;
    const ce = ctx.rec.fail('bind', args, facts(e), t1, err);
    closeQuietly(e);
    ctx.table.markClosed(e);
    ctx.rec.ok('close', {}, { sock: e.id }, mark(), { auto: true, reason: 'bind failed, so the agent closed the socket' });
    throw ce;
  }
  e.binding = false;
  ctx.rec.ok('bind', args, facts(e), t1, { local: e.local });
  const result: Record<string, unknown> = { sock: e.id, local: e.local };
  if (cmd.recvBufferSize !== undefined) result['recvBuffer'] = setRcvBuf(ctx, e, cmd.recvBufferSize);
  return result;
}

/** SO_RCVBUF: Linux doubles the request (bookkeeping overhead) and enforces a minimum; we report what it took. */
function setRcvBuf(ctx: Ctx, e: UdpEntry, bytes: number): unknown {
  const t0 = mark();
  const args = { level: 'SOL_SOCKET', option: 'SO_RCVBUF', value: bytes };
  try {
    e.socket.setRecvBufferSize(bytes);
    const effective = e.socket.getRecvBufferSize();
    const result = { requested: bytes, effective };
    ctx.rec.ok('setsockopt', args, facts(e), t0, result);
    return result;
  } catch (err) {
    throw ctx.rec.fail('setsockopt', args, facts(e), t0, err);
  }
}

function udpFor(ctx: Ctx, call: 'sendto' | 'recvfrom' | 'setsockopt', args: Record<string, unknown>, id: string, since: bigint): UdpEntry {
  const e = entryFor(ctx, call, args, id, since);
  if (e.kind !== 'udp') {
    throw ctx.rec.fail(call, args, { sock: id, proto: 'tcp' }, since, new CommandError('E_WRONG_KIND', `${call === 'setsockopt' ? 'udp.setRecvBuffer' : call + '()'} is for UDP sockets; this one is TCP`));
  }
  if (e.closed) throw ctx.rec.fail(call, args, facts(e), since, new CommandError('EBADF', 'the socket is closed'));
  return e;
}

export function setRecvBuffer(ctx: Ctx, cmd: CommandOf<'udp.setRecvBuffer'>): unknown {
  const t0 = mark();
  const e = udpFor(ctx, 'setsockopt', { option: 'SO_RCVBUF', value: cmd.bytes }, cmd.sock, t0);
  if (!e.bound) {
    throw ctx.rec.fail('setsockopt', { level: 'SOL_SOCKET', option: 'SO_RCVBUF', value: cmd.bytes }, facts(e), t0,
      new CommandError('EBADF', 'Node creates this socket in the kernel only when it is bound (bind or a first sendto); set the buffer after that'));
  }
  return setRcvBuf(ctx, e, cmd.bytes);
}

export async function sendto(ctx: Ctx, cmd: CommandOf<'udp.sendto'>): Promise<unknown> {
  const t0 = mark();
  const { bytes, encoding } = encodePayload(cmd.data);
  const args = { host: cmd.host, port: cmd.port, len: bytes.length, encoding };
  const e = udpFor(ctx, 'sendto', args, cmd.sock, t0);
  let address: string;
  let targetFamily: 4 | 6;
  try {
    checkTarget(ctx, cmd.host);
    checkBytes(ctx, bytes.length);
    const r = await resolveHost(ctx, cmd.host, e.family === 'ipv6' ? 6 : 4);
    targetFamily = r.family;
    address = inFamily(e, r);
  } catch (err) {
    throw ctx.rec.fail('sendto', args, facts(e), t0, err);
  }
  let implicit: string | undefined;
  if (!e.bound && !ctx.allowRemote) implicit = await bindToLoopback(ctx, e, targetFamily); // A3
  const remote = endpoint(address, cmd.port);
  try {
    const sent = await within(new Promise<number>((resolve, reject) => {
      e.socket.send(bytes, cmd.port, address, (err, n) => (err ? reject(err) : resolve(n)));
    }), ctx.limits.maxWaitMs, () => new CommandError('ETIMEDOUT', 'sendto did not complete in time'));
    const result: Record<string, unknown> = { bytes: sent, from: e.local };
    if (implicit) result['implicitBind'] = implicit;
    ctx.rec.ok('sendto', args, { ...facts(e), remote, data: preview(bytes) }, t0, result);
    return result;
  } catch (err) {
    throw ctx.rec.fail('sendto', args, { ...facts(e), remote }, t0, err);
  }
}

/** The target as this socket can name it (see the header). */
function inFamily(e: UdpEntry, r: { address: string; family: 4 | 6 }): string {
  if (e.family === 'ipv6') return r.family === 4 ? `::ffff:${r.address}` : r.address;
  if (r.family === 6) throw new CommandError('EAFNOSUPPORT', `this socket is IPv4 (AF_INET): it cannot send to the IPv6 address ${r.address}; make an ipv6 socket for that`);
  return r.address;
}

export const IMPLICIT_BIND_NOTE = 'sendto() on an unbound socket binds it first; the kernel would bind every interface (0.0.0.0), where any machine on the network could send to it. The agent bound it to loopback instead (--allow-remote keeps the kernel’s choice).';

/** A3: binds an unbound socket to loopback before its first sendto; returns its address. */
async function bindToLoopback(ctx: Ctx, e: UdpEntry, target: 4 | 6): Promise<string> {
  const t0 = mark();
  const host = e.family === 'ipv6' ? (target === 4 ? '::ffff:127.0.0.1' : '::1') : '127.0.0.1';
  const args = { host, port: 0, implicit: true };
  e.binding = true;
  try {
    await within(new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => { e.socket.off('listening', onListening); reject(err); };
      const onListening = () => { e.socket.off('error', onError); resolve(); };
      e.socket.once('listening', onListening);
      e.socket.once('error', onError);
      e.socket.bind({ address: host, port: 0, exclusive: true });
    }), ctx.limits.maxWaitMs, () => new CommandError('ETIMEDOUT', 'bind did not complete in time'));
  } catch (err) {
    throw ctx.rec.fail('bind', args, facts(e), t0, err);
  } finally {
    e.binding = false;
  }
  ctx.rec.ok('bind', args, facts(e), t0, { local: e.local, implicit: true, noteCode: 'LOOPBACK_IMPLICIT', note: IMPLICIT_BIND_NOTE });
  return e.local!;
}

export async function recvfrom(ctx: Ctx, cmd: CommandOf<'udp.recvfrom'>): Promise<unknown> {
  const t0 = mark();
  const args = { max: cmd.max };
  const e = udpFor(ctx, 'recvfrom', args, cmd.sock, t0);
  if (!e.bound) {
    throw ctx.rec.fail('recvfrom', args, facts(e), t0, new CommandError('EINVAL', 'the socket has no address yet (bind, or sendto first), so nothing can arrive'));
  }
  let d;
  try {
    d = await e.reader.read(ctx.limits.maxWaitMs);
  } catch (err) {
    throw ctx.rec.fail('recvfrom', args, facts(e), t0, err);
  }
  // like recvfrom(2): a datagram longer than max is cut, and the rest of it is lost
  const data = d.msg.subarray(0, cmd.max);
  const from = endpoint(d.rinfo.address, d.rinfo.port);
  const result = { len: data.length, datagramLen: d.msg.length, truncated: d.msg.length > cmd.max, from };
  ctx.rec.ok('recvfrom', args, { ...facts(e), remote: from, data: preview(data) }, t0, result);
  return { ...result, data: preview(data) };
}

function closeQuietly(e: UdpEntry): void {
  try { e.socket.close(); } catch { /* already closed */ }
}

export function closeUdp(ctx: Ctx, e: UdpEntry, since: bigint): unknown {
  if (e.closed) throw ctx.rec.fail('close', {}, facts(e), since, new CommandError('EBADF', 'the socket is already closed'));
  e.reader.cancel(new CommandError('EBADF', 'the socket was closed while recvfrom was waiting'));
  closeQuietly(e);
  ctx.table.markClosed(e);
  ctx.rec.ok('close', {}, facts(e), since, {});
  return {};
}
