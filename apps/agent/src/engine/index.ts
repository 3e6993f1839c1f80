/**
 * The socket engine: real TCP/UDP sockets (node:net, node:dgram) driven one command at a time, every call
 * reported as an `api.call` event with its BSD name. Rules it enforces:
 * - E1 exec() rejects only with CommandError and never throws synchronously; no input, socket event or
 *   peer behaviour can crash the process (every socket has an 'error' listener, every emit is guarded).
 * - E2 every failed call is an api.call event with `error` AND a CommandError rejection. An id that names
 *   no socket fails with E_NO_SOCKET in an event without `sock`. A command that fails validation
 *   (E_INVALID) is not a socket call: it is rejected without an event and changes nothing.
 * - E3 targets outside loopback need allowRemote (E_TARGET); counts and sizes are bounded (E_LIMIT);
 *   calls that would block wait at most limits.maxWaitMs (see context.ts).
 * - E4 ids are "s1", "s2", … in creation order, never reused by one engine.
 */
import { Command } from '@socketscope/shared';
import type { Emit, TrackedSocket } from '../sources/source.ts';
import { mark, Recorder, toCommandError } from './calls.ts';
import { entryFor, resolveLimits, type Ctx } from './context.ts';
import { SocketTable } from './table.ts';
import { abortConn, closeConn, connect, recv, send, sendBulk, shutdown } from './tcp-conn.ts';
import { accept, closeListener, listen } from './tcp-listen.ts';
import { CommandError, type EngineCommand, type Limits, type SocketEngine } from './types.ts';
import { bind, closeUdp, recvfrom, sendto, setRecvBuffer, socketCmd } from './udp.ts';

export { CommandError, DEFAULT_LIMITS, type EngineCommand, type Limits, type SocketEngine } from './types.ts';
export { EXACT_RECV_SUPPORTED } from './tcp-reader.ts';
export { HELD_RECVFROM_SUPPORTED } from './udp-reader.ts';

export interface EngineOptions {
  emit: Emit;
  allowRemote: boolean;
  limits?: Partial<Limits>;
  /** diagnostics (the agent's log); silent by default */
  log?: (line: string) => void;
}

export function createEngine(opts: EngineOptions): SocketEngine {
  return new Engine(opts);
}

class Engine implements SocketEngine {
  private readonly table = new SocketTable();
  private readonly ctx: Ctx;
  private readonly log: (line: string) => void;

  constructor(opts: EngineOptions) {
    this.log = opts.log ?? (() => {});
    this.ctx = { rec: new Recorder(opts.emit, this.log), table: this.table, limits: resolveLimits(opts.limits), allowRemote: opts.allowRemote };
  }

  async exec(raw: EngineCommand): Promise<unknown> {
    const parsed = Command.safeParse(raw);
    if (!parsed.success || !/^(tcp|udp)\./.test(parsed.data.op)) {
      const why = parsed.success ? `${parsed.data.op} is not a socket command` : parsed.error.issues.map((i) => `${i.path.join('.') || 'command'}: ${i.message}`).join('; ');
      throw new CommandError('E_INVALID', why.slice(0, 1000));
    }
    const cmd = parsed.data as EngineCommand;
    try {
      return await this.run(cmd);
    } catch (err) {
      if (err instanceof CommandError) throw err;
      // a bug or an unexpected runtime error: still an event, still a CommandError (E1)
      const ce = toCommandError(err);
      this.log(`engine: ${raw.op} failed unexpectedly: ${ce.code} ${ce.message}`);
      this.ctx.rec.notice('error', 'sock' in raw && this.table.has(raw.sock) ? { sock: raw.sock } : {}, { op: raw.op }, ce);
      throw ce;
    }
  }

  private async run(cmd: EngineCommand): Promise<unknown> {
    const ctx = this.ctx;
    switch (cmd.op) {
      case 'tcp.listen': return listen(ctx, cmd);
      case 'tcp.connect': return connect(ctx, cmd);
      case 'tcp.accept': return accept(ctx, cmd);
      case 'tcp.send': return send(ctx, cmd);
      case 'tcp.sendBulk': return sendBulk(ctx, cmd);
      case 'tcp.recv': return recv(ctx, cmd);
      case 'tcp.shutdown': return shutdown(ctx, cmd);
      case 'tcp.close':
      case 'tcp.abort': {
        const t0 = mark();
        const e = entryFor(ctx, 'close', {}, cmd.sock, t0);
        if (e.kind === 'udp') throw ctx.rec.fail('close', {}, { sock: e.id, proto: 'udp' }, t0, new CommandError('E_WRONG_KIND', 'this is a UDP socket: use udp.close'));
        if (e.kind === 'listener') {
          if (e.closed) throw ctx.rec.fail('close', {}, { sock: e.id, proto: 'tcp' }, t0, new CommandError('EBADF', 'the socket is already closed'));
          return closeListener(ctx, e, t0);
        }
        return cmd.op === 'tcp.close' ? closeConn(ctx, e, t0) : abortConn(ctx, e, t0);
      }
      case 'udp.socket': return socketCmd(ctx, cmd);
      case 'udp.bind': return bind(ctx, cmd);
      case 'udp.sendto': return sendto(ctx, cmd);
      case 'udp.recvfrom': return recvfrom(ctx, cmd);
      case 'udp.setRecvBuffer': return setRecvBuffer(ctx, cmd);
      case 'udp.close': {
        const t0 = mark();
        const e = entryFor(ctx, 'close', {}, cmd.sock, t0);
        if (e.kind !== 'udp') throw ctx.rec.fail('close', {}, { sock: e.id, proto: 'tcp' }, t0, new CommandError('E_WRONG_KIND', 'this is a TCP socket: use tcp.close'));
        return closeUdp(ctx, e, t0);
      }
      default: {
        const never: never = cmd;
        throw new CommandError('E_INVALID', `unknown command ${(never as { op: string }).op}`);
      }
    }
  }

  tracked(): TrackedSocket[] {
    return this.table.tracked();
  }

  onChange(listener: () => void): () => void {
    return this.table.onChange(listener);
  }

  /** Closes everything without events (the session is ending or starting over) and forgets every socket. */
  async closeAll(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const e of this.table.all()) {
      try {
        if (e.kind === 'listener') {
          for (const pc of e.pending.splice(0)) pc.socket.destroy();
          e.acceptWaiter?.(new CommandError('EBADF', 'the agent closed every socket'));
          e.acceptWaiter = undefined;
          if (e.listening) closing.push(new Promise((r) => e.server.close(() => r())));
        } else if (e.kind === 'conn') {
          e.appClosed = true;
          e.writer?.stop();
          e.reader?.cancel(new CommandError('EBADF', 'the agent closed every socket'));
          e.socket.destroy();
        } else if (!e.closed) {
          e.reader.cancel(new CommandError('EBADF', 'the agent closed every socket'));
          e.socket.close();
        }
      } catch (err) {
        this.log(`engine: closing ${e.id}: ${(err as Error).message}`);
      }
    }
    this.table.clear();
    // server.close() calls back once its handle is closed; bounded so shutdown never hangs on it
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}
