import { describe, expect, it } from 'vitest';
import { emptyModel, foldAll, type EventInput, type SessionEvent } from '@socketscope/shared';
import { DEFAULT_RING_BYTES, eventBytes, InvalidEventError, MIN_EVENT_BYTES, RING_FLOOR_BYTES, Session } from '../src/session/session.ts';

function call(i: number): EventInput {
  return { layer: 'api', type: 'api.call', sock: 's1', call: 'send', args: { i }, durationUs: 1, proto: 'tcp', data: { len: 1, b64: 'YQ==', truncated: false } };
}

describe('Session.emit', () => {
  it('stamps v:1, seq strictly increasing from 0 and a monotonic ts', () => {
    const s = new Session();
    const got = Array.from({ length: 1000 }, (_, i) => s.emit(call(i)));
    got.forEach((e, i) => {
      expect(e.v).toBe(1);
      expect(e.seq).toBe(i);
      if (i > 0) expect(e.ts).toBeGreaterThanOrEqual(got[i - 1]!.ts);
    });
    expect(s.lastSeq).toBe(999);
  });

  it('keeps a ts the producer gave (a capture timestamp)', () => {
    const s = new Session();
    expect(s.emit({ ...call(0), ts: 42.5 }).ts).toBe(42.5);
  });

  it('rejects an event that fails the shared schema and does not consume a seq', () => {
    const s = new Session({ onInvalid: 'throw' });
    expect(() => s.emit({ layer: 'api', type: 'api.call', call: 'fly' } as unknown as EventInput)).toThrow(InvalidEventError);
    expect(s.emit(call(0)).seq).toBe(0);
  });

  it('folds every event into the running model', () => {
    const s = new Session();
    for (let i = 0; i < 5; i++) s.emit(call(i));
    expect(s.current().sockets['s1']!.bytesSent).toBe(5);
    expect(s.current().lastSeq).toBe(4);
  });

  it('notifies subscribers in seq order even when a subscriber emits', () => {
    const s = new Session();
    const seenA: number[] = [];
    const seenB: number[] = [];
    s.subscribe((e) => {
      seenA.push(e.seq);
      if (e.type === 'api.call' && e.call === 'send') s.emit({ layer: 'session', type: 'scenario.step', scenario: 'x', step: 'y', index: 0, status: 'start' });
    });
    s.subscribe((e) => seenB.push(e.seq));
    s.emit(call(0));
    s.emit(call(1));
    expect(seenA).toEqual([0, 1, 2, 3]);
    expect(seenB).toEqual([0, 1, 2, 3]);
  });

  it('stops notifying after unsubscribe and survives a throwing subscriber', () => {
    const logged: string[] = [];
    const s = new Session({ log: (l) => logged.push(l) });
    const seen: number[] = [];
    s.subscribe(() => { throw new Error('boom'); });
    const off = s.subscribe((e) => seen.push(e.seq));
    s.emit(call(0));
    off();
    s.emit(call(1));
    expect(seen).toEqual([0]);
    expect(s.lastSeq).toBe(1);
    expect(logged.length).toBe(2);
    expect(logged[0]).toContain('boom');
  });
});

describe('Session.reset', () => {
  it('drops a late kernel or wire event about a socket the last session made, and keeps everything else', () => {
    const s = new Session({ log: () => {} });
    s.emit({ layer: 'api', type: 'api.call', sock: 's5', call: 'listen', args: {}, durationUs: 1, proto: 'tcp', local: '127.0.0.1:4000' });
    s.reset();
    const seen: string[] = [];
    s.subscribe((e) => seen.push(`${e.type}:${e.sock ?? ''}`));
    // the old listener's CLOSE, heard after the reset: not the new session's
    s.emit({ layer: 'kernel', type: 'kernel.tcp', sock: 's5', local: '127.0.0.1:4000', state: 'CLOSE', sendQueue: 0, recvQueue: 0 });
    // the new session's own socket, and a watched one, go on as ever
    s.emit({ layer: 'api', type: 'api.call', sock: 's6', call: 'listen', args: {}, durationUs: 1, proto: 'tcp', local: '127.0.0.1:4000' });
    s.emit({ layer: 'kernel', type: 'kernel.tcp', sock: 's6', local: '127.0.0.1:4000', state: 'LISTEN', sendQueue: 0, recvQueue: 0 });
    expect(seen).toEqual(['api.call:s6', 'kernel.tcp:s6']);
    expect(s.current().socketOrder).toEqual(['s6']);
    expect(s.lateDropped).toBe(1);
  });
});

describe('Session recorder', () => {
  it('validates its events in tests (so a producer that drifts from the schema fails them)', () => {
    expect(new Session().validate).toBe(true);
  });

  it('is bounded by bytes by default: DEFAULT_RING_BYTES of estimated event sizes, counted at most by the smallest event', () => {
    const s = new Session();
    expect(s.ringBytes).toBe(DEFAULT_RING_BYTES);
    expect(s.ringSize).toBe(Math.ceil(DEFAULT_RING_BYTES / MIN_EVENT_BYTES));
  });

  it('with a byte budget keeps the newest events that fit it, fewer when they are bigger, and a snapshot joins onto them', () => {
    const small = call(0);
    const big = { ...call(0), data: { len: 256, b64: 'YWFh'.repeat(86), truncated: true } } as EventInput;
    const one = eventBytes({ ...small, v: 1, seq: 0, ts: 0 } as SessionEvent);
    const oneBig = eventBytes({ ...big, v: 1, seq: 0, ts: 0 } as SessionEvent);
    expect(oneBig).toBeGreaterThan(one + 300);
    const s = new Session({ ringBytes: 100 * one });
    const all: SessionEvent[] = [];
    for (let i = 0; i < 1000; i++) all.push(s.emit(call(i)));
    expect(s.lastSeq - s.firstHeldSeq + 1).toBe(100);
    for (let i = 0; i < 1000; i++) all.push(s.emit(big));
    expect(s.lastSeq - s.firstHeldSeq + 1).toBe(Math.floor((100 * one) / oneBig));
    const b = s.backlog(10);
    expect(b.snapshot!.atSeq).toBeGreaterThanOrEqual(s.firstHeldSeq - 1);
    const resumed = foldAll(structuredClone(b.snapshot!.model), s.range(b.nextSeq));
    expect(resumed.sockets).toEqual(foldAll(emptyModel(), all).sockets);
  });

  it('the heap guard shrinks the byte budget (never below the floor) instead of letting the heap run out', () => {
    const logged: string[] = [];
    // a threshold any heap passes: the guard acts at its first look (every 1,024 events)
    const s = new Session({ ringBytes: 64 * 2 ** 20, heapGuard: 1e-9, log: (l) => logged.push(l) });
    for (let i = 0; i < 2100; i++) s.emit(call(i));
    expect(logged.filter((l) => l.startsWith('memory:')).length).toBeGreaterThanOrEqual(1);
    expect(logged.at(-1)).toContain(`keeps ${RING_FLOOR_BYTES / 2 ** 20} MB`);
    // the events it held fitted the floor: none was lost, and recording goes on
    expect(s.firstHeldSeq).toBe(0);
    expect(s.lastSeq).toBe(2099);
  });

  it('keeps at most ringSize events, the newest ones', () => {
    const s = new Session({ ringSize: 100 });
    for (let i = 0; i < 350; i++) s.emit(call(i));
    expect(s.firstHeldSeq).toBe(250);
    expect(s.range(0).map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 250 + i));
    expect(s.get(249)).toBeUndefined();
  });

  it('a client resuming from a seq inside the ring gets exactly the missing events', () => {
    const s = new Session({ ringSize: 100 });
    for (let i = 0; i < 150; i++) s.emit(call(i));
    const b = s.backlog(120);
    expect(b.snapshot).toBeUndefined();
    expect(b.gap).toBeUndefined();
    expect(s.range(b.nextSeq).map((e) => e.seq)).toEqual(Array.from({ length: 29 }, (_, i) => 121 + i));
    expect(s.backlog(149).nextSeq).toBe(150);
    expect(new Session().backlog(null).nextSeq).toBe(0);
  });

  it('a client whose resume point fell out of the ring gets snapshot + gap + the rest, and ends with the live model', () => {
    const s = new Session({ ringSize: 100, snapshotEvery: 30 });
    const all: SessionEvent[] = [];
    for (let i = 0; i < 1000; i++) all.push(s.emit(call(i)));
    const b = s.backlog(10);
    expect(b.snapshot).toBeDefined();
    expect(b.gap!.from).toBe(11);
    expect(b.gap!.to).toBe(b.snapshot!.atSeq);
    expect(b.snapshot!.atSeq).toBeGreaterThanOrEqual(s.firstHeldSeq - 1);
    expect(b.nextSeq).toBe(b.snapshot!.atSeq + 1);
    const rest = s.range(b.nextSeq);
    expect(rest[0]!.seq).toBe(b.nextSeq);
    expect(rest.at(-1)!.seq).toBe(999);
    // snapshot + rest folds to the same model as every event folded from the start
    const resumed = foldAll(structuredClone(b.snapshot!.model), rest);
    const full = foldAll(emptyModel(), all);
    expect(resumed.sockets).toEqual(full.sockets);
    expect(resumed.lastSeq).toBe(full.lastSeq);
  });

  it('a snapshot is not changed by later events', () => {
    const s = new Session({ ringSize: 10, snapshotEvery: 5 });
    for (let i = 0; i < 40; i++) s.emit(call(i));
    const b = s.backlog(-1);
    const before = b.snapshot!.model.sockets['s1']!.bytesSent;
    for (let i = 0; i < 5; i++) s.emit(call(i));
    expect(b.snapshot!.model.sockets['s1']!.bytesSent).toBe(before);
  });

  it('reset starts a new session: new id, seq from 0, empty model, empty ring', () => {
    const s = new Session();
    for (let i = 0; i < 5; i++) s.emit(call(i));
    const id = s.id;
    let resets = 0;
    s.onReset(() => resets++);
    s.reset();
    expect(s.id).not.toBe(id);
    expect(resets).toBe(1);
    expect(s.lastSeq).toBe(-1);
    expect(s.range(0)).toEqual([]);
    expect(s.current().events).toBe(0);
    expect(s.emit(call(0)).seq).toBe(0);
    expect(s.nowUs()).toBeLessThan(10_000_000);
  });
});
