import { useT } from '../../i18n/useT.ts';
import { seek } from '../../store/playback.ts';
import type { LessonRun } from '../../store/steps.ts';
import { appStore } from '../../store/store.ts';

/** The run's steps as numbered chips: ✓ done, ▶ current, ✗ failed (marks, not colour alone); a click goes there. */
export function StepList({ run, current }: { run: LessonRun; current: number }) {
  const t = useT();
  return (
    <ol className="step-list" aria-label={t('player.steps')} data-testid="step-list">
      {run.steps.map((s, i) => {
        const mark = i === current ? '▶' : s.status === 'failed' ? '✗' : i < current ? '✓' : '';
        return (
          <li key={`${s.index}-${s.start}`} className={`${i === current ? 'current' : ''}${i < current ? ' past' : ''}${s.status === 'failed' ? ' failed' : ''}`}>
            <button type="button" data-testid={`step-${i + 1}`} aria-current={i === current ? 'step' : undefined}
              title={s.id} onClick={() => seek(appStore(), s.end ?? s.start)}>
              {mark ? <span aria-hidden="true">{mark} </span> : null}{i + 1}
            </button>
          </li>
        );
      })}
    </ol>
  );
}
