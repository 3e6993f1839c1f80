import { CloseCode, sampleKey, type SessionEvent, type ServerMessage } from '@socketscope/shared';
import type { Session } from './session.ts';

/** What the outbound stream needs of a WebSocket (the `ws` WebSocket satisfies it). */
export interface Transport {
  readonly bufferedAmount: number;
  /** 1 = OPEN, as in the WebSocket API */
  readonly readyState: number;
  send(data: string): void;
  close(code: number, reason: string): void;
}

export interface OutboundOptions {
  /** events are batched and sent about once per frame */
  frameMs?: number;
  /** above this many bytes waiting in the socket, the client is behind: hold back and merge samples */
  highWater?: number;
  /** most events per `events` message */
  maxBatch?: number;
  /** the socket's own buffer may never exceed this (it can only grow by one batch past highWater) */
  hardBufferedLimit?: number;
  /** a client that accepts nothing for this long while events wait is closed as too slow */
  stallMs?: number;
}

const OPEN = 1;

/** What a connection needs of its outbound stream: the teacher's Outbound, or a viewer's (viewer-pool.ts). */
export interface EventStream {
  /** starts (or restarts) the stream for a client that holds every event up to `since` */
  sync(since: number | null): void;
  /** the session was reset: nothing more until the client syncs again */
  restart(): void;
  /** a reply or hello, after the events that may go first */
  control(msg: ServerMessage): void;
  /** sends what may be sent now (`force`: at shutdown) */
  flush(force?: boolean): void;
  close(code: number, reason: string): void;
  /** stops the stream without closing the socket (it closed by itself) */
  dispose(): void;
}

/**
 * One client's outbound stream of session events.
 *
 * Why a cursor and not a queue: the session's ring already holds every event in order, so a client
 * only needs the seq it will be sent next. Its memory is O(1) (plus the socket's own buffer, which
 * we never fill beyond highWater + one batch), however slow it is.
 *
 * Rules:
 * O1 Events go out in seq order, batched about once per frame, at most maxBatch per message; the first
 *    events after a quiet frame go out at once.
 * O2 While the socket holds more than highWater bytes nothing more is sent (the client is behind).
 * O3 A client that was behind gets kernel samples merged latest-wins by sampleKey() within each batch;
 *    a kernel.tcp event whose state differs from that socket's previous one is a state change and is
 *    never merged; api, wire and session events are never dropped. A `merged` message precedes the
 *    batch and says how many were merged from which seq.
 * O4 History after `since` (or snapshot + gap) is sent first, then `synced {lastSeq}`, then live events.
 * O5 If the ring overwrote events the client has not been sent yet, or the socket stays full for
 *    stallMs, or its buffer passes the hard limit, the client is closed with CloseCode.tooSlow; it
 *    resyncs from its last seq (and gets snapshot + gap).
 * O6 A control message (reply, hello) first flushes what may be sent, so a reply follows the events
 *    its command caused.
 */
export class Outbound implements EventStream {
  private readonly frameMs: number;
  private readonly highWater: number;
  private readonly maxBatch: number;
  private readonly hardBufferedLimit: number;
  private readonly stallMs: number;

  /** seq to send next; null until the client has synced */
  private cursor: number | null = null;
  /** the last history event; `synced` is sent once the cursor passes it */
  private historyEnd: number | null = null;
  private behind = false;
  private fullSince: number | null = null;
  /** when the last batch of events went out (Date.now()), for the leading-edge schedule */
  private lastSentAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** last kernel TCP state sent or merged per socket, to tell a state change from a sample */
  private lastState = new Map<string, string>();
  private readonly unsubscribe: () => void;

  /** counters, for tests and diagnostics */
  stats = { messages: 0, eventsSent: 0, merged: 0 };

  constructor(private readonly session: Session, private readonly transport: Transport, opts: OutboundOptions = {}) {
    this.frameMs = opts.frameMs ?? 16;
    this.highWater = opts.highWater ?? 1 << 20;
    this.maxBatch = opts.maxBatch ?? 2000;
    this.hardBufferedLimit = opts.hardBufferedLimit ?? 64 << 20;
    this.stallMs = opts.stallMs ?? 60_000;
    this.unsubscribe = session.subscribe(() => this.schedule());
  }

  get synced(): boolean { return this.cursor !== null && this.historyEnd === null; }
  get nextSeq(): number | null { return this.cursor; }

  /** Starts (or restarts) the stream for a client that holds every event up to `since`. */
  sync(since: number | null): void {
    if (this.closed) return;
    const b = this.session.backlog(since);
    this.lastState.clear();
    this.behind = false;
    if (b.snapshot) {
      this.sendRaw({ t: 'snapshot', atSeq: b.snapshot.atSeq, model: b.snapshot.model });
      for (const s of Object.values(b.snapshot.model.sockets)) if (s.local && s.state) this.lastState.set(`${s.local}|${s.remote ?? ''}`, s.state);
    }
    if (b.gap) this.sendRaw({ t: 'gap', ...b.gap });
    this.cursor = b.nextSeq;
    this.historyEnd = this.session.lastSeq;
    this.flush();
  }

  /** The session was reset: the stream stops until the client syncs with the new session. */
  restart(): void {
    this.clearTimer();
    this.cursor = null;
    this.historyEnd = null;
    this.lastState.clear();
    this.behind = false;
  }

  /** Sends a control message after flushing whatever events may go first (O6). */
  control(msg: ServerMessage): void {
    if (this.closed) return;
    this.flush();
    this.sendRaw(msg);
  }

  /**
   * Leading edge: a stream that sent nothing for a frame sends at once (after this turn, so what one turn
   * emits still goes as one batch) — a single event reaches the page up to a frame sooner (bench/page.ts,
   * event → pixel). Under load it is still at most one batch per frameMs; a client that is behind is
   * looked at again a frame later, never sooner.
   */
  private schedule(behind = false): void {
    if (this.closed || this.cursor === null || this.timer) return;
    const wait = behind ? this.frameMs : Math.max(0, this.lastSentAt + this.frameMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Sends what may be sent now. With `force` (shutdown) the high-water mark is ignored, only the
   * hard limit holds.
   */
  flush(force = false): void {
    if (this.closed || this.cursor === null) return;
    if (this.transport.readyState !== OPEN) return;
    const now = Date.now();
    while (this.cursor <= this.session.lastSeq || this.historyEnd !== null) {
      if (this.cursor < this.session.firstHeldSeq) {
        this.tooSlow(`fell ${this.session.lastSeq - this.cursor + 1} events behind; resync from your last seq`);
        return;
      }
      const buffered = this.transport.bufferedAmount;
      if (buffered > this.hardBufferedLimit) {
        this.tooSlow(`socket buffer passed ${this.hardBufferedLimit} bytes`);
        return;
      }
      if (!force && buffered > this.highWater) {
        this.behind = true;
        this.fullSince ??= now;
        if (now - this.fullSince > this.stallMs) {
          this.tooSlow(`accepted nothing for ${Math.round(this.stallMs / 1000)} s`);
          return;
        }
        this.clearTimer();
        this.schedule(true);
        return;
      }
      this.fullSince = null;
      if (this.historyEnd !== null && this.cursor > this.historyEnd) {
        this.sendRaw({ t: 'synced', lastSeq: this.historyEnd });
        this.historyEnd = null;
        continue;
      }
      const limit = (this.historyEnd ?? this.session.lastSeq) + 1;
      const end = Math.min(limit, this.cursor + this.maxBatch);
      const window = this.session.range(this.cursor, end);
      const { events, dropped, firstDropped } = this.prepare(window);
      this.cursor = end;
      if (dropped > 0) {
        this.stats.merged += dropped;
        this.sendRaw({ t: 'merged', count: dropped, sinceSeq: firstDropped });
      }
      if (events.length > 0) {
        this.sendRaw({ t: 'events', events });
        this.stats.eventsSent += events.length;
        this.lastSentAt = now;
      }
    }
    this.behind = false;
    this.clearTimer();
  }

  /** O3: tracks state changes and, when behind, drops samples superseded later in the same batch. */
  private prepare(window: SessionEvent[]): { events: SessionEvent[]; dropped: number; firstDropped: number } {
    const keys: (string | null)[] = Array.from({ length: window.length }, () => null);
    for (let i = 0; i < window.length; i++) {
      const e = window[i]!;
      let key = sampleKey(e);
      if (e.type === 'kernel.tcp') {
        const sockKey = `${e.local}|${e.remote ?? ''}`;
        if (e.gone) this.lastState.delete(sockKey);
        else {
          if (this.lastState.get(sockKey) !== e.state) key = null; // a state change is lifecycle
          this.lastState.set(sockKey, e.state);
        }
      }
      keys[i] = key;
    }
    if (!this.behind) return { events: window, dropped: 0, firstDropped: -1 };
    const seen = new Set<string>();
    const keep: boolean[] = Array.from({ length: window.length }, () => true);
    for (let i = window.length - 1; i >= 0; i--) {
      const k = keys[i];
      if (k === null || k === undefined) { keep[i] = true; continue; }
      keep[i] = !seen.has(k);
      seen.add(k);
    }
    const events: SessionEvent[] = [];
    let dropped = 0;
    let firstDropped = -1;
    for (let i = 0; i < window.length; i++) {
      if (keep[i]) events.push(window[i]!);
      else {
        dropped++;
        if (firstDropped < 0) firstDropped = window[i]!.seq;
      }
    }
    return { events, dropped, firstDropped };
  }

  private sendRaw(msg: ServerMessage): void {
    if (this.closed || this.transport.readyState !== OPEN) return;
    this.transport.send(JSON.stringify(msg));
    this.stats.messages++;
  }

  private tooSlow(reason: string): void {
    this.close(CloseCode.tooSlow, `too slow: ${reason}`);
  }

  /** Stops the stream and closes the socket (close reasons are limited to 123 bytes by the protocol). */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.dispose();
    try {
      this.transport.close(code, reason.slice(0, 120));
    } catch {
      // already closing
    }
  }

  /** Stops the stream without closing the socket (it closed by itself). */
  dispose(): void {
    this.closed = true;
    this.clearTimer();
    this.unsubscribe();
  }
}
