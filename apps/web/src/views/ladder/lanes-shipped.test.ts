import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emptyModel, fold, type Model, type SessionEvent } from '@socketscope/shared';
import { parseSession } from '../../recording/format.ts';
import { LadderBuilder, layoutLadder } from './layout.ts';
import type { ArrowRow, LadderLayout } from './types.ts';

/**
 * L2 for UDP, on the udp-echo lesson as it really ran (the page's shipped recording): the client's
 * socket is bound to 0.0.0.0:<port> by its first sendto(), while its datagrams carry 127.0.0.1:<port>.
 * Both are one socket, so one lane — the datagrams go from the client's lane to the server's and back,
 * not to a "seen on the wire only" twin beside it.
 */
function recording(): SessionEvent[] {
  const text = readFileSync(new URL('../../../recordings/udp-echo.jsonl', import.meta.url), 'utf8');
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
