import { decodeBatch, decodeFrame, type DecodedMessage } from './decode.ts';

/**
 * How the AgentClient reaches the agent: one WebSocket at a time, whose frames arrive already decoded
 * and validated (decode.ts). Two ways:
 * - WorkerTransport (the page): a dedicated Web Worker (socket.worker.ts) owns the WebSocket, parses
 *   and validates, and posts the checked messages as JSON text; the main thread only parses that text
 *   (≈ 2 µs per event, against ≈ 6 µs for JSON.parse + zod without eval, and ≈ 5.5 µs to receive the
 *   same messages as a structured clone: measured in a CPU profile of the page at 10,000 events/s).
 * - DirectTransport: the same in this thread (unit tests, and a browser that cannot start the worker).
 * `open` starts a new socket; callbacks of an earlier one stop.
 */
export interface TransportEvents {
  message(m: DecodedMessage): void;
  close(code: number, reason: string): void;
}

export interface Transport {
  open(url: string, on: TransportEvents): void;
  /** true while the socket is open (send would be delivered) */
  readonly isOpen: boolean;
  send(text: string): void;
  close(code: number, reason: string): void;
}

export class DirectTransport implements Transport {
  private ws: WebSocket | null = null;
  constructor(private readonly WS: typeof WebSocket = WebSocket) {}

  open(url: string, on: TransportEvents): void {
    const ws = new this.WS(url);
    this.ws = ws;
    ws.addEventListener('message', (ev) => {
      if (this.ws === ws) on.message(decodeFrame(ev.data));
    });
    ws.addEventListener('close', (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      on.close(ev.code, ev.reason);
    });
  }

  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === this.WS.OPEN;
  }

  send(text: string): void {
    this.ws?.send(text);
  }

  close(code: number, reason: string): void {
    this.ws?.close(code, reason);
  }
}

/** What the worker posts; `id` is the socket it is about (an older socket's news is ignored). */
export type FromSocketWorker =
  | { kind: 'open'; id: number }
  /** `text`: DecodedMessage[] as encodeBatch writes it, made by the worker from what it checked */
  | { kind: 'msgs'; id: number; text: string }
  | { kind: 'close'; id: number; code: number; reason: string };
export type ToSocketWorker =
  | { op: 'open'; id: number; url: string }
  | { op: 'send'; id: number; text: string }
  | { op: 'close'; id: number; code: number; reason: string };

export class WorkerTransport implements Transport {
  private id = 0;
  private opened = false;
  private on: TransportEvents | null = null;

  constructor(private readonly worker: Worker) {
    worker.addEventListener('message', (ev: MessageEvent<FromSocketWorker>) => this.receive(ev.data));
  }

  open(url: string, on: TransportEvents): void {
    this.id++;
    this.opened = false;
    this.on = on;
    this.post({ op: 'open', id: this.id, url });
  }

  get isOpen(): boolean {
    return this.opened;
  }

  send(text: string): void {
    if (this.opened) this.post({ op: 'send', id: this.id, text });
  }

  close(code: number, reason: string): void {
    this.post({ op: 'close', id: this.id, code, reason });
  }

  private receive(m: FromSocketWorker): void {
    if (m.id !== this.id || !this.on) return;
    if (m.kind === 'open') this.opened = true;
    else if (m.kind === 'msgs') for (const d of decodeBatch(m.text)) this.on.message(d);
    else {
      this.opened = false;
      const on = this.on;
      this.on = null;
      on.close(m.code, m.reason);
    }
  }

  private post(m: ToSocketWorker): void {
    this.worker.postMessage(m, []);
  }
}

/** The page's transport: the worker when it starts, else this thread. */
export function pageTransport(): Transport {
  try {
    const worker = new Worker(new URL('./socket.worker.ts', import.meta.url), { type: 'module', name: 'socketscope-connection' });
    return new WorkerTransport(worker);
  } catch (err) {
    console.warn(`SocketScope: no connection worker (${(err as Error).message}); parsing on the main thread`);
    return new DirectTransport();
  }
}
