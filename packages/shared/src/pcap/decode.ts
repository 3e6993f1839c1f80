import type { TcpFlag } from '../protocol/primitives.ts';
import { TCP_FLAGS } from '../protocol/primitives.ts';
import {
  LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP,
  LINKTYPE_NULL, LINKTYPE_RAW, LINKTYPE_RAW_BSD12, LINKTYPE_RAW_BSD14,
} from './constants.ts';
import { EndpointCache } from './endpoints.ts';
import { NO_OPTIONS, parseTcpOptions } from './tcp-options.ts';
import type { CaptureError, CaptureRecord, OtherFrame, TcpPacket, UdpPacket } from './types.ts';

/**
 * One captured frame → a decoded TCP/UDP packet, an "other" frame, or an error for that frame.
 * Link layers: Ethernet (+ up to two VLAN tags), Linux SLL/SLL2, BSD NULL/LOOP, raw IP.
 * Network: IPv4 (options, fragments), IPv6 (extension headers, bounded). Transport: TCP, UDP.
 *
 * This is the hot path of the reader (≥ 1 M frames/s): bytes are read straight from the
 * Uint8Array, endpoint strings come from a cache, flag arrays are shared per flag byte.
 */

const FLAG_BITS: Record<TcpFlag, number> = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 };

/** flag byte → its names in TCP_FLAGS order; one shared frozen array per value */
export const FLAG_NAMES: readonly (readonly TcpFlag[])[] = Array.from({ length: 256 }, (_, bits) =>
  Object.freeze(TCP_FLAGS.filter((f) => (bits & FLAG_BITS[f]) !== 0)));

export function flagBitsOf(flags: readonly string[]): number {
  let bits = 0;
  for (const f of flags) bits |= FLAG_BITS[f as TcpFlag] ?? 0;
  return bits;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const MAX_VLAN_TAGS = 2;
const MAX_IPV6_EXT = 8;

const IP_PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 47: 'GRE', 50: 'ESP', 58: 'ICMPv6', 132: 'SCTP' };

export class FrameDecoder {
  readonly endpoints = new EndpointCache();

  // The frame being decoded; set by decode() so the helpers need no long argument lists.
  private index = 0;
  private tsUs = 0;
  private iface = 0;
  private linkType = 0;
  private frameLen = 0;
  private capLen = 0;
  private offset = 0;

  /**
   * b[off .. off+capLen) holds the captured frame, origLen its length on the wire.
   * streamOffset is where its record starts in the input, for error messages.
   */
  decode(b: Uint8Array, off: number, capLen: number, origLen: number, linkType: number, tsUs: number,
    index: number, iface: number, streamOffset: number): CaptureRecord {
    this.index = index;
    this.tsUs = tsUs;
    this.iface = iface;
    this.linkType = linkType;
    this.frameLen = origLen;
    this.capLen = capLen;
    this.offset = streamOffset;
    const end = off + capLen;
    let p = off;
    let etherType: number;
    switch (linkType) {
      case LINKTYPE_ETHERNET: {
        if (capLen < 14) return this.error('Ethernet header truncated');
        etherType = (b[p + 12]! << 8) | b[p + 13]!;
        p += 14;
        for (let tags = 0; tags < MAX_VLAN_TAGS && (etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100); tags++) {
          if (end - p < 4) return this.error('VLAN tag truncated');
          etherType = (b[p + 2]! << 8) | b[p + 3]!;
          p += 4;
        }
        break;
      }
      case LINKTYPE_LINUX_SLL:
        if (capLen < 16) return this.error('Linux cooked (SLL) header truncated');
        etherType = (b[p + 14]! << 8) | b[p + 15]!;
        p += 16;
        break;
      case LINKTYPE_LINUX_SLL2:
        if (capLen < 20) return this.error('Linux cooked (SLL2) header truncated');
        etherType = (b[p]! << 8) | b[p + 1]!;
        p += 20;
        break;
      case LINKTYPE_NULL:
      case LINKTYPE_LOOP: {
        if (capLen < 4) return this.error('loopback header truncated');
        // NULL: the address family in the capturing host's byte order, which the file does not
        // record; family values are small, so a value with high bits set is the other order.
        let af = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
        if (linkType === LINKTYPE_LOOP || (af & 0xffff0000) !== 0) af = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
        p += 4;
        if (af === 2) etherType = ETHERTYPE_IPV4;
        else if (af === 24 || af === 28 || af === 30) etherType = ETHERTYPE_IPV6;
        else return this.other(`loopback address family ${af}`);
        break;
      }
      case LINKTYPE_RAW:
      case LINKTYPE_RAW_BSD12:
      case LINKTYPE_RAW_BSD14:
      case LINKTYPE_IPV4:
      case LINKTYPE_IPV6: {
        if (capLen < 1) return this.error('empty raw IP frame');
        const v = b[p]! >> 4;
        if (v === 4) etherType = ETHERTYPE_IPV4;
        else if (v === 6) etherType = ETHERTYPE_IPV6;
        else return this.error(`raw IP frame with IP version ${v}`);
        break;
      }
      default:
        return this.other(`link type ${linkType} not supported`);
    }
    const origAvail = origLen - (p - off);
    if (etherType === ETHERTYPE_IPV4) return this.ipv4(b, p, end, origAvail);
    if (etherType === ETHERTYPE_IPV6) return this.ipv6(b, p, end, origAvail);
    return this.other(`ethertype 0x${etherType.toString(16).padStart(4, '0')}`);
  }

  private ipv4(b: Uint8Array, p: number, end: number, origAvail: number): CaptureRecord {
    if (end - p < 20) return this.error('IPv4 header truncated');
    const vihl = b[p]!;
    if (vihl >> 4 !== 4) return this.error(`IPv4 header with version ${vihl >> 4}`);
    const ihl = (vihl & 15) * 4;
    if (ihl < 20) return this.error(`IPv4 header length ${ihl} < 20`);
    if (end - p < ihl) return this.error('IPv4 options truncated');
    let total = (b[p + 2]! << 8) | b[p + 3]!;
    // 0 is what a capture of a TSO-offloaded segment shows: the frame's length is the truth then.
    if (total === 0) total = origAvail;
    if (total < ihl) return this.error(`IPv4 total length ${total} < header length ${ihl}`);
    // Wireshark keeps the frame's length when the header claims more; so do we.
    if (total > origAvail) total = origAvail;
    const frag = (b[p + 6]! << 8) | b[p + 7]!;
    if ((frag & 0x1fff) !== 0) return this.other('IPv4 fragment (not the first)');
    const proto = b[p + 9]!;
    const src = (b[p + 12]! << 24) | (b[p + 13]! << 16) | (b[p + 14]! << 8) | b[p + 15]!;
    const dst = (b[p + 16]! << 24) | (b[p + 17]! << 16) | (b[p + 18]! << 8) | b[p + 19]!;
    const q = p + ihl;
    if (proto === 6) return this.tcp(b, q, end, total - ihl, 4, src, dst, p);
    if (proto === 17) return this.udp(b, q, end, total - ihl, 4, src, dst, p);
    return this.other(`IP protocol ${proto}${IP_PROTO_NAMES[proto] ? ` (${IP_PROTO_NAMES[proto]})` : ''}`);
  }

  private ipv6(b: Uint8Array, p: number, end: number, origAvail: number): CaptureRecord {
    if (end - p < 40) return this.error('IPv6 header truncated');
    if (b[p]! >> 4 !== 6) return this.error(`IPv6 header with version ${b[p]! >> 4}`);
    let rest = (b[p + 4]! << 8) | b[p + 5]!;
    if (rest === 0 || rest > origAvail - 40) rest = origAvail - 40; // jumbogram / offload, or a header claiming too much
    if (rest < 0) return this.error('IPv6 payload length beyond the frame');
    let nh = b[p + 6]!;
    let q = p + 40;
    for (let i = 0; ; i++) {
      if (nh !== 0 && nh !== 43 && nh !== 60 && nh !== 44 && nh !== 51) break;
      if (i === MAX_IPV6_EXT) return this.other('too many IPv6 extension headers');
      if (end - q < 8) return this.error('IPv6 extension header truncated');
      let hlen: number;
      if (nh === 44) {
        if ((((b[q + 2]! << 8) | b[q + 3]!) & 0xfff8) !== 0) return this.other('IPv6 fragment (not the first)');
        hlen = 8;
      } else if (nh === 51) {
        hlen = (b[q + 1]! + 2) * 4;
      } else {
        hlen = (b[q + 1]! + 1) * 8;
      }
      nh = b[q]!;
      q += hlen;
      rest -= hlen;
      if (rest < 0) return this.error('IPv6 extension headers longer than the payload');
      if (q > end) return this.error('IPv6 extension header truncated');
    }
    if (nh === 6) return this.tcp(b, q, end, rest, 6, 0, 0, p);
    if (nh === 17) return this.udp(b, q, end, rest, 6, 0, 0, p);
    if (nh === 59) return this.other('IPv6 no next header');
    return this.other(`IP protocol ${nh}${IP_PROTO_NAMES[nh] ? ` (${IP_PROTO_NAMES[nh]})` : ''}`);
  }

  /** src4/dst4: IPv4 addresses; for IPv6 they are read from the header at ip. */
  private tcp(b: Uint8Array, q: number, end: number, ipPayload: number, family: 4 | 6, src4: number, dst4: number, ip: number): CaptureRecord {
    if (end - q < 20) return this.error('TCP header truncated');
    if (ipPayload < 20) return this.error(`IP payload of ${ipPayload} bytes too short for a TCP header`);
    const sport = (b[q]! << 8) | b[q + 1]!;
    const dport = (b[q + 2]! << 8) | b[q + 3]!;
    const hlen = (b[q + 12]! >> 4) * 4;
    if (hlen < 20) return this.error(`TCP data offset ${hlen} < 20`);
    if (hlen > ipPayload) return this.error(`TCP header length ${hlen} beyond the IP payload (${ipPayload})`);
    if (end - q < hlen) return this.error('TCP options truncated');
    let options = NO_OPTIONS;
    let badOptions = false;
    if (hlen > 20) {
      const parsed = parseTcpOptions(b, q + 20, q + hlen);
      options = parsed.options;
      badOptions = parsed.bad;
    }
    const flagBits = b[q + 13]!;
    const len = ipPayload - hlen;
    const start = q + hlen;
    const capEnd = start + len < end ? start + len : end;
    const pkt: TcpPacket = {
      kind: 'packet',
      index: this.index,
      tsUs: this.tsUs,
      iface: this.iface,
      linkType: this.linkType,
      frameLen: this.frameLen,
      capLen: this.capLen,
      family,
      proto: 'tcp',
      src: family === 4 ? this.endpoints.v4(src4, sport) : this.endpoints.v6(b, ip + 8, sport),
      dst: family === 4 ? this.endpoints.v4(dst4, dport) : this.endpoints.v6(b, ip + 24, dport),
      srcPort: sport,
      dstPort: dport,
      len,
      payload: b.subarray(start, capEnd),
      flagBits,
      flags: FLAG_NAMES[flagBits]!,
      seq: ((b[q + 4]! << 24) | (b[q + 5]! << 16) | (b[q + 6]! << 8) | b[q + 7]!) >>> 0,
      ack: ((b[q + 8]! << 24) | (b[q + 9]! << 16) | (b[q + 10]! << 8) | b[q + 11]!) >>> 0,
      win: (b[q + 14]! << 8) | b[q + 15]!,
      headerLen: hlen,
      options,
      badOptions,
    };
    return pkt;
  }

  private udp(b: Uint8Array, q: number, end: number, ipPayload: number, family: 4 | 6, src4: number, dst4: number, ip: number): CaptureRecord {
    if (end - q < 8) return this.error('UDP header truncated');
    if (ipPayload < 8) return this.error(`IP payload of ${ipPayload} bytes too short for a UDP header`);
    const sport = (b[q]! << 8) | b[q + 1]!;
    const dport = (b[q + 2]! << 8) | b[q + 3]!;
    const ulen = (b[q + 4]! << 8) | b[q + 5]!;
    // the UDP length is the truth unless it is impossible (0 for jumbograms, or beyond the IP payload)
    const len = ulen >= 8 && ulen <= ipPayload ? ulen - 8 : ipPayload - 8;
    const start = q + 8;
    const capEnd = start + len < end ? start + len : end;
    const pkt: UdpPacket = {
      kind: 'packet',
      index: this.index,
      tsUs: this.tsUs,
      iface: this.iface,
      linkType: this.linkType,
      frameLen: this.frameLen,
      capLen: this.capLen,
      family,
      proto: 'udp',
      src: family === 4 ? this.endpoints.v4(src4, sport) : this.endpoints.v6(b, ip + 8, sport),
      dst: family === 4 ? this.endpoints.v4(dst4, dport) : this.endpoints.v6(b, ip + 24, dport),
      srcPort: sport,
      dstPort: dport,
      len,
      payload: b.subarray(start, capEnd),
    };
    return pkt;
  }

  private other(reason: string): OtherFrame {
    return {
      kind: 'other', index: this.index, tsUs: this.tsUs, iface: this.iface, linkType: this.linkType,
      frameLen: this.frameLen, capLen: this.capLen, reason,
    };
  }

  private error(message: string): CaptureError {
    return { kind: 'error', index: this.index, offset: this.offset, message: `frame ${this.index}: ${message}`, fatal: false };
  }
}
