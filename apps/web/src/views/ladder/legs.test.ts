import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import { emptyModel, foldAll, parseEvent } from '@socketscope/shared';
import { LadderBuilder, layoutLadder } from './layout.ts';
import { MAX_PENDING } from './legs.ts';
import type { ArrowRow, LadderLayout } from './types.ts';

/**
 * Rule L8: the lab's two captures of one packet are one arrow; a drop is an arrow to the middle with ✕.
 * Events go through the shared schema (parseEvent), as the session worker's do.
 */
const C = '10.77.0.1:40000';
const S = '10.77.0.2:9000';
let seq = 0;
function ev(raw: Record<string, unknown>): SessionEvent {
  const r = parseEvent({ v: 1, seq: seq++, ts: 1000 + seq, ...raw });
  if (!r.ok) throw new Error(r.error);
  return r.event;
}
const linkUp = () => ev({ layer: 'session', type: 'link.state', up: true, conditions: { delayMs: 100, jitterMs: 0, lossPct: 0, rateKbit: null }, hosts: { client: '10.77.0.1', server: '10.77.0.2' } });
function seg(host: 'client' | 'server', src: string, dst: string, flags: string[], seqNo: number, ackNo: number, len: number, wireTs: number, analysis?: string[]) {
  return ev({
    layer: 'wire', type: 'tcp.segment', src, dst, flags, seqNo, ackNo, win: 64240, len, options: {}, inferred: false,
    bytes: len > 0 ? btoa('x'.repeat(Math.min(len, 8))) : '', wireTs, host, ...(analysis ? { analysis } : {}),
  });
}
const drop = (src: string, dst: string, flags: string[] | undefined, seqNo: number | undefined, len: number, wireTs: number, proto = 'tcp', reason = 'oneshot') =>
  ev({ layer: 'wire', type: 'link.drop', src, dst, proto, len, reason, wireTs, ...(flags ? { flags } : {}), ...(seqNo !== undefined ? { seqNo } : {}) });
const dgram = (host: 'client' | 'server', src: string, dst: string, text: string, wireTs: number) =>
  ev({ layer: 'wire', type: 'udp.datagram', src, dst, len: text.length, inferred: false, bytes: btoa(text), wireTs, host });

const arrows = (l: LadderLayout) => l.rows.filter((r): r is ArrowRow => r.kind === 'arrow');
const bySeq = (l: LadderLayout, s: number) => arrows(l).find((a) => a.seq === s)!;

/** a connection over a 100 ms link: handshake, one lost data segment and its retransmission */
function lossyConnection(): SessionEvent[] {
  seq = 0;
  const I = 1000; // client ISN
  const J = 5000; // server ISN
  return [
    linkUp(),
    seg('client', C, S, ['SYN'], I, 0, 0, 10_000),
    seg('server', C, S, ['SYN'], I, 0, 0, 110_000),
    seg('server', S, C, ['SYN', 'ACK'], J, I + 1, 0, 110_100),
    seg('client', S, C, ['SYN', 'ACK'], J, I + 1, 0, 210_100),
    seg('client', C, S, ['ACK'], I + 1, J + 1, 0, 210_200),
    seg('server', C, S, ['ACK'], I + 1, J + 1, 0, 310_200),
    seg('client', C, S, ['PSH', 'ACK'], I + 1, J + 1, 100, 400_000), // 7: lost
    drop(C, S, ['PSH', 'ACK'], I + 1, 100, 400_050), // 8
    seg('client', C, S, ['PSH', 'ACK'], I + 1, J + 1, 100, 1_400_000, ['retransmission']), // 9: the retransmission
    seg('server', C, S, ['PSH', 'ACK'], I + 1, J + 1, 100, 1_500_000, ['retransmission']), // 10: arrives
    seg('client', S, C, ['ACK'], J + 1, I + 101, 0, 1_600_100), // 11: the client's capture only (its departure not seen)
  ];
}

describe('L8 the lab: one arrow per packet from its departure to its arrival', () => {
  const events = lossyConnection();
  const layout = layoutLadder(events, foldAll(emptyModel(), events));

  it('pairs each departure with its arrival, on the same lanes, with the link’s delay', () => {
    const syn = bySeq(layout, 1);
    const synArr = bySeq(layout, 2);
    expect(syn).toMatchObject({ leg: 'depart', pairIdx: 2, delay: 100_000 });
    expect(synArr).toMatchObject({ leg: 'arrive', pairIdx: 1, delay: 100_000 });
    expect([synArr.from, synArr.to]).toEqual([syn.from, syn.to]);
    // the handshake's last ACK: its arrival stays on the listener's lane although the phase moved on
    expect([bySeq(layout, 6).from, bySeq(layout, 6).to]).toEqual([bySeq(layout, 5).from, bySeq(layout, 5).to]);
    expect(layout.columnOf(syn.to)).toBe(layout.columnOf(bySeq(layout, 5).to));
  });

  it('the lost original ends in ✕ at its drop; the retransmission keeps its mark and arrives', () => {
    expect(bySeq(layout, 7)).toMatchObject({ leg: 'depart', lost: 'oneshot', pairIdx: 8, relSeq: 1 });
    expect(bySeq(layout, 8)).toMatchObject({ lost: 'oneshot', pairIdx: 7, flags: 'PSH+ACK', relSeq: 1, len: 100 });
    expect(bySeq(layout, 9)).toMatchObject({ leg: 'depart', pairIdx: 10, analysis: ['retransmission'] });
    expect(bySeq(layout, 9).lost).toBeUndefined();
    expect(bySeq(layout, 10)).toMatchObject({ leg: 'arrive', pairIdx: 9, delay: 100_000 });
  });

  it('the handshake span runs from the SYN’s departure to the last ACK’s departure', () => {
    expect(layout.phases).toEqual([{ kind: 'handshake', conn: `${C}>${S}`, fromRow: layout.rowOfSeq(1), toRow: layout.rowOfSeq(5) }]);
  });

  it('an arrival whose departure was never seen is drawn from the middle (no pair)', () => {
    expect(bySeq(layout, 11)).toMatchObject({ leg: 'arrive' });
    expect(bySeq(layout, 11).pairIdx).toBeUndefined();
  });

  it('a drop placed before its departure (the capture’s clock reads late) still joins it', () => {
    seq = 0;
    const ev2 = [linkUp(), drop(C, S, ['PSH', 'ACK'], 77, 10, 5_000, 'tcp', 'loss'), seg('client', C, S, ['PSH', 'ACK'], 77, 1, 10, 5_400)];
    const l = layoutLadder(ev2, foldAll(emptyModel(), ev2));
    expect(bySeq(l, 1)).toMatchObject({ lost: 'loss', pairIdx: 2 });
    expect(bySeq(l, 2)).toMatchObject({ leg: 'depart', lost: 'loss', pairIdx: 1 });
  });

  it('lab packets never bundle: twenty data segments are twenty pairs', () => {
    seq = 0;
    const list: SessionEvent[] = [linkUp()];
    for (let i = 0; i < 20; i++) {
      list.push(seg('client', C, S, ['ACK'], 1 + i * 1448, 1, 1448, 1000 + i * 10));
      list.push(seg('server', C, S, ['ACK'], 1 + i * 1448, 1, 1448, 50_000 + i * 10));
    }
    const l = layoutLadder(list, foldAll(emptyModel(), list));
    expect(l.rows.filter((r) => r.kind === 'bundle')).toHaveLength(0);
    const pairs = arrows(l).filter((a) => a.leg === 'depart' && a.pairIdx !== undefined);
    expect(pairs).toHaveLength(20);
    for (const a of pairs) expect(l.rows[l.rowOfIdx(a.pairIdx!)]!.seq).toBe(a.seq + 1);
  });

  it('UDP pairs by payload, so reordered datagrams cross; a lost one ends in ✕ on the newest departure of its length', () => {
    seq = 0;
    const list = [
      linkUp(),
      dgram('client', C, S, 'one', 1000), dgram('client', C, S, 'two', 1100), dgram('client', C, S, 'six', 1200),
      // 'six' was lost as it entered the link; 'one' and 'two', of the same length, are still in flight
      drop(C, S, undefined, undefined, 3, 1250, 'udp', 'oneshot'),
      dgram('server', C, S, 'two', 101_100), dgram('server', C, S, 'one', 150_000),
    ];
    const l = layoutLadder(list, foldAll(emptyModel(), list));
    expect(bySeq(l, 4)).toMatchObject({ lost: 'oneshot', pairIdx: 3 });
    expect(bySeq(l, 3)).toMatchObject({ leg: 'depart', lost: 'oneshot' });
    expect(bySeq(l, 5)).toMatchObject({ leg: 'arrive', pairIdx: 2 });
    expect(bySeq(l, 6)).toMatchObject({ leg: 'arrive', pairIdx: 1 });
    // crossing: 'one' left first and arrived last
    expect(l.rowOfIdx(bySeq(l, 6).idx)).toBeGreaterThan(l.rowOfIdx(bySeq(l, 5).idx));
  });

  it('a departure whose arrival never comes (the receiver’s host not captured) becomes a plain arrow once the link’s delay + a second passed', () => {
    seq = 0;
    const list = [linkUp(), dgram('client', C, S, 'one', 1000), dgram('client', C, S, 'two', 500_000), dgram('client', C, S, 'six', 1_200_000)];
    const l = layoutLadder(list, foldAll(emptyModel(), list));
    // 100 ms delay + 1 s: the first waited in vain by the third's time, the second still waits
    expect(bySeq(l, 1).leg).toBeUndefined();
    expect(bySeq(l, 2).leg).toBe('depart');
    expect(bySeq(l, 3).leg).toBe('depart');
  });

  it('without host (loopback) nothing changes: no legs, no pairs', () => {
    seq = 0;
    const list = [seg('client', '127.0.0.1:1', '127.0.0.1:2', ['SYN'], 1, 0, 0, 10)].map((e) => { const { host: _h, ...rest } = e as SessionEvent & { host?: string }; return rest as SessionEvent; });
    const l = layoutLadder(list, foldAll(emptyModel(), list));
    expect(arrows(l)[0]!.leg).toBeUndefined();
    expect(arrows(l)[0]!.pairIdx).toBeUndefined();
  });

  it('stays bounded and O(1): 30,000 departures with no arrival are laid out incrementally', () => {
    seq = 0;
    const all: SessionEvent[] = [linkUp()];
    for (let i = 0; i < 30_000; i++) all.push(seg('client', C, S, ['ACK'], 1 + i, 1, 1, 1000 + i));
    const b = new LadderBuilder();
    const model = emptyModel();
    const t0 = performance.now();
    for (let n = 1001; n <= all.length; n += 1000) b.update(all.slice(0, n), model);
    b.update(all, model);
    const ms = performance.now() - t0;
    expect(b.snapshot(model).rows.length).toBe(30_000);
    expect(MAX_PENDING).toBeLessThan(30_000);
    expect(ms).toBeLessThan(3000);
  });
});
