/**
 * Inference rules on given event sequences (the integration tests in apps/agent/test/inference.test.ts
 * and watch.test.ts run them on real sockets): kernel states of a watched connection, the switch
 * between captured and inferred, a new session.
 */
import { describe, expect, it } from 'vitest';
import { SessionEvent, type EventInput, type TcpState } from '@socketscope/shared';
import { WireInference } from './inference.ts';
import { dirOf } from './inference-book.ts';

type Seg = Extract<SessionEvent, { type: 'tcp.segment' }>;

function rig() {
  const out: SessionEvent[] = [];
  let seq = 0;
  const emit = (e: EventInput): SessionEvent => {
    const full = SessionEvent.parse({ v: 1, seq: seq++, ts: seq, ...e });
    out.push(full);
    return full;
  };
  const inf = new WireInference(emit);
  const feed = (e: EventInput) => inf.observe(emit(e));
  const segs = () => out.filter((e): e is Seg => e.type === 'tcp.segment' && e.inferred);
  const show = () => segs().map((s) => `${s.src === C ? 'C>S' : 'S>C'} ${s.flags.join('+')}${s.len ? ` ${s.len}` : ''}`);
  return { inf, feed, segs, show, out };
}

const C = '127.0.0.1:50000';
const S = '127.0.0.1:9999';
const CONN = `${C}>${S}`;
const k = (local: string, state: TcpState, extra: Partial<{ sendQueue: number; recvQueue: number; gone: boolean }> = {}): EventInput => ({
  layer: 'kernel', type: 'kernel.tcp', local, remote: local === C ? S : C, conn: CONN, state,
  sendQueue: extra.sendQueue ?? 0, recvQueue: extra.recvQueue ?? 0, ...(extra.gone ? { gone: true } : {}),
});

describe('inference from kernel states (a watched connection)', () => {
  it('infers the handshake once, whichever end shows it first', () => {
    const r = rig();
    r.feed(k(S, 'SYN_RECV'));
    expect(r.show()).toEqual(['C>S SYN', 'S>C SYN+ACK']);
    r.feed(k(C, 'ESTABLISHED'));
    r.feed(k(S, 'ESTABLISHED'));
    expect(r.show()).toEqual(['C>S SYN', 'S>C SYN+ACK', 'C>S ACK']);
  });

  it('puts no FIN on the wire while bytes wait before it, and no ACK before the kernel shows one', () => {
    const r = rig();
    r.feed(k(C, 'ESTABLISHED'));
    r.feed(k(C, 'FIN_WAIT1', { sendQueue: 5000 }));
    expect(r.show().slice(3)).toEqual([]);
    r.feed(k(C, 'FIN_WAIT1', { sendQueue: 1 }));
    expect(r.show().slice(3)).toEqual(['C>S ACK+FIN']);
    r.feed(k(C, 'FIN_WAIT2'));
    r.feed(k(S, 'CLOSE_WAIT'));
    expect(r.show().slice(3)).toEqual(['C>S ACK+FIN', 'S>C ACK']);
    r.feed(k(S, 'LAST_ACK', { sendQueue: 1 }));
    expect(r.show().slice(5)).toEqual(['S>C ACK+FIN']);
    r.feed(k(S, 'LAST_ACK', { gone: true }));
    expect(r.show().slice(5)).toEqual(['S>C ACK+FIN', 'C>S ACK']);
    r.feed(k(C, 'TIME_WAIT'));
    expect(r.show()).toHaveLength(7);
    expect(r.segs().every((s) => s.seqNo === null && s.win === null && s.inferredFrom!.includes('the kernel shows'))).toBe(true);
  });

  it('infers data from a receive queue that grew, when the sender is not an agent socket', () => {
    const r = rig();
    r.feed(k(S, 'ESTABLISHED', { recvQueue: 10 }));
    r.feed(k(S, 'ESTABLISHED', { recvQueue: 4 }));
    r.feed(k(S, 'ESTABLISHED', { recvQueue: 9 }));
    expect(r.show().slice(3)).toEqual(['C>S ACK+PSH 10', 'S>C ACK', 'C>S ACK+PSH 5', 'S>C ACK']);
  });
});

describe('captured and inferred', () => {
  it('emits nothing while capture runs, and resumes where the captured packets left off when it stops', () => {
    const r = rig();
    r.feed({ layer: 'session', type: 'source.status', source: 'wire', status: { available: true, running: true } });
    expect(r.inf.enabled).toBe(false);
    const cap = (src: string, flags: Seg['flags'], len = 0): EventInput => ({
      layer: 'wire', type: 'tcp.segment', conn: CONN, src, dst: src === C ? S : C, flags, seqNo: 1, ackNo: 1, win: 100, len,
      options: {}, inferred: false, bytes: '',
    });
    r.feed(cap(C, ['SYN']));
    r.feed(cap(S, ['SYN', 'ACK']));
    r.feed(cap(C, ['ACK']));
    r.feed(k(C, 'ESTABLISHED'));
    expect(r.segs()).toEqual([]);
    r.feed({ layer: 'session', type: 'source.status', source: 'wire', status: { available: true, running: false, reason: 'died' } });
    expect(r.inf.enabled).toBe(true);
    r.feed(k(S, 'CLOSE_WAIT'));
    expect(r.show()).toEqual(['C>S ACK+FIN', 'S>C ACK']); // no second handshake
  });

  it('counts a captured bundle’s bytes once, however often it is re-sent as it grows (I4)', () => {
    const r = rig();
    r.feed({ layer: 'session', type: 'source.status', source: 'wire', status: { available: true, running: true } });
    r.feed(k(C, 'ESTABLISHED'));
    const bundle = (bytes: number, open: boolean, id = 7, src = C): EventInput => ({
      layer: 'wire', type: 'tcp.bundle', conn: CONN, bundle: id, src, dst: src === C ? S : C, count: 4, bytes, firstSeq: 1, endSeq: 1 + bytes,
      flags: ['ACK', 'PSH'], retransmissions: 0, win: 100, wireTs: 1, wireEndTs: 2, open,
    });
    r.feed(bundle(1000, true));
    r.feed(bundle(3000, true));
    r.feed(bundle(3000, true)); // the newest state sent again adds nothing
    r.feed(bundle(5000, false));
    r.feed(bundle(0, false, 8, S)); // the receiver's ACKs
    expect(dirOf(r.inf.book.conn(CONN)!, C).delivered).toBe(5000);
    expect(dirOf(r.inf.book.conn(CONN)!, S).delivered).toBe(0);
  });

  it('forgets the old session when seq starts again', () => {
    const r = rig();
    r.feed(k(C, 'ESTABLISHED'));
    expect(r.segs()).toHaveLength(3);
    r.inf.observe(SessionEvent.parse({ v: 1, seq: 0, ts: 0, ...k(C, 'ESTABLISHED') }));
    expect(r.segs()).toHaveLength(6);
  });
});
