import type { Lesson } from '@socketscope/shared/lessons/index';
import { runLesson } from '../../app/lessonRun.ts';
import { errorHintKey } from '../../i18n/index.ts';
import { useT } from '../../i18n/useT.ts';
import { navigate } from '../../store/actions.ts';
import { appStore, useApp } from '../../store/store.ts';
import { ExportPcapButton, OpenButton, SaveButton } from '../Files.tsx';

/** The lesson's title, the way back to the list, Run (again), what the run is doing, and Save. */
export function LessonBar({ lesson, hasRun }: { lesson: Lesson; hasRun: boolean }) {
  const t = useT();
  const locale = useApp((s) => s.locale);
  const run = useApp((s) => (s.lessonRun?.lesson === lesson.id ? s.lessonRun : null));
  const fromFile = useApp((s) => s.source.kind === 'file');
  const noAgent = useApp((s) => s.conn.status === 'no-token' || s.source.kind === 'file');
  // a read-only (student) page watches the teacher's runs; it cannot start one
  const live = useApp((s) => s.conn.status === 'live' && !(s.session?.readOnly ?? false));
  const readOnly = useApp((s) => s.session?.readOnly ?? false);
  const knows = useApp((s) => s.capabilities?.scenarios.includes(lesson.id) ?? true);
  const busy = run?.status === 'resetting' || run?.status === 'running';
  const store = appStore();
  const tutorialPort = lesson.ports[0] ?? 8888;

  let status: string | null = null;
  if (run) status = run.status === 'failed' ? t('player.status.failed', { code: run.error?.code ?? '?' }) : t(`player.status.${run.status}`);
  else if (fromFile && hasRun) status = t('player.status.recording');
  else if (!hasRun && !noAgent) status = t('player.notRun');
  const hint = run?.status === 'failed' && run.error ? errorHintKey(run.error.code) : null;

  return (
    <div className="lesson-bar">
      <button type="button" className="link-button" data-testid="back-to-lessons" onClick={() => navigate(store, { view: 'lessons' })}>{t('nav.back')}</button>
      <h2 className="lesson-title" data-testid="lesson-title">{lesson.title[locale]}</h2>
      {!noAgent && !readOnly ? (
        <button type="button" className="primary run" data-testid="run-lesson" disabled={busy || !live || !knows}
          title={t('player.runHint')} onClick={() => void runLesson(store, lesson.id)}>
          {busy ? <span className="spinner" aria-hidden="true">◌ </span> : null}{hasRun ? t('player.runAgain') : t('player.run')}
        </button>
      ) : null}
      {status ? (
        <span className={`run-status ${run?.status ?? ''}`} data-testid="run-status" data-status={run?.status ?? (fromFile ? 'recording' : 'none')} role="status">
          {run?.status === 'failed' ? <strong aria-hidden="true">✗ </strong> : run?.status === 'done' ? <span aria-hidden="true">✓ </span> : null}
          {status}{hint ? <span className="hint"> — {t(hint)}</span> : null}
        </span>
      ) : null}
      {run?.status === 'failed' && run.error?.code === 'EADDRINUSE' ? (
        <button type="button" data-testid="run-other-port" onClick={() => void runLesson(store, lesson.id, tutorialPort + 10_000 + Math.floor(Math.random() * 1000))}>
          {t('player.otherPort')}
        </button>
      ) : null}
      {noAgent && !fromFile ? <span className="muted" data-testid="needs-agent">{t('player.needsAgent')}</span> : null}
      {!knows ? <span className="muted">{t('player.noScenario')}</span> : null}
      <span className="push-right" />
      <OpenButton />
      <SaveButton />
        <ExportPcapButton />
    </div>
  );
}
