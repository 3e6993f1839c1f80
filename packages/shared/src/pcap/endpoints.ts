import { endpoint } from '../protocol/endpoint.ts';

/**
 * Endpoint strings for decoded packets. Building "10.0.0.1:443" per packet would dominate decoding,
 * so each (address, port) is spelled once and kept in a direct-mapped cache: a fixed table where a
 * slot holds the last endpoint that hashed there. Memory is bounded by the table size, and a
 * collision only costs spelling the string again.
 */

export function ipv4ToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** RFC 5952 text form (lower case, longest run of zero groups as "::"), IPv4-mapped as ::ffff:a.b.c.d. */
export function ipv6ToString(b: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  }
  let bestAt = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = (from: number, to: number): string => g.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

const SLOTS = 8192; // power of two
const MASK = SLOTS - 1;

export class EndpointCache {
  // IPv4: slot → address, port (-1 = empty) and the string
  private readonly v4Addr = new Int32Array(SLOTS);
  private readonly v4Port = new Int32Array(SLOTS).fill(-1);
  private readonly v4Str: string[] = Array.from({ length: SLOTS }, () => '');
  // IPv6: slot → 4 address words, port and the string
  private readonly v6Addr = new Int32Array(SLOTS * 4);
  private readonly v6Port = new Int32Array(SLOTS).fill(-1);
  private readonly v6Str: string[] = Array.from({ length: SLOTS }, () => '');

  /** addr: the IPv4 address as a 32-bit integer (signed or unsigned). */
  v4(addr: number, port: number): string {
    const a = addr | 0;
    const slot = (Math.imul(a ^ (port << 16) ^ port, 0x9e3779b1) >>> 19) & MASK;
    if (this.v4Port[slot] === port && this.v4Addr[slot] === a) return this.v4Str[slot]!;
    const s = endpoint(ipv4ToString(a >>> 0), port);
    this.v4Addr[slot] = a;
    this.v4Port[slot] = port;
    this.v4Str[slot] = s;
    return s;
  }

  /** The IPv6 address is the 16 bytes at b[off]. */
  v6(b: Uint8Array, off: number, port: number): string {
    const w0 = (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
    const w1 = (b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!;
    const w2 = (b[off + 8]! << 24) | (b[off + 9]! << 16) | (b[off + 10]! << 8) | b[off + 11]!;
    const w3 = (b[off + 12]! << 24) | (b[off + 13]! << 16) | (b[off + 14]! << 8) | b[off + 15]!;
    let h = Math.imul(w0 ^ port, 0x9e3779b1);
    h = Math.imul(h ^ w1, 0x85ebca6b);
    h = Math.imul(h ^ w2, 0xc2b2ae35);
    h = Math.imul(h ^ w3, 0x27d4eb2f);
    const slot = (h >>> 19) & MASK;
    const k = slot * 4;
    const A = this.v6Addr;
    if (this.v6Port[slot] === port && A[k] === w0 && A[k + 1] === w1 && A[k + 2] === w2 && A[k + 3] === w3) {
      return this.v6Str[slot]!;
    }
    const s = endpoint(ipv6ToString(b, off), port);
    A[k] = w0; A[k + 1] = w1; A[k + 2] = w2; A[k + 3] = w3;
    this.v6Port[slot] = port;
    this.v6Str[slot] = s;
    return s;
  }
}
