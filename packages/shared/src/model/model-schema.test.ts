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
  // the fields F16–F24 added
  { layer: 'api', type: 'api.call', sock: 's4', call: 'bind', args: { port: 8989 }, durationUs: 3, proto: 'tcp', local: '127.0.0.1:8989', result: { soReuseAddr: { requested: true, actual: true }, portHeldBy: { TIME_WAIT: 2 }, noteCode: 'REUSEADDR_HELPED' } },
  { layer: 'wire', type: 'tcp.segment', src: S, dst: C, flags: ['SYN', 'ACK'], seqNo: 700, ackNo: 101, win: 65483, len: 0, options: {}, inferred: false, bytes: '' },
  { layer: 'wire', type: 'tcp.segment', src: C, dst: S, flags: ['ACK'], seqNo: 101, ackNo: 701, win: 512, len: 0, options: {}, inferred: false, bytes: '' },
  { layer: 'wire', type: 'tcp.bundle', conn: CONN, bundle: 1, src: C, dst: S, count: 2, bytes: 10, firstSeq: 101, endSeq: 111, flags: ['ACK', 'PSH'], retransmissions: 1, win: 512, wireTs: 1, wireEndTs: 2, open: false },
  { layer: 'api', type: 'api.call', sock: 's3', call: 'recv', args: {}, durationUs: 3, data: { len: 5, b64: 'aGVsbG8=', truncated: false } },
  { layer: 'session', type: 'proc.start', proc: { run: 'p1', pid: 9, program: 'a.py' }, file: 'a.py', args: [], python: '3.11.7', step: false },
  { layer: 'session', type: 'proc.output', run: 'p1', stream: 'stdout', b64: 'aGkK', text: 'hi\n', encoding: 'utf-8' },
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
      ['lastData call', (m) => { m['sockets'].s3.lastData.call = 'sendall'; }],
      ['recentData entry', (m) => { m['sockets'].s3.recentData[0].len = -1; }],
      ['recentData too long', (m) => { m['sockets'].s3.recentData = Array.from({ length: 9 }, () => m['sockets'].s3.recentData[0]); }],
      ['bind heldBy state', (m) => { m['sockets'].s4.bind.heldBy = { NOPE: 1 }; }],
      ['bind soReuseAddr', (m) => { m['sockets'].s4.bind.soReuseAddr = { requested: 'yes', actual: true }; }],
      ['conn window', (m) => { m['conns'][CONN].winC2S = -5; }],
      ['conn handshake', (m) => { m['conns'][CONN].handshake = { ack: 'x' }; }],
      ['conn bundles', (m) => { m['conns'][CONN].bundles = [{ id: 1 }]; }],
      ['output piece stream', (m) => { m['procs'].p1.outputPieces[0].stream = 'stdlog'; }],
      ['pictureVersion', (m) => { m['pictureVersion'] = -1; }],
    ];
    for (const [what, spoil] of cases) {
      const m = folded();
      spoil(m);
      expect(parseModel(m).ok, what).toBe(false);
    }
  });

  it('the fold made every new field here, so the cases below check them', () => {
    const m = folded();
    expect(m['sockets'].s3.lastData).toBeDefined();
    expect(m['sockets'].s3.recentData).toHaveLength(1);
    expect(m['sockets'].s4.bind).toMatchObject({ heldBy: { TIME_WAIT: 2 }, noteCode: 'REUSEADDR_HELPED' });
    expect(m['conns'][CONN]).toMatchObject({ winC2S: 512, winS2C: 65483, retransmissions: 1, handshake: { synAck: 11, ack: 12 }, bundles: [{ id: 1 }] });
    expect(m['procs'].p1.outputPieces).toHaveLength(1);
  });

  it('MS4: a recording made before these fields loads; its counters read as 0 and nothing else is added', () => {
    const old = folded();
    delete old['pictureVersion'];
    delete old['orderVersion'];
    for (const s of Object.values(old['sockets']) as Record<string, unknown>[]) { delete s['lastData']; delete s['recentData']; delete s['bind']; }
    for (const c of Object.values(old['conns']) as Record<string, unknown>[]) { for (const k of ['winC2S', 'winS2C', 'retransmissions', 'handshake', 'bundles']) delete c[k]; }
    delete old['procs'].p1.outputPieces;
    const r = parseModel(old);
    expect(r.ok).toBe(true);
    expect(r.ok && r.model).toEqual({ ...old, pictureVersion: 0, orderVersion: 0 });
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
