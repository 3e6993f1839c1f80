/**
 * UDP: socket, bind, sendto, recvfrom, SO_RCVBUF, close. No connections: every sendto names its target,
 * every recvfrom reports its sender, and datagrams wait in the kernel until recvfrom (udp-reader.ts), so a
 * flooded receiver's full buffer and rising drop counter are the kernel's own.
 *
 * Node creates a UDP socket's kernel half only when it is bound (bind, or the implicit bind of the first
 * sendto, which picks 0.0.0.0 / :: and an ephemeral port exactly as the kernel's autobind does).
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
  try {
    checkTarget(ctx, cmd.host);
    checkBytes(ctx, bytes.length);
    const r = await resolveHost(ctx, cmd.host, e.family === 'ipv6' ? 6 : 4);
    address = r.address;
  } catch (err) {
    throw ctx.rec.fail('sendto', args, facts(e), t0, err);
  }
  const remote = endpoint(address, cmd.port);
  try {
    const sent = await within(new Promise<number>((resolve, reject) => {
      e.socket.send(bytes, cmd.port, address, (err, n) => (err ? reject(err) : resolve(n)));
    }), ctx.limits.maxWaitMs, () => new CommandError('ETIMEDOUT', 'sendto did not complete in time'));
    const result = { bytes: sent, from: e.local };
    ctx.rec.ok('sendto', args, { ...facts(e), remote, data: preview(bytes) }, t0, result);
    return result;
  } catch (err) {
    throw ctx.rec.fail('sendto', args, { ...facts(e), remote }, t0, err);
  }
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
