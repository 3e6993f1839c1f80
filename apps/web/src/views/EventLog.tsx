import { memo, useEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { describeRow } from '../format/describe.ts';
import { useT } from '../i18n/useT.ts';
import type { MessageKey } from '../i18n/en.ts';
import { setLayerShown } from '../store/actions.ts';
import { LAYERS, type LogRow } from '../store/slices.ts';
import { appStore, useApp } from '../store/store.ts';
import { StreamWarnings } from './Banner.tsx';

/** The event log: virtualised (only visible rows exist in the DOM), filterable by layer. */
export function EventLog() {
  const t = useT();
  const rows = useApp((s) => s.visibleLog);
  const total = useApp((s) => s.log.length);
  const filter = useApp((s) => s.layerFilter);
  const projector = useApp((s) => s.projector);
  const locale = useApp((s) => s.locale);
  const [follow, setFollow] = useState(true);
  const scrollRef = useRef<HTMLDivElement>(null);
  const rowsRef = useRef(0);
  rowsRef.current = rows.length;
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => (projector ? 44 : 30),
    overscan: 12,
    getItemKey: (i) => rows[i]?.n ?? i,
  });

  // row heights change with projector mode and language: measure again, then keep the newest in view
  useEffect(() => {
    virtualizer.measure();
  }, [projector, locale, virtualizer]);

  const totalSize = virtualizer.getTotalSize();
  useEffect(() => {
    if (!follow || rows.length === 0) return;
    virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
    // once more after the rows just rendered have been measured
    const id = requestAnimationFrame(() => virtualizer.scrollToIndex(rows.length - 1, { align: 'end' }));
    return () => cancelAnimationFrame(id);
  }, [follow, rows.length, totalSize, projector, locale, virtualizer]);

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

  return (
    <section className="panel log-panel" data-testid="event-log" aria-labelledby="log-title">
      <div className="panel-head">
        <h2 id="log-title">{t('log.title')}</h2>
        <fieldset className="layer-filter">
          <legend className="sr-only">{t('log.layers')}</legend>
          {LAYERS.map((layer) => (
            <label key={layer} className={`layer-toggle layer-${layer} ${filter[layer] ? 'on' : ''}`} title={t(`layer.${layer}.long` as MessageKey)}>
              <input type="checkbox" data-testid={`filter-${layer}`} checked={filter[layer]} onChange={(e) => setLayerShown(appStore(), layer, e.target.checked)} />
              <span className={`tag tag-${layer}`}>{t(`layer.${layer}` as MessageKey)}</span>
            </label>
          ))}
        </fieldset>
        <span className="muted" data-testid="log-count">{t('log.shown', { shown: rows.length, total })}</span>
        <label className="check push-right">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> {t('log.follow')}
        </label>
      </div>
      <StreamWarnings />
      <div className="log-scroll" ref={scrollRef} data-testid="log-scroll">
        {rows.length === 0 ? <p className="empty">{t('log.empty')}</p> : null}
        <div className="log-inner" style={{ height: `${totalSize}px` }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            return (
              <div key={item.key} data-index={item.index} ref={virtualizer.measureElement} className="log-row-wrap" style={{ transform: `translateY(${item.start}px)` }}>
                <LogLine row={row} />
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}

const LogLine = memo(function LogLine({ row }: { row: LogRow }) {
  const t = useT();
  const d = describeRow(row, t);
  const e = row.event;
  return (
    <div
      className={`log-row layer-${row.layer} ${d.inferred ? 'inferred' : ''} ${d.error ? 'has-error' : ''}`}
      data-testid="log-row"
      data-layer={row.layer}
      data-seq={e?.seq ?? ''}
      data-type={e?.type ?? 'note'}
      data-inferred={d.inferred || undefined}
    >
      <span className="seq">{e ? `#${e.seq}` : '·'}</span>
      <span className="time">{e ? `${(e.ts / 1e6).toFixed(3)} s` : ''}</span>
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
