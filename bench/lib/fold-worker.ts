/**
 * The fold-rate bench's worker (bench/fold-rate.ts): what the page's session worker does with the events
 * of a WebSocket frame, and nothing else — parse the frame's text, fold every event into the session's one
 * model with the shared `fold`. Timed inside the worker: parsing, folding, and the time between batches
 * (receiving the next one's text, and waiting for it if the feed fell behind — the bench checks it did not).
 * Messages in: { text } per batch (a JSON array of events), { end: true } after the last. Out: { ready }
 * once loaded, { ack } per batch (the feed's credit), then the totals.
 */
import { parentPort } from 'node:worker_threads';
import { emptyModel, fold, type SessionEvent } from '../../packages/shared/src/index.ts';

export interface FoldWorkerTotals { events: number; batches: number; parseMs: number; foldMs: number; idleMs: number; wallMs: number; sockets: number; conns: number }

const port = parentPort!;
const model = emptyModel();
let events = 0;
let batches = 0;
let parseMs = 0;
let foldMs = 0;
let idleMs = 0;
let first = 0;
let lastDone = 0;

port.on('message', (m: { text?: string; end?: boolean }) => {
  const t0 = performance.now();
  if (first === 0) first = t0;
  else idleMs += t0 - lastDone;
  if (m.end) {
    const totals: FoldWorkerTotals = { events, batches, parseMs, foldMs, idleMs, wallMs: lastDone - first, sockets: model.socketOrder.length, conns: model.connOrder.length };
    port.postMessage({ totals });
    return;
  }
  const list = JSON.parse(m.text!) as SessionEvent[];
  const t1 = performance.now();
  for (const e of list) fold(model, e);
  const t2 = performance.now();
  parseMs += t1 - t0;
  foldMs += t2 - t1;
  events += list.length;
  batches++;
  lastDone = t2;
  port.postMessage({ ack: batches });
});
port.postMessage({ ready: true });
