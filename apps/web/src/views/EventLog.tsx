import { memo, useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { describeRow } from '../format/describe.ts';
import { useT } from '../i18n/useT.ts';
import type { MessageKey } from '../i18n/en.ts';
import { setLayerShown } from '../store/actions.ts';
import { happenedAt } from '../session/placement.ts';
import { setLogView } from '../session/link.ts';
import { select, setSockFilter } from '../store/playback.ts';
import { LAYERS, type LogRow } from '../store/slices.ts';
import { appStore, useApp } from '../store/store.ts';
import { StreamWarnings } from './Banner.tsx';
import { MaximizeButton } from './Panel.tsx';

/** Fixed row heights (CSS .log-row-wrap says the same): rows are placed by arithmetic, never measured. */
const ROW_H = 30;
const ROW_H_PROJECTOR = 44;
const OVERSCAN = 8;

/**
 * The event log: virtualised (only the rows in view exist in the DOM, at fixed heights, so nothing is
 * measured), filterable by layer and socket, cut at the playback cursor (what has not happened yet at
 * the cursor is not shown). Following, it shows the newest rows: the rows are computed from the count
 * and the scroll position is written once after the commit, never read back in the same frame.
 * Clicking a row selects that event, which the ladder scrolls to and frames.
 */
export function EventLog({ embedded = false }: { embedded?: boolean }) {
  const t = useT();
  const log = useApp((s) => s.log);
  const filter = useApp((s) => s.layerFilter);
  const projector = useApp((s) => s.projector);
  const selected = useApp((s) => s.selectedSeq);
  const count = log.count;
  const total = log.total;
  const [follow, setFollow] = useState(true);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewH, setViewH] = useState(600);
  const scrollRef = useRef<HTMLDivElement>(null);
  const rowH = projector ? ROW_H_PROJECTOR : ROW_H;
  const totalH = count * rowH;
  // a row selected elsewhere is shown where it is until the log grows (following then goes on)
  const [pin, setPin] = useState<{ top: number; count: number } | null>(null);
  const pinned = pin !== null && pin.count === count ? pin.top : null;
  const top = Math.min(follow ? pinned ?? totalH - viewH : scrollTop, Math.max(0, totalH - viewH));
  const first = Math.max(0, Math.floor(top / rowH) - OVERSCAN);
  const last = Math.min(count - 1, Math.ceil((top + viewH) / rowH) + OVERSCAN);
  // the session worker sends the rows in view (the newest ones while following)
  const inView = Math.ceil(viewH / rowH) + 2 * OVERSCAN;
  const following = follow && pinned === null;
  useEffect(() => setLogView({ follow: following, first: following ? 0 : first, count: inView }), [following, first, inView]);
  useEffect(() => () => setLogView(null), []);

  // the viewport's height: measured when it changes (a resize, projector mode), not per frame
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const measure = () => setViewH(el.clientHeight || 600);
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Following, the log does not scroll at all: its inner box is one viewport tall and the rows in view are
  // placed relative to it (`shift`). Writing scrollTop on every update made the browser lay out the whole
  // page in React's commit, a second time per frame: 440 ms of 3 s in a CPU profile at 10,000 events/s.
  // Leaving follow mode (the checkbox, or the wheel turned up) gives the box its full height and scrolls
  // it once to where the view was.
  const scrolling = !follow || totalH <= viewH;
  const shift = scrolling ? 0 : top;
  const leftFollowAt = useRef<number | null>(null);
  const leaveFollow = (): void => {
    leftFollowAt.current = top;
    setScrollTop(top);
    setFollow(false);
  };
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el || follow || leftFollowAt.current === null) return;
    el.scrollTop = leftFollowAt.current;
    leftFollowAt.current = null;
  }, [follow]);

  // a selection made in the ladder brings its row into view
  useEffect(() => {
    if (selected === null) return;
    const i = log.selIndex;
    const el = scrollRef.current;
    if (i < 0 || i >= count || !el) return;
    const y = Math.max(0, i * rowH - viewH / 2);
    if (follow) setPin({ top: y, count });
    else el.scrollTop = y;
    setScrollTop(y);
  }, [selected, log.selIndex]); // eslint-disable-line react-hooks/exhaustive-deps

  const onScroll = () => {
    const el = scrollRef.current;
    if (el && !follow) setScrollTop(el.scrollTop);
  };

  const rows: ReactNode[] = [];
  // Keyed by the shown index modulo the window's size: a row that stays in view keeps its element (only its
  // wrapper moves, LogLine is not rendered again), and a new row takes the element of the row that left, so
  // a diff that adds one row renders one row, and a stream that replaces every row reuses every element.
  const slots = Math.max(1, last - first + 1);
  for (let k = first; k <= last; k++) {
    const row = log.rows[k - log.first];
    if (!row) continue;
    rows.push(
      <div key={k % slots} className="log-row-wrap" style={{ transform: `translateY(${k * rowH - shift}px)` }}>
        <LogLine row={row} selected={row.event !== undefined && row.event.seq === selected} />
      </div>,
    );
  }

  const later = log.shown - count;
  return (
    <section className={embedded ? 'log-embedded' : 'panel log-panel'} data-testid="event-log" aria-labelledby={embedded ? undefined : 'log-title'} aria-label={embedded ? t('log.title') : undefined}>
      <div className="panel-head">
        {embedded ? null : <h2 id="log-title">{t('log.title')}</h2>}
        <fieldset className="layer-filter">
          <legend className="sr-only">{t('log.layers')}</legend>
          {LAYERS.map((layer) => (
            <label key={layer} className={`layer-toggle layer-${layer} ${filter[layer] ? 'on' : ''}`} title={t(`layer.${layer}.long` as MessageKey)}>
              <input type="checkbox" data-testid={`filter-${layer}`} checked={filter[layer]} onChange={(e) => setLayerShown(appStore(), layer, e.target.checked)} />
              <span className={`tag tag-${layer}`}>{t(`layer.${layer}` as MessageKey)}</span>
            </label>
          ))}
        </fieldset>
        <SockFilter />
        <span className="muted" data-testid="log-count">{t('log.shown', { shown: count, total })}</span>
        {later > 0 ? <span className="muted small" data-testid="log-later">{t('log.hiddenLater', { count: later })}</span> : null}
        <label className="check push-right">
          <input type="checkbox" checked={follow} onChange={(e) => { if (e.target.checked) setFollow(true); else leaveFollow(); }} /> {t('log.follow')}
        </label>
        {embedded ? null : <MaximizeButton panel="log" />}
      </div>
      <StreamWarnings />
      <div className={`log-scroll${projector ? ' tall-rows' : ''}`} ref={scrollRef} data-testid="log-scroll" onScroll={onScroll}
        onWheel={(e) => { if (!scrolling && e.deltaY < 0) leaveFollow(); }}>
        {count === 0 ? <p className="empty">{t('log.empty')}</p> : null}
        <div className="log-inner" style={scrolling ? { height: `${totalH}px` } : { height: `${viewH}px`, overflow: 'hidden' }}>
          {rows}
        </div>
      </div>
    </section>
  );
}

/**
 * Only one socket's (or one connection's) events. The lists are the model's socketOrder and connOrder,
 * which a diff carries only when a socket or connection came or went: re-rendered then, not per event.
 */
const SockFilter = memo(function SockFilter() {
  const t = useT();
  const value = useApp((s) => s.sockFilter);
  const socks = useApp((s) => s.model.socketOrder);
  const conns = useApp((s) => s.model.connOrder);
  return (
    <label className="sock-filter">
      <span className="sr-only">{t('log.sockFilter')}</span>
      <select data-testid="filter-sock" value={value ?? ''} aria-label={t('log.sockFilter')}
        onChange={(e) => setSockFilter(appStore(), e.target.value === '' ? null : e.target.value)}>
        <option value="">{t('log.allSockets')}</option>
        {socks.map((id) => <option key={id} value={id}>{id}</option>)}
        {conns.map((k) => <option key={k} value={`conn:${k}`}>{t('log.conn', { key: k })}</option>)}
      </select>
    </label>
  );
});

/** A row's content never changes: re-rendered only for another row, the selection or the language. */
const LogLine = memo(function LogLine({ row, selected }: { row: LogRow; selected: boolean }) {
  const t = useT();
  const d = describeRow(row, t);
  const e = row.event;
  return (
    <div
      className={`log-row layer-${row.layer} ${d.inferred ? 'inferred' : ''} ${d.error ? 'has-error' : ''}${selected ? ' selected' : ''}`}
      data-testid="log-row"
      data-layer={row.layer}
      data-seq={e?.seq ?? ''}
      data-type={e?.type ?? 'note'}
      data-inferred={d.inferred || undefined}
      aria-selected={selected || undefined}
      onClick={e ? () => select(appStore(), e.seq) : undefined}
    >
      <span className="seq">{selected ? '▶' : ''}{e ? `#${e.seq}` : '·'}</span>
      <span className="time">{e ? `${(happenedAt(e) / 1e6).toFixed(3)} s` : ''}</span>
      <span className={`tag tag-${row.layer}`}>{t(`layer.${row.layer}` as MessageKey)}</span>
      <span className="sock">{e?.sock ?? ''}</span>
      <span className="text">
        {d.error ? <strong className="err">✗ </strong> : null}
        {d.text}
        {d.detail ? <span className="detail">{d.detail}</span> : null}
        {d.badge ? <span className="course"> ({d.badge})</span> : null}
        {d.inferred ? <span className="inferred-tag" data-testid="inferred-tag" title={d.inferredFrom ? `${t('log.inferredWhy')}: ${d.inferredFrom}` : t('log.inferredWhy')}>{t('log.inferred')}</span> : null}
      </span>
    </div>
  );
  // the worker sends rows as copies (a diff is a structured clone): the same row is the same place in the log
  // holding the same event (a new session numbers its rows from 0 again)
}, (a, b) => a.selected === b.selected && a.row.n === b.row.n && a.row.at === b.row.at && a.row.mark === b.row.mark
  && a.row.event?.seq === b.row.event?.seq && a.row.event?.ts === b.row.event?.ts && a.row.event?.type === b.row.event?.type
  && a.row.note?.kind === b.row.note?.kind);
