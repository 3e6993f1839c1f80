import { parseEndpoint, type SessionEvent } from '@socketscope/shared';

/**
 * Where an event is DRAWN: at the time it happened. Events are kept and folded in the order the agent
 * heard them (its seq: the same order the agent's recorder, the CLI and a saved file use), and shown at
 * once. But captured packets reach the agent through tcpdump's pipe 15–250 ms late (measured on
 * loopback), so in that order the segment "hello" comes after the server's recv() that read it. Each
 * captured packet carries `wireTs` (capture time on the session clock): the ladder and the event log
 * place it by that time among the rows already drawn (session/core.ts), without holding anything back
 * and without moving the rows the reader is looking at. Nothing is invented, only placed by its own
 * real timestamp.
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
 * When an event happened on the session clock: capture time for captured packets (and the first packet
 * of an agent's bundle, and the link's drop), the kernel's own time for a tracepoint's state change
 * (kernelTs: bpftrace's lines come milliseconds after connect() returned), else when the agent heard it.
 */
export function happenedAt(e: SessionEvent, skew = 0): number {
  if ((e.type === 'tcp.segment' || e.type === 'udp.datagram') && !e.inferred && e.wireTs !== undefined) return e.wireTs - skew;
  if (e.type === 'tcp.bundle' || e.type === 'link.drop') return e.wireTs - skew;
  if (e.type === 'kernel.tcp' && e.kernelTs !== undefined) return e.kernelTs;
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
