import type { Model, SessionEvent } from '@socketscope/shared';
import type { LaneRegistry } from './lanes.ts';
import type { ArrowRow, BundleRow, LadderLayout, LadderRow, PhaseSpan, StateBand } from './types.ts';

/**
 * The layout as the renderer sees it, made from the builder's state: expanded bundles spliced in,
 * lanes in column order, state bands and phase spans turned from event indices into row numbers.
 * Cheap when nothing is expanded: the row array is shared, not copied.
 */
export interface SnapshotInput {
  model: Model;
  rows: readonly LadderRow[];
  lanes: LaneRegistry;
  states: readonly { lane: number; idx: number; to: StateBand['state'] }[];
  phases: readonly { kind: PhaseSpan['kind']; conn: string; fromIdx: number; toIdx: number }[];
  events: readonly SessionEvent[];
  processed: number;
  /** absolute index of events[0] */
  base: number;
  expanded?: ReadonlySet<number>;
  members: (b: BundleRow) => readonly ArrowRow[];
}

export function buildSnapshot(s: SnapshotInput): LadderLayout {
  const rows = s.expanded && s.expanded.size > 0 ? expand(s.rows, s.expanded, s.members) : s.rows;
  const rowOfIdx = (idx: number): number => {
    let lo = 0;
    let hi = rows.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (rows[mid]!.idx <= idx) lo = mid; else hi = mid - 1;
    }
    return lo;
  };
  const { lanes, columns } = s.lanes.views(s.model, rowOfIdx, s.base);
  const find = (lane: number) => s.lanes.find(lane);
  // events are in the order they happened, so their seqs need not be sorted: a scan (on a selection only)
  const rowOfSeq = (seq: number): number => {
    for (let k = 0; k < s.processed; k++) {
      if (s.events[k]!.seq !== seq) continue;
      const idx = k + s.base;
      const row = rowOfIdx(idx);
      const r = rows[row];
      if (!r) return -1;
      return r.idx === idx || (r.kind === 'bundle' && idx >= r.firstIdx && idx <= r.lastIdx) ? row : -1;
    }
    return -1;
  };
  return {
    lanes, rows, events: s.processed,
    phases: s.phases.map((p): PhaseSpan => ({ kind: p.kind, conn: p.conn, fromRow: rowOfIdx(p.fromIdx), toRow: rowOfIdx(p.toIdx) })),
    bands: bands(s.states, find, new Map(lanes.map((l) => [l.id, l])), rowOfIdx),
    columnOf: (lane) => columns[find(lane)] ?? -1,
    rowOfIdx, rowOfSeq,
  };
}

/** Each lane's state changes as bands from one change to the next (or on past the last row). */
function bands(
  states: SnapshotInput['states'], find: (l: number) => number,
  lanes: Map<number, { lastRow: number; ended: boolean }>, rowOfIdx: (i: number) => number,
): StateBand[] {
  const byLane = new Map<number, { idx: number; to: StateBand['state'] }[]>();
  for (const st of states) {
    const l = find(st.lane);
    const list = byLane.get(l) ?? [];
    list.push(st);
    byLane.set(l, list);
  }
  const out: StateBand[] = [];
  for (const [lane, list] of byLane) {
    const view = lanes.get(lane);
    if (!view) continue;
    const sorted = list.toSorted((a, b) => a.idx - b.idx);
    for (let i = 0; i < sorted.length; i++) {
      const st = sorted[i]!;
      const next = sorted[i + 1];
      const end = next ? rowOfIdx(next.idx) : view.ended || st.to === 'CLOSED' ? view.lastRow + 1 : Infinity;
      out.push({ lane, state: st.to, fromRow: rowOfIdx(st.idx), toRow: end });
    }
  }
  return out;
}

function expand(rows: readonly LadderRow[], expanded: ReadonlySet<number>, members: SnapshotInput['members']): LadderRow[] {
  const out: LadderRow[] = [];
  for (const r of rows) {
    if (r.kind !== 'bundle' || !expanded.has(r.id)) { out.push(r); continue; }
    out.push({ ...r, expanded: true });
    for (const m of members(r)) out.push(m);
  }
  return out;
}
