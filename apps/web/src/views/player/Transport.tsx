import type { ReactNode } from 'react';
import { usePlayer } from '../../app/playerContext.ts';
import { useT } from '../../i18n/useT.ts';
import { hasNext, hasPrev, restart, seek, setSpeed, stepNext, stepPrev } from '../../store/playback.ts';
import { SPEEDS } from '../../store/slices.ts';
import { appStore, useApp } from '../../store/store.ts';
import { Scrubber } from './Scrubber.tsx';

/**
 * The playback controls: Restart, Previous, Play/Pause, Next, speed, and (for a live session) Live.
 * Every button has a word or a symbol AND an accessible name; the keys are written beside them.
 * `edgeNext`: a live lesson waits at its newest step, and Next runs the next one there.
 */
export function Transport({ children, live, ticks, edgeNext = false }: { children?: ReactNode; live: boolean; ticks?: readonly number[]; edgeNext?: boolean }) {
  const t = useT();
  const player = usePlayer();
  const playing = useApp((s) => s.playing);
  const speed = useApp((s) => s.speed);
  const cursor = useApp((s) => s.cursor);
  const head = useApp((s) => s.headSeq);
  useApp((s) => s.steps);
  const store = appStore();
  const empty = head < 0;
  const canPrev = !empty && hasPrev(store);
  const more = !empty && hasNext(store);
  // a live lesson: at the newest step, Next runs the next step on the agent (store/playback.ts edge action)
  const canNext = more || edgeNext;
  const nextWord = more ? t('tr.next') : edgeNext ? t('live.next') : t('tr.next');

  return (
    <div className="transport" data-testid="transport" role="toolbar" aria-label={t('tr.timeline')}>
      <div className="transport-buttons">
        <button type="button" data-testid="tr-restart" onClick={() => restart(store)} disabled={empty} title={`${t('tr.restart')} (Home)`}>
          <span aria-hidden="true">⇤</span> <span className="tr-word">{t('tr.restart')}</span>
        </button>
        <button type="button" data-testid="tr-prev" onClick={() => void stepPrev(store)} disabled={!canPrev} title={`${t('tr.prev')} (←)`}>
          <span aria-hidden="true">◀</span> <span className="tr-word">{t('tr.prev')}</span>
        </button>
        <button type="button" className="primary tr-play" data-testid="tr-play" aria-pressed={playing} disabled={empty || !player}
          onClick={() => player?.toggle()} title={`${t(playing ? 'tr.pause' : 'tr.play')} (K)`}>
          <span aria-hidden="true">{playing ? '❚❚' : '▶'}</span> {t(playing ? 'tr.pause' : 'tr.play')}
        </button>
        <button type="button" className="primary" data-testid="tr-next" onClick={() => void stepNext(store)} disabled={!canNext} title={`${nextWord} (→)`} data-edge={!more && edgeNext ? 'true' : undefined}>
          <span className="tr-word">{nextWord}</span> <span aria-hidden="true">▶▶</span>
        </button>
        <label className="tr-speed">
          <span>{t('tr.speed')}</span>
          <select data-testid="tr-speed" value={speed} onChange={(e) => setSpeed(store, Number(e.target.value))}>
            {SPEEDS.map((v) => <option key={v} value={v}>{v}×</option>)}
          </select>
        </label>
        {live ? (
          <button type="button" data-testid="tr-live" className={`toggle ${cursor === null ? 'on' : ''}`} aria-pressed={cursor === null}
            onClick={() => seek(store, null)} title={t('tr.liveHint')}>
            <span aria-hidden="true">{cursor === null ? '●' : '○'}</span> {t('tr.live')}
          </button>
        ) : null}
      </div>
      {children ? <div className="transport-step">{children}</div> : null}
      <Scrubber {...(ticks ? { ticks } : {})} />
      <p className="tr-keys muted small">{t('tr.keys')}</p>
    </div>
  );
}
