import { describe, expect, it, vi } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import { createAppStore } from './store.ts';
import { EventPipeline, type FlushScheduler } from './pipeline.ts';
import { BUSY_HOLD_MS, FRAME_MS, MAX_TURN_GAP_MS, TURN_BACKOFF, TURN_MS, workAhead } from './publish.ts';
import { applyHello, setLayerShown } from './actions.ts';
import { LogIndex } from './log.ts';
import type { LogRow } from './slices.ts';
import type { AppStore } from './store.ts';
import { Timeline } from './timeline.ts';

/** every row of the store's log, oldest first */
function allRows(store: AppStore): LogRow[] {
  const log = store.getState().log;
  return Array.from({ length: log.length }, (_, i) => log.row(i)!);
}

/** the rows that pass the log's filter */
function shownRows(store: AppStore): LogRow[] {
  const log = store.getState().log;
  return Array.from({ length: log.shown }, (_, i) => log.shownRow(i)!);
}

/** A scheduler the test runs by hand, standing in for requestAnimationFrame. */
function manualScheduler(): { schedule: FlushScheduler; runs: () => number; tick: () => void } {
  let pending: (() => void) | null = null;
  let runs = 0;
  return {
    schedule: (flush) => {
      pending = flush;
      return () => { pending = null; };
    },
    runs: () => runs,
    tick: () => {
      const f = pending;
      pending = null;
      if (f) { runs++; f(); }
    },
  };
}

const L = '127.0.0.1:8888';
const C = '127.0.0.1:50000';
const CONN = `${C}>${L}`;

function sessionEvents(): Record<string, unknown>[] {
  return [
    { v: 1, seq: 1, ts: 10, layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 5 }, durationUs: 3, proto: 'tcp', local: L },
    { v: 1, seq: 2, ts: 20, layer: 'kernel', type: 'kernel.tcp', sock: 's1', local: L, state: 'LISTEN', sendQueue: 0, recvQueue: 0, acceptQueue: 0, backlog: 5 },
    { v: 1, seq: 3, ts: 30, layer: 'api', type: 'api.call', sock: 's2', call: 'connect', args: { host: '127.0.0.1', port: 8888 }, durationUs: 90, proto: 'tcp', local: C, remote: L, conn: CONN },
    { v: 1, seq: 4, ts: 31, layer: 'wire', type: 'tcp.segment', conn: CONN, src: C, dst: L, flags: ['SYN'], seqNo: null, ackNo: null, win: null, len: 0, options: {}, inferred: true, bytes: '' },
    { v: 1, seq: 5, ts: 40, layer: 'api', type: 'api.notice', sock: 's1', what: 'incoming', remote: C },
    { v: 1, seq: 6, ts: 50, layer: 'api', type: 'api.call', sock: 's1', call: 'accept', args: {}, durationUs: 5, newSock: 's3', local: L, remote: C, conn: CONN },
    { v: 1, seq: 7, ts: 60, layer: 'api', type: 'api.call', sock: 's2', call: 'send', args: {}, durationUs: 5, data: { len: 5, b64: 'aGVsbG8=', truncated: false } },
    { v: 1, seq: 8, ts: 70, layer: 'kernel', type: 'kernel.tcp', sock: 's3', local: L, remote: C, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 5 },
  ];
}

describe('EventPipeline', () => {
  it('folds a burst of events with one store update per flush, not one per event', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    const pipe = new EventPipeline(store, { schedule: clock.schedule });
    let updates = 0;
    store.subscribe(() => updates++);
    pipe.push(sessionEvents());
    expect(store.getState().model.events).toBe(0); // nothing before the frame
    clock.tick();
    expect(clock.runs()).toBe(1);
    expect(updates).toBe(1);
    const { model, timeline } = store.getState();
    // the page numbers events 0, 1, 2 … in playback order; the agent's numbers stay in the recording
    expect(model.lastSeq).toBe(7);
    expect(timeline.agentSeqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(pipe.agentLastSeq).toBe(8);
    expect(model.sockets['s1']?.role).toBe('listener');
    expect(model.sockets['s2']?.role).toBe('client');
    expect(model.sockets['s3']?.role).toBe('accepted');
    expect(model.sockets['s3']?.state).toBe('ESTABLISHED');
    expect(model.sockets['s3']?.recvQueue).toBe(5);
    expect(model.sockets['s1']?.pendingAccept).toBe(0);
    expect(allRows(store).map((r) => r.event?.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(store.getState().lastData['s2']?.data.b64).toBe('aGVsbG8=');
  });

  it('caps the events per flush and carries the rest to the next frame', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    let now = 0;
    const pipe = new EventPipeline(store, { schedule: clock.schedule, maxPerFlush: 3, now: () => now });
    pipe.push(sessionEvents());
    clock.tick();
    expect(store.getState().timeline.headModel.lastSeq).toBe(2);
    expect(pipe.pending).toBe(5);
    now += TURN_MS;
    clock.tick();
    now += TURN_MS;
    clock.tick();
    expect(store.getState().timeline.headModel.lastSeq).toBe(7);
    expect(pipe.pending).toBe(0);
    expect(clock.runs()).toBe(3);
    // events were left waiting, so the views were refreshed in turn; once quiet, all of it is shown
    now += BUSY_HOLD_MS;
    clock.tick();
    expect(store.getState().model.lastSeq).toBe(7);
    expect(store.getState().log.length).toBe(8);
  });

  it('replaces changed sockets and keeps unchanged ones identical, so selectors by id re-render only what changed', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    const pipe = new EventPipeline(store, { schedule: clock.schedule });
    pipe.push(sessionEvents());
    clock.tick();
    const before = store.getState().model.sockets;
    const s1 = before['s1'];
    const s3 = before['s3'];
    const modelRef = store.getState().model;
    pipe.push([{ v: 1, seq: 9, ts: 80, layer: 'kernel', type: 'kernel.tcp', sock: 's3', local: L, remote: C, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 0 }]);
    clock.tick();
    const after = store.getState().model.sockets;
    expect(store.getState().model).toBe(modelRef); // folded in place
    expect(after['s1']).toBe(s1);
    expect(after['s3']).not.toBe(s3);
    expect(after['s3']?.recvQueue).toBe(0);
    expect(store.getState().modelVersion).toBe(modelRef.version);
  });

  it('counts and drops an invalid event and keeps folding the valid ones around it', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    const warnings: string[] = [];
    const pipe = new EventPipeline(store, { schedule: clock.schedule, onBadEvent: (e) => warnings.push(e) });
    const events: unknown[] = sessionEvents();
    events.splice(2, 0, { v: 1, seq: 99, layer: 'api', type: 'api.call' }, 'not an event');
    pipe.push(events);
    clock.tick();
    expect(store.getState().badEvents).toBe(2);
    expect(warnings).toHaveLength(2);
    expect(store.getState().model.lastSeq).toBe(7);
    expect(store.getState().log).toHaveLength(8);
  });

  it('skips events it already folded, so a resync that resends them adds no duplicate rows', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    const pipe = new EventPipeline(store, { schedule: clock.schedule });
    const events = sessionEvents();
    pipe.push(events.slice(0, 6));
    clock.tick();
    pipe.push(events.slice(3)); // seq 4..8 again: 4..6 are duplicates
    clock.tick();
    expect(store.getState().timeline.agentSeqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(allRows(store).map((r) => r.event?.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(store.getState().model.events).toBe(8);
  });

  it('keeps as many rows as the timeline keeps events; past its bound events still fold into the head', () => {
    const store = createAppStore();
    const tl = new Timeline(undefined, 4, 5);
    store.setState({ timeline: tl, log: new LogIndex(tl), model: tl.headModel });
    const clock = manualScheduler();
    const pipe = new EventPipeline(store, { schedule: clock.schedule });
    pipe.push(sessionEvents());
    clock.tick();
    expect(allRows(store).map((r) => r.event?.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(store.getState().model.events).toBe(8);
    expect(tl.overflow).toBe(3);
  });

  it('filters the visible log by layer, also for events that arrive later', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    const pipe = new EventPipeline(store, { schedule: clock.schedule });
    const events = sessionEvents();
    pipe.push(events.slice(0, 4));
    clock.tick();
    setLayerShown(store, 'kernel', false);
    expect(shownRows(store).map((r) => r.layer)).toEqual(['api', 'api', 'wire']);
    pipe.push(events.slice(4));
    clock.tick();
    expect(shownRows(store).every((r) => r.layer !== 'kernel')).toBe(true);
    expect(store.getState().log).toHaveLength(8);
  });
});

const hello = (id: string) => ({
  session: { id }, agentVersion: '0.1.0', readOnly: false,
  capabilities: { kernel: { available: true }, wire: { available: false }, tcpInfo: { available: true }, remoteTargets: false, scenarios: [] },
});

describe('EventPipeline: snapshot and notes in stream order', () => {
  it('a snapshot replaces the model where it falls, and later events fold onto it', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    const pipe = new EventPipeline(store, { schedule: clock.schedule });
    // the agent's model after seq 0..8, built with the same fold
    const agentSide = createAppStore();
    const agentPipe = new EventPipeline(agentSide, { schedule: manualScheduler().schedule });
    agentPipe.push(sessionEvents());
    agentPipe.flushAll();
    const snapshot = JSON.parse(JSON.stringify(agentSide.getState().model)) as unknown;

    pipe.pushNote('gap', { from: 1, to: 8, reason: 'ring overwritten' });
    expect(pipe.pushSnapshot(8, snapshot)).toBe(true);
    pipe.push([{ v: 1, seq: 9, ts: 90, layer: 'api', type: 'api.call', sock: 's3', call: 'close', args: {}, durationUs: 1 }]);
    clock.tick();
    const st = store.getState();
    // the timeline starts over on the agent's model; page numbering starts again at 0
    expect(st.model.lastSeq).toBe(0);
    expect(st.model.sockets['s1']?.role).toBe('listener');
    expect(st.model.sockets['s3']?.apiState).toBe('closed');
    expect(allRows(store).map((r) => r.note?.kind ?? r.event?.seq)).toEqual(['gap', 'snapshot', 0]);
    expect(pipe.agentLastSeq).toBe(9);
  });

  it('refuses a snapshot that is not a model and changes nothing', () => {
    const store = createAppStore();
    const pipe = new EventPipeline(store, { schedule: manualScheduler().schedule });
    expect(pipe.pushSnapshot(3, { sockets: 'no' })).toBe(false);
    pipe.flushAll();
    expect(store.getState().model.lastSeq).toBe(-1);
  });
});

const seg = (seq: number, src: string, dst: string, flags: string[]) =>
  ({ v: 1, seq, ts: seq, layer: 'wire', type: 'tcp.segment', src, dst, flags, seqNo: null, ackNo: null, win: null, len: 0, options: {}, inferred: true, bytes: '' });

describe('EventPipeline: handshake steps', () => {
  it('marks the client ACK that follows the server SYN+ACK as the third step, and only that one', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    const pipe = new EventPipeline(store, { schedule: clock.schedule });
    pipe.push([seg(1, C, L, ['SYN']), seg(2, L, C, ['SYN', 'ACK']), seg(3, C, L, ['ACK']), seg(4, C, L, ['ACK'])]);
    clock.tick();
    expect(allRows(store).map((r) => r.mark ?? '-')).toEqual(['-', '-', 'hs3', '-']);
  });
});

describe('applyHello', () => {

  it('asks for everything on first contact and resumes after the last seq in the same session', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    const pipe = new EventPipeline(store, { schedule: clock.schedule });
    expect(applyHello(store, hello('a'), pipe.agentLastSeq)).toBeNull();
    pipe.push(sessionEvents());
    clock.tick();
    expect(applyHello(store, hello('a'), pipe.agentLastSeq)).toBe(8);
    expect(allRows(store).at(-1)?.note?.kind).toBe('resynced');
  });

  it('drops the old model when the agent started a new session (its seqs start over)', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    const pipe = new EventPipeline(store, { schedule: clock.schedule });
    applyHello(store, hello('a'), pipe.agentLastSeq);
    pipe.push(sessionEvents());
    clock.tick();
    pipe.clear(); // what the session does when the session id changes
    expect(applyHello(store, hello('b'), pipe.agentLastSeq)).toBeNull();
    expect(store.getState().model.socketOrder).toEqual([]);
    expect(allRows(store).map((r) => r.note?.kind)).toEqual(['newSession']);
    pipe.push(sessionEvents().slice(0, 2) as SessionEvent[]);
    clock.tick();
    expect(store.getState().model.lastSeq).toBe(1);
    expect(store.getState().timeline.agentSeqs()).toEqual([1, 2]);
  });
});

const call = (seq: number, ts: number, c: 'send' | 'recv') => ({ v: 1, seq, ts, layer: 'api', type: 'api.call', sock: 's1', call: c, args: {}, durationUs: 1 });
const data = (seq: number, ts: number, wireTs: number) => ({ v: 1, seq, ts, wireTs, layer: 'wire', type: 'tcp.segment', src: C, dst: L, flags: ['ACK', 'PSH'], seqNo: 1, ackNo: 1, win: 1, len: 5, options: {}, inferred: false, bytes: '' });

describe('EventPipeline: events in the order they happened', () => {

  it('while capture can run, a packet that reached the agent late is folded at its capture time', () => {
    const store = createAppStore();
    // a session just reset says nothing about capture: the agent's capabilities say it can run
    store.setState({ capabilities: { ...hello('a').capabilities, wire: { available: true } } });
    const clock = manualScheduler();
    let now = 0;
    const pipe = new EventPipeline(store, { schedule: clock.schedule, now: () => now, holdMs: 500 });
    pipe.push([call(1, 100_000, 'send'), call(2, 130_000, 'recv')]);
    clock.tick();
    expect(store.getState().log).toHaveLength(0); // held: a late packet may still belong before them
    now = 70;
    pipe.push([data(3, 170_000, 105_000)]);
    clock.tick();
    now = 800;
    clock.tick();
    const rows = allRows(store).map((r) => r.event);
    expect(rows.map((e) => e?.type === 'api.call' ? e.call : e?.type)).toEqual(['send', 'tcp.segment', 'recv']);
    expect(rows.map((e) => e?.seq)).toEqual([0, 1, 2]);
    expect(store.getState().timeline.agentSeqs()).toEqual([1, 2, 3]);
  });

  it('without capture nothing waits', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    const pipe = new EventPipeline(store, { schedule: clock.schedule, now: () => 0, holdMs: 500 });
    pipe.push([call(1, 100_000, 'send')]);
    clock.tick();
    expect(store.getState().log).toHaveLength(1);
  });
});

const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ v: 1, seq: from + i, ts: (from + i) * 10, layer: 'kernel', type: 'kernel.tcp', sock: 's1', local: L, state: 'ESTABLISHED', sendQueue: i, recvQueue: 0 }));

describe('EventPipeline: publishing to React under load', () => {
  it('under load folds every frame and refreshes one group of views every other frame, in turn; all at once when the stream stops', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    let now = 1000;
    const pipe = new EventPipeline(store, { schedule: clock.schedule, now: () => now });
    const patches: string[][] = [];
    store.subscribe((next, prev) => patches.push((['model', 'headSeq', 'logVersion'] as const).filter((k) => next[k] !== prev[k])));
    // two frames that each fit their display interval: one only folds, the next is a turn
    const frame = (from: number) => {
      now += 16;
      clock.tick();
      now += 16;
      pipe.push(many(from, 100));
      clock.tick();
    };
    frame(0);
    expect(store.getState().timeline.last).toBe(99);
    expect(patches).toEqual([['model']]); // the cards' turn: a copy of the head model, not the folding one
    expect(store.getState().model).not.toBe(store.getState().timeline.headModel);
    expect(store.getState().model.events).toBe(100);
    frame(100);
    expect(patches.at(-1)).toEqual(['headSeq']); // the ladder's and the scrubber's turn
    expect(store.getState().headSeq).toBe(199);
    expect(store.getState().model.events).toBe(100); // the cards wait for their next turn
    frame(200);
    expect(patches.at(-1)).toEqual(['logVersion']);
    expect(store.getState().log.length).toBe(300); // the log reads its index live at its turn
    frame(300);
    expect(patches.at(-1)).toEqual(['model']);
    expect(store.getState().model.events).toBe(400);
    expect(patches).toHaveLength(4); // one store update per frame
    // within TURN_MS of the last turn nothing is published, however much is folded
    now += 1;
    pipe.push(many(400, 100));
    clock.tick();
    expect(patches).toHaveLength(4);
    expect(store.getState().timeline.last).toBe(499);
    // the stream stopped: once it has been quiet for BUSY_HOLD_MS every view is brought up to date together
    now += BUSY_HOLD_MS;
    clock.tick();
    expect(patches.at(-1)).toEqual(['model', 'headSeq', 'logVersion']);
    expect(store.getState().model).toBe(store.getState().timeline.headModel);
    expect(store.getState().headSeq).toBe(499);
    expect(store.getState().log.length).toBe(500);
  });

  it('a single event is shown in the same flush (event → pixel stays one frame), and within one round of turns during a burst', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    let now = 5;
    const pipe = new EventPipeline(store, { schedule: clock.schedule, now: () => now });
    pipe.push(many(0, 100));
    clock.tick();
    for (let k = 0; k < 6; k++) { now += 16; clock.tick(); } // the burst's turns
    pipe.push(many(100, 1));
    clock.tick(); // within the burst's hold: its turn comes …
    for (let k = 0; k < 6 && store.getState().headSeq < 100; k++) { now += 16; clock.tick(); }
    expect(store.getState().headSeq).toBe(100); // … within three turns
    now += BUSY_HOLD_MS;
    clock.tick();
    pipe.push(many(101, 1));
    clock.tick();
    expect(store.getState().headSeq).toBe(101); // quiet again: in the same flush
    expect(store.getState().model.lastSeq).toBe(101);
  });

  it('a turn whose frame ran long pushes the next turn back by a multiple of its overrun, at most MAX_TURN_GAP_MS', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    let now = 1000;
    const pipe = new EventPipeline(store, { schedule: clock.schedule, now: () => now });
    let updates = 0;
    store.subscribe(() => updates++);
    const frame = (ms: number) => { now += ms; pipe.push(many(100 * updates + now, 50)); clock.tick(); };
    pipe.push(many(0, 100));
    clock.tick(); // busy: the cards' turn
    expect(updates).toBe(1);
    const turn = now;
    frame(60); // that turn's frame took 60 ms: 43.3 ms over one display interval
    const gap = TURN_MS + TURN_BACKOFF * (60 - FRAME_MS);
    for (let k = Math.ceil((turn + gap - now) / 16) - 1; k > 0; k--) {
      frame(16);
      expect(updates, `no turn ${now - turn} ms after a long one`).toBe(1);
    }
    frame(16);
    expect(updates).toBe(2); // the ladder's turn, once the gap has passed
    const turn2 = now;
    frame(200); // a stalled frame: 30 + 3 × 183 ms would be 580, the gap is capped
    for (let k = Math.ceil((turn2 + MAX_TURN_GAP_MS - now) / 16) - 1; k > 0; k--) { frame(16); expect(updates).toBe(2); }
    frame(16);
    expect(updates).toBe(3);
    expect(gap).toBeLessThan(MAX_TURN_GAP_MS);
  });

  it('counts the views\' work ahead against the fold budget: fold and work ahead together fit the flush', () => {
    const store = createAppStore();
    const clock = manualScheduler();
    let now = 1000;
    const pipe = new EventPipeline(store, { schedule: clock.schedule, now: () => now, budgetMs: 6 });
    // a view that lays out each new event ahead of its turn at 4 µs per event (folding itself takes no time here)
    let seen = 0;
    const stop = workAhead(() => {
      const last = store.getState().timeline.last + 1;
      now += 0.004 * (last - seen);
      seen = last;
    });
    try {
      pipe.push(many(0, 500));
      expect(pipe.flush()).toBe(500); // nothing measured yet: the budget is the fold's alone
      pipe.push(many(500, 20_000));
      const sizes: number[] = [];
      for (let k = 0; k < 5; k++) {
        const t0 = now;
        sizes.push(pipe.flush());
        // the fold is checked every 128 events: at most that many past the budget
        expect(now - t0).toBeLessThanOrEqual(6 + 128 * 0.004);
        now += 10;
      }
      // 6 ms / 4 µs = 1,500 events in a frame that only folds, not 20,000; a turn's frame folds for 1 ms (≈ 250)
      expect(Math.max(...sizes)).toBeGreaterThan(1000);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(1536);
      expect(Math.min(...sizes)).toBeGreaterThan(200);
    } finally {
      stop();
    }
  });

  it('says it is streaming from the first busy flush until the stream has been quiet for BUSY_HOLD_MS, with no flush to notice', () => {
    vi.useFakeTimers();
    try {
      const store = createAppStore();
      const clock = manualScheduler();
      const pipe = new EventPipeline(store, { schedule: clock.schedule, now: () => Date.now() });
      pipe.push(many(0, 1));
      clock.tick();
      expect(store.getState().streaming).toBe(false); // one event is not a stream
      pipe.push(many(1, 100));
      clock.tick();
      expect(store.getState().streaming).toBe(true);
      for (let k = 0; k < 10; k++) { vi.advanceTimersByTime(TURN_MS); pipe.push(many(101 + k * 100, 100)); clock.tick(); }
      vi.advanceTimersByTime(BUSY_HOLD_MS - 20);
      expect(store.getState().streaming).toBe(true); // within the hold of the last busy flush
      vi.advanceTimersByTime(40);
      expect(store.getState().streaming).toBe(false); // the timer noticed, no flush needed
    } finally {
      vi.useRealTimers();
    }
  });
});
