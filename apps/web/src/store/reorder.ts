import { parseEndpoint, type SessionEvent } from '@socketscope/shared';

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
 *
 * Clock skew: `wireTs` is capture time (wall clock) minus the session's start in whole milliseconds,
 * so it can read up to 1 ms late against `ts` (monotonic) — enough to put a datagram after the
 * recvfrom() that read it. WireSkew estimates that constant from packets whose sending call is known
 * (a SYN and its connect(), data and its send()/sendto()): the packet cannot leave before the call
 * began, so the smallest (capture − call start) bounds the skew from above. A wrong pairing can only
 * make the estimate smaller, i.e. correct less; the correction is never more than 1 ms.
 */

const MAX_SKEW_US = 1000;
/** how far a packet's capture may be from its call, in µs, to be paired with it */
const PAIR_WINDOW_US = 3000;
const RECENT_CALLS = 64;

interface SendCall {
  port: number;
  /** payload bytes; 0 for connect() (its SYN) */
  len: number;
  start: number;
  end: number;
}

function portOf(ep: string | undefined): number | null {
  return ep ? parseEndpoint(ep)?.port ?? null : null;
}

export class WireSkew {
  private calls: SendCall[] = [];
  private best = Infinity;

  /** µs to subtract from a captured packet's wireTs. */
  get skew(): number {
    return this.best === Infinity ? 0 : Math.min(MAX_SKEW_US, Math.max(0, this.best));
  }

  observe(e: SessionEvent): void {
    if (e.type === 'api.call') {
      if (e.error) return;
      const port = portOf(e.local);
      if (port === null) return;
      const len = e.call === 'connect' ? 0 : (e.call === 'send' || e.call === 'sendto') ? e.data?.len ?? 0 : -1;
      if (len < 0 || (len === 0 && e.call !== 'connect')) return;
      this.calls.push({ port, len, start: e.ts - e.durationUs, end: e.ts });
      if (this.calls.length > RECENT_CALLS) this.calls.shift();
      return;
    }
    if ((e.type !== 'tcp.segment' && e.type !== 'udp.datagram') || e.inferred || e.wireTs === undefined) return;
    const syn = e.type === 'tcp.segment' && e.flags.includes('SYN') && !e.flags.includes('ACK');
    if (!syn && e.len === 0) return;
    const port = portOf(e.src);
    const len = syn ? 0 : e.len;
    let call: SendCall | undefined;
    for (let i = this.calls.length - 1; i >= 0; i--) {
      const c = this.calls[i]!;
      if (c.port !== port || c.len !== len) continue;
      if (e.wireTs < c.start - PAIR_WINDOW_US || e.wireTs > c.end + PAIR_WINDOW_US) continue;
      // the latest call that began before the (possibly late) capture time
      if (c.start <= e.wireTs + MAX_SKEW_US) { call = c; break; }
    }
    if (call) this.best = Math.min(this.best, e.wireTs - call.start);
  }
}

/**
 * When an event happened on the session clock: capture time for captured packets, else the event's ts.
 * Not (yet) the kernel's own time of a tracepoint's state (kernelTs): placing a state heard late before
 * rows already shown takes the live page off its live edge (its cards lose their buttons); the page's data
 * path has to learn to insert behind the edge first. The ladder labels such a state with its kernelTs.
 */
export function happenedAt(e: SessionEvent, skew = 0): number {
  if ((e.type === 'tcp.segment' || e.type === 'udp.datagram') && !e.inferred && e.wireTs !== undefined) return e.wireTs - skew;
  return e.ts;
}

/** Stable sort by happenedAt (skew estimated over all of them); input order (stream order) breaks ties. */
export function inHappenedOrder(events: readonly SessionEvent[]): SessionEvent[] {
  const clock = new WireSkew();
  for (const e of events) clock.observe(e);
  const skew = clock.skew;
  return events
    .map((e, i) => ({ e, i, at: happenedAt(e, skew) }))
    .toSorted((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.e);
}

interface Held {
  e: SessionEvent;
  /** arrival order, for ties */
  i: number;
  at: number;
}

/**
 * Held events are kept sorted by when they happened (ties: arrival), so a release takes a prefix:
 * O(released) per flush instead of sorting everything held. Events nearly always arrive in happened
 * order (only captured packets come late), so an insert is a push or a short binary search.
 */
export class ReorderBuffer {
  private held: Held[] = [];
  /** held[0..start) were released */
  private start = 0;
  private arrivals = 0;
  private clock = new WireSkew();
  private skewUsed = 0;
  /** newest ts seen (µs) and the page time (ms) when it arrived */
  private newestTs = -Infinity;
  private newestAtMs = 0;

  get size(): number {
    return this.held.length - this.start;
  }

  get skew(): number {
    return this.clock.skew;
  }

  /** Takes an event that just arrived; `nowMs` is the page's clock (performance.now()). */
  add(e: SessionEvent, nowMs: number): void {
    if (e.ts > this.newestTs) {
      this.newestTs = e.ts;
      this.newestAtMs = nowMs;
    }
    this.clock.observe(e);
    if (this.clock.skew !== this.skewUsed) this.resort();
    const h: Held = { e, i: this.arrivals++, at: happenedAt(e, this.skewUsed) };
    const held = this.held;
    if (held.length === this.start || held[held.length - 1]!.at <= h.at) {
      held.push(h);
      return;
    }
    // a late one: after every held event that happened at or before it
    let lo = this.start;
    let hi = held.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (held[mid]!.at <= h.at) lo = mid + 1; else hi = mid;
    }
    held.splice(lo, 0, h);
  }

  /** The session clock now, estimated (µs). */
  sessionNow(nowMs: number): number {
    return this.newestTs === -Infinity ? -Infinity : this.newestTs + Math.max(0, nowMs - this.newestAtMs) * 1000;
  }

  /** Events that happened at least holdUs before the session clock's now, in happened order. */
  release(nowMs: number, holdUs: number): SessionEvent[] {
    if (this.size === 0) return [];
    const limit = holdUs <= 0 ? Infinity : this.sessionNow(nowMs) - holdUs;
    const held = this.held;
    const out: SessionEvent[] = [];
    let k = this.start;
    while (k < held.length && held[k]!.at <= limit) out.push(held[k++]!.e);
    this.start = k;
    if (this.start === held.length) {
      this.held = [];
      this.start = 0;
    } else if (this.start > 4096 && this.start * 2 > held.length) {
      this.held = held.slice(this.start);
      this.start = 0;
    }
    return out;
  }

  releaseAll(): SessionEvent[] {
    return this.release(0, 0);
  }

  clear(): void {
    this.held = [];
    this.start = 0;
    this.clock = new WireSkew(); // a new session has a new start time, hence its own skew
    this.skewUsed = 0;
    this.newestTs = -Infinity;
    this.newestAtMs = 0;
  }

  /** The skew estimate changed: what captured packets' times mean changed, so sort again (rare). */
  private resort(): void {
    this.skewUsed = this.clock.skew;
    const rest = this.held.slice(this.start);
    for (const h of rest) h.at = happenedAt(h.e, this.skewUsed);
    this.held = rest.toSorted((a, b) => a.at - b.at || a.i - b.i);
    this.start = 0;
  }
}
