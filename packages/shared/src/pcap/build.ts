import type { TcpOptions } from '../protocol/events.ts';
import { parseEndpoint } from '../protocol/endpoint.ts';
import { flagBitsOf } from './decode.ts';
import { parseIpv4, parseIpv6 } from './ip-text.ts';

/**
 * Builds IP packets (IPv4 or IPv6 with TCP or UDP) from their fields: the inverse of the decoder.
 * Exports of the wire layer use it to turn recorded segments back into packets Wireshark opens, and
 * tests and the benchmark use it to make captures with known contents.
 */

export interface PacketSpec {
  proto: 'tcp' | 'udp';
  /** endpoints as the events spell them: "127.0.0.1:8888", "[::1]:8888" */
  src: string;
  dst: string;
  /** flag names or the flag byte */
  flags?: readonly string[] | number;
  seq?: number;
  ack?: number;
  win?: number;
  options?: TcpOptions;
  /** the payload bytes kept; may be fewer than len (the rest is "not captured") */
  payload?: Uint8Array;
  /** true payload length; defaults to payload.length */
  len?: number;
  ttl?: number;
}

export interface BuiltPacket {
  /** the captured bytes: headers and the payload given */
  data: Uint8Array;
  /** the packet's length on the wire */
  origLen: number;
}

export function encodeTcpOptions(o: TcpOptions | undefined): Uint8Array {
  if (!o) return new Uint8Array(0);
  const bytes: number[] = [];
  if (o.mss !== undefined) bytes.push(2, 4, (o.mss >> 8) & 255, o.mss & 255);
  if (o.sackPermitted) bytes.push(4, 2);
  if (o.ts) bytes.push(8, 10, ...be32(o.ts[0]), ...be32(o.ts[1]));
  if (o.wscale !== undefined) bytes.push(1, 3, 3, o.wscale & 255);
  if (o.sack && o.sack.length > 0) {
    const room = Math.floor((40 - bytes.length - 4) / 8);
    const blocks = o.sack.slice(0, Math.max(0, Math.min(4, room)));
    if (blocks.length > 0) {
      bytes.push(1, 1, 5, 2 + 8 * blocks.length);
      for (const [l, r] of blocks) bytes.push(...be32(l), ...be32(r));
    }
  }
  while (bytes.length % 4 !== 0) bytes.push(0); // end of list, padding
  return Uint8Array.from(bytes.slice(0, 40));
}

function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

function addressOf(ep: string): { host: Uint8Array; port: number } {
  const e = parseEndpoint(ep);
  if (!e) throw new Error(`not an endpoint: ${ep}`);
  const host = parseIpv4(e.host) ?? parseIpv6(e.host);
  if (!host) throw new Error(`not an IP address: ${e.host}`);
  return { host, port: e.port };
}

/** One's-complement sum of 16-bit words, for the Internet checksum. */
function sum16(b: Uint8Array, from: number, to: number, acc: number): number {
  let s = acc;
  let i = from;
  for (; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < to) s += b[i]! << 8;
  return s;
}

function fold16(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 65536);
  return ~x & 0xffff;
}

/** Throws on endpoints that are not IP:port or mix families: specs come from code, not from the network. */
export function buildIpPacket(spec: PacketSpec): BuiltPacket {
  const s = addressOf(spec.src);
  const d = addressOf(spec.dst);
  if (s.host.length !== d.host.length) throw new Error('source and destination are of different IP families');
  const v6 = s.host.length === 16;
  const payload = spec.payload ?? new Uint8Array(0);
  const len = Math.max(spec.len ?? payload.length, payload.length);
  const opts = spec.proto === 'tcp' ? encodeTcpOptions(spec.options) : new Uint8Array(0);
  const l4 = spec.proto === 'tcp' ? 20 + opts.length : 8;
  const ipHdr = v6 ? 40 : 20;
  const data = new Uint8Array(ipHdr + l4 + payload.length);
  const origLen = ipHdr + l4 + len;
  if (l4 + len > 65535 || (!v6 && origLen > 65535)) throw new Error(`a ${len}-byte payload does not fit one IP packet`);
  if (v6) {
    data[0] = 0x60;
    data[4] = ((l4 + len) >> 8) & 255; data[5] = (l4 + len) & 255;
    data[6] = spec.proto === 'tcp' ? 6 : 17;
    data[7] = spec.ttl ?? 64;
    data.set(s.host, 8);
    data.set(d.host, 24);
  } else {
    data[0] = 0x45;
    data[2] = (origLen >> 8) & 255; data[3] = origLen & 255;
    data[6] = 0x40; // don't fragment
    data[8] = spec.ttl ?? 64;
    data[9] = spec.proto === 'tcp' ? 6 : 17;
    data.set(s.host, 12);
    data.set(d.host, 16);
    const c = fold16(sum16(data, 0, 20, 0));
    data[10] = c >> 8; data[11] = c & 255;
  }
  const q = ipHdr;
  data[q] = s.port >> 8; data[q + 1] = s.port & 255;
  data[q + 2] = d.port >> 8; data[q + 3] = d.port & 255;
  if (spec.proto === 'tcp') {
    data.set(be32(spec.seq ?? 0), q + 4);
    data.set(be32(spec.ack ?? 0), q + 8);
    data[q + 12] = (l4 / 4) << 4;
    const f = spec.flags ?? 0;
    data[q + 13] = typeof f === 'number' ? f & 255 : flagBitsOf(f);
    const win = spec.win ?? 65535;
    data[q + 14] = (win >> 8) & 255; data[q + 15] = win & 255;
    data.set(opts, q + 20);
  } else {
    data[q + 4] = ((8 + len) >> 8) & 255; data[q + 5] = (8 + len) & 255;
  }
  data.set(payload, q + l4);
  // The transport checksum covers the whole payload, so it can only be right when all of it is here.
  if (len === payload.length) {
    let acc = sum16(s.host, 0, s.host.length, 0);
    acc = sum16(d.host, 0, d.host.length, acc);
    acc += (spec.proto === 'tcp' ? 6 : 17) + l4 + len;
    const c = fold16(sum16(data, q, data.length, acc));
    const ck = spec.proto === 'udp' && c === 0 ? 0xffff : c;
    const at = spec.proto === 'tcp' ? q + 16 : q + 6;
    data[at] = ck >> 8; data[at + 1] = ck & 255;
  }
  return { data, origLen };
}

/** Wraps an IP packet in an Ethernet II header (zero MACs, as on Linux loopback). */
export function ethernetFrame(ip: BuiltPacket): BuiltPacket {
  const data = new Uint8Array(14 + ip.data.length);
  const v6 = ip.data[0]! >> 4 === 6;
  data[12] = v6 ? 0x86 : 0x08; data[13] = v6 ? 0xdd : 0x00;
  data.set(ip.data, 14);
  return { data, origLen: ip.origLen + 14 };
}
