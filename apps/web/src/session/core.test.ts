import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import { SessionCore } from './core.ts';
import type { ViewRequest } from './protocol.ts';

const S = '127.0.0.1:8888';
const C = '127.0.0.1:50000';
const CONN = `${C}>${S}`;

const call = (seq: number, ts: number, sock: string, c: 'listen' | 'connect' | 'send' | 'recv', extra: Record<string, unknown> = {}): SessionEvent => ({
  v: 1, seq, ts, layer: 'api', type: 'api.call', sock, call: c, args: {}, durationUs: 5, proto: 'tcp',
  ...(c === 'listen' ? { local: S } : { local: C, remote: S, conn: CONN }), ...extra,
} as SessionEvent);
const seg = (seq: number, ts: number, wireTs: number, flags: string[], len = 0): SessionEvent => ({
  v: 1, seq, ts, layer: 'wire', type: 'tcp.segment', conn: CONN, src: C, dst: S, flags, seqNo: 1, ackNo: 1, win: 100, len, options: {}, inferred: false, bytes: '', wireTs,
} as SessionEvent);
const stepMarker = (seq: number, index: number, status: 'start' | 'done'): SessionEvent =>
  ({ v: 1, seq, ts: seq, layer: 'session', type: 'scenario.step', scenario: 'tcp-hello', step: `s${index}`, index, status });

const VIEW: ViewRequest = {
  cursor: null, selected: null,
  ladder: { follow: true, first: 0, count: 40, expanded: [] },
  log: { follow: true, first: 0, count: 40, filter: { layers: { api: true, kernel: true, wire: true, session: true }, sock: null } },
};

describe('SessionCore: one diff per change, for the page to render', () => {
  it('sends the whole model first, then only the entities the fold replaced, and nothing when nothing changed', () => {
    const core = new SessionCore();
    core.setView(VIEW);
    core.agentEvents([call(0, 10, 's1', 'listen'), call(1, 20, 's2', 'connect')]);
    const d1 = core.diff()!;
    expect(d1.reset).toBe(true);
    expect(d1.model!.whole).toBe(true);
    expect(Object.keys(d1.model!.sockets).toSorted()).toEqual(['s1', 's2']);
    expect(d1.head).toBe(1);
    expect(core.diff()).toBeNull();

    core.agentEvents([call(2, 30, 's2', 'send', { data: { len: 5, b64: 'aGVsbG8=', truncated: false } })]);
    const d2 = core.diff()!;
    expect(d2.reset).toBe(false);
    expect(d2.model!.whole).toBe(false);
    expect(Object.keys(d2.model!.sockets)).toEqual(['s2']); // s1 did not change
    expect(d2.model!.fields.socketOrder).toBeUndefined(); // no socket was added
    expect(d2.log!.rows.map((r) => r.event?.seq)).toEqual([0, 1, 2]);
  });

  it('skips what a resync resends and counts what the agent never sent', () => {
    const core = new SessionCore();
    core.agentEvents([call(0, 10, 's1', 'listen'), call(1, 20, 's2', 'connect')]);
    core.agentEvents([call(1, 20, 's2', 'connect'), call(4, 30, 's2', 'send')]);
    const d = core.diff()!;
    expect(d.head).toBe(2); // three events kept, numbered 0, 1, 2 by the page
    expect(d.missing).toBe(2); // agent seqs 2 and 3
    expect(core.agentLastSeq).toBe(4);
  });

  it('draws a captured packet that arrived late in its place, and moves nothing else', () => {
    const core = new SessionCore();
    core.setView(VIEW);
    core.agentEvents([call(0, 100, 's2', 'connect'), call(1, 130, 's2', 'send', { data: { len: 2, b64: 'aGk=', truncated: false } })]);
    const before = core.diff()!.ladder!.rows.map((r) => r.seq);
    // the SYN was captured at 60 µs, during connect(), but tcpdump's pipe delivered it after the send()
    core.agentEvents([seg(2, 160, 60, ['SYN'])]);
    const after = core.diff()!.ladder!.rows.map((r) => r.seq);
    expect(before).toEqual([0, 1]);
    expect(after).toEqual([2, 0, 1]);
    // the log is the record of what was heard, in that order
    expect(core.diff()).toBeNull();
  });

  it('draws a tracepoint’s state change at the kernel’s time, before the call that returned after it', () => {
    const core = new SessionCore();
    core.setView(VIEW);
    core.agentEvents([
      call(0, 4_304_184, 's2', 'connect'),
      { v: 1, seq: 1, ts: 4_310_000, layer: 'kernel', type: 'kernel.tcp', sock: 's2', local: C, remote: S, state: 'SYN_SENT', sendQueue: 0, recvQueue: 0, via: 'tracepoint', kernelTs: 4_302_606 } as SessionEvent,
    ]);
    expect(core.diff()!.ladder!.rows.map((r) => `${r.seq}:${r.kind}`)).toEqual(['1:state', '0:mark']);
  });

  it('holds the model at the cursor while the head grows, and moves it when the cursor moves', () => {
    const core = new SessionCore();
    core.setView(VIEW);
    core.agentEvents([call(0, 10, 's1', 'listen'), call(1, 20, 's2', 'connect')]);
    core.diff();
    core.setView({ ...VIEW, cursor: 0 });
    const atZero = core.diff()!;
    expect(atZero.model!.sockets['s2']).toBeNull(); // s2 did not exist yet at event 0
    expect(atZero.log!.count).toBe(1);
    core.agentEvents([call(2, 30, 's3', 'connect')]);
    const grown = core.diff()!;
    expect(grown.head).toBe(2);
    expect(grown.model).toBeUndefined(); // the cursor's model did not change
    core.setView({ ...VIEW, cursor: null });
    const live = core.diff()!;
    // back at the head: s2 and s3 come (s1 too, folded anew from the nearest snapshot at the cursor)
    expect(live.model!.sockets['s2']).toBeTruthy();
    expect(live.model!.sockets['s3']).toBeTruthy();
  });

  it('sends each lesson step marker once, with the page’s numbering', () => {
    const core = new SessionCore();
    core.agentEvents([stepMarker(0, 0, 'start'), call(1, 5, 's1', 'listen'), stepMarker(2, 0, 'done')]);
    expect(core.diff()!.steps!.map((e) => [e.seq, e.status])).toEqual([[0, 'start'], [2, 'done']]);
    core.agentEvents([call(3, 9, 's2', 'connect')]);
    expect(core.diff()!.steps).toBeUndefined();
  });

  it('filters the log in the worker and answers which rows are shown', () => {
    const core = new SessionCore();
    core.setView(VIEW);
    core.agentEvents([call(0, 10, 's1', 'listen'), seg(1, 20, 15, ['SYN']), call(2, 30, 's2', 'connect')]);
    expect(core.diff()!.log!.rows).toHaveLength(3);
    core.setView({ ...VIEW, log: { ...VIEW.log!, filter: { layers: { api: true, kernel: true, wire: false, session: true }, sock: null } } });
    const d = core.diff()!;
    expect(d.log!.rows.map((r) => r.event?.seq)).toEqual([0, 2]);
    expect(d.log!.total).toBe(3);
  });

  it('a new session starts over: the page is told to drop what it holds', () => {
    const core = new SessionCore();
    core.agentEvents([call(0, 10, 's1', 'listen')]);
    core.diff();
    core.start();
    core.agentEvents([call(0, 10, 's9', 'listen')]);
    const d = core.diff()!;
    expect(d.reset).toBe(true);
    expect(d.model!.whole).toBe(true);
    expect(Object.keys(d.model!.sockets)).toEqual(['s9']);
  });
});

describe('SessionCore: the ladder\'s picture goes with its rows', () => {
  const PAINT = {
    locale: 'en' as const, projector: false, rowH: 46, width: 1000, viewH: 400, dpr: 1, x0: 0,
    box: { following: true, viewH: 400, boxH: 472, headerH: 72, scrollY: 0 },
    palette: { bg: '#fff', fg: '#000', muted: '#444', line: '#888', panel: '#eee', select: '#ff0', callBg: '#ffe',
      kind: { syn: '#00f', data: '#000', fin: '#707', rst: '#c00', ack: '#333', udp: '#066' },
      state: { listen: '#ccf', opening: '#fe8', open: '#bec', closing: '#edf', waiting: '#ddd', closed: '#f1f1f1' },
      font: 'sans-serif', mono: 'monospace', callMono: 'monospace' },
  };

  it('asks for a picture once per change of the rows or of the canvas, and none without a canvas', () => {
    const core = new SessionCore();
    core.setView(VIEW);
    core.agentEvents([call(0, 10, 's1', 'listen')]);
    core.diff();
    expect(core.takePicture()).toBeNull(); // no canvas on screen yet
    core.setPaint(PAINT);
    core.diff();
    const p = core.takePicture()!;
    expect(p.layout.rows.length).toBe(1);
    expect(core.takePicture()).toBeNull(); // once
    core.agentEvents([call(1, 20, 's2', 'connect')]);
    core.diff();
    expect(core.takePicture()!.layout.rows.length).toBe(2);
    core.setPaint({ ...PAINT, x0: 10 }); // a scroll: the same rows again
    expect(core.diff()).not.toBeNull();
    expect(core.takePicture()!.paint.x0).toBe(10);
    core.setPaint(null);
    core.agentEvents([call(2, 30, 's2', 'send')]);
    core.diff();
    expect(core.takePicture()).toBeNull();
  });
});
