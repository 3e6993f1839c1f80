import type { TcpOptions } from '../protocol/events.ts';

/** Shared by every segment without options; frozen so a consumer that mutates it fails loudly. */
export const NO_OPTIONS: TcpOptions = Object.freeze({}) as TcpOptions;

export interface ParsedOptions {
  options: TcpOptions;
  bad: boolean;
}

const u32 = (b: Uint8Array, p: number): number => ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;

/**
 * TCP options between b[from] and b[to] (the header's option bytes, all captured). A malformed
 * option (length < 2, running past the header, wrong fixed length) stops option parsing and sets
 * `bad`; the segment itself stays valid. Every step advances at least one byte, so it ends.
 */
export function parseTcpOptions(b: Uint8Array, from: number, to: number): ParsedOptions {
  let o: TcpOptions | null = null;
  let bad = false;
  let p = from;
  while (p < to) {
    const kind = b[p]!;
    if (kind === 0) break; // end of option list
    if (kind === 1) { p++; continue; } // NOP
    if (p + 1 >= to) { bad = true; break; }
    const len = b[p + 1]!;
    if (len < 2 || p + len > to) { bad = true; break; }
    switch (kind) {
      case 2:
        if (len !== 4) { bad = true; break; }
        (o ??= {}).mss = (b[p + 2]! << 8) | b[p + 3]!;
        break;
      case 3:
        if (len !== 3) { bad = true; break; }
        (o ??= {}).wscale = b[p + 2]!;
        break;
      case 4:
        if (len !== 2) { bad = true; break; }
        (o ??= {}).sackPermitted = true;
        break;
      case 5: {
        const n = (len - 2) / 8;
        if (n < 1 || n > 4 || !Number.isInteger(n)) { bad = true; break; }
        const blocks: [number, number][] = [];
        for (let i = 0; i < n; i++) blocks.push([u32(b, p + 2 + 8 * i), u32(b, p + 6 + 8 * i)]);
        (o ??= {}).sack = blocks;
        break;
      }
      case 8:
        if (len !== 10) { bad = true; break; }
        (o ??= {}).ts = [u32(b, p + 2), u32(b, p + 6)];
        break;
      default:
        break; // an option we do not show (MD5, TFO, MPTCP, …): skip by its length
    }
    if (bad) break;
    p += len;
  }
  return { options: o ?? NO_OPTIONS, bad };
}
