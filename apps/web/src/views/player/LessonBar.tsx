import type { Lesson } from '@socketscope/shared/lessons/index';
import { openShipped, runLesson, stopLive } from '../../app/lessonRun.ts';
import { errorHintKey } from '../../i18n/index.ts';
import { useT } from '../../i18n/useT.ts';
import { navigate } from '../../store/actions.ts';
import type { LessonRunState } from '../../store/slices.ts';
import { appStore, useApp } from '../../store/store.ts';
import { ExportPcapButton, OpenButton, SaveButton } from '../Files.tsx';
import { hasShipped, useCannotRun, useShownShipped, type Recorded } from './shipped.ts';

/**
 * The lesson's title, the way back to the list, Run (recorded) and Run live, what the run is doing,
 * and Save. A shipped recording says so, with when and where it was made; where the lesson cannot run
 * here, the bar offers the shipped recording instead.
 */
export function LessonBar({ lesson, hasRun }: { lesson: Lesson; hasRun: boolean }) {
  const t = useT();
  const locale = useApp((s) => s.locale);
  const run = useApp((s) => (s.lessonRun?.lesson === lesson.id ? s.lessonRun : null));
  const fromFile = useApp((s) => s.source.kind === 'file');
  const fileName = useApp((s) => (s.source.kind === 'file' ? s.source.name : null));
  const shipped = useShownShipped(fileName);
  const noAgent = useApp((s) => s.conn.status === 'no-token' || s.source.kind === 'file');
  // a read-only (student) page watches the teacher's runs; it cannot start one
  const connected = useApp((s) => s.conn.status === 'live' && !(s.session?.readOnly ?? false));
  const readOnly = useApp((s) => s.session?.readOnly ?? false);
  const why = useCannotRun(lesson.id);
  const busy = run?.status === 'resetting' || run?.status === 'running';
  const liveRunning = busy && run?.live === true;
  const store = appStore();
  const tutorialPort = lesson.ports[0] ?? 8888;
  const canRun = connected && why === null;

  let status: string | null = null;
  if (run) status = statusText(run, t);
  else if (fromFile && hasRun && !shipped) status = t('player.status.recording');
  else if (!hasRun && !noAgent && why === null) status = t('player.notRun');
  const hint = run?.status === 'failed' && run.error ? errorHintKey(run.error.code) : null;

  return (
    <div className="lesson-bar">
      <button type="button" className="link-button" data-testid="back-to-lessons" onClick={() => navigate(store, { view: 'lessons' })}>{t('nav.back')}</button>
      <h2 className="lesson-title" data-testid="lesson-title">{lesson.title[locale]}</h2>
      {!noAgent && !readOnly ? (
        <>
          <button type="button" className="primary run" data-testid="run-lesson" disabled={busy || !canRun}
            title={t('player.runHint')} onClick={() => void runLesson(store, lesson.id)}>
            {busy && !run?.live ? <span className="spinner" aria-hidden="true">◌ </span> : null}{hasRun ? t('player.runAgain') : t('player.run')}
          </button>
          {liveRunning ? (
            <button type="button" className="danger" data-testid="live-stop" title={t('live.stopHint')} onClick={() => void stopLive(store)}>{t('live.stop')}</button>
          ) : (
            <button type="button" className="primary run live-run" data-testid="run-live" disabled={busy || !canRun}
              title={t('live.runHint')} onClick={() => void runLesson(store, lesson.id, { live: true })}>
              {t('live.run')}
            </button>
          )}
        </>
      ) : null}
      {/* the class's "Ask first" switch is put here by views/predict (a place that covers no listing) */}
      <span className="ask-first-slot" data-slot="ask-first" />
      {status ? (
        <span className={`run-status ${run?.status ?? ''}${run?.live ? ' live-state' : ''}`} data-testid="run-status" data-status={run?.status ?? (fromFile ? 'recording' : 'none')}
          data-live={run?.live ? 'true' : undefined} role="status">
          {run?.status === 'failed' ? <strong aria-hidden="true">✗ </strong> : run?.status === 'done' ? <span aria-hidden="true">✓ </span> : liveRunning ? <span className="live-dot" aria-hidden="true">● </span> : null}
          {status}{hint ? <span className="hint"> — {t(hint)}</span> : null}
        </span>
      ) : null}
      {shipped ? <ShippedLabel recorded={shipped.recorded} /> : null}
      {run?.status === 'failed' && run.error?.code === 'EADDRINUSE' ? (
        <button type="button" data-testid="run-other-port"
          onClick={() => void runLesson(store, lesson.id, { port: tutorialPort + 10_000 + Math.floor(Math.random() * 1000), ...(run.live ? { live: true } : {}) })}>
          {t('player.otherPort')}
        </button>
      ) : null}
      {why && !shipped ? (
        <span className="muted" data-testid="needs-agent" data-why={why.key}>
          {why.key === 'noAgent' && !fromFile ? t('player.needsAgent') : why.key === 'noAgent' ? null : t(`shipped.why.${why.key}`)}
          {why.detail ? <span className="small"> ({why.detail})</span> : null}
        </span>
      ) : null}
      {why && !shipped && hasShipped(lesson.id) ? (
        <button type="button" className="primary" data-testid="open-shipped" title={t('shipped.openHint')} onClick={() => void openShipped(store, lesson.id)}>
          {t('shipped.open')}
        </button>
      ) : null}
      <span className="push-right" />
      <OpenButton />
      <SaveButton />
      <ExportPcapButton />
    </div>
  );
}

function statusText(run: LessonRunState, t: ReturnType<typeof useT>): string {
  if (run.status === 'failed') return t('player.status.failed', { code: run.error?.code ?? '?' });
  if (!run.live) return t(`player.status.${run.status}`);
  if (run.status === 'done') return t('live.status.done');
  if (run.status === 'resetting') return t('player.status.resetting');
  return t(run.stepping ? 'live.status.stepping' : 'live.status.waiting');
}

/** "A recording, not a run on this machine: recorded <when> on <OS> (<kernel>, Python <version>)." */
function ShippedLabel({ recorded }: { recorded: Recorded | null }) {
  const t = useT();
  const locale = useApp((s) => s.locale);
  if (!recorded) return <span className="shipped-label" data-testid="shipped-label">{t('player.status.recording')}</span>;
  const date = new Date(recorded.at).toLocaleDateString(locale, { year: 'numeric', month: 'long', day: 'numeric' });
  const params = { date, os: recorded.os, kernel: recorded.kernel, python: recorded.python ?? '' };
  return (
    <span className="shipped-label" data-testid="shipped-label" data-recorded={recorded.at}>
      <span aria-hidden="true">⏺ </span>{t(recorded.python ? 'shipped.label' : 'shipped.labelNoPython', params)}
    </span>
  );
}
