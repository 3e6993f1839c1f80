import { memo, type ReactElement } from 'react';
import { arrowNumbers, arrowTitle, bundleDetail, bundleLabel, formatDelta, formatTime, laneTitle, markLabel, noteLabel, type T } from './format.ts';
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

export const LadderWindow = memo(function LadderWindow(p: LadderWindowProps): ReactElement {
  const { layout, first, last, m, width, t } = p;
  const top = first * m.rowH;
  const height = (last - first + 1) * m.rowH;
  const lanes = new Map<number, LaneView>();
  for (const l of layout.lanes) lanes.set(l.id, l);
  const lane = (id: number): string => { const l = lanes.get(id); return l ? laneTitle(l, t) : ''; };
  const out: ReactElement[] = [];
  for (let r = first; r <= last; r++) {
    const row = layout.rows[r];
    if (!row) break;
    const selected = rowSelected(row, p.selectedSeq);
    out.push(
      // keyed by slot, not by row: as rows stream past, the same elements take the new rows' words
      <li key={`s${r - first}`} className={`ll-row${selected ? ' ll-selected' : ''}`} style={{ top: (r - first) * m.rowH, height: m.rowH }}
        data-seq={row.seq} data-kind={row.kind} aria-current={selected || undefined}>
        <span className="ll-time">{formatTime(row.ts)}</span> {rowWords(row, t, lane)}
      </li>,
    );
  }
  for (const ph of layout.phases) {
    if (ph.toRow < first || ph.fromRow > last) continue;
    out.push(
      <li key={`ph${ph.kind}${ph.fromRow}`} className="ll-phase-label"
        style={{ top: (ph.fromRow - first) * m.rowH, height: (ph.toRow - ph.fromRow + 1) * m.rowH, width: m.gutter }}>
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

function rowWords(row: LadderRow, t: T, lane: (id: number) => string): ReactElement {
  switch (row.kind) {
    case 'arrow':
      return (
        <>
          <span className="ll-dir">{lane(row.from)} → {lane(row.to)}</span>{' '}
          <span className="ll-flags">{arrowTitle(row)}</span> <span className="ll-nums">{arrowNumbers(row)}</span>
          {row.inferred && <> <span className="ll-inferred-tag">({t('ladder.inferred')})</span></>}
          {row.analysis.map((code) => <span key={code} className={`ll-badge ll-badge-${code}`}> {t(`ladder.analysis.${code}`)}</span>)}
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
