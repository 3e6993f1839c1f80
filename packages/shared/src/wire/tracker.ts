import { TCP_ANALYSIS } from '../protocol/events.ts';
import { connKey } from '../protocol/endpoint.ts';
import type { TcpPacket } from '../pcap/types.ts';

export type TcpAnalysis = (typeof TCP_ANALYSIS)[number];

/**
 * Follows TCP conversations through decoded segments, in capture order, and says for each segment
 * what Wireshark would: its conversation ("client>server"), sequence numbers relative to each
 * direction's initial one, the window in bytes, and analysis flags.
 *
 * Rules (the tests quote them by id):
 * T1 The client is the sender of the SYN (or the receiver of the SYN+ACK). With neither seen, the
 *    side on a port ≥ 1024 facing a port < 1024 is the client; else the side with the higher port
 *    (ephemeral ports sit above the servers' 8888, 9999, 12000 …); equal ports: the first sender.
 * T2 relSeq counts from the direction's ISN (its SYN's seq). Without a SYN the first seq seen counts
 *    as 1, as Wireshark shows it (base = seq − 1); an ACK sets the other direction's base to ack − 1
 *    until that direction shows its own. relAck is null when the ACK flag is off.
 * T3 win is scaled (raw << shift, shift capped at 14) once the SYN and the SYN+ACK both carried a
 *    window-scale option; otherwise, and on SYN segments, it is the raw field.
 * T4 Analysis, as Wireshark's tcp.analysis (simplified, one pass, no timing):
 *    zero-window    win is 0 on a segment without SYN/FIN/RST;
 *    keep-alive     ≤ 1 byte at next-seq − 1, no SYN/FIN/RST;
 *    retransmission carries data/SYN/FIN that starts below this direction's next seq (not a keep-alive);
 *    window-full    the data fills the peer's last advertised window exactly;
 *    window-update  no data, same seq and ack as before, a different non-zero window;
 *    dup-ack        no data, same seq, ack and non-zero window as before;
 *    rst-after-data RST on a conversation that carried payload.
 * T5 A SYN (without ACK) on a known 4-tuple starts a new conversation (the port was reused), unless
 *    it repeats the client's SYN (same ISN) on a conversation that has not ended: a retransmission.
 * T6 At most maxConversations are kept; the least recently used eighth is dropped when full, and a
 *    dropped conversation that comes back starts again as if first seen.
 */

export interface TrackedSegment {
  conn: string;
  client: string;
  server: string;
  fromClient: boolean;
  relSeq: number;
  relAck: number | null;
  win: number;
  /** undefined when nothing is noteworthy */
  analysis: TcpAnalysis[] | undefined;
}

interface Side {
  /** base for relative numbers (ISN); set by this side's SYN, first segment, or the peer's ACK */
  baseSet: boolean;
  base: number;
  synSeen: boolean;
  /** window-scale shift from this side's SYN; -1 when its SYN had no option */
  wscale: number;
  nextSet: boolean;
  nextSeq: number;
  lastAckSet: boolean;
  lastAck: number;
  winSet: boolean;
  /** last window advertised, in bytes as computed for it */
  lastWin: number;
  fin: boolean;
  bytes: number;
}

interface Conv {
  key: string;
  client: string;
  server: string;
  c: Side;
  s: Side;
  /** 'unknown' until the handshake is seen; 'on' when both SYNs had window scaling */
  scaling: 'unknown' | 'on' | 'off';
  rst: boolean;
  lastUse: number;
}

function side(): Side {
  return {
    baseSet: false, base: 0, synSeen: false, wscale: -1, nextSet: false, nextSeq: 0, lastAckSet: false,
    lastAck: 0, winSet: false, lastWin: 0, fin: false, bytes: 0,
  };
}

const SYN = 0x02, FIN = 0x01, RST = 0x04, ACK = 0x10;

/** a < b in sequence space (mod 2^32) */
const lt = (a: number, b: number): boolean => ((a - b) | 0) < 0;

export interface TrackerOptions {
  /** conversations kept at most (LRU); default 10 000 */
  maxConversations?: number;
}

export class TcpTracker {
  private readonly max: number;
  /** src → dst → conversation; every conversation is filed under both directions */
  private readonly pairs = new Map<string, Map<string, Conv>>();
  private count = 0;
  private clock = 0;

  constructor(opts: TrackerOptions = {}) {
    this.max = Math.max(8, opts.maxConversations ?? 10_000);
  }

  get size(): number {
    return this.count;
  }

  /** Forgets every conversation. */
  clear(): void {
    this.pairs.clear();
    this.count = 0;
  }

  track(p: TcpPacket): TrackedSegment {
    const bits = p.flagBits;
    const syn = (bits & SYN) !== 0;
    const ack = (bits & ACK) !== 0;
    const fin = (bits & FIN) !== 0;
    const rst = (bits & RST) !== 0;
    let conv = this.pairs.get(p.src)?.get(p.dst);
    if (conv && syn && !ack) { // T5: only a repeat of the same SYN stays in the conversation
      const ended = conv.rst || (conv.c.fin && conv.s.fin);
      if (ended || p.src !== conv.client || !conv.c.synSeen || conv.c.base !== p.seq) {
        this.remove(conv);
        conv = undefined;
      }
    }
    if (!conv) conv = this.create(p, syn, ack);
    conv.lastUse = ++this.clock;

    const fromClient = p.src === conv.client;
    const me = fromClient ? conv.c : conv.s;
    const peer = fromClient ? conv.s : conv.c;
    const seq = p.seq;

    // T2
    if (syn) {
      if (!me.synSeen) {
        me.synSeen = true;
        me.base = seq;
        me.baseSet = true;
        me.wscale = p.options.wscale ?? -1;
      }
      if (ack && peer.synSeen && conv.scaling === 'unknown') conv.scaling = me.wscale >= 0 && peer.wscale >= 0 ? 'on' : 'off';
    } else if (!me.baseSet) {
      me.base = (seq - 1) >>> 0;
      me.baseSet = true;
    }
    if (ack && !peer.baseSet) {
      peer.base = (p.ack - 1) >>> 0;
      peer.baseSet = true;
    }
    const relSeq = (seq - me.base) >>> 0;
    const relAck = ack ? (p.ack - peer.base) >>> 0 : null;

    // T3
    const win = !syn && conv.scaling === 'on' ? p.win * 2 ** Math.min(me.wscale, 14) : p.win;

    // T4, checked against the state before this segment
    const len = p.len;
    const plain = !syn && !fin && !rst;
    let analysis: TcpAnalysis[] | undefined;
    if (plain && p.win === 0) (analysis ??= []).push('zero-window');
    const keepAlive = plain && len <= 1 && me.nextSet && seq === ((me.nextSeq - 1) >>> 0);
    if (keepAlive) (analysis ??= []).push('keep-alive');
    if ((len > 0 || syn || fin) && me.nextSet && !keepAlive && lt(seq, me.nextSeq)) (analysis ??= []).push('retransmission');
    if (plain && len > 0 && peer.winSet && peer.lastAckSet && ((seq + len) >>> 0) === ((peer.lastAck + peer.lastWin) >>> 0)) {
      (analysis ??= []).push('window-full');
    }
    if (plain && len === 0 && ack && me.winSet && me.lastAckSet && seq === me.nextSeq && p.ack === me.lastAck) {
      if (win !== 0 && win !== me.lastWin) (analysis ??= []).push('window-update');
      else if (win !== 0 && win === me.lastWin) (analysis ??= []).push('dup-ack');
    }
    if (rst && conv.c.bytes + conv.s.bytes > 0) (analysis ??= []).push('rst-after-data');

    // remember
    const end = (seq + len + (syn ? 1 : 0) + (fin ? 1 : 0)) >>> 0;
    if (!me.nextSet || lt(me.nextSeq, end)) { me.nextSeq = end; me.nextSet = true; }
    if (ack && (!me.lastAckSet || !lt(p.ack, me.lastAck))) { me.lastAck = p.ack; me.lastAckSet = true; }
    me.lastWin = win;
    me.winSet = true;
    me.bytes += len;
    if (fin) me.fin = true;
    if (rst) conv.rst = true;

    return { conn: conv.key, client: conv.client, server: conv.server, fromClient, relSeq, relAck, win, analysis };
  }

  private create(p: TcpPacket, syn: boolean, ack: boolean): Conv {
    let clientIsSrc: boolean;
    if (syn) clientIsSrc = !ack;
    else if (p.srcPort < 1024 !== p.dstPort < 1024) clientIsSrc = p.srcPort >= 1024;
    else if (p.srcPort !== p.dstPort) clientIsSrc = p.srcPort > p.dstPort;
    else clientIsSrc = true;
    const client = clientIsSrc ? p.src : p.dst;
    const server = clientIsSrc ? p.dst : p.src;
    const conv: Conv = { key: connKey(client, server), client, server, c: side(), s: side(), scaling: 'unknown', rst: false, lastUse: 0 };
    if (this.count >= this.max) this.evict();
    this.file(client, server, conv);
    this.file(server, client, conv);
    this.count++;
    return conv;
  }

  private file(a: string, b: string, conv: Conv): void {
    let inner = this.pairs.get(a);
    if (!inner) this.pairs.set(a, (inner = new Map()));
    inner.set(b, conv);
  }

  private unfile(a: string, b: string): void {
    const inner = this.pairs.get(a);
    if (!inner) return;
    inner.delete(b);
    if (inner.size === 0) this.pairs.delete(a);
  }

  private remove(conv: Conv): void {
    this.unfile(conv.client, conv.server);
    this.unfile(conv.server, conv.client);
    this.count--;
  }

  /** T6: drops the least recently used eighth, so eviction costs O(log n) per new conversation. */
  private evict(): void {
    const all: Conv[] = [];
    for (const [a, inner] of this.pairs) for (const [, conv] of inner) if (conv.client === a) all.push(conv);
    all.sort((x, y) => x.lastUse - y.lastUse);
    const n = Math.max(1, Math.floor(this.max / 8));
    for (let i = 0; i < n && i < all.length; i++) this.remove(all[i]!);
  }
}
