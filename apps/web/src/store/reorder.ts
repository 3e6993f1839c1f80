import type { SessionEvent } from '@socketscope/shared';

/**
 * Puts events in the order they HAPPENED before the page numbers and folds them.
 *
 * Why: the agent emits an event when it learns of it. Socket calls and kernel samples are learnt at
 * once, but captured packets reach the agent through tcpdump's pipe 15–250 ms later (measured on
 * loopback). In stream order the segment "hello" appears after the server's recv() that read it, and
 * a lesson step would show its packets only in a later step. Each captured packet carries `wireTs`
 * (capture time on the session clock), so the page can put it back where it belongs: at its capture
 * time among the other events. Nothing is invented, only placed by its own real timestamp.
 *
 * How: events wait here until the session clock has moved `holdUs` past the time they happened, so a
 * late packet can still be sorted in front of them; then they leave in happened order (ties: stream
 * order). The session clock is estimated from the newest `ts` seen plus the page's time since it
 * arrived, so a quiet stream still drains. A packet later than the hold is placed where it arrives.
 */

/** When an event happened on the session clock: capture time for captured packets, else the event's ts. */
export function happenedAt(e: SessionEvent): number {
  if ((e.type === 'tcp.segment' || e.type === 'udp.datagram') && !e.inferred && e.wireTs !== undefined) return e.wireTs;
  return e.ts;
}

/** Stable sort by happenedAt; input order (stream order) breaks ties. Returns a new array. */
export function inHappenedOrder(events: readonly SessionEvent[]): SessionEvent[] {
  return events
    .map((e, i) => ({ e, i, at: happenedAt(e) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.e);
}

interface Held {
  e: SessionEvent;
  at: number;
}

export class ReorderBuffer {
  private held: Held[] = [];
  /** newest ts seen (µs) and the page time (ms) when it arrived */
  private newestTs = -Infinity;
  private newestAtMs = 0;

  get size(): number {
    return this.held.length;
  }

  /** Takes an event that just arrived; `nowMs` is the page's clock (performance.now()). */
  add(e: SessionEvent, nowMs: number): void {
    if (e.ts > this.newestTs) {
      this.newestTs = e.ts;
      this.newestAtMs = nowMs;
    }
    const h: Held = { e, at: happenedAt(e) };
    // usually it belongs at the end; late packets move back a few places (ties keep arrival order)
    let i = this.held.length;
    while (i > 0 && this.held[i - 1]!.at > h.at) i--;
    this.held.splice(i, 0, h);
  }

  /** The session clock now, estimated (µs). */
  sessionNow(nowMs: number): number {
    return this.newestTs === -Infinity ? -Infinity : this.newestTs + Math.max(0, nowMs - this.newestAtMs) * 1000;
  }

  /** Events that happened at least holdUs before the session clock's now, in happened order. */
  release(nowMs: number, holdUs: number): SessionEvent[] {
    if (this.held.length === 0) return [];
    if (holdUs <= 0) return this.releaseAll();
    const limit = this.sessionNow(nowMs) - holdUs;
    let k = 0;
    while (k < this.held.length && this.held[k]!.at <= limit) k++;
    if (k === 0) return [];
    return this.held.splice(0, k).map((h) => h.e);
  }

  releaseAll(): SessionEvent[] {
    const out = this.held.map((h) => h.e);
    this.held = [];
    return out;
  }

  clear(): void {
    this.held = [];
    this.newestTs = -Infinity;
    this.newestAtMs = 0;
  }
}
