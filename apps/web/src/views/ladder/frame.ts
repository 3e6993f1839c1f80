import type { LadderLayout, LadderRow, LaneView, PhaseSpan, StateBand } from './types.ts';

/**
 * What the page needs of the ladder's layout to draw what is in view, as plain data the session worker
 * posts (a LadderLayout has functions and every row of the window; this has the rows in view and what
 * they refer to). The worker lays out (layout.ts), the page only draws: `layoutOf(frame)` gives the
 * Ladder component a LadderLayout whose rows outside the frame are holes it never reads.
 */
export interface LadderFrame {
  lanes: LaneView[];
  /** lane number (as rows and bands name lanes) → column, for every lane the frame mentions */
  columns: [lane: number, column: number][];
  phases: PhaseSpan[];
  bands: StateBand[];
  /** rows of the whole layout */
  total: number;
  /** row number of rows[0] */
  offset: number;
  rows: LadderRow[];
  /** a call mark's row → the row its activation bar starts at (rowOfIdx of its startIdx) */
  startRows: [row: number, start: number][];
  /** the lab (layout.ts L8): a packet's row → the row of the other end of its arrow (its departure, arrival or drop) */
  pairRows?: [row: number, pair: number][];
  /** events laid out */
  events: number;
  /** the page's selected event, and its row (-1: not in this layout) */
  selSeq: number | null;
  selRow: number;
}

/** Rows past the view that a frame carries: activation bars reach this far back (layout.ts START_SCAN). */
export const FRAME_REACH = 64;

/** The frame for rows [first, first + count) of a layout (clamped), for the selected event `sel`. */
export function frameOf(layout: LadderLayout, first: number, count: number, sel: number | null): LadderFrame {
  const total = layout.rows.length;
  const from = Math.max(0, Math.min(first, total - count));
  const to = Math.min(total, from + count + FRAME_REACH);
  const rows = layout.rows.slice(from, to);
  const laneIds = new Set<number>();
  const startRows: [number, number][] = [];
  const pairRows: [number, number][] = [];
  rows.forEach((r, k) => {
    if (r.kind === 'arrow' && r.pairIdx !== undefined) {
      const q = layout.rowOfIdx(r.pairIdx);
      if (layout.rows[q]?.idx === r.pairIdx) pairRows.push([from + k, q]);
    }
    if (r.kind === 'arrow' || r.kind === 'bundle') { laneIds.add(r.from); laneIds.add(r.to); }
    else if (r.kind === 'mark' || r.kind === 'state') laneIds.add(r.lane);
    if (r.kind === 'mark' && r.startIdx < r.idx) startRows.push([from + k, layout.rowOfIdx(r.startIdx)]);
  });
  const bands = layout.bands.filter((b) => b.toRow >= from && b.fromRow < to);
  for (const b of bands) laneIds.add(b.lane);
  for (const l of layout.lanes) laneIds.add(l.id);
  return {
    lanes: [...layout.lanes], columns: [...laneIds].map((l) => [l, layout.columnOf(l)]),
    phases: layout.phases.filter((p) => p.toRow >= from && p.fromRow < to), bands,
    total, offset: from, rows, startRows, ...(pairRows.length > 0 ? { pairRows } : {}), events: layout.events, selSeq: sel, selRow: sel === null ? -1 : layout.rowOfSeq(sel),
  };
}

/** A LadderLayout over a frame, for the Ladder component. */
export function layoutOf(frame: LadderFrame): LadderLayout {
  // holes outside the frame: the Ladder reads only the rows in view
  const rows: LadderRow[] = [];
  rows.length = frame.total;
  frame.rows.forEach((r, k) => { rows[frame.offset + k] = r; });
  const columns = new Map(frame.columns);
  const idxRow = new Map<number, number>();
  frame.rows.forEach((r, k) => idxRow.set(r.idx, frame.offset + k));
  // activation bars: a mark's startIdx → the row the worker found for it
  for (const [row, start] of frame.startRows) {
    const r = rows[row];
    if (r?.kind === 'mark') idxRow.set(r.startIdx, start);
  }
  for (const [row, pair] of frame.pairRows ?? []) {
    const r = rows[row];
    if (r?.kind === 'arrow' && r.pairIdx !== undefined) idxRow.set(r.pairIdx, pair);
  }
  return {
    lanes: frame.lanes, phases: frame.phases, bands: frame.bands, rows, events: frame.events,
    columnOf: (lane) => columns.get(lane) ?? -1,
    rowOfIdx: (idx) => idxRow.get(idx) ?? -1,
    rowOfSeq: (seq) => {
      if (seq === frame.selSeq) return frame.selRow;
      for (let k = 0; k < frame.rows.length; k++) {
        const r = frame.rows[k]!;
        if (r.seq === seq || (r.kind === 'bundle' && seq >= r.seq && seq <= r.lastSeq)) return frame.offset + k;
      }
      return -1;
    },
  };
}

export const EMPTY_FRAME: LadderFrame = { lanes: [], columns: [], phases: [], bands: [], total: 0, offset: 0, rows: [], startRows: [], events: 0, selSeq: null, selRow: -1 };
