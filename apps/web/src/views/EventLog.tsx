import { memo, useEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { describeRow } from '../format/describe.ts';
import { useT } from '../i18n/useT.ts';
import type { MessageKey } from '../i18n/en.ts';
import { setLayerShown } from '../store/actions.ts';
import { rowOfSeq, rowsUpTo } from '../store/log.ts';
import { happenedAt } from '../store/reorder.ts';
import { select, setSockFilter } from '../store/playback.ts';
import { LAYERS, type LogRow } from '../store/slices.ts';
import { appStore, useApp } from '../store/store.ts';
import { StreamWarnings } from './Banner.tsx';
import { MaximizeButton } from './Panel.tsx';

/**
 * The event log: virtualised (only visible rows exist in the DOM), filterable by layer and socket,
 * cut at the playback cursor (what has not happened yet at the cursor is not shown). Clicking a row
 * selects that event, which the ladder scrolls to and frames.
 */
export function EventLog({ embedded = false }: { embedded?: boolean }) {
  const t = useT();
  const all = useApp((s) => s.visibleLog);
  const cursor = useApp((s) => s.cursor);
  const total = useApp((s) => s.log.length);
  const filter = useApp((s) => s.layerFilter);
  const projector = useApp((s) => s.projector);
  const locale = useApp((s) => s.locale);
  const selected = useApp((s) => s.selectedSeq);
  const count = rowsUpTo(all, cursor);
  const [follow, setFollow] = useState(true);
  const scrollRef = useRef<HTMLDivElement>(null);
  const rowsRef = useRef(0);
  rowsRef.current = count;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => (projector ? 44 : 30),
    overscan: 12,
    getItemKey: (i) => all[i]?.n ?? i,
  });

  // row heights change with projector mode and language: measure again, then keep the newest in view
  useEffect(() => {
    virtualizer.measure();
  }, [projector, locale, virtualizer]);

  const totalSize = virtualizer.getTotalSize();
  useEffect(() => {
    if (!follow || count === 0) return;
    virtualizer.scrollToIndex(count - 1, { align: 'end' });
    // once more after the rows just rendered have been measured
    const id = requestAnimationFrame(() => virtualizer.scrollToIndex(count - 1, { align: 'end' }));
    return () => cancelAnimationFrame(id);
  }, [follow, count, totalSize, projector, locale, virtualizer]);

  // a selection made in the ladder brings its row into view
  useEffect(() => {
    if (selected === null) return;
    const i = rowOfSeq(all, selected);
    if (i >= 0 && i < count) virtualizer.scrollToIndex(i, { align: 'center' });
  }, [selected]); // eslint-disable-line react-hooks/exhaustive-deps

  // the window was resized (a projector plugged in): keep following the newest row
  useEffect(() => {
    const el = scrollRef.current;
    if (!el || !follow || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      if (rowsRef.current > 0) virtualizer.scrollToIndex(rowsRef.current - 1, { align: 'end' });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [follow, virtualizer]);

  const later = all.length - count;
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
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> {t('log.follow')}
        </label>
        {embedded ? null : <MaximizeButton panel="log" />}
      </div>
      <StreamWarnings />
      <div className="log-scroll" ref={scrollRef} data-testid="log-scroll">
        {count === 0 ? <p className="empty">{t('log.empty')}</p> : null}
        <div className="log-inner" style={{ height: `${totalSize}px` }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = all[item.index];
            if (!row) return null;
            return (
              <div key={item.key} data-index={item.index} ref={virtualizer.measureElement} className="log-row-wrap" style={{ transform: `translateY(${item.start}px)` }}>
                <LogLine row={row} selected={row.event !== undefined && row.event.seq === selected} />
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}

/** Only one socket's (or one connection's) events. */
function SockFilter() {
  const t = useT();
  const value = useApp((s) => s.sockFilter);
  const socks = useApp((s) => s.timeline.headModel.socketOrder);
  const conns = useApp((s) => s.timeline.headModel.connOrder);
  useApp((s) => s.timelineVersion);
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
}

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
});
