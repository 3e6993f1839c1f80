import { parseEvent, type SessionEvent } from '@socketscope/shared';
import { parseServerMessage } from './validate.ts';
import type { ServerMessage } from '@socketscope/shared';

/**
 * One frame from the agent, checked: JSON, a ServerMessage, and for `events` every event against the
 * shared SessionEvent schema (validate at the boundary). A bad event is dropped and counted, the rest
 * of its batch goes on. Runs in the connection worker (socket.worker.ts) so the page's main thread
 * never parses or validates; also in-thread where no worker can run (tests, fallback).
 */
export type DecodedMessage =
  | { ok: true; msg: Exclude<ServerMessage, { t: 'events' }> }
  | { ok: true; msg: { t: 'events'; events: SessionEvent[]; bad: string[] } }
  | { ok: false; error: string };

/** at most this many error texts travel with a batch; the count is always exact */
const MAX_ERRORS_KEPT = 5;

export function decodeFrame(data: unknown): DecodedMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === 'string' ? data : String(data));
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const r = parseServerMessage(raw);
  if (!r.ok) return r;
  if (r.msg.t !== 'events') return { ok: true, msg: r.msg };
  const { events, bad } = checkEvents(r.msg.events);
  return { ok: true, msg: { t: 'events', events, bad } };
}

/** Validates raw events; returns the good ones in order and one error text per bad one (the first few in full). */
export function checkEvents(raws: readonly unknown[]): { events: SessionEvent[]; bad: string[] } {
  const events: SessionEvent[] = [];
  const bad: string[] = [];
  for (const raw of raws) {
    const p = parseEvent(raw);
    if (p.ok) events.push(p.event);
    else bad.push(bad.length < MAX_ERRORS_KEPT ? p.error : '');
  }
  return { events, bad };
}

/**
 * The connection worker's batch for the page: the JSON text of DecodedMessage[]. An `events` frame all
 * of whose events passed goes as the frame's own text (`{"ok":true,"raw":<frame>}`), not re-serialized
 * from what zod returned: JSON.stringify of the checked events was a third of the worker's time (CPU
 * profile at 15,000 events/s), and the shared schemas have no transforms or defaults, so what passed
 * is what was sent (decode.test.ts holds them to that). Other messages, and frames with bad events, go
 * as what was checked.
 */
export function encodeBatch(items: readonly { d: DecodedMessage; raw: string }[]): string {
  const parts = items.map(({ d, raw }) => (d.ok && d.msg.t === 'events' && d.msg.bad.length === 0 ? `{"ok":true,"raw":${raw}}` : JSON.stringify(d)));
  return `[${parts.join(',')}]`;
}

/**
 * A post of at most about this many events (frames are not split): the page parses a post in one task,
 * and a worker that fell behind (cold code at the start of a stream, a busy machine) would otherwise
 * hand it thousands at once, a 20–40 ms task in which no frame can be made (trace of the 10,000/s line).
 */
export const POST_EVENTS = 512;

/** Checked frames waiting to be posted to the page, in order. */
export class PostQueue {
  private items: { d: DecodedMessage; raw: string }[] = [];
  private events = 0;

  /** Queues a frame; true once the queue holds POST_EVENTS events or more (post now). */
  add(d: DecodedMessage, raw: string): boolean {
    this.items.push({ d, raw });
    if (d.ok && d.msg.t === 'events') this.events += d.msg.events.length;
    return this.events >= POST_EVENTS;
  }

  /** The post's text (encodeBatch), or null when nothing waits; the queue is empty after. */
  take(): string | null {
    if (this.items.length === 0) return null;
    const text = encodeBatch(this.items);
    this.items = [];
    this.events = 0;
    return text;
  }
}

/** The page's side of encodeBatch. */
export function decodeBatch(text: string): DecodedMessage[] {
  const items = JSON.parse(text) as (DecodedMessage | { ok: true; raw: { events: SessionEvent[] } })[];
  return items.map((x) => ('raw' in x ? { ok: true, msg: { t: 'events', events: x.raw.events, bad: [] } } : x));
}
