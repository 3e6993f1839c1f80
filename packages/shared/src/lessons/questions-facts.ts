import type { ApiBeginEvent, ApiCallEvent, KernelTcpEvent, SessionEvent, TcpSegmentEvent } from '../protocol/events.ts';
import type { TcpFlag } from '../protocol/primitives.ts';
import { base64ToBytes } from '../wire/base64.ts';

/**
 * What one step of a run did, read from its events: the facts the questions' answers are decided by
 * (questions-tcp.ts, questions-data.ts). Every reader takes the step's events in the order they were
 * heard and never assumes more than the events say: a reader that finds nothing returns undefined or an
 * empty list, and the question's verdict then says the run did none of its choices.
 */

/** The flags as Wireshark orders them: SYN, FIN, RST, PSH first, ACK after ("SYN+ACK", "RST+ACK"). */
const FLAG_ORDER: readonly TcpFlag[] = ['SYN', 'FIN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

export function flagsText(flags: readonly TcpFlag[]): string {
  return FLAG_ORDER.filter((f) => flags.includes(f)).join('+');
}

export function segments(events: readonly SessionEvent[]): TcpSegmentEvent[] {
  return events.filter((e): e is TcpSegmentEvent => e.type === 'tcp.segment');
}

/**
 * The first segment sent back to the step's first SYN (from the address the SYN went to), or undefined
 * when nothing came back. A SYN+ACK, a RST, or (were that ever the case) a bare ACK.
 */
export function answerToSyn(events: readonly SessionEvent[]): { syn: TcpSegmentEvent; reply: TcpSegmentEvent | undefined } | undefined {
  const segs = segments(events);
  const syn = segs.find((s) => s.flags.includes('SYN') && !s.flags.includes('ACK'));
  if (!syn) return undefined;
  const reply = segs.find((s) => s.seq > syn.seq && s.src === syn.dst && s.dst === syn.src);
  return { syn, reply };
}

/**
 * The handshake's segments in the step: the first SYN and every segment of its connection after it
 * that carries no data and neither FIN nor RST, up to the first that does (or the end).
 */
export function handshakeSegments(events: readonly SessionEvent[]): TcpSegmentEvent[] {
  const segs = segments(events);
  const syn = segs.find((s) => s.flags.includes('SYN') && !s.flags.includes('ACK'));
  if (!syn) return [];
  const ends = new Set([syn.src, syn.dst]);
  const out: TcpSegmentEvent[] = [];
  for (const s of segs) {
    if (s.seq < syn.seq || !ends.has(s.src) || !ends.has(s.dst)) continue;
    if (s.len > 0 || s.flags.includes('FIN') || s.flags.includes('RST')) break;
    out.push(s);
  }
  return out;
}

/** Completed calls of these names, in order. */
export function calls(events: readonly SessionEvent[], names: readonly string[]): ApiCallEvent[] {
  return events.filter((e): e is ApiCallEvent => e.type === 'api.call' && names.includes(e.call));
}

/** How many bytes a completed call moved (its data's length, or a numeric result); undefined for an error. */
export function bytesOf(c: ApiCallEvent): number | undefined {
  if (c.error) return undefined;
  if (c.data) return c.data.len;
  return typeof c.result === 'number' ? c.result : undefined;
}

/** The payload's first bytes as text, where the event carries them (the teacher's page does). */
export function textOf(c: ApiCallEvent): string | undefined {
  const bytes = c.data?.b64 ? base64ToBytes(c.data.b64) : null;
  if (!bytes) return undefined;
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?';
  return out;
}

/** Calls of these names that began in the step and had not returned by its end (blocked, or paused before). */
const callKey = (e: { proc?: { run: string } | undefined; callId?: number | undefined }) => `${e.proc?.run ?? ''}|${e.callId ?? -1}`;

export function unfinished(events: readonly SessionEvent[], names: readonly string[]): ApiBeginEvent[] {
  const done = new Set(events.filter((e) => e.type === 'api.call').map((e) => callKey(e as ApiCallEvent)));
  return events.filter((e): e is ApiBeginEvent => e.type === 'api.begin' && names.includes(e.call) && e.paused !== true && !done.has(callKey(e)));
}

/** Which end of its connection a kernel observation is: the client's (the conn key's first half) or the server's. */
export function sideOf(e: KernelTcpEvent): 'client' | 'server' | undefined {
  if (!e.conn) return undefined;
  const client = e.conn.slice(0, e.conn.indexOf('>'));
  return e.local === client ? 'client' : 'server';
}

/** The sides whose socket the kernel showed in TIME_WAIT during the step. */
export function timeWaitSides(events: readonly SessionEvent[]): Set<'client' | 'server'> {
  const out = new Set<'client' | 'server'>();
  for (const e of events) {
    if (e.type !== 'kernel.tcp' || e.state !== 'TIME_WAIT') continue;
    const side = sideOf(e);
    if (side) out.add(side);
  }
  return out;
}

/** The index of the first choice whose value is `v`, or null. */
export function choiceOf<T>(values: readonly T[], v: T | undefined): number | null {
  if (v === undefined) return null;
  const i = values.indexOf(v);
  return i < 0 ? null : i;
}
