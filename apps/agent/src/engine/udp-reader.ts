/**
 * recvfrom() that leaves datagrams in the kernel until the app asks for one.
 *
 * node:dgram starts reading the moment a socket is bound and hands every datagram to 'message' at once,
 * which would empty the kernel's receive queue and hide the drops a flooded receiver suffers. So the
 * engine keeps the UDP handle stopped (handle.recvStop(), the internal call dgram itself uses) and, for
 * one recvfrom, starts it and stops it again inside the 'message' callback: libuv checks that the handle
 * is still receiving before each further recvmsg(2), so exactly one datagram leaves the kernel.
 * The handle sits behind dgram's internal state symbol; SUPPORTED says whether this Node has it.
 *
 * Measured (engine-udp.test.ts): a receiver with SO_RCVBUF 4 KiB flooded with 200 datagrams holds
 * 9 in the kernel and /proc/net/udp counts the rest as drops; each recvfrom lowers rx_queue by one
 * datagram's memory (its skb truesize, 832 bytes for 100 payload bytes on loopback).
 */
import dgram from 'node:dgram';
import { CommandError } from './types.ts';

interface UdpHandle {
  recvStart(): number;
  recvStop(): number;
}

function findStateSymbol(): symbol | null {
  const probe = dgram.createSocket('udp4');
  const sym = Object.getOwnPropertySymbols(probe).find((s) => s.description === 'state symbol') ?? null;
  const ok = sym !== null && typeof ((probe as unknown as Record<symbol, { handle?: UdpHandle }>)[sym]?.handle?.recvStop) === 'function';
  probe.close();
  return ok ? sym : null;
}

const STATE = findStateSymbol();
export const HELD_RECVFROM_SUPPORTED = STATE !== null;

export interface Datagram {
  msg: Buffer;
  rinfo: dgram.RemoteInfo;
}

/** Datagrams read without a recvfrom asking (should not happen; kept, bounded, rather than lost). */
const MAX_STRAY = 64;

export class DatagramReader {
  private waiting: { resolve(d: Datagram): void; reject(e: Error): void; timer: NodeJS.Timeout } | null = null;
  private readonly stray: Datagram[] = [];

  constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (msg, rinfo) => {
      this.hold();
      const w = this.waiting;
      if (w) {
        this.waiting = null;
        clearTimeout(w.timer);
        w.resolve({ msg, rinfo });
      } else if (this.stray.length < MAX_STRAY) {
        this.stray.push({ msg, rinfo });
      }
    });
    // dgram starts receiving when it binds (also the implicit bind of a first sendto): stop it at once
    socket.on('listening', () => this.hold());
    socket.on('close', () => this.cancel(new CommandError('EBADF', 'the socket was closed while recvfrom was waiting')));
  }

  get busy(): boolean {
    return this.waiting !== null;
  }

  private handle(): UdpHandle | null {
    if (!STATE) return null;
    return (this.socket as unknown as Record<symbol, { handle?: UdpHandle | null }>)[STATE]?.handle ?? null;
  }

  /** Stops reading: datagrams stay in the kernel's receive queue. */
  hold(): void {
    this.handle()?.recvStop();
  }

  /** Takes one datagram from the kernel, waiting up to waitMs for one (then EAGAIN). */
  read(waitMs: number): Promise<Datagram> {
    if (!STATE) return Promise.reject(new CommandError('E_UNSUPPORTED', `held recvfrom needs dgram internals absent in Node ${process.version}`));
    if (this.waiting) return Promise.reject(new CommandError('E_BUSY', 'another recvfrom on this socket is still waiting'));
    const s = this.stray.shift();
    if (s) return Promise.resolve(s);
    const handle = this.handle();
    if (!handle) return Promise.reject(new CommandError('EBADF', 'the socket is closed'));
    return new Promise<Datagram>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.hold();
        this.cancel(new CommandError('EAGAIN', `no datagram arrived within ${waitMs} ms (a blocking recvfrom() would still be waiting)`));
      }, waitMs);
      this.waiting = { resolve, reject, timer };
      const rc = handle.recvStart();
      if (rc < 0) this.cancel(new CommandError('EBADF', `the socket cannot receive (libuv ${rc})`));
    });
  }

  cancel(err: Error): void {
    const w = this.waiting;
    if (!w) return;
    this.waiting = null;
    clearTimeout(w.timer);
    this.hold();
    w.reject(err);
  }
}
