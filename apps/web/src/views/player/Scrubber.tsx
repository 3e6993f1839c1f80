import { useT } from '../../i18n/useT.ts';
import { seek } from '../../store/playback.ts';
import { appStore, useApp } from '../../store/store.ts';
import { formatTime } from '../ladder/format.ts';

/**
 * The timeline of the whole session (live or loaded): drag to any event. Lesson steps are ticks on it.
 * Beside it, where the cursor is in words: the event number and its REAL time since the session
 * started (the animation clock never changes it).
 */
export function Scrubber({ ticks }: { ticks?: readonly number[] }) {
  const t = useT();
  const head = useApp((s) => s.headSeq);
  const cursor = useApp((s) => s.cursor);
  const time = useApp((s) => s.posTime);
  const at = cursor ?? head;
  const max = Math.max(head, 0);
  const pct = (seq: number) => (max > 0 ? ((seq + 1) / (max + 1)) * 100 : 0);
  return (
    <div className="scrubber" data-testid="scrubber">
      <div className="scrub-track">
        <input type="range" min={-1} max={max} step={1} value={at} disabled={head < 0} data-testid="scrub"
          aria-label={t('tr.timeline')} aria-valuetext={t('tr.position', { at: at + 1, total: head + 1 })}
          onChange={(e) => seek(appStore(), Number(e.target.value))} />
        <div className="scrub-ticks" aria-hidden="true">
          {(ticks ?? []).map((s) => <span key={s} className={`scrub-tick${s <= at ? ' passed' : ''}`} style={{ left: `${pct(s)}%` }} />)}
        </div>
      </div>
      <span className="scrub-pos" data-testid="scrub-pos" data-cursor={at} data-head={head}>
        {head < 0 ? t('tr.empty') : t('tr.position', { at: at + 1, total: head + 1 })}
        {time !== null && at >= 0 ? <> · <span className="mono">{t('tr.realTime', { time: formatTime(time) })}</span></> : null}
      </span>
    </div>
  );
}
