import { memo, type ReactElement } from 'react';
import { arrowNumbers, arrowTitle, bundleDetail, bundleLabel, formatDelta, formatTime, markLabel, noteLabel, type T } from './format.ts';
import { arrowKind, laneX, rowLines, stateFamily, textWidth, type Metrics } from './geometry.ts';
import { shortPreview } from './payload.ts';
import type { ArrowRow, BundleRow, LadderLayout, LadderRow, MarkRow, StateRow } from './types.ts';

/**
 * One window of the ladder: rows first..last drawn as SVG, positioned by the caller. Only these rows
 * exist in the DOM (windowed rendering), so 100,000 segments cost what 40 do.
 */
export interface LadderWindowProps {
  layout: LadderLayout;
  first: number;
  last: number;
  m: Metrics;
  width: number;
  t: T;
  selectedSeq: number | undefined;
  onRow: (row: LadderRow) => void;
}

export const LadderWindow = memo(function LadderWindow(p: LadderWindowProps): ReactElement {
  const { layout, first, last, m, width, t } = p;
  const top = first * m.rowH;
  const height = (last - first + 1) * m.rowH;
  const yTop = (row: number) => row * m.rowH - top;
  const x = (lane: number) => laneX(m, layout.columnOf(lane));
  const lines = rowLines(m);
  const out: ReactElement[] = [];

  // state bands and lifelines first, so rows draw over them
  for (const b of layout.bands) {
    if (b.toRow <= first || b.fromRow > last) continue;
    const col = layout.columnOf(b.lane);
    if (col < 0) continue;
    const y0 = Math.max(yTop(b.fromRow) + lines.mid, 0);
    const y1 = Math.min(b.toRow === Infinity ? height : yTop(b.toRow) + lines.mid, height);
    if (y1 <= y0) continue;
    out.push(<rect key={`band${b.lane}-${b.fromRow}`} className={`ll-band ll-st-${stateFamily(b.state)}`} x={laneX(m, col) - m.font * 0.55} width={m.font * 1.1} y={y0} height={y1 - y0} />);
  }
  for (const lane of layout.lanes) {
    if (lane.firstRow > last) continue;
    const end = lane.ended ? lane.lastRow : Infinity;
    if (end < first) continue;
    const y0 = Math.max(yTop(lane.firstRow), 0);
    const y1 = end === Infinity ? height : Math.min(yTop(end) + m.rowH, height);
    const cx = laneX(m, lane.column);
    out.push(<line key={`life${lane.id}`} className={`ll-lifeline${lane.synthetic ? ' ll-synthetic' : ''}`} x1={cx} x2={cx} y1={y0} y2={y1} />);
    if (lane.ended && end <= last) {
      const ye = yTop(end) + m.rowH - m.font * 0.4;
      const d = m.font * 0.45;
      out.push(<path key={`end${lane.id}`} className="ll-end" d={`M${cx - d},${ye - d}L${cx + d},${ye + d}M${cx + d},${ye - d}L${cx - d},${ye + d}`} />);
    }
  }

  // activation bars: a call that took a while spans the rows it waited through (connect() over the handshake)
  for (let r = first; r <= Math.min(last + 64, layout.rows.length - 1); r++) {
    const row = layout.rows[r]!;
    if (row.kind !== 'mark' || row.startIdx >= row.idx) continue;
    const startRow = layout.rowOfIdx(row.startIdx);
    if (startRow >= r || r < first) continue;
    const y0 = Math.max(yTop(startRow) + 2, 0);
    const y1 = yTop(r) + lines.mid;
    out.push(<rect key={`act${r}`} className="ll-activation" x={x(row.lane) - m.font * 0.4} width={m.font * 0.8} y={y0} height={Math.max(0, y1 - y0)} />);
  }

  for (let r = first; r <= last; r++) {
    const row = layout.rows[r];
    if (!row) break;
    const y = yTop(r);
    const selected = p.selectedSeq !== undefined && (row.seq === p.selectedSeq || (row.kind === 'bundle' && p.selectedSeq >= row.seq && p.selectedSeq <= row.lastSeq));
    out.push(
      // keyed by slot, not by row: as rows stream past, the same elements take the new rows' drawing
      <g key={`s${r - first}`} transform={`translate(0 ${y})`} className={`ll-row${selected ? ' ll-selected' : ''}`}
        onClick={() => p.onRow(row)} data-seq={row.seq} data-kind={row.kind}>
        <rect className="ll-hit" x={0} y={0} width={width} height={m.rowH} />
        {selected && <rect className="ll-selbox" x={1} y={1} width={width - 2} height={m.rowH - 2} />}
        <text className="ll-time" x={m.font * 0.9} y={lines.label}>{selected ? '▶ ' : ''}{formatTime(row.ts)}</text>
        {rowBody(row, p, x, lines)}
      </g>,
    );
  }

  for (const ph of layout.phases) {
    if (ph.toRow < first || ph.fromRow > last) continue;
    const y0 = yTop(ph.fromRow) + 4;
    const y1 = yTop(ph.toRow) + m.rowH - 4;
    const bx = m.gutter - m.font * 0.7;
    out.push(
      <g key={`ph${ph.kind}${ph.fromRow}`} className={`ll-phase ll-phase-${ph.kind}`}>
        <path d={`M${bx + 6},${y0}H${bx}V${y1}H${bx + 6}`} />
        <PhaseLabel text={t(`ladder.phase.${ph.kind}`)} x={bx - m.font * 0.75} y={(y0 + y1) / 2} size={m.font * 0.95} />
      </g>,
    );
  }

  return (
    <svg className="ll-window" width={width} height={height} style={{ top }} fontSize={m.font} role="presentation">
      <defs>
        {(['syn', 'data', 'fin', 'rst', 'ack', 'udp'] as const).map((k) => (
          <marker key={k} id={`ll-head-${k}`} className={`ll-head ll-k-${k}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0L10,5L0,10z" />
          </marker>
        ))}
      </defs>
      {out}
    </svg>
  );
});

type Lines = ReturnType<typeof rowLines>;

/** Vertical label beside a phase bracket: 三次握手 stacked upright, Latin text turned a quarter. */
function PhaseLabel({ text, x, y, size }: { text: string; x: number; y: number; size: number }): ReactElement {
  if (!/[\u2e80-\u9fff]/.test(text)) {
    return <text transform={`translate(${x + size * 0.35} ${y}) rotate(-90)`} textAnchor="middle" fontSize={size}>{text}</text>;
  }
  const chars = [...text];
  const step = size * 1.1;
  const top = y - (step * (chars.length - 1)) / 2 + size * 0.35;
  return (
    <text textAnchor="middle" fontSize={size}>
      {chars.map((c, i) => <tspan key={i} x={x} y={top + i * step}>{c}</tspan>)}
    </text>
  );
}

function rowBody(row: LadderRow, p: LadderWindowProps, x: (lane: number) => number, lines: Lines): ReactElement | null {
  switch (row.kind) {
    case 'arrow': return arrow(row, p, x(row.from), x(row.to), lines);
    case 'bundle': return bundle(row, p, x(row.from), x(row.to), lines);
    case 'mark': return mark(row, p, x(row.lane), lines);
    case 'state': return statePill(row, p, x(row.lane), lines);
    case 'note': {
      const { m, width, t } = p;
      return (
        <g className={`ll-note${row.available ? '' : ' ll-note-off'}`}>
          <rect x={m.gutter} y={4} width={width - m.gutter - 8} height={m.rowH - 8} rx={4} />
          <text x={m.gutter + m.font} y={lines.mid + m.font * 0.35}>{row.available ? 'ⓘ ' : '⚠ '}{noteLabel(row, t)}</text>
        </g>
      );
    }
  }
}

function arrow(a: ArrowRow, p: LadderWindowProps, x1: number, x2: number, lines: Lines): ReactElement {
  const { m, t } = p;
  const kind = arrowKind(a.flags, a.proto, a.len);
  const dir = x2 >= x1 ? 1 : -1;
  const mid = (x1 + x2) / 2;
  const inferred = t('ladder.inferred');
  const preview = a.len > 0 && a.bytes && Math.abs(x2 - x1) > m.font * 22 ? shortPreview(a.bytes, 14) : '';
  const tailX = x1 + dir * m.font * 0.6;
  const headX = x2 - dir * m.font * 0.9;
  let badgeX = headX;
  const badges = a.analysis.map((code) => {
    const text = t(`ladder.analysis.${code}`);
    const w = textWidth(text, m.small) + m.small;
    const bx = dir > 0 ? badgeX - w : badgeX;
    badgeX += dir > 0 ? -(w + 4) : w + 4;
    return (
      <g key={code} className={`ll-badge ll-badge-${code}`}>
        <rect x={bx} y={lines.y2 + 2} width={w} height={m.small + 6} rx={3} />
        <text x={bx + w / 2} y={lines.y2 + m.small + 4} textAnchor="middle" fontSize={m.small}>{text}</text>
      </g>
    );
  });
  return (
    <g className={`ll-arrow ll-k-${kind}${a.inferred ? ' ll-inferred' : ''}`}>
      <line className="ll-shaft" x1={x1} y1={lines.y1} x2={x2 - dir * 2} y2={lines.y2} markerEnd={`url(#ll-head-${kind})`} />
      <text className="ll-label" x={mid} y={lines.label} textAnchor="middle">
        <tspan className="ll-flags">{arrowTitle(a)}</tspan>
        <tspan className="ll-nums" dx={m.font * 0.6}>{arrowNumbers(a)}</tspan>
        {(a.inferred && lines.second === null) && <tspan className="ll-inferred-tag" dx={m.font * 0.5}>({inferred})</tspan>}
      </text>
      {lines.second !== null && (
        <g className="ll-second" fontSize={m.small}>
          <text className="ll-dt" x={tailX} y={lines.second} textAnchor={dir > 0 ? 'start' : 'end'}>{formatDelta(a.dt)}</text>
          {preview && <text className="ll-preview" x={mid} y={lines.second} textAnchor="middle">{preview}</text>}
          {a.inferred && badges.length === 0 && (
            <text className="ll-inferred-tag" x={headX} y={lines.second} textAnchor={dir > 0 ? 'end' : 'start'}>{inferred}</text>
          )}
        </g>
      )}
      {badges}
    </g>
  );
}

function bundle(b: BundleRow, p: LadderWindowProps, x1: number, x2: number, lines: Lines): ReactElement {
  const { m, t } = p;
  const dir = x2 >= x1 ? 1 : -1;
  const gap = Math.max(2, m.rowH * 0.07);
  return (
    <g className={`ll-bundle${b.inferred ? ' ll-inferred' : ''}`}>
      {[-gap, 0, gap].map((d) => (
        <line key={d} className="ll-shaft" x1={x1} y1={lines.y1 + d} x2={x2 - dir * 2} y2={lines.y2 + d} markerEnd="url(#ll-head-data)" />
      ))}
      <text className="ll-label" x={(x1 + x2) / 2} y={lines.label - gap} textAnchor="middle">
        <tspan className="ll-flags">{b.expanded ? '▾ ' : '▸ '}{bundleLabel(b, t)}</tspan>
        {b.inferred && <tspan className="ll-inferred-tag" dx={m.font * 0.5}>({t('ladder.inferred')})</tspan>}
      </text>
      {lines.second !== null && (
        <text className="ll-second" x={(x1 + x2) / 2} y={lines.second + gap} textAnchor="middle" fontSize={m.small}>
          {bundleDetail(b, t)} · {t(b.expanded ? 'ladder.bundle.collapse' : 'ladder.bundle.expand')}
        </text>
      )}
    </g>
  );
}

function mark(row: MarkRow, p: LadderWindowProps, cx: number, lines: Lines): ReactElement {
  const { m, t } = p;
  const text = markLabel(row.mark, t);
  const w = textWidth(text, m.font, true) + m.font;
  const h = m.font + 10;
  const failed = row.mark.kind === 'call' && !row.mark.ok;
  const cls = row.mark.kind === 'call' ? (failed ? 'll-call ll-failed' : 'll-call') : row.mark.kind === 'drops' ? 'll-drops' : 'll-notice';
  return (
    <g className={`ll-mark ${cls}`}>
      <rect x={cx - w / 2} y={lines.mid - h / 2} width={w} height={h} rx={row.mark.kind === 'call' ? 3 : h / 2} />
      <text x={cx} y={lines.mid + m.font * 0.36} textAnchor="middle">{text}</text>
    </g>
  );
}

function statePill(row: StateRow, p: LadderWindowProps, cx: number, lines: Lines): ReactElement {
  const { m, t } = p;
  const gone = row.to === 'CLOSED' && row.from !== null && row.from !== 'CLOSED';
  const text = gone ? `${row.to} · ${t('ladder.state.gone')}` : row.to;
  const w = textWidth(text, m.font) * 1.12 + m.font * 1.6;
  const h = m.font + 12;
  return (
    <g className={`ll-state ll-st-${stateFamily(row.to)}`}>
      <rect x={cx - w / 2} y={lines.mid - h / 2} width={w} height={h} rx={h / 2} />
      <text x={cx} y={lines.mid + m.font * 0.36} textAnchor="middle">{text}</text>
    </g>
  );
}
