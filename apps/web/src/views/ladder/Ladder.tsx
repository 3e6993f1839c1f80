import { useCallback, useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type MouseEvent, type ReactElement } from 'react';
import type { SessionEvent } from '@socketscope/shared';
import { laneSubtitle, laneTitle, type T } from './format.ts';
import { ROW_MAX, ROW_MIN, contentWidth, defaultRowHeight, laneX, metrics, pictureTop, scrollScale } from './geometry.ts';
import { LadderDetail } from './LadderDetail.tsx';
import { LadderWindow } from './LadderWindow.tsx';
import { paintLadder, readPalette, type Palette, type RemotePicture } from './paint.ts';
import type { LadderLayout, LadderRow } from './types.ts';
import './ladder.css';

/** The rows the ladder shows (and a few around them), and the bundles the reader opened. */
export interface LadderView {
  follow: boolean;
  first: number;
  count: number;
  expanded: number[];
}

export interface LadderProps {
  /**
   * The layout to draw (layout.ts). In the page it is the session worker's frame of the rows in view
   * (frame.ts: rows outside it are holes); the harness and tests lay out their own events.
   */
  layout: LadderLayout;
  /** the selected event, for the details panel (the caller looks it up) */
  detail?: SessionEvent | undefined;
  /** the rows in view or the opened bundles changed (the page asks the session worker for them) */
  onView?: (v: LadderView) => void;
  t: T;
  selectedSeq?: number;
  onSelect?: (seq: number) => void;
  /** pixels the whole view may take, toolbar and header included */
  height: number;
  /** large type and thick lines for the back of a classroom */
  projector?: boolean;
  /**
   * Whether the rows' words are laid over the picture (default true). While events pour in faster than
   * anyone reads, the caller may leave them out until the stream pauses: the picture is the same, and
   * the words were most of the cost of a frame (docs/PERFORMANCE.md).
   */
  words?: boolean;
  /**
   * The picture is painted elsewhere (the page: the session worker, session/link.ts): the ladder tells it
   * what the canvas shows and hands it the canvas, and paints nothing itself. Without it (the harness) the
   * ladder paints its own canvas.
   */
  remote?: RemotePicture;
}

const OVERSCAN = 8;

export function Ladder(props: LadderProps): ReactElement {
  const { layout, t, selectedSeq, onSelect, height, onView, remote } = props;
  const projector = props.projector ?? false;
  const [rowH, setRowH] = useState(() => defaultRowHeight(projector));
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set());
  const [localSel, setLocalSel] = useState<number | undefined>(undefined);
  const [scrollTop, setScrollTop] = useState(0);
  const [box, setBox] = useState({ width: 1200, height: 600 });
  const width = box.width;
  const boxH = box.height;
  const [follow, setFollow] = useState(true);
  /** the detail panel was closed for this selection (a controlled selectedSeq cannot be cleared from here) */
  const [closedFor, setClosedFor] = useState<number | undefined>(undefined);
  const scroller = useRef<HTMLDivElement | null>(null);
  const root = useRef<HTMLDivElement | null>(null);
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const palette = useRef<{ key: string; p: Palette } | null>(null);
  /** the scroll position, kept from scroll events: reading it while rendering would force a layout */
  const scrollX = useRef(0);
  const scrollY = useRef(0);
  const raf = useRef(0);

  useEffect(() => setRowH(defaultRowHeight(projector)), [projector]);

  const sel = selectedSeq ?? localSel;
  const m = metrics(projector, rowH, width, layout.lanes.length);
  const contentW = contentWidth(m, layout.lanes.length);
  // a lane too narrow for its role in words: a word, and loopback addresses by their ports (format.ts)
  const narrow = m.laneW < m.font * 12;
  const detailW = projector ? 480 : 380;
  const viewH = Math.max(m.rowH * 2, box.height - m.headerH);
  const total = layout.rows.length * m.rowH;
  const scale = scrollScale(total);
  // the end is computed, not read from the element: reading scrollHeight would force a layout
  const endTop = m.headerH + Math.max(viewH, total / scale) - box.height;
  // following, the rows in view are the newest ones, computed from the count (the position state is for
  // the teacher's scrolling)
  const following = follow && sel === undefined;
  const top = following ? Math.max(0, endTop) : scrollTop;
  const virtualTop = top * scale;
  const topRow = Math.floor(virtualTop / m.rowH);
  // following, the view does not scroll vertically (see the effect on `still` below)
  const still = following && total / scale > viewH;
  const first = Math.max(0, topRow - OVERSCAN);
  const last = Math.min(layout.rows.length - 1, Math.ceil((virtualTop + viewH) / m.rowH) + OVERSCAN);
  const inView = Math.ceil(viewH / m.rowH) + 2 * OVERSCAN;
  const viewFirst = following ? -1 : first;
  useEffect(() => {
    onView?.({ follow: viewFirst < 0, first: Math.max(0, viewFirst), count: inView, expanded: [...expanded] });
  }, [onView, viewFirst, inView, expanded]);

  // The picture is a canvas the size of the view (paint.ts); it is drawn after every render, and at once
  // on every scroll event with the scroll position the browser is about to show (so it never lags the
  // words laid over it, which scroll natively). In the page it is painted by the session worker: this
  // says what the canvas shows, and the page draws the worker's bitmap (moved by a scroll until the
  // worker's next one comes).
  const paint = useRef<() => void>(() => {});
  paint.current = () => {
    const c = canvas.current;
    const el = scroller.current;
    if (!c || !root.current || !el) return;
    const key = `${projector}|${document.documentElement.className}`;
    if (palette.current?.key !== key) palette.current = { key, p: readPalette(root.current) };
    const vbox = { following, viewH, boxH, headerH: m.headerH, scrollY: scrollY.current };
    const y0 = pictureTop(layout.rows.length, m.rowH, vbox);
    if (remote) {
      const dpr = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
      remote.view({ palette: palette.current.p, projector, rowH: m.rowH, width, viewH, dpr, x0: scrollX.current, box: vbox }, { x0: scrollX.current, y0, following });
      return;
    }
    paintLadder(c, { layout, m, t, palette: palette.current.p, selectedSeq: sel, projector, viewW: width, viewH, x0: scrollX.current, y0 });
  };
  const canvasRef = useCallback((c: HTMLCanvasElement | null) => {
    canvas.current = c;
    remote?.canvas(c);
  }, [remote]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setBox((b) => (b.width === el.clientWidth && b.height === el.clientHeight ? b : { width: el.clientWidth, height: el.clientHeight }));
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    measure();
    return () => ro.disconnect();
  }, []);

  // Following, the ladder does not scroll vertically at all: its box is one view tall and the rows in
  // view are the newest ones, placed relative to it. A scroll write per update made the browser lay out
  // the page in the next frame's script (180 ms of 3 s in a profile at 10,000 events/s, store/publish.ts).
  // Leaving follow (the checkbox, the wheel turned up, Page Up / Home, a selection) gives the box its
  // full height and scrolls it once to where the view was.
  const stillTop = useRef(0);
  if (still) stillTop.current = top;
  const wasStill = useRef(still);
  /** the wheel's turn that left follow mode, applied once the box has its height */
  const leftBy = useRef(0);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (wasStill.current && !still && el) {
      el.scrollTop = Math.max(0, stillTop.current + leftBy.current);
      leftBy.current = 0;
      scrollY.current = el.scrollTop;
      setScrollTop(el.scrollTop);
    }
    wasStill.current = still;
  }, [still]);
  // after the effect above: leaving follow mode sets the scroll position this picture starts from
  useLayoutEffect(() => paint.current());
  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (el) {
      scrollX.current = el.scrollLeft;
      scrollY.current = el.scrollTop;
      paint.current();
    }
    if (raf.current) return;
    raf.current = requestAnimationFrame(() => {
      raf.current = 0;
      const now = scroller.current;
      if (now) setScrollTop(now.scrollTop);
    });
  }, []);
  useEffect(() => () => cancelAnimationFrame(raf.current), []);
  const leaveFollow = (by = 0) => {
    if (!still) return;
    leftBy.current = by;
    setFollow(false);
  };

  // a selection made elsewhere (event log) scrolls its row into view
  useEffect(() => {
    if (selectedSeq === undefined) return;
    const row = layout.rowOfSeq(selectedSeq);
    const el = scroller.current;
    if (row < 0 || !el) return;
    const y = (row * m.rowH) / scale;
    if (y < el.scrollTop || y + m.rowH > el.scrollTop + viewH) el.scrollTop = Math.max(0, y - viewH / 2);
  }, [selectedSeq]); // eslint-disable-line react-hooks/exhaustive-deps

  const select = useCallback((seq: number) => {
    setLocalSel(seq);
    onSelect?.(seq);
  }, [onSelect]);

  const onRow = useCallback((row: LadderRow) => {
    if (row.kind === 'bundle') {
      setExpanded((prev) => {
        const next = new Set(prev);
        if (next.has(row.id)) next.delete(row.id); else next.add(row.id);
        return next;
      });
    }
    select(row.seq);
  }, [select]);

  // a click anywhere on a row selects it (the picture is a canvas: the row is found from the pointer)
  const onPick = (ev: MouseEvent<HTMLDivElement>) => {
    const c = canvas.current;
    if (!c) return;
    const r = c.getBoundingClientRect();
    const y = ev.clientY - r.top;
    if (y < 0 || y > r.height) return;
    const row = layout.rows[Math.floor((y + (still ? virtualTop : scrollY.current * scale)) / m.rowH)];
    if (row) onRow(row);
  };

  const zoom = (factor: number) => setRowH((h) => Math.round(Math.min(ROW_MAX, Math.max(ROW_MIN, h * factor))));

  const onKey = (ev: KeyboardEvent<HTMLDivElement>) => {
    if (ev.key === '+' || ev.key === '=') { zoom(1.2); ev.preventDefault(); }
    else if (ev.key === '-') { zoom(1 / 1.2); ev.preventDefault(); }
    else if (ev.key === 'PageUp' || ev.key === 'Home') leaveFollow(ev.key === 'Home' ? -Infinity : -viewH);
    else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      const cur = sel === undefined ? -1 : layout.rowOfSeq(sel);
      const next = Math.min(layout.rows.length - 1, Math.max(0, cur + (ev.key === 'ArrowDown' ? 1 : -1)));
      const row = layout.rows[next];
      if (row) select(row.seq);
      const el = scroller.current;
      if (el && row) {
        const y = (next * m.rowH) / scale;
        if (y < el.scrollTop + m.rowH) el.scrollTop = y - m.rowH;
        else if (y + 2 * m.rowH > el.scrollTop + viewH) el.scrollTop = y + 2 * m.rowH - viewH;
      }
      ev.preventDefault();
    } else if (ev.key === 'Escape') setLocalSel(undefined);
  };

  const selEvent = sel === undefined || closedFor === sel || props.detail?.seq !== sel ? undefined : props.detail;
  const selRow = sel === undefined ? undefined : layout.rows[layout.rowOfSeq(sel)];
  /** the lane's kernel state at the top of the view, so a band that began above is still named */
  const stateAtTop = (lane: LadderLayout['lanes'][number]): string => {
    for (const b of layout.bands) if (b.lane === lane.id && b.fromRow <= topRow && topRow < b.toRow) return b.state;
    return lane.ended && topRow > lane.lastRow ? t('ladder.lane.ended') : '';
  };

  return (
    <div ref={root} className={`ll-root${projector ? ' projector' : ''}`} style={{ height }} onKeyDown={onKey} tabIndex={0}>
      <div className="ll-toolbar">
        <strong>{t('ladder.title')}</strong>
        <span className="ll-count">{t('ladder.rows', { rows: layout.rows.length.toLocaleString('en-US'), events: layout.events.toLocaleString('en-US') })}</span>
        <span className="ll-legend" aria-hidden="true">
          <svg width="34" height="10"><line x1="2" y1="5" x2="32" y2="5" className="ll-legend-solid" /></svg>{t('ladder.legend.captured')}
          <svg width="34" height="10"><line x1="2" y1="5" x2="32" y2="5" className="ll-legend-dashed" /></svg>{t('ladder.legend.inferred')}
          <span className="ll-legend-call">f()</span>{t('ladder.legend.call')}
          <span className="ll-legend-state">STATE</span>{t('ladder.legend.state')}
        </span>
        <span className="ll-zoom">
          <button type="button" onClick={() => zoom(1 / 1.2)} aria-label={t('ladder.zoomOut')} title={t('ladder.zoomOut')}>−</button>
          <span>{t('ladder.rowHeight', { px: rowH })}</span>
          <button type="button" onClick={() => zoom(1.2)} aria-label={t('ladder.zoomIn')} title={t('ladder.zoomIn')}>+</button>
        </span>
        <label className="ll-follow">
          <input type="checkbox" checked={follow} onChange={(ev) => { setFollow(ev.target.checked); if (ev.target.checked) setLocalSel(undefined); }} />
          {t('ladder.follow')}
        </label>
      </div>
      <div className="ll-body">
        <div className="ll-scroll" ref={scroller} onScroll={onScroll} onWheel={(ev) => { if (ev.deltaY < 0) leaveFollow(ev.deltaY); }}>
          <div className="ll-header" style={{ width: contentW, height: m.headerH, '--ll-font': `${m.font}px` } as CSSProperties}>
            <div className="ll-header-time" style={{ width: m.gutter }}>{t('ladder.time')}</div>
            {layout.lanes.map((l) => {
              return (
                <div key={l.id} className={`ll-lane-head ll-role-${l.role}${l.synthetic ? ' ll-synthetic' : ''}`}
                  style={{ left: laneX(m, l.column) - m.laneW / 2 + 6, width: m.laneW - 12 }}>
                  <div className="ll-lane-title">{laneTitle(l, t, narrow)}</div>
                  <div className="ll-lane-sub">{laneSubtitle(l, t, narrow)}</div>
                  <div className="ll-lane-state">{stateAtTop(l)}</div>
                </div>
              );
            })}
          </div>
          <div className="ll-canvas" style={{ width: contentW, height: still ? viewH : Math.max(viewH, total / scale) }} onClick={onPick}>
            {layout.rows.length === 0 && <p className="ll-empty">{t('ladder.empty')}</p>}
            {layout.rows.length > 0 && <canvas ref={canvasRef} className="ll-paint" aria-hidden="true" style={{ width, height: viewH, top: m.headerH }} />}
            {layout.rows.length > 0 && props.words !== false && (
              <div className="ll-window-pos" style={{ top: still ? -virtualTop : scale === 1 ? 0 : top - virtualTop }}>
                <LadderWindow layout={layout} first={first} last={last} m={m} width={contentW} t={t} selectedSeq={sel} />
              </div>
            )}
          </div>
        </div>
        {selEvent && (
          <div style={{ width: detailW, flex: `0 0 ${detailW}px` }}>
            <LadderDetail event={selEvent} row={selRow} t={t} onClose={() => { setClosedFor(sel); setLocalSel(undefined); }} />
          </div>
        )}
      </div>
    </div>
  );
}
