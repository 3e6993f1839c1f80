import { decodeFrame, type DecodedMessage } from './decode.ts';

/**
 * How the AgentClient reaches the agent: one WebSocket at a time, whose frames arrive decoded and
 * validated (decode.ts). In the page it runs inside the session worker (session/worker.ts), so the
 * main thread never parses or validates. `open` starts a new socket; callbacks of an earlier one stop.
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
