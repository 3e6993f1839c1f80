import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEndpoint } from '../protocol/endpoint.ts';
import { buildIpPacket } from './build.ts';
import { FrameDecoder } from './decode.ts';
import { CaptureReader, readCapture } from './reader.ts';
import { classicPcap, concat, link, pcapng } from './testkit.ts';
import type { CaptureRecord } from './types.ts';

/**
 * Whatever the bytes: the reader does not throw, ends, gives a bounded number of records, never
 * reports an internal error, and what it calls a packet is self-consistent. Runs are kept small for
 * CI; `pnpm bench` is the place for long runs.
 */

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const RUNS = Number(env?.['FUZZ_RUNS'] ?? 300);

const ip = [
  buildIpPacket({ proto: 'tcp', src: '127.0.0.1:51000', dst: '127.0.0.1:8888', flags: ['SYN'], seq: 1, options: { mss: 1460, wscale: 7, sackPermitted: true, ts: [1, 0] } }).data,
  buildIpPacket({ proto: 'tcp', src: '[::1]:51000', dst: '[::1]:8888', flags: ['ACK'], seq: 2, ack: 3, options: { sack: [[1, 2], [3, 4]] }, payload: new Uint8Array(40).fill(9) }).data,
  buildIpPacket({ proto: 'udp', src: '10.0.0.1:53', dst: '10.0.0.2:5353', payload: new Uint8Array(20) }).data,
];
const frames = [link.ethernet(ip[0]!, 5), link.ethernet(ip[1]!), link.sll(ip[2]!), link.sll2(ip[0]!), link.null(ip[1]!, 30, false)];
const seeds: Uint8Array[] = [
  classicPcap(ip.map((d, i) => ({ tsSec: i, tsFrac: i, data: d })), { linkType: 101 }),
  classicPcap(frames.slice(0, 2).map((d, i) => ({ tsSec: i, tsFrac: i, data: d })), { le: false, nano: true }),
  pcapng([
    { type: 'shb' }, { type: 'idb', linkType: 1, tsresol: 9 }, { type: 'idb', linkType: 113 }, { type: 'idb', linkType: 276 }, { type: 'idb', linkType: 0 },
    { type: 'epb', iface: 0, ts: 5n, data: frames[0]! }, { type: 'epb', iface: 1, ts: 6n, data: frames[2]! },
    { type: 'epb', iface: 2, ts: 7n, data: frames[3]! }, { type: 'pb', iface: 3, ts: 8n, data: frames[4]! }, { type: 'spb', data: frames[1]! },
  ], { le: false }),
];

function check(input: Uint8Array, records: CaptureRecord[]): void {
  // every record but the last consumed at least 12 bytes of input (a pcapng block or a pcap record)
  expect(records.length).toBeLessThanOrEqual(Math.floor(input.length / 12) + 2);
  for (const r of records) {
    if (r.kind === 'error') {
      expect(r.message).not.toContain('internal');
      continue;
    }
    expect(r.capLen).toBeLessThanOrEqual(r.frameLen);
    if (r.kind !== 'packet') continue;
    expect(r.payload.length).toBeLessThanOrEqual(r.len);
    expect(r.payload.length).toBeLessThanOrEqual(r.capLen);
    expect(parseEndpoint(r.src)).not.toBeNull();
    expect(parseEndpoint(r.dst)).not.toBeNull();
    if (r.proto === 'tcp') expect(r.seq).toBeLessThanOrEqual(0xffffffff);
  }
}

function readChunked(input: Uint8Array, cuts: number[]): CaptureRecord[] {
  const r = new CaptureReader();
  const out: CaptureRecord[] = [];
  let at = 0;
  for (const c of cuts.map((x) => x % (input.length + 1)).toSorted((a, b) => a - b)) {
    r.push(input.subarray(at, Math.max(at, c)), out);
    at = Math.max(at, c);
  }
  r.push(input.subarray(at), out);
  r.end(out);
  return out;
}

const mutation = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });

describe('fuzz: the reader survives any input', () => {
  it('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => { check(bytes, readCapture(bytes).records); }), { numRuns: RUNS });
  });

  it('arbitrary bytes after a valid pcap or pcapng header', () => {
    const heads = [seeds[0]!.subarray(0, 24), seeds[1]!.subarray(0, 24), seeds[2]!.subarray(0, 28 + 24)];
    fc.assert(fc.property(fc.constantFrom(...heads), fc.uint8Array({ maxLength: 2048 }), (head, tail) => {
      const input = concat([head, tail]);
      check(input, readCapture(input).records);
    }), { numRuns: RUNS });
  });

  it('mutated and truncated valid files, fed in random chunks, give the same records as one piece', () => {
    fc.assert(fc.property(
      fc.constantFrom(...seeds), fc.array(mutation, { maxLength: 12 }), fc.nat(), fc.array(fc.nat(), { maxLength: 6 }),
      (seed, muts, cut, chunkCuts) => {
        const input = seed.slice(0, seed.length - (cut % 16 === 0 ? cut % seed.length : 0));
        for (const m of muts) if (input.length > 0) input[m.at % input.length] = m.value;
        const whole = readCapture(input).records;
        check(input, whole);
        const chunked = readChunked(input, chunkCuts);
        expect(chunked.map(summary)).toEqual(whole.map(summary));
      },
    ), { numRuns: RUNS });
  });

  it('the frame decoder on arbitrary frames of every link type', () => {
    const dec = new FrameDecoder();
    fc.assert(fc.property(
      fc.constantFrom(0, 1, 12, 14, 101, 108, 113, 228, 229, 276), fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 300 }),
      (lt, bytes, extra) => {
        const r = dec.decode(bytes, 0, bytes.length, bytes.length + extra, lt, 0, 1, 0, 0);
        check(concat([new Uint8Array(16), bytes]), [r]);
      },
    ), { numRuns: RUNS * 3 });
  });

  it('valid packets with random IP/TCP header bytes changed', () => {
    const dec = new FrameDecoder();
    fc.assert(fc.property(fc.constantFrom(...ip), fc.array(mutation, { minLength: 1, maxLength: 6 }), (pkt, muts) => {
      const b = pkt.slice();
      for (const m of muts) b[m.at % Math.min(b.length, 80)] = m.value;
      check(concat([new Uint8Array(16), b]), [dec.decode(b, 0, b.length, b.length, 101, 0, 1, 0, 0)]);
    }), { numRuns: RUNS * 3 });
  });
});

function summary(r: CaptureRecord): string {
  if (r.kind === 'error') return `error ${r.fatal} ${r.index ?? ''}`;
  if (r.kind === 'other') return `other ${r.index} ${r.reason}`;
  return `${r.proto} ${r.index} ${r.src} ${r.dst} ${r.len} ${Array.from(r.payload).join(',')}`;
}
