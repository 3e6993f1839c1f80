import { describe, expect, it } from 'vitest';
import type { EventInput, SessionEvent } from '../protocol/events.ts';
import { SessionEvent as SessionEventSchema } from '../protocol/events.ts';
import { foldAll } from './fold.ts';
import { cloneModel, emptyModel } from './model.ts';
import { parseModel } from './model-schema.ts';

const S = '127.0.0.1:8888';
const C = '127.0.0.1:51234';
const CONN = `${C}>${S}`;

const events: SessionEvent[] = ([
  { layer: 'session', type: 'source.status', source: 'kernel', status: { available: true, running: true } },
  { layer: 'api', type: 'api.call', sock: 's1', call: 'socket', args: {}, durationUs: 5, proto: 'tcp' },
  { layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 5 }, durationUs: 5, local: S },
  { layer: 'api', type: 'api.call', sock: 's2', call: 'connect', args: { host: '127.0.0.1', port: 8888 }, durationUs: 80, proto: 'tcp', local: C, remote: S, conn: CONN },
  { layer: 'wire', type: 'tcp.segment', src: C, dst: S, flags: ['SYN'], seqNo: 100, ackNo: 0, win: 65483, len: 0, options: { mss: 65495 }, inferred: false, bytes: '' },
  { layer: 'api', type: 'api.call', sock: 's1', call: 'accept', args: {}, durationUs: 3, newSock: 's3', local: S, remote: C, conn: CONN },
  { layer: 'api', type: 'api.call', sock: 's2', call: 'send', args: {}, durationUs: 3, data: { len: 5, b64: 'aGVsbG8=', truncated: false } },
  { layer: 'kernel', type: 'kernel.tcp', sock: 's3', local: S, remote: C, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 5 },
  { layer: 'api', type: 'api.call', sock: 's2', call: 'connect', args: { host: '127.0.0.1', port: 1 }, durationUs: 3, error: { code: 'EISCONN', message: 'x' } },
  { layer: 'session', type: 'scenario.step', scenario: 'tcp-hello', step: 'send', index: 3, status: 'done' },
] as EventInput[]).map((e, i) => SessionEventSchema.parse({ v: 1, seq: i, ts: i * 10, ...e }));

const folded = () => JSON.parse(JSON.stringify(foldAll(emptyModel(), events))) as Record<string, any>;

describe('ModelSchema (recordings: issue 16, item 4)', () => {
  it('a model the fold made passes, and comes out exactly as it went in', () => {
    const m = folded();
    const r = parseModel(m);
    expect(r.ok).toBe(true);
    expect(r.ok && r.model).toEqual(m);
    expect(parseModel(emptyModel()).ok).toBe(true);
    expect(parseModel(cloneModel(foldAll(emptyModel(), events))).ok).toBe(true);
  });

  it('the crafted recording of issue 16: a socket {"id":"s1"} without proto is refused, with where', () => {
    const m = { ...emptyModel(), sockets: { s1: { id: 's1' } }, socketOrder: ['s1'] };
    const r = parseModel(m);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^sockets\.s1\./);
  });

  it('every field counts: a wrong type anywhere, however deep, is refused', () => {
    const cases: [string, (m: Record<string, any>) => void][] = [
      ['version', (m) => { m['version'] = '1'; }],
      ['counts.wire', (m) => { delete m['counts'].wire; }],
      ['stateHistory entry', (m) => { m['sockets'].s3.stateHistory = [{ from: null, to: 'NOPE', seq: 1, ts: 1 }]; }],
      ['recentCalls entry', (m) => { m['sockets'].s2.recentCalls[0].call = 'fork'; }],
      ['lastError', (m) => { m['sockets'].s2.lastError = { code: 'E', seq: 1 }; }],
      ['conn stage', (m) => { m['conns'][CONN].stage = 'half'; }],
      ['sources', (m) => { m['sources'].kernel = { available: 'yes', running: true }; }],
      ['scenario', (m) => { m['scenario'].index = -1; }],
      ['procs', (m) => { m['procs'] = { r1: { run: 'r1' } }; m['procOrder'] = ['r1']; }],
      ['a missing list', (m) => { delete m['connOrder']; }],
    ];
    for (const [what, spoil] of cases) {
      const m = folded();
      spoil(m);
      expect(parseModel(m).ok, what).toBe(false);
    }
  });

  it('MS1–MS3: the orders name every entry once, ids are keys, references point at sockets that exist', () => {
    const spoiled: [string, (m: Record<string, any>) => void][] = [
      ['order names a missing socket', (m) => { m['socketOrder'].push('s9'); }],
      ['a socket missing from the order', (m) => { m['socketOrder'].pop(); }],
      ['a socket twice', (m) => { m['socketOrder'].push('s1'); }],
      ['id is not its key', (m) => { m['sockets'].s1.id = 's7'; }],
      ['conn key', (m) => { m['conns'][CONN].key = 'x>y'; }],
      ['byEndpoints to nothing', (m) => { m['byEndpoints']['1.2.3.4:5|'] = 's42'; }],
      ['parent that is not there', (m) => { m['sockets'].s3.parent = 's42'; }],
    ];
    for (const [what, spoil] of spoiled) {
      const m = folded();
      spoil(m);
      expect(parseModel(m).ok, what).toBe(false);
    }
  });
});
