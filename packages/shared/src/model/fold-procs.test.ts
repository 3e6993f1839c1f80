import { describe, expect, it } from 'vitest';
import type { EventInput, SessionEvent } from '../protocol/events.ts';
import { SessionEvent as SessionEventSchema } from '../protocol/events.ts';
import { foldAll } from './fold.ts';
import { emptyModel } from './model.ts';

function stream(inputs: EventInput[]): SessionEvent[] {
  return inputs.map((input, i) => SessionEventSchema.parse({ v: 1, seq: i, ts: i * 10, ...input }));
}

const proc = { run: 'p1', pid: 4242, program: 'client.py' };
const S = '127.0.0.1:12000';
const C = '127.0.0.1:40000';
/** base64 of ASCII text (shared has no Buffer and no btoa: it runs in the browser and in Node alike) */
function b64(ascii: string): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < ascii.length; i += 3) {
    const n = (ascii.charCodeAt(i) << 16) | ((ascii.charCodeAt(i + 1) || 0) << 8) | (ascii.charCodeAt(i + 2) || 0);
    out += abc[(n >> 18) & 63]! + abc[(n >> 12) & 63]! + (i + 1 < ascii.length ? abc[(n >> 6) & 63]! : '=') + (i + 2 < ascii.length ? abc[n & 63]! : '=');
  }
  return out;
}

const start: EventInput = { layer: 'session', type: 'proc.start', proc, file: 'client.py', args: [], python: '3.11.7', step: true };

describe('fold: traced programs', () => {
  it('F14: connect_ex that returns 0 connects, sendall counts as send, recv_into of 0 bytes is the peer closing', () => {
    const m = foldAll(emptyModel(), stream([
      start,
      { layer: 'api', type: 'api.call', sock: 'p1.s1', call: 'socket', args: {}, durationUs: 3, proto: 'tcp', proc, src: { file: 'client.py', line: 3 } },
      { layer: 'api', type: 'api.call', sock: 'p1.s1', call: 'connect_ex', args: { host: '127.0.0.1', port: 12000 }, result: 0, durationUs: 90, proto: 'tcp', local: C, remote: S, conn: `${C}>${S}`, proc },
      { layer: 'api', type: 'api.call', sock: 'p1.s1', call: 'sendall', args: {}, durationUs: 9, proc, data: { len: 5, b64: 'aGVsbG8=', truncated: false } },
      { layer: 'api', type: 'api.call', sock: 'p1.s1', call: 'recv_into', args: { nbytes: 1024 }, durationUs: 9, proc, data: { len: 0, b64: '', truncated: false } },
    ]));
    const s = m.sockets['p1.s1']!;
    expect(s.role).toBe('client');
    expect(s.apiState).toBe('connected');
    expect(s.run).toBe('p1');
    expect(s.bytesSent).toBe(5);
    expect(s.peerClosed).toBe(true);
    expect(m.conns[`${C}>${S}`]?.clientSock).toBe('p1.s1');
  });

  it('F14: connect_ex that returns an errno connects nothing', () => {
    const m = foldAll(emptyModel(), stream([
      start,
      { layer: 'api', type: 'api.call', sock: 'p1.s1', call: 'connect_ex', args: { host: '127.0.0.1', port: 1 }, result: 111, durationUs: 50, proto: 'tcp', proc },
    ]));
    expect(m.sockets['p1.s1']!.role).not.toBe('client');
    expect(m.connOrder).toEqual([]);
  });

  it('F15: paused before a call, then in it, then running with the call\'s line lit', () => {
    const events = stream([
      start,
      { layer: 'api', type: 'api.begin', sock: 'p1.s1', call: 'connect', args: {}, paused: true, callId: 2, proc, src: { file: 'client.py', line: 6 } },
      { layer: 'api', type: 'api.begin', sock: 'p1.s1', call: 'connect', args: {}, callId: 2, proc, src: { file: 'client.py', line: 6 } },
      { layer: 'api', type: 'api.call', sock: 'p1.s1', call: 'connect', args: {}, durationUs: 80, callId: 2, proto: 'tcp', proc, src: { file: 'client.py', line: 6 } },
    ]);
    const m = emptyModel();
    foldAll(m, events.slice(0, 2));
    expect(m.procs['p1']).toMatchObject({ status: 'paused', line: 6, pending: { call: 'connect', callId: 2 } });
    foldAll(m, events.slice(2, 3));
    expect(m.procs['p1']!.status).toBe('in-call');
    foldAll(m, events.slice(3));
    expect(m.procs['p1']!.status).toBe('running');
    expect(m.procs['p1']!.pending).toBeUndefined();
    expect(m.procs['p1']!.line).toBe(6);
  });

  it('F15: input() waits with its prompt until a line is typed; output is kept as a bounded tail; exit ends it', () => {
    const big = 'x'.repeat(3000);
    const m = foldAll(emptyModel(), stream([
      start,
      { layer: 'session', type: 'proc.input', run: 'p1', prompt: 'Input lowercase sentence: ', src: { file: 'client.py', line: 7 } },
      { layer: 'session', type: 'proc.output', run: 'p1', stream: 'stdin', b64: 'aGkK', text: 'hi\n', encoding: 'utf-8' },
      ...Array.from({ length: 4 }, (): EventInput => ({ layer: 'session', type: 'proc.output', run: 'p1', stream: 'stdout', b64: b64(big.slice(0, 3072)), text: big, encoding: 'utf-8' })),
      { layer: 'session', type: 'proc.exit', run: 'p1', code: 1, signal: null, reason: 'exited', exception: { type: 'ConnectionRefusedError', message: '[Errno 111] Connection refused', frames: [{ file: 'client.py', line: 5, name: '<module>' }] } },
    ]));
    const p = m.procs['p1']!;
    expect(p.status).toBe('exited');
    expect(p.prompt).toBeUndefined();
    expect(p.output.length).toBe(8192);
    expect(p.exit?.exception?.type).toBe('ConnectionRefusedError');
    expect(p.line).toBe(5);
    expect(m.procOrder).toEqual(['p1']);
  });

  it('F15: events of a run that never started are ignored', () => {
    const m = foldAll(emptyModel(), stream([
      { layer: 'session', type: 'proc.output', run: 'p9', stream: 'stdout', b64: 'aGkK', text: 'hi\n', encoding: 'utf-8' },
    ]));
    expect(m.procOrder).toEqual([]);
  });

  it('F5: accept() takes over the connection the kernel showed waiting for it: its states move, one socket remains', () => {
    const m = foldAll(emptyModel(), stream([
      start,
      { layer: 'api', type: 'api.call', sock: 'p1.s1', call: 'listen', args: { backlog: 1 }, durationUs: 3, proto: 'tcp', local: S, proc },
      { layer: 'kernel', type: 'kernel.tcp', local: S, remote: C, conn: `${C}>${S}`, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 5 },
      { layer: 'api', type: 'api.call', sock: 'p1.s1', call: 'accept', args: {}, durationUs: 3, newSock: 'p1.s2', local: S, remote: C, conn: `${C}>${S}`, proc },
    ]));
    const mine = Object.values(m.sockets).filter((s) => s.local === S && s.remote === C);
    expect(mine.map((s) => s.id)).toEqual(['p1.s2']);
    expect(mine[0]).toMatchObject({ state: 'ESTABLISHED', recvQueue: 5, role: 'accepted', parent: 'p1.s1' });
    expect(m.socketOrder).toEqual(['p1.s1', 'p1.s2']);
  });
});
