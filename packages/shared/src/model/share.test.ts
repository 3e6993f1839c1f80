import { describe, expect, it } from 'vitest';
import type { EventInput, SessionEvent } from '../protocol/events.ts';
import { SessionEvent as SessionEventSchema } from '../protocol/events.ts';
import { fold, foldAll } from './fold.ts';
import { cloneModel, emptyModel, shareModel } from './model.ts';

const S = '127.0.0.1:8888';

/** A listener and `n` connections, each connect → accept → send → recv → kernel states → segments → close. */
function session(n: number): SessionEvent[] {
  const inputs: EventInput[] = [
    { layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 5 }, durationUs: 5, proto: 'tcp', local: S },
    { layer: 'session', type: 'source.status', source: 'wire', status: { available: true, running: true } },
  ];
  for (let i = 0; i < n; i++) {
    const c = `127.0.0.1:${40000 + i}`;
    const conn = `${c}>${S}`;
    const cs = `s${2 * i + 2}`;
    const as = `s${2 * i + 3}`;
    inputs.push(
      { layer: 'api', type: 'api.call', sock: cs, call: 'connect', args: {}, durationUs: 9, proto: 'tcp', local: c, remote: S, conn },
      { layer: 'api', type: 'api.notice', sock: 's1', what: 'incoming', local: S, remote: c, conn },
      { layer: 'api', type: 'api.call', sock: 's1', call: 'accept', args: {}, durationUs: 3, newSock: as, local: S, remote: c, conn },
      { layer: 'wire', type: 'tcp.segment', conn, src: c, dst: S, flags: ['SYN'], seqNo: 100 + i, ackNo: 0, win: 65483, len: 0, options: {}, inferred: false, bytes: '' },
      { layer: 'api', type: 'api.call', sock: cs, call: 'send', args: {}, durationUs: 2, data: { len: 5, b64: 'aGVsbG8=', truncated: false } },
      { layer: 'kernel', type: 'kernel.tcp', sock: as, local: S, remote: c, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 5 },
      { layer: 'api', type: 'api.call', sock: as, call: 'recv', args: {}, durationUs: 2, data: { len: 5, b64: 'aGVsbG8=', truncated: false } },
      { layer: 'kernel', type: 'kernel.tcp', sock: cs, local: c, remote: S, state: 'TIME_WAIT', sendQueue: 0, recvQueue: 0 },
      { layer: 'api', type: 'api.call', sock: cs, call: 'close', args: {}, durationUs: 2 },
      { layer: 'session', type: 'scenario.step', scenario: 'x', step: `s${i}`, index: i, status: 'done' },
    );
  }
  return inputs.map((input, i) => SessionEventSchema.parse({ v: 1, seq: i, ts: i * 10, ...input }));
}

describe('shareModel', () => {
  it('is a snapshot later folds cannot change, with the same JSON as a deep copy', () => {
    const events = session(40);
    const head = foldAll(emptyModel(), events.slice(0, 150));
    const shared = shareModel(head);
    const deep = cloneModel(head);
    expect(JSON.stringify(shared)).toBe(JSON.stringify(deep));
    // folding on the head does not reach the snapshot
    foldAll(head, events.slice(150));
    expect(JSON.stringify(shared)).toBe(JSON.stringify(deep));
    expect(head.socketOrder.length).toBeGreaterThan(shared.socketOrder.length);
  });

  it('folding on the copy gives what folding from zero gives, and leaves the original alone', () => {
    const events = session(40);
    const snap = foldAll(emptyModel(), events.slice(0, 100));
    const before = JSON.stringify(snap);
    const resumed = shareModel(snap);
    for (const e of events.slice(100)) fold(resumed, e);
    expect(JSON.stringify(resumed)).toBe(JSON.stringify(foldAll(emptyModel(), events)));
    expect(JSON.stringify(snap)).toBe(before);
  });
});
