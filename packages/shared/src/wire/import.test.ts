import { describe, expect, it } from 'vitest';
import { emptyModel } from '../model/model.ts';
import { foldAll } from '../model/fold.ts';
import { parseEvent } from '../protocol/messages.ts';
import type { EventOf } from '../protocol/events.ts';
import { buildIpPacket, ethernetFrame, type PacketSpec } from '../pcap/build.ts';
import { FrameDecoder } from '../pcap/decode.ts';
import { ascii, classicPcap, pcapng } from '../pcap/testkit.ts';
import { writePcap } from '../pcap/writer.ts';
import { base64ToBytes, bytesToBase64 } from './base64.ts';
import { exportPcap } from './export.ts';
import { importCapture } from './import.ts';
import { toWireEvents } from './to-events.ts';
import { TcpTracker } from './tracker.ts';

const C = '127.0.0.1:51234';
const S = '127.0.0.1:8888';
const T0 = 1_700_000_000_000_000;

/** The tutorial's hello exchange: handshake, one message each way, four-way teardown. */
const t = (ms: number): number => T0 + ms * 1000;

function helloExchange(): { tsUs: number; spec: PacketSpec }[] {
  const hi = ascii('hello, server');
  const re = ascii('hello, client');
  return [
    { tsUs: t(0), spec: { proto: 'tcp', src: C, dst: S, flags: ['SYN'], seq: 1000, win: 65495, options: { mss: 65495, sackPermitted: true, ts: [1, 0], wscale: 7 } } },
    { tsUs: t(1), spec: { proto: 'tcp', src: S, dst: C, flags: ['SYN', 'ACK'], seq: 9000, ack: 1001, win: 65483, options: { mss: 65495, sackPermitted: true, ts: [2, 1], wscale: 7 } } },
    { tsUs: t(2), spec: { proto: 'tcp', src: C, dst: S, flags: ['ACK'], seq: 1001, ack: 9001, win: 512 } },
    { tsUs: t(3), spec: { proto: 'tcp', src: C, dst: S, flags: ['ACK', 'PSH'], seq: 1001, ack: 9001, win: 512, payload: hi } },
    { tsUs: t(4), spec: { proto: 'tcp', src: S, dst: C, flags: ['ACK'], seq: 9001, ack: 1014, win: 512 } },
    { tsUs: t(5), spec: { proto: 'tcp', src: S, dst: C, flags: ['ACK', 'PSH'], seq: 9001, ack: 1014, win: 512, payload: re } },
    { tsUs: t(6), spec: { proto: 'tcp', src: C, dst: S, flags: ['ACK'], seq: 1014, ack: 9014, win: 512 } },
    { tsUs: t(7), spec: { proto: 'tcp', src: C, dst: S, flags: ['FIN', 'ACK'], seq: 1014, ack: 9014, win: 512 } },
    { tsUs: t(8), spec: { proto: 'tcp', src: S, dst: C, flags: ['ACK'], seq: 9014, ack: 1015, win: 512 } },
    { tsUs: t(9), spec: { proto: 'tcp', src: S, dst: C, flags: ['FIN', 'ACK'], seq: 9014, ack: 1015, win: 512 } },
    { tsUs: t(10), spec: { proto: 'tcp', src: C, dst: S, flags: ['ACK'], seq: 1015, ack: 9015, win: 512 } },
  ];
}

describe('importCapture', () => {
  it('turns a capture into valid session events that fold into one closed connection', () => {
    const file = writePcap(helloExchange().map(({ tsUs, spec }) => ({ tsUs, ...ethernetFrame(buildIpPacket(spec)) })), 1);
    const { events, errors, stats } = importCapture(file);
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ format: 'pcap', tcp: 11 });
    for (const e of events) expect(parseEvent(e), JSON.stringify(e)).toMatchObject({ ok: true });
    expect(events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(events.map((e) => e.ts)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
    const segs = events as EventOf<'tcp.segment'>[];
    expect(segs.every((e) => e.conn === `${C}>${S}` && e.layer === 'wire' && !e.inferred)).toBe(true);
    expect(segs[0]).toMatchObject({ flags: ['SYN'], seqNo: 1000, relSeq: 0, relAck: null, win: 65495, options: { mss: 65495, wscale: 7, sackPermitted: true, ts: [1, 0] } });
    expect(segs[3]).toMatchObject({ src: C, dst: S, relSeq: 1, relAck: 1, len: 13, win: 512 * 128, wireTs: 3000 });
    expect(base64ToBytes(segs[3]!.bytes)).toEqual(ascii('hello, server'));

    const model = foldAll(emptyModel(), events);
    expect(Object.keys(model.conns)).toEqual([`${C}>${S}`]);
    expect(model.conns[`${C}>${S}`]).toMatchObject({
      client: C, server: S, stage: 'closed', bytesC2S: 13, bytesS2C: 13, finC2S: true, finS2C: true,
      isnC2S: 1000, isnS2C: 9000, capturedSegments: 11, inferredSegments: 0,
    });
  });

  it('folds a refused connection (SYN answered by RST) as refused', () => {
    const file = pcapng([
      { type: 'shb' }, { type: 'idb', linkType: 101 },
      { type: 'epb', iface: 0, ts: 10n, data: buildIpPacket({ proto: 'tcp', src: C, dst: '127.0.0.1:1', flags: ['SYN'], seq: 5 }).data },
      { type: 'epb', iface: 0, ts: 11n, data: buildIpPacket({ proto: 'tcp', src: '127.0.0.1:1', dst: C, flags: ['RST', 'ACK'], seq: 0, ack: 6 }).data },
    ]);
    const { events } = importCapture(file);
    expect(events.map((e) => e.ts)).toEqual([0, 1]);
    expect(foldAll(emptyModel(), events).conns[`${C}>127.0.0.1:1`]?.stage).toBe('refused');
  });

  it('makes udp.datagram events, keeps 64 payload bytes and the true length, and lists broken frames', () => {
    const big = buildIpPacket({ proto: 'udp', src: '[::1]:40000', dst: '[::1]:9998', payload: Uint8Array.from({ length: 1000 }, (_, i) => i & 255) });
    const file = classicPcap([
      { tsSec: 100, tsFrac: 0, data: big.data.slice(0, 200), origLen: big.origLen },
      { tsSec: 100, tsFrac: 1, data: Uint8Array.from([0x45, 0, 0]) }, // a cut IPv4 header
      { tsSec: 100, tsFrac: 2, data: Uint8Array.from([0x45, ...Array.from({ length: 19 }, () => 0)]) }, // protocol 0: not TCP/UDP
    ], { linkType: 101 });
    const { events, errors, stats } = importCapture(file);
    expect(stats).toMatchObject({ udp: 1, other: 1, errors: 1 });
    expect(errors).toEqual([expect.objectContaining({ index: 2, message: expect.stringContaining('IPv4 header truncated') })]);
    expect(events).toHaveLength(1);
    const e = events[0] as EventOf<'udp.datagram'>;
    expect(parseEvent(e)).toMatchObject({ ok: true });
    expect(e).toMatchObject({ type: 'udp.datagram', src: '[::1]:40000', dst: '[::1]:9998', len: 1000, inferred: false, seq: 0, ts: 0 });
    expect(base64ToBytes(e.bytes)).toEqual(Uint8Array.from({ length: 64 }, (_, i) => i));
    expect(foldAll(emptyModel(), events).conns['[::1]:40000>[::1]:9998']).toMatchObject({ proto: 'udp', bytesC2S: 1000 });
  });

  it('stops adding events at maxEvents and counts the rest', () => {
    const file = writePcap(helloExchange().map(({ tsUs, spec }) => ({ tsUs, data: buildIpPacket(spec).data })));
    const r = importCapture(file, { maxEvents: 4, firstSeq: 100 });
    expect(r.events.map((e) => e.seq)).toEqual([100, 101, 102, 103]);
    expect(r.dropped).toBe(7);
  });

  it('reports a file that is not a capture', () => {
    const r = importCapture(ascii('this is not a capture file at all'));
    expect(r.events).toEqual([]);
    expect(r.errors).toEqual([expect.objectContaining({ fatal: true })]);
  });
});

describe('toWireEvents', () => {
  it('gives the agent an event input without envelope fields, with wireTs from the session start', () => {
    const b = buildIpPacket({ proto: 'tcp', src: C, dst: S, flags: ['SYN'], seq: 1 });
    const p = new FrameDecoder().decode(b.data, 0, b.data.length, b.origLen, 101, T0 + 500, 1, 0, 0);
    if (p.kind !== 'packet' || p.proto !== 'tcp') throw new Error('bad packet');
    const e = toWireEvents(p, new TcpTracker(), { tsOrigin: T0 });
    expect(e).toEqual({
      layer: 'wire', type: 'tcp.segment', conn: `${C}>${S}`, src: C, dst: S, flags: ['SYN'], seqNo: 1, ackNo: 0,
      relSeq: 0, relAck: null, win: 65535, len: 0, options: {}, inferred: false, bytes: '', wireTs: 500,
    });
    expect(Object.isFrozen(e.flags)).toBe(true); // shared: editing an event's flags fails loudly
    expect(parseEvent({ ...e, v: 1, seq: 0, ts: 1 })).toMatchObject({ ok: true });
  });
});

describe('base64', () => {
  it('matches the standard encoding and round-trips every length', () => {
    expect(bytesToBase64(ascii(''))).toBe('');
    expect(bytesToBase64(ascii('f'))).toBe('Zg==');
    expect(bytesToBase64(ascii('fo'))).toBe('Zm8=');
    expect(bytesToBase64(ascii('foobar'))).toBe('Zm9vYmFy');
    expect(bytesToBase64(Uint8Array.from([0xfb, 0xff, 0xbf]))).toBe('+/+/');
    for (let n = 0; n < 70; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      expect(base64ToBytes(bytesToBase64(b))).toEqual(b);
    }
    const long = Uint8Array.from({ length: 100_000 }, (_, i) => i & 255);
    expect(base64ToBytes(bytesToBase64(long))).toEqual(long);
    expect(base64ToBytes('not base64!')).toBeNull();
  });
});

describe('exportPcap', () => {
  it('writes the wire layer back as a pcap that imports to the same events, leaving inferred segments out', () => {
    const file = writePcap(helloExchange().map(({ tsUs, spec }) => ({ tsUs, ...ethernetFrame(buildIpPacket(spec)) })), 1);
    const first = importCapture(file).events;
    const inferred = { ...(first[3] as EventOf<'tcp.segment'>), seq: 99, inferred: true, seqNo: null, ackNo: null, win: null };
    const out = exportPcap([...first, inferred], { startUs: T0 });
    expect(out).toMatchObject({ packets: 11, inferred: 1, skipped: 0 });
    const again = importCapture(out.pcap).events;
    expect(again).toEqual(first);
  });

  it('keeps true lengths when only the preview bytes are known', () => {
    const big = buildIpPacket({ proto: 'tcp', src: C, dst: S, flags: ['ACK'], seq: 5, ack: 6, payload: new Uint8Array(3000).fill(1) });
    const events = importCapture(writePcap([{ tsUs: T0, data: big.data }])).events;
    const back = importCapture(exportPcap(events).pcap);
    expect(back.stats).toMatchObject({ tcp: 1, errors: 0 });
    expect(back.events[0]).toMatchObject({ len: 3000, seqNo: 5, ackNo: 6 });
  });
});
