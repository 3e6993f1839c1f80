import { describe, expect, it } from 'vitest';
import type { EventInput, SessionEvent } from '../protocol/events.ts';
import { SessionEvent as SessionEventSchema } from '../protocol/events.ts';
import { fold, foldAll } from './fold.ts';
import { cloneModel, emptyModel } from './model.ts';

/** Builds schema-valid events with consecutive seq numbers, as a session would. */
function stream(inputs: EventInput[], startSeq = 0): SessionEvent[] {
  return inputs.map((input, i) => SessionEventSchema.parse({ v: 1, seq: startSeq + i, ts: (startSeq + i) * 10, ...input }));
}

const S = '127.0.0.1:8888';
const C = '127.0.0.1:51234';
const CONN = `${C}>${S}`;

function seg(src: string, dst: string, flags: string[], seqNo: number, ackNo: number, len = 0): EventInput {
  return { layer: 'wire', type: 'tcp.segment', src, dst, flags: flags as never, seqNo, ackNo, win: 65483, len, options: {}, inferred: false, bytes: '' };
}

/** an inferred segment: no sequence numbers (DESIGN: no invented seq numbers) */
function rst(src: string, dst: string, flags: string[], len = 0): EventInput {
  return { layer: 'wire', type: 'tcp.segment', src, dst, flags: flags as never, seqNo: null, ackNo: null, win: null, len, options: {}, inferred: true, bytes: '' };
}

const handshake: EventInput[] = [
  { layer: 'api', type: 'api.call', sock: 's1', call: 'socket', args: { proto: 'tcp' }, durationUs: 5, proto: 'tcp' },
  { layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 5 }, durationUs: 5, local: S },
  { layer: 'api', type: 'api.call', sock: 's2', call: 'connect', args: { host: '127.0.0.1', port: 8888 }, durationUs: 80, proto: 'tcp', local: C, remote: S, conn: CONN },
  { layer: 'api', type: 'api.notice', sock: 's1', what: 'incoming', local: S, remote: C },
  { layer: 'api', type: 'api.call', sock: 's1', call: 'accept', args: {}, durationUs: 3, newSock: 's3', local: S, remote: C, conn: CONN },
];

describe('fold', () => {
  it('F1: ignores an event whose seq is not above lastSeq, and counts a jump as missing events', () => {
    const [a, b] = stream(handshake.slice(0, 2));
    const m = fold(fold(emptyModel(), a!), b!);
    const versionBefore = m.version;
    fold(m, a!);
    expect(m.version).toBe(versionBefore);
    expect(m.events).toBe(2);
    const [late] = stream([handshake[2]!], 10);
    fold(m, late!);
    expect(m.missing).toBe(8);
  });

  it('F3/F4/F5/F6: listener, client and accepted socket with their connection', () => {
    const m = foldAll(emptyModel(), stream(handshake));
    expect(m.sockets['s1']).toMatchObject({ role: 'listener', apiState: 'listening', local: S, backlog: 5, pendingAccept: 0 });
    expect(m.sockets['s2']).toMatchObject({ role: 'client', apiState: 'connected', local: C, remote: S, conn: CONN });
    expect(m.sockets['s3']).toMatchObject({ role: 'accepted', parent: 's1', local: S, remote: C, conn: CONN });
    // the listener keeps its own address and never carries the connection (LESSONS fact 4)
    expect(m.sockets['s1']!.remote).toBeUndefined();
    expect(m.conns[CONN]).toMatchObject({ client: C, server: S, clientSock: 's2', serverSock: 's3' });
    expect(m.socketOrder).toEqual(['s1', 's2', 's3']);
  });

  it('F6/F5: pending connections count up on incoming and down on accept, never below zero', () => {
    const evs = stream([
      handshake[0]!, handshake[1]!,
      { layer: 'api', type: 'api.notice', sock: 's1', what: 'incoming' },
      { layer: 'api', type: 'api.notice', sock: 's1', what: 'incoming' },
      { layer: 'api', type: 'api.call', sock: 's1', call: 'accept', args: {}, durationUs: 1, newSock: 's3' },
      { layer: 'api', type: 'api.call', sock: 's1', call: 'accept', args: {}, durationUs: 1, newSock: 's4' },
      { layer: 'api', type: 'api.call', sock: 's1', call: 'accept', args: {}, durationUs: 1, newSock: 's5' },
    ]);
    const m = foldAll(emptyModel(), evs.slice(0, 4));
    expect(m.sockets['s1']!.pendingAccept).toBe(2);
    foldAll(m, evs.slice(4));
    expect(m.sockets['s1']!.pendingAccept).toBe(0);
  });

  it('F7: send and recv add bytes; recv returning 0 bytes means the peer closed', () => {
    const m = foldAll(emptyModel(), stream([
      ...handshake,
      { layer: 'api', type: 'api.call', sock: 's2', call: 'send', args: {}, durationUs: 4, data: { len: 5, b64: 'aGVsbG8=', truncated: false } },
      { layer: 'api', type: 'api.call', sock: 's3', call: 'recv', args: { max: 1024 }, durationUs: 4, data: { len: 5, b64: 'aGVsbG8=', truncated: false } },
      { layer: 'api', type: 'api.call', sock: 's3', call: 'recv', args: { max: 1024 }, durationUs: 4, data: { len: 0, b64: '', truncated: false } },
    ]));
    expect(m.sockets['s2']!.bytesSent).toBe(5);
    expect(m.sockets['s3']!.bytesReceived).toBe(5);
    expect(m.sockets['s3']!.peerClosed).toBe(true);
    expect(m.sockets['s2']!.peerClosed).toBe(false);
  });

  it('F8/F12: shutdown and close change the api state; an error is kept as lastError', () => {
    const m = foldAll(emptyModel(), stream([
      ...handshake,
      { layer: 'api', type: 'api.call', sock: 's2', call: 'shutdown', args: {}, durationUs: 1 },
      { layer: 'api', type: 'api.call', sock: 's3', call: 'close', args: {}, durationUs: 1 },
      { layer: 'api', type: 'api.call', sock: 's4', call: 'connect', args: { port: 1 }, durationUs: 90, proto: 'tcp', error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' } },
    ]));
    expect(m.sockets['s2']!.apiState).toBe('write-shut');
    expect(m.sockets['s3']!.apiState).toBe('closed');
    expect(m.sockets['s4']!.lastError).toMatchObject({ code: 'ECONNREFUSED' });
    expect(m.sockets['s4']!.role).toBe('unknown');
    expect(m.sockets['s4']!.recentCalls.at(-1)).toMatchObject({ call: 'connect', ok: false, code: 'ECONNREFUSED' });
  });

  it('F9/F10: kernel states build a bounded history; gone keeps the last state', () => {
    const states = ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT'] as const;
    const m = foldAll(emptyModel(), stream([
      ...handshake,
      ...states.map((state): EventInput => ({ layer: 'kernel', type: 'kernel.tcp', sock: 's2', local: C, remote: S, state, sendQueue: 0, recvQueue: 0 })),
      { layer: 'kernel', type: 'kernel.tcp', sock: 's2', local: C, remote: S, state: 'TIME_WAIT', sendQueue: 0, recvQueue: 0, gone: true },
    ]));
    const s2 = m.sockets['s2']!;
    expect(s2.state).toBe('TIME_WAIT');
    expect(s2.gone).toBe(true);
    expect(s2.stateHistory.map((h) => h.to)).toEqual([...states]);
    expect(s2.stateHistory[0]!.from).toBeNull();
    // repeated samples with the same state add no history
    const many = stream(Array.from({ length: 40 }, (_, i): EventInput => ({ layer: 'kernel', type: 'kernel.tcp', sock: 's9', local: '127.0.0.1:1', state: i % 2 ? 'ESTABLISHED' : 'CLOSE_WAIT', sendQueue: i, recvQueue: 0 })), 100);
    foldAll(m, many);
    expect(m.sockets['s9']!.stateHistory).toHaveLength(16);
    expect(m.sockets['s9']!.sendQueue).toBe(39);
  });

  it('F9: a kernel event for a socket the agent does not own creates a watched socket found by its endpoints', () => {
    const m = foldAll(emptyModel(), stream([
      { layer: 'kernel', type: 'kernel.tcp', local: S, state: 'LISTEN', sendQueue: 0, recvQueue: 0, acceptQueue: 1, backlog: 5 },
      { layer: 'kernel', type: 'kernel.tcp', local: S, state: 'LISTEN', sendQueue: 0, recvQueue: 0, acceptQueue: 0, backlog: 5 },
    ]));
    expect(m.socketOrder).toHaveLength(1);
    const w = m.sockets[m.socketOrder[0]!]!;
    expect(w).toMatchObject({ owned: false, role: 'listener', state: 'LISTEN', acceptQueue: 0, backlog: 5 });
  });

  it('F11: the handshake fixes client and server and both ISNs; FIN both ways then ACK closes', () => {
    const m = foldAll(emptyModel(), stream([
      seg(C, S, ['SYN'], 1000, 0),
      seg(S, C, ['SYN', 'ACK'], 5000, 1001),
      seg(C, S, ['ACK'], 1001, 5001),
      seg(C, S, ['PSH', 'ACK'], 1001, 5001, 5),
      seg(C, S, ['FIN', 'ACK'], 1006, 5001),
      seg(S, C, ['FIN', 'ACK'], 5001, 1007),
    ]));
    const c = m.conns[CONN]!;
    expect(c).toMatchObject({ client: C, server: S, isnC2S: 1000, isnS2C: 5000, bytesC2S: 5, finC2S: true, finS2C: true, stage: 'closing', segments: 6 });
    foldAll(m, stream([seg(C, S, ['ACK'], 1007, 5002)], 6));
    expect(m.conns[CONN]!.stage).toBe('closed');
  });

  it('F11: RST answering a SYN is a refused connection; RST after data is a reset', () => {
    const m = foldAll(emptyModel(), stream([rst(C, S, ['SYN']), rst(S, C, ['RST', 'ACK'])]));
    expect(m.conns[CONN]!.stage).toBe('refused');
    expect(m.conns[CONN]!.inferredSegments).toBe(2);
    const C2 = '127.0.0.1:40000';
    foldAll(m, stream([rst(C2, S, ['SYN']), rst(S, C2, ['SYN', 'ACK']), rst(C2, S, ['ACK']), rst(C2, S, ['PSH', 'ACK'], 3), rst(S, C2, ['RST'])], 2));
    expect(m.conns[`${C2}>${S}`]!.stage).toBe('reset');
  });

  it('F11: a new SYN on the 4-tuple of an ended connection starts a new connection', () => {
    const m = foldAll(emptyModel(), stream([seg(C, S, ['SYN'], 1, 0), seg(S, C, ['RST', 'ACK'], 0, 2)]));
    expect(m.conns[CONN]!.stage).toBe('refused');
    foldAll(m, stream([seg(C, S, ['SYN'], 7000, 0), seg(S, C, ['SYN', 'ACK'], 9000, 7001), seg(C, S, ['ACK'], 7001, 9001)], 2));
    expect(m.conns[CONN]).toMatchObject({ stage: 'open', isnC2S: 7000, isnS2C: 9000, segments: 3, rst: false });
    expect(m.connOrder).toEqual([CONN]);
  });

  it('F13: a changed socket is a new object; unchanged ones keep their identity', () => {
    const m = foldAll(emptyModel(), stream(handshake));
    const s1 = m.sockets['s1'];
    const s2 = m.sockets['s2'];
    foldAll(m, stream([{ layer: 'kernel', type: 'kernel.tcp', sock: 's2', local: C, remote: S, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 0 }], 5));
    expect(m.sockets['s1']).toBe(s1);
    expect(m.sockets['s2']).not.toBe(s2);
  });

  it('a cloned snapshot folded with the rest equals the whole fold (replay from snapshots)', () => {
    const all = stream([...handshake, { layer: 'kernel', type: 'kernel.tcp', sock: 's2', local: C, remote: S, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 0 }]);
    const whole = foldAll(emptyModel(), all);
    const snap = cloneModel(foldAll(emptyModel(), all.slice(0, 3)));
    const resumed = foldAll(snap, all.slice(3));
    expect(resumed).toEqual(whole);
  });
});
