import { describe, expect, it } from 'vitest';
import { buildIpPacket, type PacketSpec } from '../pcap/build.ts';
import { FrameDecoder } from '../pcap/decode.ts';
import type { TcpPacket } from '../pcap/types.ts';
import { TcpTracker, type TrackedSegment } from './tracker.ts';

const dec = new FrameDecoder();
const C = '127.0.0.1:51234';
const S = '127.0.0.1:8888';

function seg(src: string, dst: string, flags: string[], seq: number, ack = 0, more: Partial<PacketSpec> = {}): TcpPacket {
  const b = buildIpPacket({ proto: 'tcp', src, dst, flags, seq, ack, win: 1000, ...more });
  const r = dec.decode(b.data, 0, b.data.length, b.origLen, 101, 0, 1, 0, 0);
  if (r.kind !== 'packet' || r.proto !== 'tcp') throw new Error('bad test packet');
  return r;
}
const bytes = (n: number): Partial<PacketSpec> => ({ payload: new Uint8Array(n) });

/** A handshake with ISNs 1000 (client) and 5000 (server); window scale 7 and 8 unless told otherwise. */
function handshake(t: TcpTracker, opts: { cws?: number; sws?: number } = { cws: 7, sws: 8 }): TrackedSegment[] {
  const c = opts.cws === undefined ? {} : { wscale: opts.cws };
  const s = opts.sws === undefined ? {} : { wscale: opts.sws };
  return [
    t.track(seg(C, S, ['SYN'], 1000, 0, { options: c, win: 65535 })),
    t.track(seg(S, C, ['SYN', 'ACK'], 5000, 1001, { options: s, win: 65535 })),
    t.track(seg(C, S, ['ACK'], 1001, 5001, { win: 512 })),
  ];
}

function open(): TcpTracker {
  const t = new TcpTracker();
  handshake(t);
  return t;
}

describe('TcpTracker', () => {
  it('T1/T2: names the SYN sender the client and numbers from each ISN as Wireshark does', () => {
    const t = new TcpTracker();
    const hs = handshake(t);
    expect(hs.map((x) => [x.conn, x.fromClient, x.relSeq, x.relAck])).toEqual([
      [`${C}>${S}`, true, 0, null],
      [`${C}>${S}`, false, 0, 1],
      [`${C}>${S}`, true, 1, 1],
    ]);
    const d = t.track(seg(C, S, ['ACK', 'PSH'], 1001, 5001, bytes(5)));
    const a = t.track(seg(S, C, ['ACK'], 5001, 1006));
    expect([d.relSeq, d.relAck, a.relSeq, a.relAck]).toEqual([1, 1, 1, 6]);
  });

  it('T1: the receiver of a SYN+ACK is the client when the SYN was not captured', () => {
    const t = new TcpTracker();
    expect(t.track(seg(S, C, ['SYN', 'ACK'], 5000, 1001))).toMatchObject({ conn: `${C}>${S}`, fromClient: false, relSeq: 0, relAck: 1 });
  });

  it.each([
    ['the side facing a well-known port', '10.0.0.2:80', '10.0.0.1:40000', '10.0.0.1:40000>10.0.0.2:80'],
    ['the side facing a well-known port (other direction)', '10.0.0.1:40000', '10.0.0.2:443', '10.0.0.1:40000>10.0.0.2:443'],
    ['the higher port when both are above 1023', S, C, `${C}>${S}`],
    ['the first sender when the ports are equal', '10.0.0.2:7000', '10.0.0.1:7000', '10.0.0.2:7000>10.0.0.1:7000'],
  ])('T1: without a handshake the client is %s', (_n, src, dst, key) => {
    expect(new TcpTracker().track(seg(src, dst, ['ACK'], 77, 88)).conn).toBe(key);
  });

  it('T2: without a SYN the first seq and ack seen count as 1', () => {
    const t = new TcpTracker();
    expect(t.track(seg(S, C, ['ACK', 'PSH'], 9000, 3000, bytes(10)))).toMatchObject({ relSeq: 1, relAck: 1 });
    expect(t.track(seg(C, S, ['ACK'], 3000, 9010))).toMatchObject({ relSeq: 1, relAck: 11 });
  });

  it('T2: relative numbers wrap around 2^32', () => {
    const t = new TcpTracker();
    t.track(seg(C, S, ['SYN'], 0xfffffffe, 0));
    t.track(seg(S, C, ['SYN', 'ACK'], 10, 0xffffffff));
    expect(t.track(seg(C, S, ['ACK', 'PSH'], 0xffffffff, 11, bytes(4)))).toMatchObject({ relSeq: 1, relAck: 1 });
    expect(t.track(seg(S, C, ['ACK'], 11, 3))).toMatchObject({ relSeq: 1, relAck: 5 });
  });

  it('T3: scales the window once both SYNs carried window scaling, never on SYNs', () => {
    const t = new TcpTracker();
    const hs = handshake(t, { cws: 7, sws: 8 });
    expect(hs.map((x) => x.win)).toEqual([65535, 65535, 512 * 128]);
    expect(t.track(seg(S, C, ['ACK'], 5001, 1001, { win: 3 })).win).toBe(3 * 256);
  });

  it('T3: leaves the window raw when one side did not offer scaling, or the handshake was not seen', () => {
    const t = new TcpTracker();
    expect(handshake(t, { cws: 7 })[2]!.win).toBe(512);
    expect(new TcpTracker().track(seg(C, S, ['ACK'], 1, 1, { win: 77 })).win).toBe(77);
  });

  it('T3: caps the shift at 14', () => {
    const t = new TcpTracker();
    expect(handshake(t, { cws: 15, sws: 20 })[2]!.win).toBe(512 * 2 ** 14);
  });

  describe('T4 analysis', () => {
    it('zero-window, then a window update', () => {
      const t = open();
      expect(t.track(seg(S, C, ['ACK'], 5001, 1001, { win: 0 })).analysis).toEqual(['zero-window']);
      expect(t.track(seg(S, C, ['ACK'], 5001, 1001, { win: 100 })).analysis).toEqual(['window-update']);
    });

    it('dup-acks: the same ack, seq and window again, without data', () => {
      const t = open();
      t.track(seg(C, S, ['ACK', 'PSH'], 1001, 5001, bytes(100)));
      expect(t.track(seg(S, C, ['ACK'], 5001, 1101, { win: 100 })).analysis).toBeUndefined();
      expect(t.track(seg(S, C, ['ACK'], 5001, 1101, { win: 100 })).analysis).toEqual(['dup-ack']);
      expect(t.track(seg(S, C, ['ACK'], 5001, 1101, { win: 100 })).analysis).toEqual(['dup-ack']);
      expect(t.track(seg(S, C, ['ACK'], 5001, 1201, { win: 100 })).analysis).toBeUndefined();
    });

    it('retransmission: data again below the next sequence number; a repeated SYN too', () => {
      const t = new TcpTracker();
      t.track(seg(C, S, ['SYN'], 1000));
      const again = t.track(seg(C, S, ['SYN'], 1000));
      expect(again.analysis).toEqual(['retransmission']);
      expect(again.conn).toBe(`${C}>${S}`);
      t.track(seg(S, C, ['SYN', 'ACK'], 5000, 1001));
      t.track(seg(C, S, ['ACK', 'PSH'], 1001, 5001, bytes(10)));
      expect(t.track(seg(C, S, ['ACK', 'PSH'], 1001, 5001, bytes(10))).analysis).toEqual(['retransmission']);
      expect(t.track(seg(C, S, ['ACK', 'PSH'], 1011, 5001, bytes(10))).analysis).toBeUndefined();
    });

    it('keep-alive: zero or one byte at next seq − 1', () => {
      const t = open();
      t.track(seg(C, S, ['ACK', 'PSH'], 1001, 5001, bytes(10)));
      expect(t.track(seg(C, S, ['ACK'], 1010, 5001)).analysis).toEqual(['keep-alive']);
      expect(t.track(seg(C, S, ['ACK'], 1010, 5001, bytes(1))).analysis).toEqual(['keep-alive']);
    });

    it('window-full: data that fills the window the peer last advertised', () => {
      const t = open(); // server scale 8: win 4 → 1024 bytes
      t.track(seg(S, C, ['ACK'], 5001, 1001, { win: 4 }));
      expect(t.track(seg(C, S, ['ACK'], 1001, 5001, bytes(1000))).analysis).toBeUndefined();
      expect(t.track(seg(C, S, ['ACK'], 2001, 5001, bytes(24))).analysis).toEqual(['window-full']);
    });

    it('rst-after-data only when the conversation carried payload', () => {
      const t = open();
      expect(new TcpTracker().track(seg(S, C, ['RST', 'ACK'], 0, 1001)).analysis).toBeUndefined();
      t.track(seg(C, S, ['ACK', 'PSH'], 1001, 5001, bytes(3)));
      expect(t.track(seg(S, C, ['RST', 'ACK'], 5001, 1004)).analysis).toEqual(['rst-after-data']);
    });
  });

  it('T5: a new SYN on a reused 4-tuple starts a new conversation from 0', () => {
    const t = new TcpTracker();
    handshake(t);
    t.track(seg(C, S, ['FIN', 'ACK'], 1001, 5001));
    t.track(seg(S, C, ['FIN', 'ACK'], 5001, 1002));
    t.track(seg(C, S, ['ACK'], 1002, 5002));
    expect(t.size).toBe(1);
    const again = t.track(seg(C, S, ['SYN'], 777777, 0));
    expect(again).toMatchObject({ relSeq: 0, analysis: undefined });
    expect(t.track(seg(S, C, ['SYN', 'ACK'], 42, 777778))).toMatchObject({ relSeq: 0, relAck: 1 });
    expect(t.size).toBe(1);
  });

  it('T6: keeps at most maxConversations, dropping the least recently used', () => {
    const t = new TcpTracker({ maxConversations: 16 });
    for (let i = 0; i < 100; i++) {
      t.track(seg(`127.0.0.1:${40000 + i}`, S, ['SYN'], 1000 + i));
      t.track(seg(C, S, ['ACK'], 5, 5)); // the long-lived conversation stays recent
      expect(t.size).toBeLessThanOrEqual(16);
    }
    expect(t.track(seg(C, S, ['ACK'], 6, 5)).relSeq).toBe(2);
    // an early one was dropped: it comes back as first seen (base = seq − 1)
    expect(t.track(seg('127.0.0.1:40000', S, ['ACK'], 1001, 9)).relSeq).toBe(1);
  });
});
