import { describe, expect, it } from 'vitest';
import type { EventInput, SessionEvent } from '../protocol/events.ts';
import { SessionEvent as SessionEventSchema } from '../protocol/events.ts';
import { foldAll } from './fold.ts';
import { BUNDLES_KEPT, emptyModel, type ConnModel } from './model.ts';
import { parseModel } from './model-schema.ts';

/** F24: a tcp.bundle folds as the segments it summarises, and its newer events replace its older ones. */

function stream(inputs: EventInput[], startSeq = 0): SessionEvent[] {
  return inputs.map((input, i) => SessionEventSchema.parse({ v: 1, seq: startSeq + i, ts: (startSeq + i) * 10, ...input }));
}

const S = '127.0.0.1:8888';
const C = '127.0.0.1:51234';
const CONN = `${C}>${S}`;
type Seg = Extract<EventInput, { type: 'tcp.segment' }>;

function seg(src: string, dst: string, flags: string[], seqNo: number, win: number, len = 0, retrans = false): Seg {
  return {
    layer: 'wire', type: 'tcp.segment', conn: CONN, src, dst, flags: flags as never, seqNo, ackNo: 1, win, len, options: {}, inferred: false, bytes: '',
    ...(retrans ? { analysis: ['retransmission' as const] } : {}),
  };
}

/** A bulk send client → server: handshake, `n` data segments each answered by an ACK, one retransmitted, teardown. */
function bulk(n: number): { head: Seg[]; run: Seg[]; tail: Seg[] } {
  const head = [seg(C, S, ['SYN'], 100, 65495), seg(S, C, ['SYN', 'ACK'], 900, 65483), seg(C, S, ['ACK'], 101, 65483)];
  const run: Seg[] = [];
  for (let i = 0; i < n; i++) {
    run.push(seg(C, S, ['PSH', 'ACK'], 101 + 1000 * i, 60000 - i, 1000, i === 7));
    run.push(seg(S, C, ['ACK'], 901, 50000 - 100 * i));
  }
  const tail = [seg(C, S, ['FIN', 'ACK'], 101 + 1000 * n, 1), seg(S, C, ['FIN', 'ACK'], 901, 2), seg(C, S, ['ACK'], 102 + 1000 * n, 3)];
  return { head, run, tail };
}

/**
 * The same run as the agent's bundler sends it (capture-bundle.ts B2–B4): the first `singles` data segments
 * and their ACKs one by one, then a data bundle and an ACK bundle re-sent as they grow (here after every
 * segment, the harshest case), and closed (open: false) before the teardown.
 */
function bundled(run: Seg[], singles = 4): EventInput[] {
  const out: EventInput[] = [];
  const ids = { data: 11, ack: 12 };
  const grown: Record<'data' | 'ack', Seg[]> = { data: [], ack: [] };
  const send = (kind: 'data' | 'ack', open: boolean): void => {
    const segs = grown[kind];
    if (segs.length < 2) return;
    const first = segs[0]!;
    const last = segs.at(-1)!;
    out.push({
      layer: 'wire', type: 'tcp.bundle', conn: CONN, bundle: ids[kind], src: first.src, dst: first.dst, count: segs.length,
      bytes: segs.reduce((n, s) => n + s.len, 0), firstSeq: first.seqNo!, endSeq: last.seqNo! + last.len,
      flags: [...new Set(segs.flatMap((s) => s.flags))], retransmissions: segs.filter((s) => s.analysis).length,
      win: last.win, wireTs: 1, wireEndTs: 2, open,
    });
  };
  run.forEach((s, i) => {
    if (i < 2 * singles) { out.push(s); return; }
    const kind = s.len > 0 ? 'data' : 'ack';
    grown[kind].push(s);
    send(kind, true);
  });
  send('data', false);
  send('ack', false);
  return out;
}

/** what the connection must say either way (not when each event came, nor the bundles' bookkeeping) */
const facts = (c: ConnModel) => ({
  stage: c.stage, segments: c.segments, capturedSegments: c.capturedSegments, inferredSegments: c.inferredSegments,
  bytesC2S: c.bytesC2S, bytesS2C: c.bytesS2C, finC2S: c.finC2S, finS2C: c.finS2C, rst: c.rst, isnC2S: c.isnC2S, isnS2C: c.isnS2C,
  winC2S: c.winC2S, winS2C: c.winS2C, retransmissions: c.retransmissions, handshake: c.handshake,
});

describe('fold: tcp.bundle (F24)', () => {
  it('a bulk transfer in bundles folds to the same connection as its segments one by one, at every stage', () => {
    const { head, run, tail } = bulk(40);
    const single = foldAll(emptyModel(), stream([...head, ...run]));
    const viaBundles = foldAll(emptyModel(), stream([...head, ...bundled(run)]));
    expect(facts(viaBundles.conns[CONN]!)).toEqual(facts(single.conns[CONN]!));
    expect(single.conns[CONN]).toMatchObject({ segments: 83, bytesC2S: 40_000, retransmissions: 1, stage: 'open', winC2S: 60000 - 39, winS2C: 50000 - 3900 });
    // and after the teardown
    foldAll(single, stream(tail, 1000));
    foldAll(viaBundles, stream(tail, 1000));
    expect(facts(viaBundles.conns[CONN]!)).toEqual(facts(single.conns[CONN]!));
    expect(viaBundles.conns[CONN]!.stage).toBe('closed');
    expect(viaBundles.conns[CONN]!.bundles?.map((b) => b.id)).toEqual([11, 12]);
    expect(parseModel(JSON.parse(JSON.stringify(viaBundles))).ok).toBe(true);
  });

  it('a repeated bundle event (a resend of the newest state) adds nothing', () => {
    const { head, run } = bulk(10);
    const evs = bundled(run);
    const last = evs.at(-1)!;
    const once = foldAll(emptyModel(), stream([...head, ...evs]));
    const twice = foldAll(emptyModel(), stream([...head, ...evs, last, last]));
    expect(facts(twice.conns[CONN]!)).toEqual(facts(once.conns[CONN]!));
  });

  it(`keeps the totals of the newest ${BUNDLES_KEPT} bundles: a late event of one of them still replaces, never adds`, () => {
    const b = (bundle: number, count: number, bytes: number): EventInput => ({
      layer: 'wire', type: 'tcp.bundle', conn: CONN, bundle, src: C, dst: S, count, bytes, firstSeq: 1, endSeq: 1 + bytes,
      flags: ['ACK'], retransmissions: 0, win: 100, wireTs: 1, wireEndTs: 2, open: true,
    });
    const m = foldAll(emptyModel(), stream([b(1, 2, 20), b(2, 2, 20), b(1, 3, 30), b(3, 4, 40), b(4, 2, 20), b(2, 5, 50)]));
    const c = m.conns[CONN]!;
    expect(c.segments).toBe(3 + 5 + 4 + 2);
    expect(c.bytesC2S).toBe(30 + 50 + 40 + 20);
    expect(c.bundles).toHaveLength(BUNDLES_KEPT);
    // a bundle without a handshake seen: its conn key says who is the client, and data with ACK means open
    expect(c).toMatchObject({ client: C, server: S, stage: 'open', capturedSegments: 14, inferredSegments: 0 });
  });

  it('a bundle without a conn key finds the connection known in the other direction', () => {
    const m = foldAll(emptyModel(), stream([
      seg(C, S, ['SYN'], 100, 1), seg(S, C, ['SYN', 'ACK'], 900, 1), seg(C, S, ['ACK'], 101, 1),
      { layer: 'wire', type: 'tcp.bundle', bundle: 3, src: S, dst: C, count: 3, bytes: 3000, firstSeq: 901, endSeq: 3901, flags: ['ACK', 'PSH'], retransmissions: 2, win: 777, wireTs: 1, wireEndTs: 2, open: false },
    ]));
    expect(m.connOrder).toEqual([CONN]);
    expect(m.conns[CONN]).toMatchObject({ bytesS2C: 3000, bytesC2S: 0, segments: 6, retransmissions: 2, winS2C: 777 });
  });
});
