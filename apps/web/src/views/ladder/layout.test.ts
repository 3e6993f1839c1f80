import { describe, expect, it } from 'vitest';
import type { Model, SessionEvent } from '@socketscope/shared';
import { emptyModel, foldAll } from '@socketscope/shared';
import { DEMO_CLIENT, DEMO_SERVER, demoRefused, demoStream, demoSynthetic, demoTcpHello, demoUdpEcho } from './demo.ts';
import { LadderBuilder, layoutLadder } from './layout.ts';
import type { ArrowRow, BundleRow, LadderLayout, MarkRow, StateRow } from './types.ts';

const modelOf = (events: readonly SessionEvent[]): Model => foldAll(emptyModel(), events);

function laneOf(layout: LadderLayout, pred: (l: LadderLayout['lanes'][number]) => boolean): number {
  const lane = layout.lanes.find(pred);
  if (!lane) throw new Error('no such lane');
  return lane.column;
}

/** rows as [kind, seq, columns…]: compares layouts independent of lane numbering */
const shape = (l: LadderLayout) => l.rows.map((r) => (r.kind === 'arrow' || r.kind === 'bundle'
  ? [r.kind, r.seq, l.columnOf(r.from), l.columnOf(r.to)]
  : [r.kind, r.seq, r.kind === 'note' ? -1 : l.columnOf(r.lane)]));
/** a lane's socket id (or endpoint), independent of its column */
const laneName = (l: LadderLayout, lane: number) => l.lanes[l.columnOf(lane)]?.sock ?? l.lanes[l.columnOf(lane)]?.endpoint;
const arrows = (l: LadderLayout) => l.rows.filter((r): r is ArrowRow => r.kind === 'arrow');
const marks = (l: LadderLayout) => l.rows.filter((r): r is MarkRow => r.kind === 'mark');

describe('layoutLadder on the hello exchange', () => {
  const events = demoTcpHello();
  const layout = layoutLadder(events, modelOf(events));

  it('L3: three lifelines — client left, listening socket, accepted socket right', () => {
    expect(layout.lanes.map((l) => [l.role, l.sock])).toEqual([['client', 's2'], ['listener', 's1'], ['accepted', 's3']]);
    expect(layout.lanes.every((l) => !l.synthetic)).toBe(true);
  });

  it('L2: the listener gets SYN, SYN+ACK and the handshake ACK; the accepted socket carries data and teardown', () => {
    const client = laneOf(layout, (l) => l.sock === 's2');
    const listener = laneOf(layout, (l) => l.sock === 's1');
    const accepted = laneOf(layout, (l) => l.sock === 's3');
    const ends = arrows(layout).map((a) => [a.flags, layout.columnOf(a.from), layout.columnOf(a.to)]);
    expect(ends).toEqual([
      ['SYN', client, listener], ['SYN+ACK', listener, client], ['ACK', client, listener],
      ['PSH+ACK', client, accepted], ['ACK', accepted, client],
      ['PSH+ACK', accepted, client], ['ACK', client, accepted],
      ['FIN+ACK', client, accepted], ['ACK', accepted, client], ['FIN+ACK', accepted, client], ['ACK', client, accepted],
    ]);
  });

  it('L1: kernel queue samples make no row; state changes do, per socket', () => {
    const states = layout.rows.filter((r): r is StateRow => r.kind === 'state');
    const byLane = (sock: string) => states.filter((s) => layout.columnOf(s.lane) === laneOf(layout, (l) => l.sock === sock)).map((s) => s.to);
    expect(byLane('s2')).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT']);
    expect(byLane('s3')).toEqual(['ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    expect(byLane('s1')).toEqual(['LISTEN', 'CLOSED']);
    const recvQueueSamples = events.filter((e) => e.type === 'kernel.tcp' && e.recvQueue > 0);
    for (const e of recvQueueSamples) expect(layout.rowOfSeq(e.seq)).toBe(-1);
  });

  it('relative seq/ack and window come through; raw numbers stay on the event', () => {
    const data = arrows(layout).find((a) => a.flags === 'PSH+ACK')!;
    expect(data).toMatchObject({ relSeq: 1, relAck: 1, len: 21, win: 65536, inferred: false });
    expect(data.dt).toBeGreaterThan(0);
  });

  it('socket calls are marks on their own lifeline, accept() on the listener', () => {
    const labels = marks(layout).map((m) => `${m.mark.kind === 'call' ? m.mark.call : m.mark.kind}@${layout.lanes[layout.columnOf(m.lane)]!.sock}`);
    expect(labels).toContain('accept@s1');
    expect(labels).toContain('connect@s2');
    expect(labels.filter((l) => l === 'recv@s3')).toHaveLength(2);
  });

  it('L5: connect() completes after the handshake; its activation bar reaches back to the SYN', () => {
    const connect = marks(layout).find((m) => m.mark.kind === 'call' && m.mark.call === 'connect')!;
    const syn = arrows(layout).find((a) => a.flags === 'SYN')!;
    expect(connect.startIdx).toBe(syn.idx);
    expect(layout.rowOfIdx(connect.startIdx)).toBeLessThan(layout.rowOfIdx(connect.idx));
  });

  it('state bands run from each change to the next; a socket still in TIME_WAIT runs on', () => {
    const client = layout.lanes.find((l) => l.sock === 's2')!;
    const bands = layout.bands.filter((b) => b.lane === client.id);
    expect(bands.map((b) => b.state)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT']);
    for (let i = 0; i + 1 < bands.length; i++) expect(bands[i]!.toRow).toBe(bands[i + 1]!.fromRow);
    expect(bands.at(-1)!.toRow).toBe(Infinity);
    expect(client.ended).toBe(false);
    expect(layout.lanes.find((l) => l.sock === 's3')!.ended).toBe(true);
  });

  it('rowOfSeq finds the row of a shown event and rowOfIdx is monotonic', () => {
    for (const r of layout.rows) expect(layout.rowOfSeq(r.seq)).toBe(layout.rows.indexOf(r));
    let prev = -1;
    for (let i = 0; i < events.length; i++) {
      const row = layout.rowOfIdx(i);
      expect(row).toBeGreaterThanOrEqual(prev);
      prev = row;
    }
  });
});

describe('layoutLadder without api events (watch / pcap import)', () => {
  const wireOnly = demoTcpHello().filter((e) => e.layer === 'wire');

  it('L2: draws client, a listener proven by its SYN+ACK, and the per-connection socket from endpoints alone', () => {
    const layout = layoutLadder(wireOnly, modelOf(wireOnly));
    expect(layout.lanes.map((l) => [l.role, l.endpoint, l.synthetic])).toEqual([
      ['client', DEMO_CLIENT, true], ['listener', DEMO_SERVER, true], ['accepted', DEMO_SERVER, true],
    ]);
    expect(layout.lanes[1]!.listenerEvidence).toBe('synack');
    expect(arrows(layout)).toHaveLength(11);
  });

  it('kernel events of a watched program give its lanes their states', () => {
    const watched = demoTcpHello().filter((e) => e.layer !== 'api').map((e) => ('sock' in e ? { ...e, sock: undefined } : e)) as SessionEvent[];
    const layout = layoutLadder(watched, modelOf(watched));
    expect(layout.lanes).toHaveLength(3);
    const client = layout.lanes.find((l) => l.role === 'client')!;
    expect(layout.bands.filter((b) => b.lane === client.id).map((b) => b.state)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT']);
  });
});

describe('layoutLadder edge cases', () => {
  it('a refused connect() is drawn on one client lane with its SYN, and the RST comes from the closed port', () => {
    const events = demoRefused();
    const layout = layoutLadder(events, modelOf(events));
    expect(layout.lanes).toHaveLength(2);
    expect(layout.lanes[0]).toMatchObject({ sock: 's4' });
    expect(layout.lanes[1]).toMatchObject({ role: 'listener', synthetic: true, listenerEvidence: 'refused' });
    expect(arrows(layout).map((a) => a.flags)).toEqual(['SYN', 'RST+ACK']);
    const connect = marks(layout).at(-1)!;
    expect(connect.mark).toMatchObject({ kind: 'call', call: 'connect', ok: false, code: 'ECONNREFUSED' });
  });

  it('UDP: datagrams are arrows with no handshake; the sender is left; drops show as a mark', () => {
    const events = demoUdpEcho();
    const layout = layoutLadder(events, modelOf(events));
    expect(layout.lanes.map((l) => l.sock)).toEqual(['u2', 'u1']);
    expect(arrows(layout).every((a) => a.proto === 'udp' && a.flags === '')).toBe(true);
    expect(arrows(layout)).toHaveLength(4);
    expect(marks(layout).at(-1)!.mark).toEqual({ kind: 'drops', added: 17, total: 17 });
  });

  it('inferred segments stay inferred and carry no numbers', () => {
    const events = demoTcpHello({ inferred: true });
    const layout = layoutLadder(events, modelOf(events));
    expect(arrows(layout).every((a) => a.inferred && a.relSeq === null && a.win === null)).toBe(true);
    expect(layout.rows[0]).toMatchObject({ kind: 'note', source: 'wire', available: false });
  });

  it('relative numbers are computed from the SYNs when the event lacks them', () => {
    const events = demoTcpHello().map((e) => (e.type === 'tcp.segment' ? { ...e, relSeq: undefined, relAck: undefined } : e)) as SessionEvent[];
    const layout = layoutLadder(events, modelOf(events));
    expect(arrows(layout).slice(0, 4).map((a) => [a.relSeq, a.relAck])).toEqual([[0, null], [0, 1], [1, 1], [1, 1]]);
  });
});

describe('bundles (L4)', () => {
  it('a long one-way transfer with ACKs back collapses into one bundle with its counts', () => {
    const events = demoSynthetic({ pattern: 'bulk', segments: 812, mss: 5000 });
    const layout = layoutLadder(events, modelOf(events));
    const bundles = layout.rows.filter((r): r is BundleRow => r.kind === 'bundle');
    expect(bundles).toHaveLength(1);
    expect(bundles[0]).toMatchObject({ segments: 812, acks: 406, bytes: 812 * 5000 });
    // listen mark + 3 handshake arrows + the bundle
    expect(layout.rows).toHaveLength(5);
  });

  it('short runs stay individual rows, and anything else between data segments breaks the run', () => {
    const events = demoSynthetic({ pattern: 'bulk', segments: 7 });
    expect(layoutLadder(events, modelOf(events)).rows.some((r) => r.kind === 'bundle')).toBe(false);
    const pingpong = demoSynthetic({ pattern: 'pingpong', segments: 50 });
    expect(layoutLadder(pingpong, modelOf(pingpong)).rows.some((r) => r.kind === 'bundle')).toBe(false);
  });

  it('a segment with an analysis flag (zero window) is never hidden inside a bundle', () => {
    const events = demoSynthetic({ pattern: 'bulk', segments: 40 });
    const mid = events.findIndex((e, i) => i > 30 && e.type === 'tcp.segment' && e.len === 0);
    events[mid] = { ...(events[mid] as ArrowRow & SessionEvent), analysis: ['zero-window'] } as SessionEvent;
    const layout = layoutLadder(events, modelOf(events));
    const flagged = arrows(layout).filter((a) => a.analysis.includes('zero-window'));
    expect(flagged).toHaveLength(1);
    expect(layout.rows.filter((r) => r.kind === 'bundle')).toHaveLength(2);
  });

  it('an expanded bundle lists every segment after its header, with the right directions', () => {
    const events = demoSynthetic({ pattern: 'bulk', segments: 20 });
    const model = modelOf(events);
    const collapsed = layoutLadder(events, model);
    const bundle = collapsed.rows.find((r): r is BundleRow => r.kind === 'bundle')!;
    const open = layoutLadder(events, model, { expanded: new Set([bundle.id]) });
    const members = arrows(open).filter((a) => a.bundle === bundle.id);
    expect(members).toHaveLength(30);
    expect(members.filter((m) => m.len > 0).every((m) => m.from === bundle.from && m.to === bundle.to)).toBe(true);
    expect(members.filter((m) => m.len === 0).every((m) => m.from === bundle.to)).toBe(true);
    expect(open.rowOfSeq(members[5]!.seq)).toBe(open.rows.indexOf(members[5]!));
    expect(collapsed.rowOfSeq(members[5]!.seq)).toBe(collapsed.rows.indexOf(bundle));
  });
});

describe('LadderBuilder (L6)', () => {
  it('appending events one batch at a time gives the same layout as one pass', () => {
    const events = [...demoTcpHello(), ...demoSynthetic({ pattern: 'bulk', segments: 30 }).slice(4).map((e, i) => ({ ...e, seq: 1000 + i }))];
    const whole = layoutLadder(events, modelOf(events));
    const b = new LadderBuilder();
    const model = emptyModel();
    for (let n = 0; n < events.length; n += 3) {
      const prefix = events.slice(0, n + 3);
      foldAll(model, events.slice(n, n + 3));
      b.update(prefix, model);
    }
    const inc = b.snapshot(model);
    expect(shape(inc)).toEqual(shape(whole));
    expect(inc.lanes.map((l) => [l.role, l.sock])).toEqual(whole.lanes.map((l) => [l.role, l.sock]));
  });

  it('a sliding window (events dropped at the front) keeps appending: the rows are the full layout\'s rows for the window', () => {
    const events = [...demoStream(), ...demoSynthetic({ pattern: 'bulk', segments: 30 }).slice(4).map((e, i) => ({ ...e, seq: 1000 + i }))];
    const model = modelOf(events);
    const whole = layoutLadder(events, model);
    const b = new LadderBuilder();
    const WINDOW = 25;
    let resets = 0;
    for (let end = 5; end <= events.length; end += 4) {
      const before = b.snapshot(model).rows.length;
      b.update(events.slice(Math.max(0, end - WINDOW), end), model);
      if (b.snapshot(model).rows.length < before - 10) resets++;
    }
    b.update(events.slice(events.length - WINDOW), model);
    const win = b.snapshot(model);
    const firstSeq = events[events.length - WINDOW]!.seq;
    // lanes named by their socket: columns differ once the listener's rows have left the window
    const tail = (l: LadderLayout) => l.rows
      .filter((row) => (row.kind === 'bundle' ? row.lastSeq : row.seq) >= firstSeq)
      .map((r) => (r.kind === 'arrow' || r.kind === 'bundle' ? [r.kind, r.seq, laneName(l, r.from), laneName(l, r.to)] : [r.kind, r.seq, r.kind === 'note' ? '' : laneName(l, r.lane)]));
    expect(tail(win)).toEqual(tail(whole));
    expect(resets).toBe(0);
    expect(win.lanes.map((l) => l.sock)).toEqual(['s2', 's3']);
    // the accepted socket was ESTABLISHED before the window began; its band still says so
    const s3 = win.lanes.find((l) => l.sock === 's3')!;
    expect(win.bands.find((bd) => bd.lane === s3.id)).toMatchObject({ state: 'ESTABLISHED', fromRow: 0 });
  });

  it('starts over when the events are not an extension (seek back in a replay)', () => {
    const events = demoTcpHello();
    const model = modelOf(events);
    const b = new LadderBuilder();
    b.update(events, model);
    const short = events.slice(0, 10);
    b.update(short, modelOf(short));
    expect(b.snapshot().events).toBe(10);
    expect(b.update(short, modelOf(short))).toBe(false);
  });

  it('lays out 100,000 events in linear time, and appends 1,000 more in a fraction of that', () => {
    // best of 3: the machine running the suite is often busy; an O(n²) layout would take minutes, not seconds
    const report: string[] = [];
    for (const pattern of ['pingpong', 'bulk'] as const) {
      const events = demoSynthetic({ pattern, segments: pattern === 'bulk' ? 66_666 : 100_000 }).slice(0, 100_000);
      const model = modelOf(events);
      let ms = Infinity;
      let rows = 0;
      for (let k = 0; k < 3; k++) {
        const t0 = performance.now();
        rows = layoutLadder(events, model).rows.length;
        ms = Math.min(ms, performance.now() - t0);
      }
      const b = new LadderBuilder();
      b.update(events.slice(0, 99_000), model);
      const t1 = performance.now();
      b.update(events, model);
      b.snapshot(model);
      const appendMs = performance.now() - t1;
      report.push(`${pattern}: layoutLadder(100k events) ${ms.toFixed(1)} ms → ${rows} rows; append 1k ${appendMs.toFixed(2)} ms`);
      expect(ms).toBeLessThan(2500);
      expect(appendMs).toBeLessThan(ms);
    }
    console.log(report.join('\n'));
  });
});

describe('course phases', () => {
  it('marks the three-way handshake (SYN…ACK) and the four-way teardown (FIN…last ACK)', () => {
    const events = demoTcpHello();
    const layout = layoutLadder(events, modelOf(events));
    const rowOf = (flags: string, nth = 0) => layout.rows.indexOf(arrows(layout).filter((a) => a.flags === flags)[nth]!);
    expect(layout.phases).toEqual([
      { kind: 'handshake', conn: `${DEMO_CLIENT}>${DEMO_SERVER}`, fromRow: rowOf('SYN'), toRow: rowOf('ACK', 0) },
      { kind: 'teardown', conn: `${DEMO_CLIENT}>${DEMO_SERVER}`, fromRow: rowOf('FIN+ACK'), toRow: layout.rows.indexOf(arrows(layout).at(-1)!) },
    ]);
  });
});
