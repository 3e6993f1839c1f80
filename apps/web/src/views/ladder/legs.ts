import type { LinkDropEvent, SessionEvent, TcpSegmentEvent, UdpDatagramEvent } from '@socketscope/shared';
import type { TcpFlag } from '@socketscope/shared';
import { LAB_CLIENT_ADDRESS, LAB_SERVER_ADDRESS } from '@socketscope/shared/lessons/types';
import { flagBits } from './marks.ts';
import type { ArrowRow } from './types.ts';

/**
 * Rule L8 of the layout: on the lab both hosts are captured, so one packet is two events — the capture on
 * the host that sent it (its departure) and the capture on the host that received it (its arrival), or a
 * link.drop instead of the arrival. LegMatcher pairs them so the ladder draws ONE arrow per packet, from
 * the departure's row down to the arrival's (the rows between are what happened while it was on the link).
 *
 * - A capture is a departure when its host's address is the packet's source, an arrival when it is the
 *   destination (addresses from link.state, else the model's link, else the lab's fixed ones).
 * - Arrivals match departures by direction + seq/ack/flags/len (TCP) or len + payload (UDP); a drop names
 *   no ack and no payload, so it matches by direction + seq/flags/len (TCP) or len (UDP). Equal keys pair
 *   first-come first-served: a retransmission, identical to the segment it repeats, pairs with its own
 *   arrival because the lost original was paired with its drop already.
 * - A drop by the link's loss or a one-shot happens as the frame enters the link: it ends the NEWEST
 *   departure waiting under its key (a datagram names only its length, and older ones of that length may
 *   still be in flight); a queue drop happens in order at the link's far end: the oldest.
 * - A drop may be placed just before its departure (the capture's clock reads up to 1 ms late), so drops
 *   wait for a departure too.
 * - Bounded: a departure waits for its arrival the link's delay + jitter + GRACE_US (by the events' own
 *   times), anything at most WINDOW_US, and at most MAX_PENDING wait. A departure that waited in vain
 *   (the receiver's host not captured, or its arrival outside the window) stops being a leg: it is drawn
 *   as a plain arrow, as a single capture draws it. O(1) amortised per event.
 */

/** µs a packet may take on the link and still be paired (delay ≤ 10 s, a held one-shot ≤ 5 s more) */
export const WINDOW_US = 16_000_000;
export const MAX_PENDING = 4096;
/** how much longer than the link's delay + jitter a departure waits for its arrival (a one-shot may hold it) */
export const GRACE_US = 1_000_000;

export type Leg = 'depart' | 'arrive';

interface Entry {
  /** 'depart': a departure row waiting for its arrival or drop; 'drop': a drop row waiting for its departure */
  kind: 'depart' | 'drop';
  row: ArrowRow;
  at: number;
  /** the keys it is filed under: a departure's arrival key (ka) and drop key (kd); a drop's key (kd) */
  ka: string | null;
  kd: string;
  done: boolean;
}

/** one entry under a key (nearly always), or several that share it (a retransmission, equal datagrams) */
type Filed = Entry | Entry[];

export interface LabHosts { client: string; server: string }

export class LegMatcher {
  /** host addresses as link.state named them */
  hosts: LabHosts | null = null;
  /** µs a departure waits for its arrival: the link's delay + jitter (link.state) + GRACE_US */
  waitUs = GRACE_US;
  private byKey = new Map<string, Filed>();
  private queue: Entry[] = [];
  private head = 0;

  /** Which capture of its packet a wire event is, or null (no host: loopback; an address of neither host). */
  legOf(e: { host?: 'client' | 'server' | undefined; src: string; dst: string }, fallback: LabHosts | undefined): Leg | null {
    if (!e.host) return null;
    const hosts = this.hosts ?? fallback ?? LAB_HOSTS;
    // the lab's addresses are IPv4: "10.77.0.1:40000" starts with its host and a colon (no parsing per packet)
    const addr = hosts[e.host];
    if (onHost(e.src, addr)) return 'depart';
    if (onHost(e.dst, addr)) return 'arrive';
    return null;
  }

  /** A departure's row: pairs it with a drop that came first, else files it for its arrival or drop. Returns the drop's row, if any. */
  depart(e: TcpSegmentEvent | UdpDatagramEvent, row: ArrowRow, at: number): ArrowRow | undefined {
    this.expire(at);
    const dropKey = keyOfDrop(e.type === 'tcp.segment' ? 'tcp' : 'udp', e.src, e.dst, e.len, e.type === 'tcp.segment' ? e.flags : undefined, e.type === 'tcp.segment' ? e.seqNo : null);
    const drop = this.take(dropKey, 'drop', at, false);
    if (drop) {
      pair(row, drop.row);
      row.lost = drop.row.lost!;
      return drop.row;
    }
    this.file({ kind: 'depart', row, at, ka: keyOfArrival(e), kd: dropKey, done: false });
    return undefined;
  }

  /** An arrival's row: the departure it completes, paired (the arrival takes the departure's lanes). */
  arrive(e: TcpSegmentEvent | UdpDatagramEvent, row: ArrowRow, at: number): ArrowRow | undefined {
    this.expire(at);
    const dep = this.take(keyOfArrival(e), 'depart', at, false);
    if (!dep) return undefined;
    pair(dep.row, row);
    row.from = dep.row.from;
    row.to = dep.row.to;
    row.delay = dep.row.delay = Math.max(0, at - dep.at);
    return dep.row;
  }

  /** A link.drop's row: the departure it ends, paired (✕ on both), else filed for a departure placed after it. */
  drop(e: LinkDropEvent, row: ArrowRow, at: number): ArrowRow | undefined {
    this.expire(at);
    const key = keyOfDrop(e.proto, e.src, e.dst, e.len, e.flags, e.seqNo ?? null);
    const dep = this.take(key, 'depart', at, e.reason !== 'queue');
    if (dep) {
      pair(dep.row, row);
      dep.row.lost = row.lost!;
      row.from = dep.row.from;
      row.to = dep.row.to;
      return dep.row;
    }
    this.file({ kind: 'drop', row, at, ka: null, kd: key, done: false });
    return undefined;
  }

  private take(key: string, kind: Entry['kind'], at: number, newest: boolean): Entry | undefined {
    const filed = this.byKey.get(key);
    if (!filed) return undefined;
    if (!Array.isArray(filed)) {
      if (filed.done || at - filed.at > WINDOW_US) { this.byKey.delete(key); return undefined; }
      if (filed.kind !== kind) return undefined;
      this.byKey.delete(key);
      filed.done = true;
      return filed;
    }
    const list = filed;
    // forgotten ones at the front go; then the oldest (or newest) of the kind asked for (a drop key files departures and drops)
    while (list.length > 0 && (list[0]!.done || at - list[0]!.at > WINDOW_US)) list.shift();
    let found: Entry | undefined;
    for (let k = 0; k < list.length; k++) {
      const i = newest ? list.length - 1 - k : k;
      const entry = list[i]!;
      if (entry.done || entry.kind !== kind) continue;
      list.splice(i, 1);
      entry.done = true;
      found = entry;
      break;
    }
    if (list.length === 0) this.byKey.delete(key);
    return found;
  }

  private file(entry: Entry): void {
    if (entry.ka !== null) this.fileUnder(entry.ka, entry);
    this.fileUnder(entry.kd, entry);
    this.queue.push(entry);
  }

  private fileUnder(key: string, entry: Entry): void {
    const filed = this.byKey.get(key);
    if (!filed) this.byKey.set(key, entry);
    else if (Array.isArray(filed)) filed.push(entry);
    else this.byKey.set(key, [filed, entry]);
  }

  private unfile(key: string, entry: Entry): void {
    const filed = this.byKey.get(key);
    if (filed === entry) this.byKey.delete(key);
    else if (Array.isArray(filed) && filed[0] === entry) {
      filed.shift();
      if (filed.length === 0) this.byKey.delete(key);
    }
  }

  /** Forgets entries past the window or the bound, oldest first (each entry is forgotten once: amortised O(1)). */
  private expire(now: number): void {
    const q = this.queue;
    while (this.head < q.length) {
      const e = q[this.head]!;
      const wait = e.kind === 'depart' ? Math.min(WINDOW_US, this.waitUs) : WINDOW_US;
      if (!e.done && now - e.at <= wait && q.length - this.head <= MAX_PENDING) break;
      if (!e.done) {
        e.done = true;
        // waited in vain: a plain arrow (its arrival was not captured, or came too late to be told from another)
        if (e.kind === 'depart') e.row.leg = undefined;
        if (e.ka !== null) this.unfile(e.ka, e);
        this.unfile(e.kd, e);
      }
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  }
}

const LAB_HOSTS: LabHosts = { client: LAB_CLIENT_ADDRESS, server: LAB_SERVER_ADDRESS };

function onHost(ep: string, addr: string): boolean {
  return ep.length > addr.length && ep.charCodeAt(addr.length) === 58 /* : */ && ep.startsWith(addr);
}

function pair(dep: ArrowRow, end: ArrowRow): void {
  dep.pairIdx = end.idx;
  end.pairIdx = dep.idx;
}

function flagKey(flags: readonly TcpFlag[] | undefined): number {
  return flags ? flagBits(flags) : 0;
}

/** What an arrival and its departure share: direction, and the segment's numbers or the datagram's bytes. */
export function keyOfArrival(e: TcpSegmentEvent | UdpDatagramEvent): string {
  if (e.type === 'tcp.segment') return `a|${e.src}>${e.dst}|${e.seqNo ?? '-'}|${e.ackNo ?? '-'}|${flagKey(e.flags)}|${e.len}`;
  return `a|${e.src}>${e.dst}|u|${e.len}|${e.bytes}`;
}

/** What a drop and its departure share: a drop names no ack and no payload. */
export function keyOfDrop(proto: 'tcp' | 'udp', src: string, dst: string, len: number, flags: readonly TcpFlag[] | undefined, seqNo: number | null): string {
  return proto === 'tcp' ? `d|${src}>${dst}|${seqNo ?? '-'}|${flagKey(flags)}|${len}` : `d|${src}>${dst}|u|${len}`;
}

/** The same from the model's link (F25), for a layout whose window no longer holds the link.state. */
export function learnModelLink(m: LegMatcher, link: { conditions: { delayMs: number; jitterMs: number }; hosts?: LabHosts } | undefined): void {
  if (!link) return;
  if (link.hosts) m.hosts = { client: link.hosts.client, server: link.hosts.server };
  m.waitUs = (link.conditions.delayMs + link.conditions.jitterMs) * 1000 + GRACE_US;
}

/** What a link.state tells the matcher: the hosts' addresses, how long a departure waits for its arrival. */
export function learnLink(m: LegMatcher, e: SessionEvent): void {
  if (e.type !== 'link.state') return;
  if (e.hosts) m.hosts = { client: e.hosts.client, server: e.hosts.server };
  m.waitUs = (e.conditions.delayMs + e.conditions.jitterMs) * 1000 + GRACE_US;
}
