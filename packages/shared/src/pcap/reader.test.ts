import { describe, expect, it } from 'vitest';
import { buildIpPacket } from './build.ts';
import { CaptureReader, readCapture } from './reader.ts';
import { ascii, classicPcap, concat, link, pcapng } from './testkit.ts';
import type { CaptureRecord, DecodedPacket } from './types.ts';
import { writePcap, writePcapHeader, writePcapRecord } from './writer.ts';

const syn = buildIpPacket({ proto: 'tcp', src: '127.0.0.1:51000', dst: '127.0.0.1:8888', flags: ['SYN'], seq: 100, options: { mss: 65495, wscale: 7, sackPermitted: true } }).data;
const data = buildIpPacket({ proto: 'tcp', src: '127.0.0.1:51000', dst: '127.0.0.1:8888', flags: ['ACK', 'PSH'], seq: 101, ack: 9, payload: ascii('hi') }).data;
const dgram = buildIpPacket({ proto: 'udp', src: '[::1]:5000', dst: '[::1]:9998', payload: new Uint8Array([1, 2, 3]) }).data;

const packets = (rs: CaptureRecord[]): DecodedPacket[] => rs.filter((r): r is DecodedPacket => r.kind === 'packet');

/** A small classic file: Ethernet, three frames, µs timestamps. */
function sample(le = true, nano = false): Uint8Array {
  return classicPcap([
    { tsSec: 1_700_000_000, tsFrac: nano ? 123_456_789 : 123_456, data: link.ethernet(syn) },
    { tsSec: 1_700_000_001, tsFrac: 5, data: link.ethernet(data) },
    { tsSec: 1_700_000_002, tsFrac: 0, data: link.ethernet(dgram) },
  ], { le, nano });
}

describe('classic pcap', () => {
  it.each([[true, false], [false, false], [true, true], [false, true]])('reads little-endian=%s nanosecond=%s files', (le, nano) => {
    const { records, stats } = readCapture(sample(le, nano));
    expect(stats).toMatchObject({ format: 'pcap', frames: 3, tcp: 2, udp: 1, errors: 0 });
    const [a, b, c] = packets(records);
    expect(a).toMatchObject({ index: 1, tsUs: 1_700_000_000_123_456, flags: ['SYN'], seq: 100, options: { mss: 65495, wscale: 7, sackPermitted: true } });
    expect(b).toMatchObject({ index: 2, tsUs: 1_700_000_001_000_000 + (nano ? 0 : 5), len: 2 });
    expect(c).toMatchObject({ index: 3, proto: 'udp', src: '[::1]:5000', len: 3 });
  });

  it('reads the link type from the header, masking the FCS bits', () => {
    const file = classicPcap([{ tsSec: 1, tsFrac: 0, data: syn }], { linkType: 101 | (0x1 << 28) });
    expect(packets(readCapture(file).records)[0]?.linkType).toBe(101);
  });

  it('gives the same records whatever the chunking, down to one byte at a time', () => {
    const file = sample();
    const whole = JSON.stringify(readCapture(file).records, replacer);
    for (const size of [1, 2, 3, 7, 16, 17, 64, 1000]) {
      const r = new CaptureReader();
      const out: CaptureRecord[] = [];
      for (let i = 0; i < file.length; i += size) r.push(file.subarray(i, i + size), out);
      r.end(out);
      expect(JSON.stringify(out, replacer), `chunks of ${size}`).toBe(whole);
    }
  });

  it('reports a file cut at every byte without throwing, keeping the frames before the cut', () => {
    const file = sample();
    const frames = [syn, data, dgram].map((ip) => 16 + 14 + ip.length);
    const ends = [24, 24 + frames[0]!, 24 + frames[0]! + frames[1]!, file.length];
    for (let n = 0; n < file.length; n++) {
      const { records } = readCapture(file.subarray(0, n));
      const whole = ends.filter((e) => e <= n).length - 1;
      expect(packets(records).length, `cut at ${n}`).toBe(Math.max(0, whole));
      if (!ends.includes(n)) expect(records.at(-1)?.kind, `cut at ${n}`).toBe('error');
    }
  });

  it('stops with a fatal error on a record longer than 16 MiB instead of buffering it', () => {
    const file = sample();
    const bad = file.slice();
    new DataView(bad.buffer).setUint32(24 + 8, 0x7fffffff, true);
    const { records, stats } = readCapture(bad);
    expect(records).toEqual([expect.objectContaining({ kind: 'error', fatal: true, message: expect.stringContaining('corrupt') })]);
    expect(stats.errors).toBe(1);
  });

  it('rejects input that is not a capture, and empty input', () => {
    expect(readCapture(ascii('GET / HTTP/1.1\r\n\r\n')).records).toEqual([
      expect.objectContaining({ kind: 'error', fatal: true, message: expect.stringContaining('not a pcap or pcapng file') }),
    ]);
    expect(readCapture(new Uint8Array(0)).records).toEqual([expect.objectContaining({ kind: 'error', message: expect.stringContaining('empty') })]);
  });

  it('ignores input after a fatal error or end()', () => {
    const r = new CaptureReader();
    r.push(new Uint8Array([1, 2, 3, 4, 5]));
    expect(r.push(sample())).toEqual([]);
    const ok = new CaptureReader();
    ok.push(sample());
    ok.end();
    expect(ok.push(sample())).toEqual([]);
  });
});

describe('pcapng', () => {
  const EPOCH_NS = 1_700_000_000_123_456_789n;

  it.each([true, false])('reads sections in either byte order (little-endian=%s) with several interfaces and resolutions', (le) => {
    const file = pcapng([
      { type: 'shb' },
      { type: 'idb', linkType: 1 }, // default resolution: µs
      { type: 'idb', linkType: 101, tsresol: 9 }, // ns
      { type: 'idb', linkType: 113, tsresol: 0x80 | 10 }, // 2^-10 s
      { type: 'idb', linkType: 276, tsresol: 3, tsoffset: 1_000 }, // ms, +1000 s
      { type: 'epb', iface: 0, ts: 1_700_000_000_123_456n, data: link.ethernet(syn) },
      { type: 'epb', iface: 1, ts: EPOCH_NS, data: data },
      { type: 'epb', iface: 2, ts: 1024n * 5n + 512n, data: link.sll(dgram) },
      { type: 'epb', iface: 3, ts: 2500n, data: link.sll2(data) },
      { type: 'raw', blockType: 0x0bad, body: new Uint8Array(13) }, // unknown: skipped
      { type: 'spb', data: link.ethernet(data) },
      { type: 'pb', iface: 1, ts: EPOCH_NS, data: data },
    ], { le });
    const { records, stats } = readCapture(file);
    expect(stats).toMatchObject({ format: 'pcapng', frames: 6, errors: 0 });
    const ps = packets(records);
    expect(ps.map((p) => [p.index, p.iface, p.linkType, p.tsUs])).toEqual([
      [1, 0, 1, 1_700_000_000_123_456],
      [2, 1, 101, 1_700_000_000_123_456],
      [3, 2, 113, 5_500_000],
      [4, 3, 276, 1_002_500_000],
      [5, 0, 1, 0],
      [6, 1, 101, 1_700_000_000_123_456],
    ]);
    expect(ps.map((p) => p.proto)).toEqual(['tcp', 'tcp', 'udp', 'tcp', 'tcp', 'tcp']);
  });

  it('numbers interfaces per section and reads a second section in the other byte order', () => {
    const a = pcapng([{ type: 'shb' }, { type: 'idb', linkType: 101 }, { type: 'epb', iface: 0, ts: 1n, data: syn }], { le: true });
    const b = pcapng([{ type: 'shb' }, { type: 'idb', linkType: 1 }, { type: 'epb', iface: 0, ts: 2n, data: link.ethernet(data) }, { type: 'epb', iface: 1, ts: 3n, data: syn }], { le: false });
    const { records } = readCapture(concat([a, b]));
    expect(records.map((r) => r.kind)).toEqual(['packet', 'packet', 'error']);
    expect(records[2]).toMatchObject({ index: 3, message: expect.stringContaining('interface 1 has no description block') });
  });

  it('keeps the true length when snaplen cut the frame', () => {
    const big = buildIpPacket({ proto: 'tcp', src: '127.0.0.1:1', dst: '127.0.0.1:2', payload: new Uint8Array(9000) });
    const file = pcapng([{ type: 'shb' }, { type: 'idb', linkType: 101 }, { type: 'epb', iface: 0, ts: 0n, data: big.data.slice(0, 96), origLen: big.origLen }]);
    expect(packets(readCapture(file).records)[0]).toMatchObject({ len: 9000, capLen: 96, frameLen: big.origLen });
  });

  it('reports a block whose trailing length disagrees, and goes on', () => {
    const file = pcapng([{ type: 'shb' }, { type: 'idb', linkType: 101 }, { type: 'epb', iface: 0, ts: 0n, data: syn }, { type: 'epb', iface: 0, ts: 0n, data: data }]);
    const firstEpbEnd = 28 + 24 + 28 + syn.length + 4;
    file[firstEpbEnd - 4] = file[firstEpbEnd - 4]! ^ 0xff;
    const { records } = readCapture(file);
    expect(records.map((r) => r.kind)).toEqual(['error', 'packet']);
  });

  it('stops with a fatal error on an impossible block length, a bad byte-order magic or an unknown version', () => {
    const head = pcapng([{ type: 'shb' }, { type: 'idb', linkType: 101 }]);
    const ok = concat([head, pcapng([{ type: 'shb' }, { type: 'epb', iface: 0, ts: 0n, data: syn }]).subarray(28)]);
    expect(readCapture(ok).stats).toMatchObject({ tcp: 1, errors: 0 });
    const huge = ok.slice(); new DataView(huge.buffer).setUint32(head.length + 4, 0x7ffffff0, true);
    const odd = ok.slice(); new DataView(odd.buffer).setUint32(head.length + 4, 30, true);
    const bom = ok.slice(); bom[8] = 0;
    const ver = pcapng([{ type: 'shb', major: 2 }]);
    for (const f of [huge, odd, bom, ver]) {
      const { records } = readCapture(f);
      expect(records.at(-1)).toMatchObject({ kind: 'error', fatal: true });
    }
  });

  it('reports a pcapng file cut at every byte without throwing', () => {
    const file = pcapng([{ type: 'shb' }, { type: 'idb', linkType: 1, tsresol: 9 }, { type: 'epb', iface: 0, ts: EPOCH_NS, data: link.ethernet(syn) }, { type: 'spb', data: link.ethernet(dgram) }]);
    const boundaries = new Set<number>();
    for (let at = 0; at < file.length; at += new DataView(file.buffer).getUint32(at + 4, true)) boundaries.add(at);
    expect(boundaries.size).toBe(4);
    for (let n = 0; n < file.length; n++) {
      const { records } = readCapture(file.subarray(0, n));
      if (boundaries.has(n) && n > 0) expect(records.every((r) => r.kind !== 'error'), `cut at ${n}`).toBe(true);
      else expect(records.at(-1)?.kind, `cut at ${n}`).toBe('error');
    }
    expect(readCapture(file).stats).toMatchObject({ tcp: 1, udp: 1, errors: 0 });
  });

  it('gives the same records whatever the chunking', () => {
    const file = pcapng([{ type: 'shb' }, { type: 'idb', linkType: 1 }, { type: 'epb', iface: 0, ts: 5n, data: link.ethernet(syn) }, { type: 'raw', blockType: 5, body: new Uint8Array(40) }, { type: 'spb', data: link.ethernet(data) }]);
    const whole = JSON.stringify(readCapture(file).records, replacer);
    for (const size of [1, 3, 11, 100]) {
      const r = new CaptureReader();
      const out: CaptureRecord[] = [];
      for (let i = 0; i < file.length; i += size) r.push(file.subarray(i, i + size), out);
      r.end(out);
      expect(JSON.stringify(out, replacer)).toBe(whole);
    }
  });
});

describe('pcap writer', () => {
  it('writes files the reader (and so Wireshark) reads back, keeping timestamps and true lengths', () => {
    const big = buildIpPacket({ proto: 'tcp', src: '[::1]:40000', dst: '[::1]:8888', flags: ['ACK'], seq: 7, payload: new Uint8Array(2000) });
    const file = concat([
      writePcapHeader(128, 101),
      writePcapRecord(1_700_000_000_654_321, syn),
      writePcapRecord(1_700_000_001_000_000, big.data.slice(0, 128), big.origLen),
    ]);
    const ps = packets(readCapture(file).records);
    expect(ps.map((p) => [p.tsUs, p.len, p.capLen, p.frameLen])).toEqual([
      [1_700_000_000_654_321, 0, syn.length, syn.length],
      [1_700_000_001_000_000, 2000, 128, big.origLen],
    ]);
    const same = writePcap([{ tsUs: 1_700_000_000_654_321, data: syn }, { tsUs: 1_700_000_001_000_000, data: big.data.slice(0, 128), origLen: big.origLen }], 101, 128);
    expect(same).toEqual(file);
  });
});

function replacer(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? Array.from(v) : v;
}
