import { describe, expect, it } from 'vitest';
import type { EventInput, SessionEvent } from '../protocol/events.ts';
import { SessionEvent as SessionEventSchema } from '../protocol/events.ts';
import { fold, foldAll } from './fold.ts';
import { cloneModel, emptyModel, shareModel } from './model.ts';
import { parseModel } from './model-schema.ts';

/** F22 (what changes the picture) and F23 (orders appended in place, orderVersion). */

function stream(inputs: EventInput[], startSeq = 0): SessionEvent[] {
  return inputs.map((input, i) => SessionEventSchema.parse({ v: 1, seq: startSeq + i, ts: (startSeq + i) * 10, ...input }));
}

const S = '127.0.0.1:8888';
const C = '127.0.0.1:51234';
const CONN = `${C}>${S}`;
const U = '127.0.0.1:9998';
const proc = { run: 'p1', pid: 7, program: 'echo.py' };

/** The page's rule before F22 (its timeline's changesPicture), as the oracle; tcp.bundle draws a ladder row. */
function oracle(): (e: SessionEvent) => boolean {
  const last = new Map<string, string>();
  return (e) => {
    switch (e.type) {
      case 'tcp.segment': case 'tcp.bundle': case 'udp.datagram': case 'api.call': case 'api.notice': return true;
      case 'kernel.tcp': {
        const key = e.sock ?? `${e.local}|${e.remote ?? ''}`;
        const state = e.gone ? 'gone' : e.state;
        const prev = last.get(key);
        last.set(key, state);
        return prev !== state;
      }
      case 'kernel.udp': {
        const key = `u${e.sock ?? e.local}`;
        const prev = last.get(key);
        const now = `${e.drops}|${e.gone ? 1 : 0}`;
        last.set(key, now);
        return prev !== now && (e.drops > 0 || e.gone === true);
      }
      default: return false;
    }
  };
}

const kt = (state: string, q: number, gone = false): EventInput => (
  { layer: 'kernel', type: 'kernel.tcp', sock: 's2', local: C, remote: S, state: state as never, sendQueue: q, recvQueue: 0, ...(gone ? { gone } : {}) });
const ku = (drops: number, q: number, gone = false): EventInput => (
  { layer: 'kernel', type: 'kernel.udp', sock: 'u1', local: U, sendQueue: 0, recvQueue: q, drops, ...(gone ? { gone } : {}) });

const mixed: EventInput[] = [
  { layer: 'session', type: 'source.status', source: 'wire', status: { available: true, running: true } },
  { layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 5 }, durationUs: 5, proto: 'tcp', local: S },
  { layer: 'kernel', type: 'kernel.tcp', sock: 's1', local: S, state: 'LISTEN', sendQueue: 0, recvQueue: 0, acceptQueue: 0, backlog: 5 },
  { layer: 'kernel', type: 'kernel.tcp', sock: 's1', local: S, state: 'LISTEN', sendQueue: 0, recvQueue: 0, acceptQueue: 1, backlog: 5 },
  kt('SYN_SENT', 0),
  { layer: 'wire', type: 'tcp.segment', src: C, dst: S, flags: ['SYN'], seqNo: 1, ackNo: 0, win: 100, len: 0, options: {}, inferred: false, bytes: '' },
  { layer: 'api', type: 'api.call', sock: 's2', call: 'connect', args: {}, durationUs: 80, proto: 'tcp', local: C, remote: S, conn: CONN },
  kt('ESTABLISHED', 0), kt('ESTABLISHED', 5), kt('ESTABLISHED', 0),
  { layer: 'session', type: 'scenario.step', scenario: 'tcp-echo', step: 'send', index: 2, status: 'done' },
  { layer: 'wire', type: 'tcp.bundle', conn: CONN, bundle: 1, src: C, dst: S, count: 2, bytes: 10, firstSeq: 2, endSeq: 12, flags: ['ACK'], retransmissions: 0, win: 100, wireTs: 1, wireEndTs: 2, open: true },
  { layer: 'session', type: 'proc.start', proc, file: 'echo.py', args: [], python: '3.11.7', step: true },
  { layer: 'api', type: 'api.begin', sock: 'p1.s1', call: 'recv', args: {}, proc, callId: 1 },
  { layer: 'session', type: 'proc.output', run: 'p1', stream: 'stdout', b64: 'aGkK', text: 'hi\n', encoding: 'utf-8' },
  ku(0, 0), ku(0, 10), ku(3, 0), ku(3, 20), ku(3, 0, true),
  { layer: 'wire', type: 'udp.datagram', src: C, dst: U, len: 4, inferred: true, bytes: '' },
  kt('FIN_WAIT1', 0), kt('FIN_WAIT1', 0, true), kt('FIN_WAIT1', 0, true),
  { layer: 'session', type: 'proc.exit', run: 'p1', code: 0, signal: null, reason: 'exited' },
];

describe('fold: what changes the picture (F22)', () => {
  it('bumps pictureVersion on exactly the events the page\'s rule called visible', () => {
    const changes = oracle();
    const m = emptyModel();
    const got: boolean[] = [];
    const want: boolean[] = [];
    for (const e of stream(mixed)) {
      const before = m.pictureVersion;
      fold(m, e);
      got.push(m.pictureVersion !== before);
      want.push(changes(e));
    }
    expect(got).toEqual(want);
    expect(want.filter(Boolean).length).toBeGreaterThan(5);
    expect(want.filter((v) => !v).length).toBeGreaterThan(5);
    expect(m.version).toBe(mixed.length);
  });

  it('an ignored event (F1) changes nothing, not even the picture', () => {
    const evs = stream(mixed.slice(0, 3));
    const m = foldAll(emptyModel(), evs);
    const v = m.pictureVersion;
    fold(m, evs[1]!);
    expect(m.pictureVersion).toBe(v);
  });
});

const sockets = (n: number, from = 0): EventInput[] => Array.from({ length: n }, (_, i): EventInput => (
  { layer: 'api', type: 'api.call', sock: `s${from + i}`, call: 'socket', args: {}, durationUs: 1, proto: 'tcp' }));

describe('fold: orders (F23)', () => {

  it('appends a new socket, connection and program in place, and says so with orderVersion', () => {
    const m = foldAll(emptyModel(), stream(sockets(3)));
    const order = m.socketOrder;
    expect(m.orderVersion).toBe(3);
    foldAll(m, stream([
      ...sockets(2, 3),
      { layer: 'api', type: 'api.call', sock: 's0', call: 'setsockopt', args: {}, durationUs: 1 }, // not new: no change
      { layer: 'wire', type: 'udp.datagram', src: C, dst: U, len: 4, inferred: true, bytes: '' },
      { layer: 'wire', type: 'udp.datagram', src: U, dst: C, len: 4, inferred: true, bytes: '' }, // the same flow
      { layer: 'session', type: 'proc.start', proc, file: 'echo.py', args: [], python: '3.11.7', step: false },
    ], 3));
    expect(m.socketOrder).toBe(order);
    expect(order).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(m.connOrder).toEqual([`${C}>${U}`]);
    expect(m.procOrder).toEqual(['p1']);
    expect(m.orderVersion).toBe(3 + 2 + 1 + 1);
  });

  it('F5: the kernel\'s waiting connection leaving the model for its accepted socket changes the order too', () => {
    const m = foldAll(emptyModel(), stream([
      { layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 1 }, durationUs: 3, proto: 'tcp', local: S },
      { layer: 'kernel', type: 'kernel.tcp', local: S, remote: C, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 5 },
      { layer: 'api', type: 'api.call', sock: 's1', call: 'accept', args: {}, durationUs: 3, newSock: 's2', local: S, remote: C, conn: CONN },
    ]));
    expect(m.socketOrder).toEqual(['s1', 's2']);
    // s1, the waiting one, its removal, s2, and the connection accept() made
    expect(m.orderVersion).toBe(5);
    expect(parseModel(JSON.parse(JSON.stringify(m))).ok).toBe(true);
  });

  it('shareModel and cloneModel snapshots keep their own orders: folding on either side leaves the other alone', () => {
    const evs = stream(sockets(40));
    const head = foldAll(emptyModel(), evs.slice(0, 20));
    const shared = shareModel(head);
    const deep = cloneModel(head);
    foldAll(head, evs.slice(20));
    expect(shared.socketOrder).toHaveLength(20);
    expect(deep.socketOrder).toHaveLength(20);
    expect(shared.orderVersion).toBe(20);
    // and the other way round: resuming from the snapshot does not reach the head it was taken from
    const resumed = shareModel(shared);
    foldAll(resumed, stream(sockets(5, 100), 20));
    expect(shared.socketOrder).toHaveLength(20);
    expect(head.socketOrder).toHaveLength(40);
    expect(resumed.socketOrder.slice(20)).toEqual(['s100', 's101', 's102', 's103', 's104']);
  });

  it('ids from a crafted file reach no prototype: "__proto__" and "constructor" are sockets like any other', () => {
    const m = foldAll(emptyModel(), stream([
      { layer: 'api', type: 'api.call', sock: '__proto__', call: 'socket', args: {}, durationUs: 1, proto: 'udp' },
      { layer: 'api', type: 'api.call', sock: 'constructor', call: 'socket', args: {}, durationUs: 1, proto: 'tcp' },
      { layer: 'api', type: 'api.call', sock: 'constructor', call: 'close', args: {}, durationUs: 1 },
      { layer: 'wire', type: 'udp.datagram', src: '__proto__', dst: U, len: 1, inferred: true, bytes: '' },
    ]));
    expect(m.socketOrder).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(m.sockets)).toBe(Object.prototype);
    expect(Object.hasOwn(m.sockets, '__proto__')).toBe(true);
    expect(m.sockets['constructor']).toMatchObject({ proto: 'tcp', apiState: 'closed' });
    // a recording's base holding such an id is refused with a reason (the schema's records drop "__proto__"), never half-read
    const r = parseModel(JSON.parse(JSON.stringify(shareModel(m))));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/__proto__/);
    const plain = foldAll(emptyModel(), stream([{ layer: 'api', type: 'api.call', sock: 'constructor', call: 'socket', args: {}, durationUs: 1, proto: 'tcp' }]));
    expect(parseModel(JSON.parse(JSON.stringify(plain))).ok).toBe(true);
  });
});
