/**
 * Which captured packets belong to the session, and to which of the agent's sockets.
 *
 * Capture runs with one fixed filter (tcp or udp, minus the agent's own UI port) and this decides in
 * process, because restarting tcpdump with a new filter takes 15–25 ms (measured: spawn to "listening"),
 * and a lesson's connect follows its listen by microseconds: a restart per new socket would lose the
 * very handshake the lesson is about. Rules:
 * - M1 A packet is the session's when its source or destination port is a port of one of the agent's
 *   sockets of its protocol (open or still held by the kernel), a watched port, or the target of a recent
 *   connect (TCP) or sendto (UDP).
 * - M2 A packet no rule claims yet waits in limbo (bounded: 4096 packets, 500 ms) and is looked at again
 *   when the port set changes; a connect that was refused, say, names its port only after its SYN and
 *   RST were captured. Nothing left in limbo is ever emitted or kept.
 * - M3 `sock` is the sending socket where the agent owns it, else the receiving one (a listener gets the
 *   SYNs addressed to it); wildcard-bound listeners and UDP sockets match by port.
 */
import { parseEndpoint, type SessionEvent } from '@socketscope/shared';
import type { DecodedPacket } from '@socketscope/shared/pcap/index';
import type { TrackedSocket } from '../sources/source.ts';

export const LIMBO_MAX = 4096;
export const LIMBO_MS = 500;
/** how long the target port of a connect or sendto stays interesting */
export const RECENT_TARGET_MS = 10_000;
const MAX_RECENT = 256;

export interface MatchSources {
  targets?: () => TrackedSocket[];
  watchedPorts?: () => number[];
  ports?: () => number[];
}

interface Limbo {
  p: DecodedPacket;
  at: number;
}

type Proto = 'tcp' | 'udp';

export class PacketMatcher {
  private ports: Record<Proto, Set<number>> = { tcp: new Set(), udp: new Set() };
  /** "local|remote" → sock for connections; "tcp|local" / "udp|local" for listeners and UDP sockets */
  private byEnds = new Map<string, string>();
  /** "tcp|port" / "udp|port" → until when it stays interesting */
  private recent = new Map<string, number>();
  private dirty = true;
  private limbo: Limbo[] = [];
  limboDropped = 0;

  constructor(private readonly src: MatchSources) {}

  /** The port set may have changed (engine change, watch.add, a connect): look again before the next packet. */
  invalidate(): void {
    this.dirty = true;
  }

  get pending(): number {
    return this.limbo.length;
  }

  /** M1: a connect or sendto names a port the agent's sockets may not show yet. */
  observe(e: SessionEvent): void {
    if (e.type !== 'api.call' || (e.call !== 'connect' && e.call !== 'sendto')) return;
    const port = e.args['port'];
    if (typeof port !== 'number' || port <= 0 || port > 65535) return;
    const k = `${e.call === 'connect' ? 'tcp' : 'udp'}|${port}`;
    if (this.recent.size >= MAX_RECENT && !this.recent.has(k)) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(k, Date.now() + RECENT_TARGET_MS);
    this.dirty = true;
  }

  private refresh(now: number): void {
    if (!this.dirty) return;
    this.dirty = false;
    const ports: Record<Proto, Set<number>> = { tcp: new Set(), udp: new Set() };
    const byEnds = new Map<string, string>();
    for (const t of this.src.targets?.() ?? []) {
      const l = t.local ? parseEndpoint(t.local) : null;
      const r = t.remote ? parseEndpoint(t.remote) : null;
      if (l) ports[t.proto].add(l.port);
      if (r) ports[t.proto].add(r.port);
      if (!t.local) continue;
      if (t.role === 'listener' || t.proto === 'udp') {
        byEnds.set(`${t.proto}|${t.local}`, t.sock);
        if (l && (l.host === '0.0.0.0' || l.host === '::')) byEnds.set(`${t.proto}|*:${l.port}`, t.sock);
      } else if (t.remote) {
        byEnds.set(`${t.local}|${t.remote}`, t.sock);
      }
    }
    for (const p of [...(this.src.watchedPorts?.() ?? []), ...(this.src.ports?.() ?? [])]) {
      ports.tcp.add(p);
      ports.udp.add(p);
    }
    for (const [k, until] of this.recent) {
      if (until < now) this.recent.delete(k);
      else ports[k.startsWith('tcp') ? 'tcp' : 'udp'].add(Number(k.slice(4)));
    }
    this.ports = ports;
    this.byEnds = byEnds;
  }

  private claims(p: DecodedPacket): boolean {
    const set = this.ports[p.proto];
    return set.has(p.srcPort) || set.has(p.dstPort);
  }

  /**
   * Packets in capture order in, the session's packets out, in capture order per connection: packets
   * released from limbo come before the new ones (M2).
   */
  take(packets: DecodedPacket[], out: DecodedPacket[] = [], now = Date.now()): DecodedPacket[] {
    const wasDirty = this.dirty;
    this.refresh(now);
    if (this.limbo.length > 0) this.sweep(out, now, wasDirty);
    for (const p of packets) {
      if (this.claims(p)) out.push(p);
      else {
        if (this.limbo.length >= LIMBO_MAX) {
          this.limbo.shift();
          this.limboDropped++;
        }
        this.limbo.push({ p, at: now });
      }
    }
    return out;
  }

  /** Releases what the (new) port set claims and forgets what waited too long. */
  private sweep(out: DecodedPacket[], now: number, recheck: boolean): void {
    const keep: Limbo[] = [];
    for (const l of this.limbo) {
      if (now - l.at > LIMBO_MS) this.limboDropped++;
      else if (recheck && this.claims(l.p)) out.push(l.p);
      else keep.push(l);
    }
    this.limbo = keep;
  }

  /** Releases limbo packets after a change, without waiting for the next packet. */
  flush(now = Date.now()): DecodedPacket[] {
    return this.take([], [], now);
  }

  /** M3 */
  sockFor(p: DecodedPacket): string | undefined {
    return this.byEnds.get(`${p.src}|${p.dst}`)
      ?? this.byEnds.get(`${p.proto}|${p.src}`)
      ?? this.byEnds.get(`${p.dst}|${p.src}`)
      ?? this.byEnds.get(`${p.proto}|${p.dst}`)
      ?? this.byEnds.get(`${p.proto}|*:${p.srcPort}`)
      ?? this.byEnds.get(`${p.proto}|*:${p.dstPort}`);
  }

  clear(): void {
    this.limbo = [];
    this.recent.clear();
    this.dirty = true;
  }
}
