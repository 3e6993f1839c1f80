import { memo, type ReactElement } from 'react';
import { arrowNumbers, arrowTitle, bundleDetail, bundleLabel, formatDelta, formatTime, laneTitle, linkWords, markLabel, noteLabel, type T } from './format.ts';
import { rowSelected, type Metrics } from './geometry.ts';
import { shortPreview } from './payload.ts';
import type { LadderLayout, LadderRow, LaneView } from './types.ts';

/**
 * One window of the ladder's rows, first..last, as words: one list item per row, laid over the row the
 * canvas draws (paint.ts). It is what a screen reader reads, what a click or find-in-page lands on, and
 * what the end-to-end tests assert (`.ll-row[data-kind][data-seq]`, `.ll-flags`, `.ll-nums`). Its text
 * is transparent: the picture under it is the canvas, and a click on it is placed by Ladder's onPick.
 * Only these rows exist in the DOM (windowed), so 100,000 segments cost what 40 do. Not mounted while
 * Ladder's `words` is off (events pouring in).
 */
export interface LadderWindowProps {
  layout: LadderLayout;
  first: number;
  last: number;
  m: Metrics;
  width: number;
  t: T;
  selectedSeq: number | undefined;
}

/** rows per block: the list sits at the top of its block, so a row keeps its place (and its props) within it */
const BLOCK = 1024;

export const LadderWindow = memo(function LadderWindow(p: LadderWindowProps): ReactElement {
  const { layout, first, last, m, width, t } = p;
  const base = first - (first % BLOCK);
  const top = base * m.rowH;
  const height = (last - base + 1) * m.rowH;
  // by column: a row keeps the lane number it was made with, which a later merge (a socket that became
  // known) may have folded into another; columnOf follows the merge
  const lanes = new Map<number, LaneView>();
  for (const l of layout.lanes) lanes.set(l.column, l);
  const lane = (id: number): string => { const l = lanes.get(layout.columnOf(id)); return l ? laneTitle(l, t) : ''; };
  const out: ReactElement[] = [];
  // Keyed by the row number modulo the window's size: a row that stays in view keeps its element and is not
  // rendered again (its words are compared as text: a diff's rows are copies), and a new row takes the
  // element of the row that left, so a diff that adds one row renders one row, and a stream that replaces
  // every row reuses every element.
  const slots = Math.max(1, last - first + 1);
  for (let r = first; r <= last; r++) {
    const row = layout.rows[r];
    if (!row) break;
    const names = row.kind === 'arrow' || row.kind === 'bundle' ? `${lane(row.from)}\u0000${lane(row.to)}` : row.kind === 'note' ? '' : lane(row.lane);
    out.push(
      <LadderLine key={r % slots} row={row} sig={`${names}\u0000${JSON.stringify(row)}`} top={(r - base) * m.rowH} rowH={m.rowH}
        selected={rowSelected(row, p.selectedSeq)} t={t} lane={lane} />,
    );
  }
  for (const ph of layout.phases) {
    if (ph.toRow < first || ph.fromRow > last) continue;
    out.push(
      <li key={`ph${ph.kind}${ph.fromRow}`} className="ll-phase-label"
        style={{ top: (ph.fromRow - base) * m.rowH, height: (ph.toRow - ph.fromRow + 1) * m.rowH, width: m.gutter }}>
        {t(`ladder.phase.${ph.kind}`)}
      </li>,
    );
  }
  return (
    <ol className="ll-window" style={{ top, height, width }} aria-label={t('ladder.title')}>
      {out}
    </ol>
  );
});

interface LineProps {
  row: LadderRow;
  /** the row's words as text (its lanes' names and its fields): what decides whether it is rendered again */
  sig: string;
  top: number;
  rowH: number;
  selected: boolean;
  t: T;
  lane: (id: number) => string;
}

const LadderLine = memo(function LadderLine({ row, top, rowH, selected, t, lane }: LineProps): ReactElement {
  return (
    <li className={`ll-row${selected ? ' ll-selected' : ''}`} style={{ top, height: rowH }}
      data-seq={row.seq} data-kind={row.kind} aria-current={selected || undefined}>
      <span className="ll-time">{formatTime(row.ts)}</span> {rowWords(row, t, lane)}
    </li>
  );
}, (a, b) => a.sig === b.sig && a.top === b.top && a.rowH === b.rowH && a.selected === b.selected && a.t === b.t);

function rowWords(row: LadderRow, t: T, lane: (id: number) => string): ReactElement {
  switch (row.kind) {
    case 'arrow':
      return (
        <>
          <span className="ll-dir">{lane(row.from)} → {lane(row.to)}</span>{' '}
          <span className="ll-flags">{arrowTitle(row)}</span> <span className="ll-nums">{arrowNumbers(row)}</span>
          {row.inferred && <> <span className="ll-inferred-tag">({t('ladder.inferred')})</span></>}
          {row.analysis.map((code) => <span key={code} className={`ll-badge ll-badge-${code}`}> {t(`ladder.analysis.${code}`)}</span>)}
          {(row.leg || row.lost) && <> <span className={`ll-link${row.lost ? ' ll-lost' : ''}`} data-leg={row.leg ?? 'drop'}>{linkWords(row, t)}</span></>}
          {row.dt !== null && ` ${formatDelta(row.dt)}`}
          {row.len > 0 && row.bytes ? ` ${shortPreview(row.bytes, 14)}` : ''}
        </>
      );
    case 'bundle':
      return (
        <>
          <span className="ll-dir">{lane(row.from)} → {lane(row.to)}</span>{' '}
          <span className="ll-flags">{bundleLabel(row, t)}</span>
          {row.inferred && ` (${t('ladder.inferred')})`} {bundleDetail(row, t)} · {t(row.expanded ? 'ladder.bundle.collapse' : 'ladder.bundle.expand')}
        </>
      );
    case 'mark':
      return <><span className="ll-dir">{lane(row.lane)}</span> <span className="ll-flags">{markLabel(row.mark, t)}</span></>;
    case 'state': {
      const gone = row.to === 'CLOSED' && row.from !== null && row.from !== 'CLOSED';
      return <><span className="ll-dir">{lane(row.lane)}</span> <span className="ll-flags">{gone ? `${row.to} · ${t('ladder.state.gone')}` : row.to}</span></>;
    }
    case 'note':
      return <span className="ll-flags">{noteLabel(row, t)}</span>;
  }
}
