import { describe, expect, it } from 'vitest';
import { emptyModel, fold, type Model, type SessionEvent } from '@socketscope/shared';
import { parseSession } from '../../recording/format.ts';
import { shippedText } from '../player/shipped.ts';
import { LAB_CLIENT_ADDRESS, LAB_SERVER_ADDRESS, LESSONS } from '@socketscope/shared/lessons/index';
import { LadderBuilder, layoutLadder } from './layout.ts';
import type { ArrowRow, LadderLayout } from './types.ts';

/**
 * L2, one lane per socket, on the lessons as they really ran (the page's shipped recordings), laid out
 * with the whole session known and event by event as the page does live. The udp-echo client's socket
 * is bound to 0.0.0.0:<port> by its first sendto() while its datagrams carry 127.0.0.1:<port>; the
 * tcp-refused client is known as 0.0.0.0:<port> while its SYN names 127.0.0.1:<port>; a connection
 * waiting in the accept queue is a kernel placeholder until accept() names it. Each is one socket, one
 * lane — not a "seen on the wire only" twin beside it. The lab lessons ran on two hosts: there a socket
 * bound to every address sends from its host's address (udp-loss's client: 10.77.0.1), not 127.0.0.1.
 */
const TEXTS = new Map(await Promise.all(LESSONS.map(async (l) => [l.id, await shippedText(l.id)] as const)));

function recording(lesson = 'udp-echo'): SessionEvent[] {
  const text = TEXTS.get(lesson);
  if (!text) throw new Error(`no shipped recording of ${lesson}`);
  const parsed = parseSession(text);
  if (!parsed.ok) throw new Error(parsed.problem.key);
  return parsed.events;
}

const udpSockets = (model: Model) => model.socketOrder.filter((id) => model.sockets[id]?.proto === 'udp');

function expectOneLanePerSocket(layout: LadderLayout, model: Model): void {
  const udp = layout.lanes.filter((l) => l.proto === 'udp');
  expect(udp.filter((l) => l.synthetic).map((l) => l.endpoint)).toEqual([]);
  expect(udp.map((l) => l.sock).toSorted()).toEqual(udpSockets(model).toSorted());
  // every datagram joins two sockets' lanes
  const datagrams = layout.rows.filter((r): r is ArrowRow => r.kind === 'arrow' && r.proto === 'udp');
  expect(datagrams.length).toBeGreaterThan(0);
  for (const d of datagrams) {
    const from = layout.lanes[layout.columnOf(d.from)];
    const to = layout.lanes[layout.columnOf(d.to)];
    expect(from?.sock).toBeDefined();
    expect(to?.sock).toBeDefined();
    expect(from?.sock).not.toBe(to?.sock);
  }
}

describe('UDP lanes on the lab (udp-loss): the client bound to every address is one lane, its datagrams naming its host', () => {
  const events = recording('udp-loss');
  const model = events.reduce((m, e) => fold(m, e), emptyModel());

  it('the case: a wildcard-bound client whose datagrams name the client host’s address', () => {
    const wildcard = udpSockets(model).filter((id) => model.sockets[id]!.local?.startsWith('0.0.0.0:'));
    expect(wildcard.length).toBeGreaterThan(0);
    const port = model.sockets[wildcard[0]!]!.local!.split(':')[1];
    expect(events.some((e) => e.type === 'udp.datagram' && e.src === `${LAB_CLIENT_ADDRESS}:${port}`)).toBe(true);
  });

  it('whole and live: one lane per socket', () => {
    expectOneLanePerSocket(layoutLadder(events, model), model);
    const live = incremental(events);
    expectOneLanePerSocket(live.layout, live.model);
  });
});

describe('UDP lanes (L2): one lane per socket, whatever address its datagrams name', () => {
  const events = recording();
  const model = events.reduce((m, e) => fold(m, e), emptyModel());

  it('the lesson binds its client to every address, and its datagrams name 127.0.0.1 (the case this is about)', () => {
    const wildcard = udpSockets(model).filter((id) => model.sockets[id]!.local?.startsWith('0.0.0.0:'));
    expect(wildcard.length).toBeGreaterThan(0);
    const port = model.sockets[wildcard[0]!]!.local!.split(':')[1];
    expect(events.some((e) => e.type === 'udp.datagram' && e.src === `127.0.0.1:${port}`)).toBe(true);
  });

  it('laid out with the whole session known: the client is one lane', () => {
    expectOneLanePerSocket(layoutLadder(events, model), model);
  });

  it('laid out live, event by event, with the model as it was then: datagrams seen before their socket was known join its lane', () => {
    const b = new LadderBuilder();
    let m = emptyModel();
    const seen: SessionEvent[] = [];
    for (const e of events) {
      m = fold(m, e);
      seen.push(e);
      b.update(seen, m);
    }
    expectOneLanePerSocket(b.snapshot(m), m);
  });

  it('a datagram whose socket never shows up keeps its own lane, marked as seen on the wire only', () => {
    const stray: SessionEvent = {
      v: 1, seq: 1_000_000, ts: 1, layer: 'wire', type: 'udp.datagram', src: '127.0.0.1:40001', dst: '127.0.0.1:40002',
      len: 3, inferred: false, bytes: 'YWJj',
    } as SessionEvent;
    const layout = layoutLadder([stray], emptyModel());
    expect(layout.lanes.map((l) => [l.endpoint, l.synthetic])).toEqual([['127.0.0.1:40001', true], ['127.0.0.1:40002', true]]);
  });
});

/** The layout as the page builds it live: one event at a time, with the model as it was then. */
function incremental(events: readonly SessionEvent[]): { layout: LadderLayout; model: Model } {
  const b = new LadderBuilder();
  let m = emptyModel();
  const seen: SessionEvent[] = [];
  for (const e of events) {
    m = fold(m, e);
    seen.push(e);
    b.update(seen, m);
  }
  return { layout: b.snapshot(m), model: m };
}

describe('every lesson: one lane per socket (L2), whole or live', () => {
  for (const lesson of LESSONS) {
    const events = recording(lesson.id);
    const model = events.reduce((m, e) => fold(m, e), emptyModel());
    for (const [how, layout, m] of [['whole', layoutLadder(events, model), model], ['live', ...Object.values(incremental(events))]] as const) {
      it(`${lesson.id}, ${how}: every lane names a socket the model has, no socket has two lanes, a lane without one has no socket at all`, () => {
        const l = layout as LadderLayout;
        const mm = m as Model;
        const socks = l.lanes.flatMap((x) => (x.sock ? [x.sock] : []));
        expect(socks.filter((id) => !mm.sockets[id])).toEqual([]);
        expect(socks.length).toBe(new Set(socks).size);
        // a synthetic lane is an address nobody of ours had: no socket of the model sits there
        // (on the lab a wildcard socket's packets name its host's address, and either host may hold it)
        const hosts = lesson.lab ? [LAB_CLIENT_ADDRESS, LAB_SERVER_ADDRESS] : ['127.0.0.1'];
        const owned = new Set(Object.values(mm.sockets).flatMap((s) => (s.local ? hosts.map((h) => s.local!.replace(/^0\.0\.0\.0:/, `${h}:`)) : [])));
        expect(l.lanes.filter((x) => x.synthetic && x.role !== 'listener' && x.endpoint && owned.has(x.endpoint)).map((x) => x.endpoint)).toEqual([]);
      });
    }
  }
});

describe('a connection the kernel showed before accept() named it (live, with the kernel\'s tracepoints)', () => {
  // the tcp-teardown lesson live: /proc shows the finished connection in the accept queue before accept()
  // returns it, so the fold holds it as a placeholder ("w:…") until accept() gives it the program's id
  const C = '127.0.0.1:50696';
  const S = '127.0.0.1:8989';
  const conn = `${C}>${S}`;
  const events = [
    { seq: 1, ts: 1, layer: 'api', type: 'api.call', call: 'socket', sock: 'p3.s1', args: {}, durationUs: 1, proto: 'tcp' },
    { seq: 2, ts: 2, layer: 'api', type: 'api.call', call: 'listen', sock: 'p3.s1', args: { backlog: 128 }, durationUs: 1, proto: 'tcp', local: S },
    { seq: 3, ts: 3, layer: 'api', type: 'api.call', call: 'socket', sock: 'p4.s1', args: {}, durationUs: 1, proto: 'tcp' },
    { seq: 4, ts: 4, layer: 'api', type: 'api.call', call: 'connect', sock: 'p4.s1', conn, args: { host: '127.0.0.1', port: 8989 }, durationUs: 1, proto: 'tcp', local: C, remote: S },
    { seq: 5, ts: 5, layer: 'kernel', type: 'kernel.tcp', conn, local: S, remote: C, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 0 },
    { seq: 6, ts: 6, layer: 'api', type: 'api.call', call: 'accept', sock: 'p3.s1', conn, args: {}, durationUs: 1, proto: 'tcp', local: S, remote: C, newSock: 'p3.s2' },
    { seq: 7, ts: 7, layer: 'kernel', type: 'kernel.tcp', sock: 'p3.s2', conn, local: S, remote: C, state: 'FIN_WAIT1', sendQueue: 0, recvQueue: 0 },
  ].map((e) => ({ v: 1, ...e }) as unknown as SessionEvent);

  it('the placeholder\'s lane becomes the accepted socket\'s: one lane, named by the program\'s id, not drawn as seen on the wire only', () => {
    const { layout, model } = incremental(events);
    expect(Object.keys(model.sockets).toSorted()).toEqual(['p3.s1', 'p3.s2', 'p4.s1']);
    const accepted = layout.lanes.filter((l) => l.endpoint === S && l.peer === C);
    expect(accepted.map((l) => [l.sock, l.synthetic])).toEqual([['p3.s2', false]]);
  });
});
