/**
 * Bundles (capture-bundle.ts B1–B8) from conversations built as real pcap bytes with the shared builder,
 * decoded by the shared reader and tracked by the shared TcpTracker, as the capture pipeline does; the
 * clock is the test's. Every case checks the invariant that makes the summary honest: each packet is in
 * exactly one event, its own tcp.segment or one bundle's final count.
 */
import { describe, expect, it } from 'vitest';
import { parseEvent, type EventInput } from '@socketscope/shared';
import {
  LINKTYPE_ETHERNET, buildIpPacket, ethernetFrame, readCapture, writePcap, type DecodedPacket, type PacketSpec,
} from '@socketscope/shared/pcap/index';
import { TcpTracker, toWireEvents, type TcpSegmentInput } from '@socketscope/shared/wire/index';
import { Bundler, type TcpBundleInput } from './capture-bundle.ts';
import { readBundle } from './capture-bundle-read.ts';
import { FrameRing, frameBytes } from './capture-ring.ts';

const C = '127.0.0.1:50000';
const S = '127.0.0.1:8888';
const T0 = 1_700_000_000_000_000;

/** A conversation written packet by packet with true sequence numbers; `at` is capture time in ms. */
class Talk {
  readonly specs: { tsUs: number; spec: PacketSpec }[] = [];
  private next = { [C]: 1000, [S]: 9000 } as Record<string, number>;
  at = 0;

  private push(src: string, flags: string[], len = 0, win = 512): this {
    const dst = src === C ? S : C;
    const payload = new Uint8Array(Math.min(len, 32)).fill(0x61);
    this.specs.push({ tsUs: T0 + Math.round(this.at * 1000), spec: { proto: 'tcp', src, dst, flags, seq: this.next[src]!, ack: flags.includes('ACK') ? this.next[dst]! : 0, win, payload, len } });
    this.next[src] = (this.next[src]! + len + (flags.includes('SYN') || flags.includes('FIN') ? 1 : 0)) >>> 0;
    this.at += 0.01;
    return this;
  }

  handshake(): this {
    return this.push(C, ['SYN']).push(S, ['SYN', 'ACK']).push(C, ['ACK']);
  }
  data(src: string, len = 1000): this { return this.push(src, ['ACK', 'PSH'], len); }
  /** the segment `back` bytes before src's next sequence number, sent again */
  resend(src: string, back: number, len = 1000): this {
    const next = this.next[src]!;
    this.next[src] = (next - back) >>> 0;
    this.data(src, len);
    this.next[src] = next;
    return this;
  }
  ack(src: string, win = 512): this { return this.push(src, ['ACK'], 0, win); }
  fin(src: string): this { return this.push(src, ['FIN', 'ACK']); }
  teardown(): this { return this.fin(C).ack(S).fin(S).ack(C); }
  /** n data segments from src, the other side ACKing every second one */
  bulk(src: string, n: number, len = 1000): this {
    for (let i = 0; i < n; i++) {
      this.data(src, len);
      if (i % 2 === 1) this.ack(src === C ? S : C);
    }
    return this;
  }
}

interface Fed {
  events: EventInput[];
  packets: DecodedPacket[];
  ring: FrameRing;
  bundler: Bundler;
  clock: { ms: number };
  /** more packets of the same talk (from packet index `from`) */
  feed(from: number): void;
  singles(): TcpSegmentInput[];
  /** each bundle's last event */
  finals(): TcpBundleInput[];
}

function run(talk: Talk, feedNow = true): Fed {
  const built = talk.specs.map(({ tsUs, spec }) => ({ tsUs, ...ethernetFrame(buildIpPacket(spec)) }));
  const packets = readCapture(writePcap(built, LINKTYPE_ETHERNET)).records.filter((r): r is DecodedPacket => r.kind === 'packet');
  const events: EventInput[] = [];
  const clock = { ms: 0 };
  const bundler = new Bundler((e) => events.push(e), { now: () => clock.ms });
  const ring = new FrameRing();
  const tracker = new TcpTracker();
  let fed = 0;
  const feed = (upTo: number) => {
    for (; fed < upTo; fed++) {
      const p = packets[fed]!;
      if (p.proto !== 'tcp') throw new Error('tcp only');
      const index = ring.push({ tsUs: p.tsUs, data: frameBytes(p), origLen: p.frameLen });
      // as the pipeline does: the preview is the bundler's to make, for the segments it emits
      bundler.tcp(p, toWireEvents(p, tracker, { tsOrigin: T0, previewBytes: 0 }), index);
    }
  };
  if (feedNow) feed(packets.length);
  const last = new Map<number, TcpBundleInput>();
  return {
    events, packets, ring, bundler, clock, feed,
    singles: () => events.filter((e): e is TcpSegmentInput => e.type === 'tcp.segment'),
    finals: () => {
      last.clear();
      for (const e of events) if (e.type === 'tcp.bundle') last.set(e.bundle, e);
      return [...last.values()];
    },
  };
}

/** Each packet in exactly one event; every bundle closed; every event valid. */
function honest(f: Fed): void {
  f.bundler.endAll();
  const finals = f.finals();
  expect(f.singles().length + finals.reduce((n, b) => n + b.count, 0)).toBe(f.packets.length);
  expect(finals.every((b) => !b.open && b.count >= 4)).toBe(true);
  for (const [i, e] of f.events.entries()) expect(parseEvent({ ...e, v: 1, seq: i, ts: 0 })).toMatchObject({ ok: true });
}

describe('Bundler', () => {
  it('B2: a lesson’s handshake, messages and teardown stay segment by segment, in capture order', () => {
    const t = new Talk().handshake().data(C, 13).ack(S).data(S, 13).ack(C).data(C, 5).data(S, 5).teardown();
    const f = run(t);
    honest(f);
    expect(f.finals()).toEqual([]);
    // each exactly the event it would have been without bundles, preview bytes included
    const tracker = new TcpTracker();
    expect(f.singles()).toEqual(f.packets.map((p) => toWireEvents(p, tracker, { tsOrigin: T0 })));
    expect(f.singles().filter((e) => e.len > 0).every((e) => e.bytes !== '')).toBe(true);
  });

  it('B2/B4: after four single data segments a bulk run is one data bundle and one ACK bundle, closed before the FIN', () => {
    const t = new Talk().handshake().bulk(C, 100).teardown();
    const f = run(t);
    honest(f);
    const finals = f.finals();
    const data = finals.find((b) => b.bytes > 0)!;
    const acks = finals.find((b) => b.bytes === 0)!;
    expect(data).toMatchObject({ src: C, dst: S, count: 96, bytes: 96_000, relFirstSeq: 4001, relEndSeq: 100_001, firstSeq: 5001, endSeq: 101_001, flags: ['ACK', 'PSH'], retransmissions: 0, open: false });
    expect(acks).toMatchObject({ src: S, dst: C, bytes: 0, flags: ['ACK'] });
    // the data singles are the first four; the bundles' last events come before the client's FIN
    expect(f.singles().filter((e) => e.len > 0).map((e) => e.relSeq)).toEqual([1, 1001, 2001, 3001]);
    const fin = f.events.findIndex((e) => e.type === 'tcp.segment' && e.flags.includes('FIN'));
    expect(f.events.findLastIndex((e) => e.type === 'tcp.bundle')).toBeLessThan(fin);
  });

  it('B3: a zero window ends the run (shown as itself) but not the transfer: the next data goes straight into a new bundle', () => {
    const t = new Talk().handshake().bulk(C, 20).ack(S, 0).ack(S, 512).bulk(C, 20).teardown();
    const f = run(t);
    honest(f);
    const [first, second] = f.finals().filter((b) => b.bytes > 0);
    expect(first).toMatchObject({ count: 16, bytes: 16_000 });
    expect(second).toMatchObject({ count: 20, bytes: 20_000 });
    const zero = f.events.findIndex((e) => e.type === 'tcp.segment' && e.analysis?.includes('zero-window'));
    const update = f.events.findIndex((e) => e.type === 'tcp.segment' && e.analysis?.includes('window-update'));
    expect(zero).toBeGreaterThan(f.events.indexOf(first!));
    expect(update).toBeLessThan(f.events.findIndex((e) => e.type === 'tcp.bundle' && e.bundle === second!.bundle));
  });

  it('B3: a window update of a window that was not zero is an ACK like the others in the ACK bundle', () => {
    const t = new Talk().handshake().bulk(C, 20).ack(S, 1024).ack(S, 2048).bulk(C, 20).teardown();
    const f = run(t);
    honest(f);
    expect(f.singles().filter((e) => e.analysis?.includes('window-update'))).toEqual([]);
    expect(f.finals().map((b) => [b.bytes, b.count])).toEqual([[36_000, 36], [0, 21]]);
    expect(f.finals()[1]).toMatchObject({ win: 512 });
  });

  it('B3: data slower than one segment a millisecond stays segment by segment (a ping every 2 ms)', () => {
    const t = new Talk().handshake();
    for (let i = 0; i < 50; i++) {
      t.data(C, 5).ack(S);
      t.at += 2;
    }
    const f = run(t.teardown());
    honest(f);
    expect(f.finals()).toEqual([]);
  });

  it('B1: data of the other direction, or a pause, ends the transfer: four singles again', () => {
    const t = new Talk().handshake().bulk(C, 10).data(S, 10).bulk(C, 10);
    t.at += 300; // a pause longer than IDLE_MS, in capture time
    t.bulk(C, 10).teardown();
    const f = run(t);
    honest(f);
    expect(f.finals().filter((b) => b.bytes > 0).map((b) => b.count)).toEqual([6, 6, 6]);
    expect(f.singles().filter((e) => e.src === C && e.len > 0)).toHaveLength(12);
  });

  it('B5: fewer than four segments between flow-control events stay single, in capture order', () => {
    const t = new Talk().handshake().bulk(C, 4);
    for (let i = 0; i < 5; i++) t.data(C).ack(S).data(C).ack(S, 0).ack(S, 512);
    t.teardown();
    const f = run(t);
    honest(f);
    expect(f.finals()).toEqual([]);
    const tracker = new TcpTracker();
    expect(f.events).toEqual(f.packets.map((p) => toWireEvents(p, tracker, { tsOrigin: T0 })));
  });

  it('B5: segments that wait EVERY_MS without reaching four go out as themselves', () => {
    const t = new Talk().handshake().bulk(C, 4).data(C).data(C);
    const f = run(t);
    // waiting: the two data segments and the ACK after the fourth single
    expect(f.singles()).toHaveLength(f.packets.length - 3);
    f.clock.ms = 49;
    f.bundler.tick();
    expect(f.singles()).toHaveLength(f.packets.length - 3);
    f.clock.ms = 50;
    f.bundler.tick();
    expect(f.singles()).toHaveLength(f.packets.length);
    honest(f);
  });

  it('B6: a growing bundle is emitted EVERY_MS after its first segment, at most every EVERY_MS, then once closed', () => {
    const t = new Talk().handshake().bulk(C, 4, 100).bulk(C, 30, 100).bulk(C, 30, 100).bulk(C, 30, 100).fin(C);
    const f = run(t, false);
    const dataEvents = () => f.events.filter((e): e is TcpBundleInput => e.type === 'tcp.bundle' && e.bytes > 0).map((e) => [e.count, e.open]);
    const n = f.packets.length;
    f.feed(3 + 6 + 45); // at 0 ms: the handshake, the four singles and their ACKs, then 30 data segments of the bundle
    f.bundler.tick();
    expect(dataEvents()).toEqual([]);
    f.clock.ms = 50;
    f.bundler.tick();
    expect(dataEvents()).toEqual([[30, true]]);
    f.clock.ms = 70;
    f.feed(3 + 6 + 90);
    f.bundler.tick();
    expect(dataEvents()).toEqual([[30, true]]); // 20 ms after the last one
    f.clock.ms = 100;
    f.bundler.tick();
    expect(dataEvents()).toEqual([[30, true], [60, true]]);
    f.feed(n - 1);
    f.feed(n); // the FIN ends the run
    expect(dataEvents()).toEqual([[30, true], [60, true], [90, false]]);
    const bundleEvents = () => f.events.filter((e): e is TcpBundleInput => e.type === 'tcp.bundle');
    expect(new Set(bundleEvents().map((e) => e.bundle)).size).toBe(2); // the data's and the ACKs'
    honest(f);
  });

  it('B1: nothing heard for IDLE_MS closes the bundle on the timer', () => {
    const f = run(new Talk().handshake().bulk(C, 20));
    f.clock.ms = 100;
    f.bundler.tick();
    expect(f.finals().map((b) => b.open)).toEqual([true, true]);
    f.clock.ms = 260;
    f.bundler.tick();
    expect(f.finals().map((b) => b.open)).toEqual([false, false]);
    honest(f);
  });

  it('B7: a bundle’s segments decode from the ring as the tcp.segment events they would have been', () => {
    const t = new Talk().handshake().bulk(C, 20).resend(C, 5000).bulk(C, 10).teardown();
    const f = run(t);
    honest(f);
    // a retransmission stays in the run, counted (its bytes too: they were on the wire twice)
    expect(f.finals().find((b) => b.bytes > 0)).toMatchObject({ count: 27, bytes: 27_000, retransmissions: 1, relFirstSeq: 4001, relEndSeq: 30_001 });
    // the same packets, each its own event (as without bundles)
    const tracker = new TcpTracker();
    const plain = f.packets.map((p) => toWireEvents(p, tracker, { tsOrigin: T0 }));
    for (const b of f.finals()) {
      const rec = f.bundler.record(b.bundle)!;
      const r = readBundle(rec, f.ring, T0);
      expect(r).toMatchObject({ bundle: b.bundle, count: b.count, truncated: false, missing: 0, src: b.src, dst: b.dst });
      const want = plain.filter((e, i) => i >= rec.firstIndex && i <= rec.lastIndex && e.type === 'tcp.segment' && e.src === b.src && (b.bytes > 0) === (e.len > 0));
      expect(r.segments).toEqual(want);
      expect(r.segments.reduce((n, s) => n + s.len, 0)).toBe(b.bytes);
      expect(r.segments.filter((x) => x.analysis?.includes('retransmission'))).toHaveLength(b.retransmissions);
    }
    const data = f.finals().find((b) => b.bytes > 0)!;
    expect(readBundle(f.bundler.record(data.bundle)!, f.ring, T0, 5)).toMatchObject({ truncated: true, segments: { length: 5 } });
  });

  it('B8: the lab\'s two captures of the same packets, interleaved, make each host its own bundles and records', () => {
    const t = new Talk().handshake().bulk(C, 40).teardown();
    const packets = readCapture(writePcap(t.specs.map(({ tsUs, spec }) => ({ tsUs, ...ethernetFrame(buildIpPacket(spec)) })), LINKTYPE_ETHERNET))
      .records.filter((r): r is DecodedPacket => r.kind === 'packet');
    const events: EventInput[] = [];
    const bundler = new Bundler((e) => events.push(e), { now: () => 0 });
    const ring = new FrameRing();
    const trackers = { client: new TcpTracker(), server: new TcpTracker() };
    // each packet as the client's capture saw it, then as the server's (the pipeline's order, with a link between)
    for (const p of packets) {
      if (p.proto !== 'tcp') throw new Error('tcp only');
      for (const host of ['client', 'server'] as const) {
        const index = ring.push({ tsUs: p.tsUs, data: frameBytes(p), origLen: p.frameLen, host });
        const e = toWireEvents(p, trackers[host], { tsOrigin: T0, previewBytes: 0 });
        e.host = host;
        bundler.tcp(p, e, index);
      }
    }
    bundler.endAll();
    const last = new Map<number, TcpBundleInput>();
    for (const e of events) if (e.type === 'tcp.bundle') last.set(e.bundle, e);
    const finals = [...last.values()];
    const singles = events.filter((e): e is TcpSegmentInput => e.type === 'tcp.segment');
    expect(singles.length + finals.reduce((n, b) => n + b.count, 0)).toBe(2 * packets.length);
    for (const host of ['client', 'server'] as const) {
      const mine = finals.filter((b) => b.host === host);
      // the same two bundles as one capture alone would make (B2/B4), not bundles chopped by the other's copies
      expect(mine.map((b) => [b.bytes, b.retransmissions])).toEqual([[36_000, 0], [0, 0]]);
      for (const b of mine) {
        const r = readBundle(bundler.record(b.bundle)!, ring, T0);
        expect(r).toMatchObject({ count: b.count, missing: 0 });
        expect(r.segments.reduce((n, x) => n + x.len, 0)).toBe(b.bytes);
      }
      expect(singles.filter((e) => e.host === host && e.analysis?.includes('retransmission'))).toEqual([]);
    }
    for (const [i, e] of events.entries()) expect(parseEvent({ ...e, v: 1, seq: i, ts: 0 })).toMatchObject({ ok: true });
  });
});
