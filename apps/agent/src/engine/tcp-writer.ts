/**
 * send() as the kernel sees it. Node first tries write(2) at once (uv_try_write); what the kernel's send
 * buffer cannot take waits in libuv's queue inside the agent. So `socket.writableLength > 0` right after a
 * write means exactly "the kernel's send buffer is full": that is the moment a blocking send() would block.
 * We say so with a `blocked` notice, and `writable` when the queue has drained into the kernel.
 *
 * sendBulk writes generated chunks, one send() each, and waits for the kernel to take a chunk before it
 * writes the next (backpressure), so at most one chunk ever waits in the agent.
 */
import type net from 'node:net';
import { mark, preview, type Recorder } from './calls.ts';
import type { ConnEntry } from './table.ts';

/** Printable filler for bulk data, so the first bytes read as text on the page. */
const PERIOD = 64;
/**
 * One period longer than the largest chunk a command may ask for (1 MiB), so every chunk is a view into
 * it at (stream offset mod PERIOD): no allocation and no copy per chunk. (Copying each chunk cost as much
 * CPU as the kernel's own copy: bench/throughput.ts.) Nothing ever writes to it.
 */
const PATTERN = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_'.repeat((1 << 20) / PERIOD + 1));

/** A bulk send that stops making progress for this long gives up (it could otherwise wait forever). */
export const BULK_STALL_MS = 120_000;

export interface BulkResult {
  total: number;
  /** bytes handed to the kernel so far */
  sent: number;
  /** bytes written but still waiting in the agent because the kernel's send buffer is full */
  waiting: number;
  blocked: boolean;
  done: boolean;
}

export class TcpWriter {
  private blocked = false;
  private bulkRunning = false;
  private stopBulk: (() => void) | null = null;

  constructor(private readonly entry: ConnEntry, private readonly socket: net.Socket, private readonly rec: Recorder) {}

  get bulkActive(): boolean {
    return this.bulkRunning;
  }

  /** Writes bytes; returns how many wait in the agent because the kernel took only part of them. */
  write(bytes: Buffer, onDone?: (err?: Error | null) => void): number {
    this.socket.write(bytes, (err) => {
      if (!err && this.blocked && this.socket.writableLength === 0) {
        this.blocked = false;
        this.rec.notice('writable', this.facts(), { waiting: 0 });
      }
      onDone?.(err);
    });
    const waiting = this.socket.writableLength;
    return waiting;
  }

  /** Emits `blocked` the first time bytes stay in the agent (after the send call's own event). */
  reportBlocked(waiting: number): void {
    if (waiting > 0 && !this.blocked) {
      this.blocked = true;
      this.rec.notice('blocked', this.facts(), {
        waiting,
        reason: 'the kernel send buffer is full; these bytes wait in the agent until the kernel takes them',
      });
    }
  }

  /**
   * Starts a bulk send. Resolves once all bytes are in the kernel, or as soon as the kernel's send buffer
   * is full (the lesson can then go on), or after `replyWithinMs` at the latest (blocked and done both
   * false: still sending); the rest keeps flowing in the background as the peer reads. The bound matters
   * for small chunks to a reader that keeps up: 1 GiB in 7-byte chunks never blocks, and its reply came
   * only after minutes of sends (found by bench/fuzz.ts; the engine's waits are bounded, E3).
   */
  bulk(total: number, chunk: number, replyWithinMs = Infinity): Promise<BulkResult> {
    this.bulkRunning = true;
    let sent = 0; // handed to the kernel
    let written = 0; // handed to the socket
    const run = { stopped: false };
    let answered = false;
    let stall: NodeJS.Timeout | undefined;
    let replyTimer: NodeJS.Timeout | undefined;
    return new Promise<BulkResult>((resolve) => {
      const answer = (blocked: boolean, done: boolean) => {
        if (answered) return;
        answered = true;
        if (replyTimer) clearTimeout(replyTimer);
        resolve({ total, sent, waiting: written - sent, blocked, done });
      };
      if (Number.isFinite(replyWithinMs)) replyTimer = setTimeout(() => answer(false, false), replyWithinMs);
      this.stopBulk = () => {
        if (stall) clearTimeout(stall);
        run.stopped = true;
        this.bulkRunning = false;
        answer(false, false);
      };
      const step = () => {
        // a few chunks per turn of the event loop, so a long bulk send never starves other sockets
        for (let i = 0; i < 16 && written < total && !run.stopped; i++) {
          if (this.socket.destroyed || this.socket.writableEnded) return this.stopBulk?.();
          const n = Math.min(chunk, total - written);
          const data = bulkChunk(written, n);
          const since = mark();
          const w = { blocked: false };
          const waiting = this.write(data, (err) => {
            if (w.blocked && stall) clearTimeout(stall);
            if (err) return this.stopBulk?.();
            sent += n;
            if (sent >= total) {
              this.bulkRunning = false;
              answer(false, true);
            } else if (w.blocked) setImmediate(step);
          });
          written += n;
          this.rec.ok('send', { len: n, bulk: true }, { ...this.facts(), data: preview(data) }, since, { bytes: n, waiting });
          if (waiting > 0) {
            w.blocked = true;
            this.reportBlocked(waiting);
            answer(true, false);
            stall = setTimeout(() => {
              this.rec.notice('error', this.facts(), { bulk: { total, sent } }, { code: 'ETIMEDOUT', message: `bulk send made no progress for ${BULK_STALL_MS / 1000} s and stopped` });
              this.stopBulk?.();
            }, BULK_STALL_MS);
            stall.unref();
            return; // this chunk's write callback resumes the loop
          }
        }
        if (written < total && !run.stopped) setImmediate(step);
      };
      step();
    });
  }

  /** Stops a running bulk send (close, abort, error). */
  stop(): void {
    this.stopBulk?.();
  }

  private facts() {
    return { sock: this.entry.id, conn: this.entry.conn, local: this.entry.local, remote: this.entry.remote };
  }
}

/** `n` bytes of the repeating pattern starting at stream offset `at`, so the data is continuous across chunks. */
function bulkChunk(at: number, n: number): Buffer {
  const from = at % PERIOD;
  if (from + n <= PATTERN.length) return PATTERN.subarray(from, from + n);
  // longer than any chunk the command schema allows; kept correct anyway
  const out = Buffer.allocUnsafe(n);
  for (let off = 0; off < n;) {
    const f = (at + off) % PERIOD;
    const take = Math.min(n - off, PATTERN.length - f);
    PATTERN.copy(out, off, f, f + take);
    off += take;
  }
  return out;
}
