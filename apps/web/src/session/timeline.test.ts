import { describe, expect, it } from 'vitest';
import { cloneModel, emptyModel, fold, type SessionEvent } from '@socketscope/shared';
import { inHappenedOrder } from './placement.ts';
import { latestRun, nextStop, prevStop, stepAt, stopsOf } from '../store/steps.ts';
import { Timeline } from './timeline.ts';

const L = '127.0.0.1:8888';
const C = '127.0.0.1:50000';

/** A long, varied session: sockets opening, kernel samples, segments, closes. */
function session(n: number): SessionEvent[] {
  const out: SessionEvent[] = [];
  for (let i = 0; i < n; i++) {
    const sock = `s${1 + (i % 7)}`;
    const base = { v: 1 as const, seq: i, ts: i * 10 };
    switch (i % 5) {
      case 0: out.push({ ...base, layer: 'api', type: 'api.call', sock, call: 'connect', args: {}, durationUs: 1, proto: 'tcp', local: `127.0.0.1:${40000 + (i % 7)}`, remote: L, conn: `127.0.0.1:${40000 + (i % 7)}>${L}` }); break;
      case 1: out.push({ ...base, layer: 'kernel', type: 'kernel.tcp', sock, local: `127.0.0.1:${40000 + (i % 7)}`, remote: L, state: i % 3 ? 'ESTABLISHED' : 'FIN_WAIT1', sendQueue: i % 11, recvQueue: i % 13 }); break;
      case 2: out.push({ ...base, layer: 'wire', type: 'tcp.segment', src: C, dst: L, flags: ['ACK'], seqNo: i, ackNo: 1, win: 100, len: i % 4, options: {}, inferred: false, bytes: '' }); break;
      case 3: out.push({ ...base, layer: 'api', type: 'api.call', sock, call: 'send', args: {}, durationUs: 1, data: { len: 3, b64: 'YWJj', truncated: false } }); break;
      default: out.push({ ...base, layer: 'api', type: 'api.notice', sock, what: 'incoming' }); break;
    }
  }
  return out;
}

function prefixModel(events: SessionEvent[], c: number) {
  const m = emptyModel();
  for (let i = 0; i <= c; i++) fold(m, events[i]!);
  return m;
}

describe('Timeline: the model at any cursor', () => {
  const events = session(2600);
  const tl = new Timeline(undefined, 1000);
  for (const e of events) tl.append(e);

  it('modelAt(c) equals folding events 0..c from scratch, seeking back and forth (snapshot + fold)', () => {
    for (const c of [2599, 5, 1999, 1000, 999, 2500, -1, 0, 1500, 1501, 1502, 400, 2598]) {
      const got = JSON.parse(JSON.stringify(tl.modelAt(c)));
      expect(got, `cursor ${c}`).toEqual(JSON.parse(JSON.stringify(prefixModel(events, c))));
    }
  });

  it('the cursor model never moves when the live head grows, and the head is shared only when asked', () => {
    const t2 = new Timeline(undefined, 50);
    const evs = session(120);
    for (const e of evs.slice(0, 100)) t2.append(e);
    const at = t2.modelAt(99);
    const before = JSON.stringify(at);
    for (const e of evs.slice(100)) t2.append(e);
    expect(JSON.stringify(at)).toBe(before);
    expect(t2.modelAt(119, true)).toBe(t2.headModel);
    expect(t2.modelAt(119)).not.toBe(t2.headModel);
  });

  it('a timeline on an agent snapshot numbers its own events from 0 on top of it', () => {
    const base = prefixModel(session(30), 29);
    const t3 = new Timeline(cloneModel(base));
    t3.append({ v: 1, seq: 0, ts: 1, layer: 'api', type: 'api.call', sock: 's1', call: 'close', args: {}, durationUs: 1 });
    expect(t3.headModel.sockets['s1']?.apiState).toBe('closed');
    expect(t3.modelAt(-1).sockets['s1']?.apiState).not.toBe('closed');
  });

  it('keeps at most maxEvents for playback but still folds the rest into the head', () => {
    const t4 = new Timeline(undefined, 10, 20);
    for (const e of session(30)) t4.append({ ...e, seq: t4.nextSeq });
    expect(t4.length).toBe(20);
    expect(t4.overflow).toBe(10);
    expect(t4.headModel.events).toBe(30);
  });
});

const seg = (seq: number, ts: number, wireTs: number, flags: ('SYN' | 'ACK' | 'PSH')[]): SessionEvent =>
  ({ v: 1, seq, ts, wireTs, layer: 'wire', type: 'tcp.segment', src: C, dst: L, flags, seqNo: 1, ackNo: 1, win: 1, len: 0, options: {}, inferred: false, bytes: '' });
const call = (seq: number, ts: number, name: 'send' | 'recv'): SessionEvent =>
  ({ v: 1, seq, ts, layer: 'api', type: 'api.call', sock: 's1', call: name, args: {}, durationUs: 1 });

const dg = (seq: number, ts: number, wireTs: number, src: string, dst: string) => ({ v: 1, seq, ts, wireTs, layer: 'wire', type: 'udp.datagram', src, dst, len: 5, inferred: false, bytes: '' }) as SessionEvent;

describe('placement: events in the order they happened', () => {
  it('puts a captured packet that arrived late back at its capture time', () => {
    // send() at 100, recv() at 130, then the packet captured at 105 arrives (tcpdump's pipe is slow)
    const stream = [call(1, 100, 'send'), call(2, 130, 'recv'), seg(3, 160, 105, ['ACK', 'PSH'])];
    expect(inHappenedOrder(stream).map((e) => e.seq)).toEqual([1, 3, 2]);
  });

  it('corrects the capture clock’s skew: a datagram captured "after" the recvfrom() that read it is put before it', () => {
    // sendto() ran 49.20–49.30 ms; its datagram reads 49.99 ms (wireTs up to 1 ms late); the reply
    // datagram reads 55.80 ms but the recvfrom() that returned it finished at 55.60 ms
    const sendto = { v: 1, seq: 1, ts: 49_300, layer: 'api', type: 'api.call', sock: 's2', call: 'sendto', args: {}, durationUs: 100, local: '0.0.0.0:43596', data: { len: 5, b64: 'aGVsbG8=', truncated: false } } as SessionEvent;
    const recv = { v: 1, seq: 3, ts: 55_600, layer: 'api', type: 'api.call', sock: 's2', call: 'recvfrom', args: {}, durationUs: 50 } as SessionEvent;
    const stream = [sendto, recv, dg(4, 70_000, 49_990, '127.0.0.1:43596', '127.0.0.1:9998'), dg(5, 71_000, 55_800, '127.0.0.1:9998', '127.0.0.1:43596')];
    // each datagram left while its sendto() ran, so before the call's completion is drawn
    expect(inHappenedOrder(stream).map((e) => e.seq)).toEqual([4, 1, 5, 3]);
  });

});

const step = (seq: number, scenario: string, id: string, index: number, status: 'start' | 'done' | 'failed'): SessionEvent =>
  ({ v: 1, seq, ts: seq, layer: 'session', type: 'scenario.step', scenario, step: id, index, role: 'server', status });

describe('lesson steps from the scenario.step markers', () => {
  const events: SessionEvent[] = [
    step(0, 'tcp-hello', 'server.listen', 0, 'start'), step(1, 'tcp-hello', 'server.listen', 0, 'done'),
    // a second run of the same lesson: the latest one counts
    step(2, 'tcp-hello', 'server.listen', 0, 'start'), call(3, 3, 'send'), step(4, 'tcp-hello', 'server.listen', 0, 'done'),
    step(5, 'tcp-hello', 'client.connect', 1, 'start'), call(6, 6, 'recv'), step(7, 'tcp-hello', 'client.connect', 1, 'failed'),
  ];

  it('finds the latest run, each step from its start marker to its end marker', () => {
    const run = latestRun(events, 'tcp-hello')!;
    expect(run.start).toBe(2);
    expect(run.steps.map((s) => [s.id, s.start, s.end, s.status])).toEqual([['server.listen', 2, 4, 'done'], ['client.connect', 5, 7, 'failed']]);
    expect(run.failed).toBe(true);
    expect(run.complete).toBe(false);
    expect(latestRun(events, 'udp-echo')).toBeNull();
  });

  it('Next and Previous stop before the first step and at every step end; the cursor is in the step it passed the start of', () => {
    const run = latestRun(events, 'tcp-hello')!;
    const stops = stopsOf(run);
    expect(stops).toEqual([1, 4, 7]);
    expect(nextStop(stops, 1)).toBe(4);
    expect(nextStop(stops, 7)).toBeNull();
    expect(prevStop(stops, 5)).toBe(4);
    expect(prevStop(stops, 1)).toBeNull();
    expect([1, 2, 4, 5, 6, 7].map((c) => stepAt(run, c))).toEqual([-1, 0, 0, 1, 1, 1]);
  });
});

describe('Timeline: seeking in a long session', () => {
  it('any cursor in 200,000 events is at most one snapshot clone + 1,000 folds away (measured)', () => {
    const events = session(200_000);
    const tl = new Timeline();
    const t0 = performance.now();
    for (const e of events) tl.append(e);
    const appendMs = performance.now() - t0;
    const times: number[] = [];
    let x = 12345;
    for (let i = 0; i < 60; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const c = x % 200_000;
      const s = performance.now();
      tl.modelAt(c);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const median = times[30]!;
    const worst = times.at(-1)!;
    console.log(`timeline: 200k events appended in ${appendMs.toFixed(0)} ms; random seek median ${median.toFixed(2)} ms, worst ${worst.toFixed(2)} ms`);
    expect(median).toBeLessThan(50);
    // a step forward from where the cursor is folds only the events in between
    const s = performance.now();
    for (let c = 150_000; c < 150_100; c++) tl.modelAt(c);
    console.log(`timeline: 100 single steps forward in ${(performance.now() - s).toFixed(2)} ms`);
  });
});
