/// <reference lib="webworker" />
import { decodeFrame, PostQueue } from './decode.ts';
import type { FromSocketWorker, ToSocketWorker } from './transport.ts';

/**
 * The page's connection worker: owns the one WebSocket to the agent, parses every frame and validates
 * it (and each event in it) with the shared schemas, and posts the checked messages to the page.
 * A bad event is dropped and reported (its error text), the rest of the stream goes on.
 *
 * Messages are posted at most once per task turn: frames that arrive together go as one post, so a
 * burst costs the page one message event per POST_EVENTS events, not one per frame.
 */
declare const self: DedicatedWorkerGlobalScope;

let ws: WebSocket | null = null;
let id = 0;
const pending = new PostQueue();
let scheduled = false;

const post = (m: FromSocketWorker): void => self.postMessage(m, []);

function flush(): void {
  scheduled = false;
  // as JSON text: the page's JSON.parse of it costs about a third of receiving the same objects as a
  // structured clone (≈ 5.5 µs per event on the main thread, CPU profile at 10,000 events/s); a frame
  // whose events all passed goes as its own text (encodeBatch)
  const text = pending.take();
  if (text !== null) post({ kind: 'msgs', id, text });
}

self.addEventListener('message', (ev: MessageEvent<ToSocketWorker>) => {
  const m = ev.data;
  if (m.op === 'open') {
    flush();
    if (ws) {
      const old = ws;
      ws = null;
      old.close(1000, 'reopened');
    }
    id = m.id;
    const mine = m.id;
    let sock: WebSocket;
    try {
      sock = new WebSocket(m.url);
    } catch (err) {
      post({ kind: 'close', id: mine, code: 1006, reason: (err as Error).message });
      return;
    }
    ws = sock;
    sock.addEventListener('open', () => { if (ws === sock) post({ kind: 'open', id: mine }); });
    sock.addEventListener('message', (e) => {
      if (ws !== sock) return;
      const raw = typeof e.data === 'string' ? e.data : String(e.data);
      const d = decodeFrame(raw);
      if (d.ok && d.msg.t === 'events' && d.msg.bad.length > 0) console.warn(`SocketScope: dropped ${d.msg.bad.length} invalid event(s): ${d.msg.bad[0]}`);
      if (pending.add(d, raw)) flush();
      else if (!scheduled) {
        scheduled = true;
        setTimeout(flush, 0);
      }
    });
    sock.addEventListener('close', (e) => {
      if (ws !== sock) return;
      flush();
      ws = null;
      post({ kind: 'close', id: mine, code: e.code, reason: e.reason });
    });
    return;
  }
  if (m.id !== id || !ws) return;
  if (m.op === 'send') ws.send(m.text);
  else ws.close(m.code, m.reason);
});
