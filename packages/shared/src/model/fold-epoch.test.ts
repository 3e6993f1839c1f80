import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventInput, SessionEvent } from '../protocol/events.ts';
import { SessionEvent as SessionEventSchema } from '../protocol/events.ts';
import { fold, foldAll } from './fold.ts';
import { cloneModel, emptyModel, shareModel, type Model } from './model.ts';

/**
 * F13: entities are copied on write per epoch. Within an epoch fold changes in place what it made; a
 * snapshot (shareModel, cloneModel) never changes when either side folds on, and after a shareModel the
 * next change to an entity gives a new object — what the page's session worker relies on to find what
 * changed by identity (apps/web/src/session/core.ts, modelPatch).
 */

const S = '127.0.0.1:8888';
const U = '127.0.0.1:9998';
const client = (i: number) => `127.0.0.1:${40000 + i}`;
const connOf = (i: number) => `${client(i)}>${S}`;
const B64 = 'aGVsbG8=';
const proc = { run: 'p1', pid: 4242, program: 'client.py' };
/** as a worker's postMessage copies: present in browsers and Node alike (this package's lib names neither) */
const structuredClone = (globalThis as unknown as { structuredClone: <T>(v: T) => T }).structuredClone;

function stream(inputs: EventInput[], startSeq = 0): SessionEvent[] {
  return inputs.map((input, i) => SessionEventSchema.parse({ v: 1, seq: startSeq + i, ts: (startSeq + i) * 10, ...input }));
}

/** One of a few kinds of event on a few sockets and connections: every kind of entity and small list is touched. */
type Action = [kind: number, who: number, n: number];
function eventOf([kind, who, n]: Action): EventInput {
  const cs = `s${10 + who}`;
  const as = `s${20 + who}`;
  const conn = connOf(who);
  const seg = (src: string, dst: string, flags: ('SYN' | 'ACK' | 'FIN' | 'PSH' | 'RST')[], len = 0): EventInput => (
    { layer: 'wire', type: 'tcp.segment', conn, src, dst, flags, seqNo: n, ackNo: 1, win: 1000 + n, len, options: {}, inferred: n % 5 === 0, bytes: '' });
  switch (kind) {
    case 0: return { layer: 'api', type: 'api.call', sock: cs, call: 'connect', args: {}, durationUs: 9, proto: 'tcp', local: client(who), remote: S, conn };
    case 1: return { layer: 'api', type: 'api.notice', sock: 's1', what: 'incoming', local: S, remote: client(who), conn };
    case 2: return { layer: 'api', type: 'api.call', sock: 's1', call: 'accept', args: {}, durationUs: 3, newSock: as, local: S, remote: client(who), conn };
    case 3: return { layer: 'api', type: 'api.call', sock: n % 2 ? cs : as, call: n % 3 ? 'send' : 'recv', args: {}, durationUs: 2, data: { len: n % 7, b64: B64, truncated: false } };
    case 4: return { layer: 'kernel', type: 'kernel.tcp', sock: n % 2 ? cs : as, local: n % 2 ? client(who) : S, remote: n % 2 ? S : client(who), state: (['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT1', 'TIME_WAIT'] as const)[n % 4]!, sendQueue: n, recvQueue: n % 3, ...(n % 11 === 0 ? { gone: true } : {}) };
    case 5: return seg(client(who), S, n % 4 === 0 ? ['SYN'] : ['PSH', 'ACK'], n % 4 === 0 ? 0 : 5);
    case 6: return seg(S, client(who), n % 4 === 0 ? ['SYN', 'ACK'] : n % 9 === 0 ? ['RST'] : ['ACK']);
    case 7: return {
      layer: 'wire', type: 'tcp.bundle', conn, bundle: n % 6, src: client(who), dst: S, count: 2 + (n % 5), bytes: 100 * n, firstSeq: 1, endSeq: 2,
      flags: ['ACK', 'PSH'], retransmissions: n % 2, win: 500 + n, wireTs: 1, wireEndTs: 2, open: true,
    };
    case 8: return { layer: 'wire', type: 'udp.datagram', src: n % 2 ? client(who) : U, dst: n % 2 ? U : client(who), len: n, inferred: false, bytes: '' };
    case 9: return { layer: 'kernel', type: 'kernel.udp', sock: 'u1', local: U, sendQueue: 0, recvQueue: n, drops: n % 3 };
    case 10: return { layer: 'session', type: 'proc.output', run: 'p1', stream: (['stdout', 'stderr', 'stdin'] as const)[n % 3]!, b64: '', text: `line ${n}\n`, encoding: 'utf-8' };
    // a connection the kernel shows waiting for accept(), no program's socket yet (F5: accept() adopts it)
    case 13: return { layer: 'kernel', type: 'kernel.tcp', local: S, remote: client(who), state: n % 2 ? 'SYN_RECV' : 'ESTABLISHED', sendQueue: 0, recvQueue: n };
    case 11: return { layer: 'api', type: 'api.begin', sock: cs, call: 'send', args: {}, proc, callId: n, src: { file: 'client.py', line: n }, ...(n % 2 ? { paused: true } : {}) };
    default: return { layer: 'api', type: 'api.call', sock: cs, call: 'send', args: {}, durationUs: 1, proc, callId: n, src: { file: 'client.py', line: n }, data: { len: 1, b64: B64, truncated: false } };
  }
}

const prelude: EventInput[] = [
  { layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 5 }, durationUs: 5, proto: 'tcp', local: S },
  { layer: 'session', type: 'proc.start', proc, file: 'client.py', args: [], python: '3.11.7', step: false },
];
const action = fc.tuple(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 60 }));

type Entities = Record<string, object>;
const records = (m: Model): [string, Entities][] => [['sockets', m.sockets], ['conns', m.conns], ['procs', m.procs]];
const LISTS = ['recentCalls', 'recentData', 'stateHistory', 'outputPieces', 'bundles'] as const;

/**
 * Every entity and small list of `snap` compared with `now`'s: the same object exactly when it is the same
 * JSON (each change is a new object, what did not change keeps its identity). Returns how many changed.
 */
function expectChangedByIdentity(snap: Model, snapJson: Model, now: Model): number {
  let changed = 0;
  for (const [name, rec] of records(now)) {
    const before = records(snap).find(([n]) => n === name)![1];
    const beforeJson = records(snapJson).find(([n]) => n === name)![1];
    for (const id of Object.keys(rec)) {
      if (!Object.hasOwn(before, id)) continue;
      const a = before[id] as Record<string, unknown>;
      const b = rec[id] as Record<string, unknown>;
      const same = JSON.stringify(beforeJson[id]) === JSON.stringify(b);
      expect(a === b, `${name}.${id}: the same object exactly when unchanged`).toBe(same);
      if (!same) changed++;
      for (const l of LISTS) {
        if (a[l] === undefined || b[l] === undefined) continue;
        const sameList = JSON.stringify((beforeJson[id] as Record<string, unknown>)[l]) === JSON.stringify(b[l]);
        if (!sameList) expect(a[l], `${name}.${id}.${l} changed: a new list`).not.toBe(b[l]);
      }
    }
  }
  return changed;
}

describe('fold: copy on write per epoch (F13)', () => {
  it('changes in place what it made in this epoch; after shareModel the next change is a new object and the snapshot keeps the old', () => {
    const evs = stream([...prelude, ...[[0, 0, 1], [1, 0, 1], [2, 0, 1], [5, 0, 0], [3, 0, 1], [10, 0, 1]].map((a) => eventOf(a as Action))]);
    const m = emptyModel();
    for (const e of evs) fold(m, e);
    const s10 = m.sockets['s10']!;
    const calls = s10.recentCalls;
    const conn = m.conns[connOf(0)]!;
    const p1 = m.procs['p1']!;
    const more = stream([[3, 0, 3], [5, 0, 1], [10, 0, 2]].map((a) => eventOf(a as Action)), evs.length);
    fold(m, more[0]!);
    fold(m, more[1]!);
    fold(m, more[2]!);
    // the same epoch: changed in place
    expect(m.sockets['s10']).toBe(s10);
    expect(m.sockets['s10']!.recentCalls).toBe(calls);
    expect(m.conns[connOf(0)]).toBe(conn);
    expect(m.procs['p1']).toBe(p1);

    const snap = shareModel(m);
    const json = JSON.stringify(snap);
    const after = stream([[3, 0, 5], [5, 0, 2], [10, 0, 3]].map((a) => eventOf(a as Action)), evs.length + more.length);
    foldAll(m, after);
    expect(m.sockets['s10']).not.toBe(s10);
    expect(m.sockets['s10']!.recentCalls).not.toBe(calls);
    expect(m.conns[connOf(0)]).not.toBe(conn);
    expect(m.procs['p1']).not.toBe(p1);
    expect(m.sockets['s1']).toBe(snap.sockets['s1']);
    expect(JSON.stringify(snap)).toBe(json);
    // and the snapshot folded on leaves the head alone
    const headJson = JSON.stringify(m);
    foldAll(snap, after);
    expect(JSON.stringify(m)).toBe(headJson);
    expect(JSON.stringify(snap)).toBe(headJson);
  });

  it('at any share points, on any events: neither copy reaches the other, changes are new objects, and the result is the plain fold\'s', () => {
    fc.assert(fc.property(fc.array(action, { minLength: 1, maxLength: 120 }), fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 6 }), (actions, points) => {
      const evs = stream([...prelude, ...actions.map(eventOf)]);
      const plain = foldAll(emptyModel(), evs);
      const head = emptyModel();
      const at = new Set(points.map((p) => p % evs.length));
      let last: { snap: Model; json: Model; text: string } | null = null;
      for (let i = 0; i < evs.length; i++) {
        fold(head, evs[i]!);
        if (!at.has(i)) continue;
        if (last) {
          expect(JSON.stringify(last.snap)).toBe(last.text);
          expectChangedByIdentity(last.snap, last.json, head);
          // the snapshot folded on to here gives the head, and leaves it alone
          const headText = JSON.stringify(head);
          const resumed = shareModel(last.snap);
          for (let k = last.snap.lastSeq + 1; k <= i; k++) fold(resumed, evs[k]!);
          expect(JSON.stringify(resumed)).toBe(headText);
          expect(JSON.stringify(head)).toBe(headText);
          expect(JSON.stringify(last.snap)).toBe(last.text);
        }
        const snap = shareModel(head);
        const text = JSON.stringify(snap);
        last = { snap, json: JSON.parse(text) as Model, text };
      }
      if (last) {
        expect(JSON.stringify(last.snap)).toBe(last.text);
        expectChangedByIdentity(last.snap, last.json, head);
      }
      expect(JSON.stringify(head)).toBe(JSON.stringify(plain));
    }), { numRuns: 150 });
  });

  it('F5 after a snapshot: the accepted socket takes a copy of the waiting connection\'s history, so the snapshot\'s stays', () => {
    const evs = stream([...prelude, ...[[13, 3, 1], [2, 3, 1], [4, 3, 2]].map((a) => eventOf(a as Action))]);
    const m = emptyModel();
    fold(m, evs[0]!);
    fold(m, evs[1]!);
    fold(m, evs[2]!);
    const waiting = `w:${S}|${client(3)}`;
    const snap = shareModel(m);
    const text = JSON.stringify(snap);
    fold(m, evs[3]!);
    expect(m.sockets[waiting]).toBeUndefined();
    expect(m.sockets['s23']!.stateHistory.map((h) => h.to)).toEqual(['SYN_RECV']);
    fold(m, evs[4]!);
    expect(m.sockets['s23']!.stateHistory.map((h) => h.to)).toEqual(['SYN_RECV', 'FIN_WAIT1']);
    expect(JSON.stringify(snap)).toBe(text);
    expect(snap.sockets[waiting]!.stateHistory).toHaveLength(1);
  });

  it('the mark is invisible: JSON, structuredClone, Object.keys and equality see none, and a clone folds on its own', () => {
    const evs = stream([...prelude, ...[[0, 1, 1], [1, 1, 1], [2, 1, 1], [3, 1, 1], [4, 1, 1], [7, 1, 2], [10, 1, 1]].map((a) => eventOf(a as Action))]);
    const m = emptyModel();
    for (const e of evs.slice(0, -2)) fold(m, e);
    const s = m.sockets['s11']!;
    expect(Object.keys(s)).toEqual(Object.keys(JSON.parse(JSON.stringify(s)) as object));
    expect({ ...s }).toEqual(s);
    const clone = structuredClone(m);
    const deep = cloneModel(m);
    const text = JSON.stringify(m);
    foldAll(clone, evs.slice(-2));
    foldAll(deep, evs.slice(-2));
    expect(JSON.stringify(m)).toBe(text);
    expect(clone).toEqual(deep);
    for (const e of evs.slice(-2)) fold(m, e);
    expect(m).toEqual(clone);
  });

  it('foldAll ends the epoch: what its caller read stays as it was when the model folds on', () => {
    const evs = stream([...prelude, ...[[0, 2, 1], [3, 2, 1], [3, 2, 3]].map((a) => eventOf(a as Action))]);
    const m = foldAll(emptyModel(), evs.slice(0, -1));
    const s = m.sockets['s12']!;
    const text = JSON.stringify(s);
    fold(m, evs.at(-1)!);
    expect(JSON.stringify(s)).toBe(text);
    expect(m.sockets['s12']).not.toBe(s);
  });
});
