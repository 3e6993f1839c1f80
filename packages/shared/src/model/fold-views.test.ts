import { describe, expect, it } from 'vitest';
import type { EventInput, SessionEvent } from '../protocol/events.ts';
import { SessionEvent as SessionEventSchema } from '../protocol/events.ts';
import { fold, foldAll } from './fold.ts';
import { emptyModel, RECENT_DATA, windowsOf } from './model.ts';

/** What the views derived from events before the fold kept these facts: F16–F21 must give the same. */

function stream(inputs: EventInput[], startSeq = 0): SessionEvent[] {
  return inputs.map((input, i) => SessionEventSchema.parse({ v: 1, seq: startSeq + i, ts: (startSeq + i) * 10, ...input }));
}

const S = '127.0.0.1:8888';
const C = '127.0.0.1:51234';
const CONN = `${C}>${S}`;
const proc = { run: 'p1', pid: 4242, program: 'client.py' };
/** base64 of ASCII text (shared has no Buffer and no btoa in its types: it runs in the browser and in Node alike) */
function b64(ascii: string): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < ascii.length; i += 3) {
    const n = (ascii.charCodeAt(i) << 16) | ((ascii.charCodeAt(i + 1) || 0) << 8) | (ascii.charCodeAt(i + 2) || 0);
    out += abc[(n >> 18) & 63]! + abc[(n >> 12) & 63]! + (i + 1 < ascii.length ? abc[(n >> 6) & 63]! : '=') + (i + 2 < ascii.length ? abc[n & 63]! : '=');
  }
  return out;
}
const data = (text: string) => ({ len: text.length, b64: b64(text), truncated: false });

function seg(src: string, dst: string, flags: string[], seqNo: number | null, win: number | null, len = 0, extra: Partial<EventInput> = {}): EventInput {
  return { layer: 'wire', type: 'tcp.segment', src, dst, flags: flags as never, seqNo, ackNo: seqNo === null ? null : 1, win, len, options: {}, inferred: seqNo === null, bytes: '', ...extra } as EventInput;
}

const connected: EventInput[] = [
  { layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 5 }, durationUs: 5, proto: 'tcp', local: S },
  { layer: 'api', type: 'api.call', sock: 's2', call: 'connect', args: {}, durationUs: 80, proto: 'tcp', local: C, remote: S, conn: CONN },
  { layer: 'api', type: 'api.call', sock: 's1', call: 'accept', args: {}, durationUs: 3, newSock: 's3', local: S, remote: C, conn: CONN },
];

describe('fold: what the cards show comes from the model (F16–F21)', () => {
  it('F16: the last data-moving call per socket, traced calls as their BSD call, failures and other calls ignored', () => {
    const m = foldAll(emptyModel(), stream([
      ...connected,
      { layer: 'api', type: 'api.call', sock: 's2', call: 'send', args: {}, durationUs: 4, data: data('hello') },
      { layer: 'api', type: 'api.call', sock: 's3', call: 'recv', args: {}, durationUs: 4, data: data('hello') },
      { layer: 'api', type: 'api.call', sock: 's2', call: 'send', args: {}, durationUs: 4, error: { code: 'EPIPE', message: 'x' }, data: data('lost') },
      { layer: 'api', type: 'api.call', sock: 's2', call: 'setsockopt', args: {}, durationUs: 1 },
      { layer: 'api', type: 'api.call', sock: 'u1', call: 'sendto', args: {}, durationUs: 4, proto: 'udp', remote: '127.0.0.1:9998', data: data('ping') },
      { layer: 'api', type: 'api.call', sock: 'p1.s1', call: 'sendall', args: {}, durationUs: 4, proto: 'tcp', proc, data: data('hi') },
      { layer: 'api', type: 'api.call', sock: 'p1.s1', call: 'recv_into', args: {}, durationUs: 4, proc, data: data('') },
    ]));
    expect(m.sockets['s2']!.lastData).toEqual({ call: 'send', seq: 3, data: data('hello') });
    expect(m.sockets['s3']!.lastData).toEqual({ call: 'recv', seq: 4, data: data('hello') });
    expect(m.sockets['u1']!.lastData).toEqual({ call: 'sendto', seq: 7, data: data('ping'), peer: '127.0.0.1:9998' });
    // recv_into of 0 bytes is recv() returning b'' (the peer closed): that is data seen too, as recv
    expect(m.sockets['p1.s1']!.lastData).toMatchObject({ call: 'recv', seq: 9, data: { len: 0 } });
    expect(m.sockets['s1']!.lastData).toBeUndefined();
  });

  it(`F17: the last ${RECENT_DATA} chunks per socket, oldest first, sendto/recvfrom(_into) as send/recv`, () => {
    const sends = Array.from({ length: 12 }, (_, i): EventInput => (
      { layer: 'api', type: 'api.call', sock: 's2', call: i % 2 ? 'send' : 'sendall', args: {}, durationUs: 4, data: data(`m${i}`) }));
    const m = foldAll(emptyModel(), stream([
      ...connected, ...sends,
      { layer: 'api', type: 'api.call', sock: 'u1', call: 'recvfrom_into', args: {}, durationUs: 4, proto: 'udp', remote: C, data: data('dgram') },
      { layer: 'api', type: 'api.call', sock: 'u1', call: 'recvfrom', args: {}, durationUs: 4, error: { code: 'EAGAIN', message: 'x' } },
    ]));
    const chunks = m.sockets['s2']!.recentData!;
    expect(chunks).toHaveLength(RECENT_DATA);
    expect(chunks.map((c) => c.b64)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11'].map(b64));
    expect(chunks.every((c) => c.call === 'send')).toBe(true);
    expect(chunks[0]).toEqual({ seq: 3 + 4, call: 'send', len: 2, b64: b64('m4') });
    expect(m.sockets['u1']!.recentData).toEqual([{ seq: 15, call: 'recv', len: 5, b64: b64('dgram') }]);
    expect(m.sockets['s1']!.recentData).toBeUndefined();
  });

  it('F18: each side\'s last advertised window from captured segments and bundles; windowsOf reads them for either socket', () => {
    const m = foldAll(emptyModel(), stream([
      ...connected,
      seg(C, S, ['SYN'], 1000, 65495),
      seg(S, C, ['SYN', 'ACK'], 5000, 65483),
      seg(C, S, ['ACK'], 1001, 512),
      seg(C, S, ['PSH', 'ACK'], null, null, 5), // inferred: no window, keeps the last known
    ]));
    expect(windowsOf(m, m.sockets['s2']!)).toEqual({ advertised: 512, peerAdvertised: 65483 });
    expect(windowsOf(m, m.sockets['s3']!)).toEqual({ advertised: 65483, peerAdvertised: 512 });
    // a listener, and a socket the wire never showed, have none
    expect(windowsOf(m, m.sockets['s1']!)).toEqual({ advertised: null, peerAdvertised: null });
    foldAll(m, stream([{ layer: 'wire', type: 'tcp.bundle', conn: CONN, bundle: 1, src: S, dst: C, count: 3, bytes: 0, firstSeq: 5001, endSeq: 5001, flags: ['ACK'], retransmissions: 0, win: 0, wireTs: 1, wireEndTs: 2, open: true }], 7));
    expect(windowsOf(m, m.sockets['s2']!)).toEqual({ advertised: 512, peerAdvertised: 0 });
  });

  it('F18: a watched socket without a conn finds its connection by its endpoints', () => {
    const m = foldAll(emptyModel(), stream([
      { layer: 'kernel', type: 'kernel.tcp', local: S, remote: C, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 0 },
      seg(C, S, ['ACK'], 1, 300), seg(S, C, ['ACK'], 1, 700),
    ]));
    const watched = m.sockets[m.socketOrder[0]!]!;
    expect(watched.conn).toBeUndefined();
    expect(windowsOf(m, watched)).toEqual({ advertised: 700, peerAdvertised: 300 });
  });

  it('F19: the bind\'s SO_REUSEADDR account is kept on the socket; values of the wrong type are left out', () => {
    const report = {
      soReuseAddr: { requested: false, actual: true, setBy: 'libuv' },
      portHeldBy: { TIME_WAIT: 1, LISTEN: 0, BOGUS: 3, ESTABLISHED: 'two' },
      noteCode: 'REUSEADDR_FORCED_WOULD_FAIL', note: 'English for the CLI',
    };
    const m = foldAll(emptyModel(), stream([
      { layer: 'api', type: 'api.call', sock: 's1', call: 'bind', args: { host: '127.0.0.1', port: 8989 }, durationUs: 5, proto: 'tcp', local: '127.0.0.1:8989', result: report },
      { layer: 'api', type: 'api.call', sock: 'u1', call: 'bind', args: {}, durationUs: 5, proto: 'udp', local: '127.0.0.1:40000', result: { local: '127.0.0.1:40000', implicit: true, noteCode: 'LOOPBACK_IMPLICIT' } },
      { layer: 'api', type: 'api.call', sock: 'p1.s1', call: 'bind', args: { port: 12000 }, durationUs: 5, proto: 'tcp', proc, result: null },
      { layer: 'api', type: 'api.call', sock: 's9', call: 'bind', args: { port: 8989 }, durationUs: 5, proto: 'tcp', error: { code: 'EADDRINUSE', message: 'x' } },
      { layer: 'api', type: 'api.call', sock: 's8', call: 'bind', args: { port: 'http' }, durationUs: 5, proto: 'tcp', result: { soReuseAddr: { requested: 'yes' }, portHeldBy: [1], noteCode: 7 } },
    ]));
    expect(m.sockets['s1']!.bind).toEqual({ seq: 0, port: 8989, soReuseAddr: { requested: false, actual: true }, heldBy: { TIME_WAIT: 1 }, noteCode: 'REUSEADDR_FORCED_WOULD_FAIL' });
    expect(m.sockets['u1']!.bind).toEqual({ seq: 1, implicit: true, noteCode: 'LOOPBACK_IMPLICIT' });
    expect(m.sockets['p1.s1']!.bind).toEqual({ seq: 2, port: 12000 });
    expect(m.sockets['s9']!.bind).toBeUndefined();
    expect(m.sockets['s8']!.bind).toEqual({ seq: 4 });
    // kept for the socket's life, not only while the bind is among its recent calls
    const later = Array.from({ length: 20 }, (): EventInput => ({ layer: 'api', type: 'api.call', sock: 's1', call: 'setsockopt', args: {}, durationUs: 1 }));
    foldAll(m, stream(later, 5));
    expect(m.sockets['s1']!.bind?.noteCode).toBe('REUSEADDR_FORCED_WOULD_FAIL');
  });

  it('F21: SYN, SYN+ACK and the client\'s first bare ACK after it; data, later ACKs and the server\'s ACKs are not the third step', () => {
    const m = foldAll(emptyModel(), stream([
      seg(C, S, ['SYN'], 1000, 1),
      seg(S, C, ['SYN', 'ACK'], 5000, 1),
      seg(S, C, ['ACK'], 5001, 1), // the server's: not the client's third step
      seg(C, S, ['ACK'], 1001, 1),
      seg(C, S, ['ACK'], 1001, 1),
      seg(C, S, ['PSH', 'ACK'], 1001, 1, 5),
    ]));
    expect(m.conns[CONN]!.handshake).toEqual({ syn: 0, synAck: 1, ack: 3 });
    // a data segment is no bare ACK, and an RST before the ACK ends the handshake without a third step
    const C2 = '127.0.0.1:40000';
    const C3 = '127.0.0.1:40001';
    foldAll(m, stream([
      seg(C2, S, ['SYN'], 1, 1), seg(S, C2, ['SYN', 'ACK'], 1, 1), seg(C2, S, ['PSH', 'ACK'], 2, 1, 3),
      seg(C3, S, ['SYN'], 1, 1), seg(S, C3, ['SYN', 'ACK'], 1, 1), seg(C3, S, ['RST'], 2, 0), seg(C3, S, ['ACK'], 2, 1),
    ], 6));
    expect(m.conns[`${C2}>${S}`]!.handshake).toEqual({ syn: 6, synAck: 7 });
    expect(m.conns[`${C3}>${S}`]!.handshake).toEqual({ syn: 9, synAck: 10 });
  });

  it('F21: a new SYN on an ended connection starts its handshake over', () => {
    const m = foldAll(emptyModel(), stream([seg(C, S, ['SYN'], 1, 1), seg(S, C, ['RST', 'ACK'], 0, 0)]));
    expect(m.conns[CONN]!.handshake).toEqual({ syn: 0 });
    foldAll(m, stream([seg(C, S, ['SYN'], 7000, 1), seg(S, C, ['SYN', 'ACK'], 9000, 1), seg(C, S, ['ACK'], 7001, 1)], 2));
    expect(m.conns[CONN]!.handshake).toEqual({ syn: 2, synAck: 3, ack: 4 });
  });

  it('F13: a new lastData, chunk list or handshake never changes what an earlier snapshot holds', () => {
    const evs = stream([...connected, { layer: 'api', type: 'api.call', sock: 's2', call: 'send', args: {}, durationUs: 4, data: data('a') }]);
    const m = foldAll(emptyModel(), evs);
    const before = m.sockets['s2']!;
    const chunks = before.recentData!;
    fold(m, stream([{ layer: 'api', type: 'api.call', sock: 's2', call: 'send', args: {}, durationUs: 4, data: data('b') }], 4)[0]!);
    expect(chunks).toHaveLength(1);
    expect(before.lastData?.seq).toBe(3);
    expect(m.sockets['s2']!.recentData).toHaveLength(2);
  });
});
