import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import { LogIndex } from './log.ts';
import { Timeline } from './timeline.ts';
import { inlinePacker } from './pack.ts';

const api = (seq: number, sock: string): SessionEvent => ({ v: 1, seq, ts: seq, layer: 'api', type: 'api.call', sock, call: 'send', args: {}, durationUs: 1, conn: `${sock}>x` });
const kern = (seq: number, sock: string): SessionEvent => ({ v: 1, seq, ts: seq, layer: 'kernel', type: 'kernel.tcp', sock, local: 'a:1', state: 'ESTABLISHED', sendQueue: 0, recvQueue: 0 });

function filled(n: number): LogIndex {
  const tl = new Timeline(undefined, 64, 1_000_000, { chunkSize: 16, hotChunks: 1, packer: inlinePacker });
  const log = new LogIndex(tl);
  for (let i = 0; i < n; i++) {
    const e = i % 2 ? kern(i, `s${i % 3}`) : api(i, `s${i % 3}`);
    tl.append(e);
    log.addEvent(i);
    if (i === 9) log.addNote(9, { kind: 'gap', params: { from: 1, to: 2 } });
  }
  return log;
}

describe('LogIndex: rows as numbers, objects only for the rows shown', () => {
  it('every event is a row in page order, notes in stream order between them', () => {
    const log = filled(100);
    expect(log.length).toBe(101);
    expect(log.row(10)?.note?.kind).toBe('gap');
    expect(log.row(11)?.event?.seq).toBe(10);
    expect(log.row(3)?.event).toEqual(kern(3, 's0')); // packed long ago, read back
  });

  it('filters by layer, socket and connection over the whole log, and keeps filtering what arrives later', () => {
    const log = filled(100);
    log.setFilter({ layers: { api: true, kernel: false, wire: true, session: true }, sock: null });
    expect(log.shown).toBe(51);
    log.setFilter({ layers: { api: true, kernel: true, wire: true, session: true }, sock: 's1' });
    const shown = Array.from({ length: log.shown }, (_, k) => log.shownRow(k)!);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((r) => r.event?.sock === 's1')).toBe(true);
    log.setFilter({ layers: { api: true, kernel: true, wire: true, session: true }, sock: 'conn:s2>x' });
    expect(Array.from({ length: log.shown }, (_, k) => log.shownRow(k)!.event?.conn)).toEqual(Array(17).fill('s2>x'));
  });

  it('cuts at the cursor and finds the row of an event by binary search', () => {
    const log = filled(100);
    expect(log.shownUpTo(null)).toBe(101);
    expect(log.shownUpTo(9)).toBe(11); // events 0..9 and the note after 9
    expect(log.shownUpTo(-1)).toBe(0);
    expect(log.shownIndexOfSeq(9)).toBe(9);
    expect(log.shownIndexOfSeq(10)).toBe(11);
    expect(log.shownIndexOfSeq(500)).toBe(-1);
  });
});
