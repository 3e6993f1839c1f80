/**
 * The byte sink (bench/fixtures/sink.mjs) from the bench's side: its port, and the line of one connection,
 * found by the connection's own port (the sender's local port) within a bound. Lines nobody waits for
 * yet are kept by port, so a result that comes before its wait is not lost, and a late line of an earlier
 * connection (a round that was abandoned at its bound) is never taken for another one.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './agent-process.ts';

export interface SinkResult {
  peer: number;
  bytes: number;
  /** first byte → last byte, ms */
  ms: number;
  /** complete: read every byte expected; eof / error: the sender closed or reset first; idle: it stopped sending */
  end: 'complete' | 'eof' | 'error' | 'idle';
}

export interface Sink {
  port: number;
  /** The line of the connection from 127.0.0.1:peer; rejects after `ms`. */
  result(peer: number, ms: number): Promise<SinkResult>;
  close(): void;
}

/** `expect`: bytes a connection is complete at; `idleMs`: a connection that sends nothing this long is ended. */
export async function startSink(expect: number, idleMs: number, startMs = 10_000): Promise<Sink> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/fixtures/sink.mjs'), String(expect), String(idleMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const arrived = new Map<number, SinkResult>();
  const waiting = new Map<number, (r: SinkResult) => void>();
  let onPort: ((port: number) => void) | null = null;
  lines.on('line', (l) => {
    const m = JSON.parse(l) as { port?: number } & Partial<SinkResult>;
    if (m.port !== undefined) return onPort?.(m.port);
    const r = m as SinkResult;
    const w = waiting.get(r.peer);
    if (w) {
      waiting.delete(r.peer);
      w(r);
    } else arrived.set(r.peer, r);
  });
  const close = () => {
    child.stdin.end();
    child.kill();
  };
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => { close(); reject(new Error(`sink: no port in ${startMs} ms`)); }, startMs);
    onPort = (p) => { clearTimeout(t); resolve(p); };
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`sink exited (${code}) before it listened`)); });
  });
  return {
    port,
    close,
    result(peer, ms) {
      const r = arrived.get(peer);
      if (r) {
        arrived.delete(peer);
        return Promise.resolve(r);
      }
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          waiting.delete(peer);
          reject(new Error(`sink: no result for the connection from port ${peer} in ${Math.round(ms / 1000)} s`));
        }, ms);
        waiting.set(peer, (x) => { clearTimeout(t); resolve(x); });
      });
    },
  };
}
