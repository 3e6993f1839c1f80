import { parseEvent, type SessionEvent } from '@socketscope/shared';
import { parseServerMessage } from './validate.ts';
import type { ServerMessage } from '@socketscope/shared';

/**
 * One frame from the agent, checked: JSON, a ServerMessage, and for `events` every event against the
 * shared SessionEvent schema (validate at the boundary). A bad event is dropped and counted, the rest
 * of its batch goes on. Runs in the session worker (session/worker.ts), so the page's main thread
 * never parses or validates.
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
