/**
 * recv(max) as the kernel does it: one read(2) of at most `max` bytes, the rest stays in the kernel's
 * receive queue (so /proc shows recvQueue shrink by exactly what was read).
 *
 * Node reads eagerly into 64 KiB buffers whenever a socket flows. We keep the handle stopped and, for one
 * recv, give libuv a buffer of exactly `max` bytes, the mechanism behind net.Socket's public `onread`
 * option: `handle.useUserBuffer(buf)` makes libuv read into `buf`, and a callback returning false stops
 * reading again within the same libuv callback, before it tries a second read(2).
 * `onread` can only be given to `new net.Socket()`; a server creates accepted sockets itself, so we set
 * the same two fields (the kBuffer / kBufferCb symbols) on the socket directly. They are internal to
 * Node; SUPPORTED says whether this Node has them (checked once; Node 20, 22 and 24 do).
 *
 * Measured (engine-recv.test.ts): recv(4) on 23 queued bytes leaves 19 in /proc's rx_queue.
 */
import net from 'node:net';
import { CommandError } from './types.ts';

interface Handle {
  useUserBuffer(buf: Uint8Array): void;
  readStart(): number;
  readStop(): number;
  reading: boolean;
}

function findSymbols(): { kBuffer: symbol; kBufferCb: symbol } | null {
  const probe = new net.Socket();
  const syms = Object.getOwnPropertySymbols(probe);
  probe.destroy();
  const kBuffer = syms.find((s) => s.description === 'kBuffer');
  const kBufferCb = syms.find((s) => s.description === 'kBufferCb');
  return kBuffer && kBufferCb ? { kBuffer, kBufferCb } : null;
}

const SYMS = findSymbols();

/** The socket's libuv stream handle (null once closed). Internal to Node, like the symbols above. */
export function nodeHandle<H = Handle>(socket: net.Socket): H | null {
  // oxlint-disable-next-line no-underscore-dangle -- Node keeps the stream handle in _handle; no public accessor exists
  return (socket as unknown as { _handle: H | null })._handle;
}
/** Whether exact reads work on this Node; if not, recv fails with a clear message instead of reading too much. */
export const EXACT_RECV_SUPPORTED = SYMS !== null;

export type ReadResult = { bytes: Buffer } | { eof: true };

interface Waiting {
  resolve(r: ReadResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class TcpReader {
  private buf: Buffer | null = null;
  private eof = false;
  private failure: Error | null = null;
  private failureReported = false;
  private waiting: Waiting | null = null;

  constructor(private readonly socket: net.Socket) {
    socket.on('end', () => {
      this.eof = true;
      this.settle({ eof: true });
    });
    socket.on('error', (err) => {
      this.failure = err;
      if (this.waiting) {
        this.failureReported = true;
        this.settleError(err);
      }
    });
    socket.on('close', () => {
      if (!this.eof && !this.failure) this.settleError(new CommandError('EBADF', 'the socket was closed while recv was waiting'));
    });
  }

  /** Is a recv waiting for data? (The engine reports a socket error as that recv's error, not as a notice.) */
  get busy(): boolean {
    return this.waiting !== null;
  }

  get sawEof(): boolean {
    return this.eof;
  }

  /**
   * One recv: resolves with at most `max` bytes, or eof when the peer's FIN was read and nothing is left.
   * Waits (like a blocking recv) up to waitMs for data, then rejects with EAGAIN.
   */
  read(max: number, waitMs: number): Promise<ReadResult> {
    if (!SYMS) return Promise.reject(new CommandError('E_UNSUPPORTED', `exact recv needs Node's onread internals, absent in Node ${process.version}`));
    if (this.waiting) return Promise.reject(new CommandError('E_BUSY', 'another recv on this socket is still waiting'));
    if (this.failure && !this.failureReported) {
      // like the kernel: a pending error (ECONNRESET) is reported by one call, later calls see the end
      this.failureReported = true;
      return Promise.reject(this.failure);
    }
    if (this.eof || this.failure) return Promise.resolve({ eof: true });
    const handle = nodeHandle(this.socket);
    if (!handle || this.socket.destroyed) return Promise.reject(new CommandError('EBADF', 'the socket is closed'));

    return new Promise<ReadResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stop(handle);
        this.settleError(new CommandError('EAGAIN', `nothing arrived within ${waitMs} ms (a blocking recv() would still be waiting)`));
      }, waitMs);
      this.waiting = { resolve, reject, timer };
      const s = this.socket as unknown as Record<symbol, unknown>;
      if (!this.buf || this.buf.length !== max) {
        // a new size needs a new libuv buffer; useUserBuffer installs it for the next read(2)
        this.buf = Buffer.allocUnsafe(max);
        handle.useUserBuffer(this.buf);
      }
      s[SYMS.kBuffer] = this.buf;
      s[SYMS.kBufferCb] = (nread: number, buf: Buffer): boolean => {
        this.settle({ bytes: Buffer.from(buf.subarray(0, nread)) });
        return false; // Node stops the handle: bytes beyond `max` stay in the kernel
      };
      handle.reading = true;
      const rc = handle.readStart();
      if (rc < 0) {
        this.stop(handle);
        this.settleError(new CommandError('EBADF', `the socket cannot read (libuv ${rc})`));
      }
    });
  }

  /** Gives up a waiting recv (close, abort). */
  cancel(err: Error): void {
    const handle = nodeHandle(this.socket);
    if (handle) this.stop(handle);
    this.settleError(err);
  }

  private stop(handle: Handle): void {
    handle.reading = false;
    handle.readStop();
  }

  private settle(r: ReadResult): void {
    const w = this.waiting;
    if (!w) return;
    this.waiting = null;
    clearTimeout(w.timer);
    w.resolve(r);
  }

  private settleError(err: Error): void {
    const w = this.waiting;
    if (!w) return;
    this.waiting = null;
    clearTimeout(w.timer);
    w.reject(err);
  }
}
