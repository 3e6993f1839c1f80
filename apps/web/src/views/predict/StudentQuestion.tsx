import { useEffect, useRef } from 'react';
import type { Lesson } from '@socketscope/shared/lessons/index';
import { questionById } from '@socketscope/shared/lessons/questions';
import { useT } from '../../i18n/useT.ts';
import { navigate } from '../../store/actions.ts';
import { seek } from '../../store/playback.ts';
import { latestRun } from '../../store/steps.ts';
import { appStore, useApp } from '../../store/store.ts';
import { LETTERS, QuestionCard } from './QuestionCard.tsx';
import { usePredict } from './store.ts';
import { sendAnswer } from './student.ts';

const KNOWN_REFUSALS = new Set(['E_ANSWERED', 'E_NO_QUESTION', 'E_LIMIT']);

/**
 * When the teacher reveals a question, the student's page shows its step too: the cursor goes to the end
 * of that step (once its markers are here), once per question, wherever the student had stepped to.
 */
function useShowRevealed(lesson: string, pollId: string | null, step: string | null): void {
  const steps = useApp((s) => s.steps);
  const shown = useRef<string | null>(null);
  useEffect(() => {
    if (!pollId || !step || shown.current === pollId) return;
    const end = latestRun(steps, lesson)?.steps.find((s) => s.id === step)?.end;
    if (end === null || end === undefined) return;
    shown.current = pollId;
    seek(appStore(), end);
  }, [lesson, pollId, step, steps]);
}

/**
 * A student's read-only page: the question the teacher put to the class, to answer on this device (one
 * tap, once); then, when the teacher reveals the step, the class's answers and the run's. The page sends
 * nothing else (student.ts); the steps themselves arrive as on any read-only page.
 */
export function StudentQuestion({ lesson }: { lesson: Lesson }) {
  const t = useT();
  const locale = useApp((s) => s.locale);
  const live = useApp((s) => s.conn.status === 'live');
  const poll = usePredict((s) => s.poll);
  const mine = usePredict((s) => (s.poll ? s.mine[s.poll.id] : undefined));
  const sending = usePredict((s) => s.sending);
  const refused = usePredict((s) => s.refused);
  const q = poll ? questionById(poll.question) : undefined;
  useShowRevealed(lesson.id, poll?.phase === 'revealed' ? poll.id : null, q?.lesson === lesson.id ? q.step : null);
  if (!live || !poll || !q) return null;

  if (q.lesson !== lesson.id) {
    const other = q.lesson;
    return (
      <div className="pq-switch pq-elsewhere" data-testid="predict-elsewhere">
        <span>{t('predict.student.elsewhere')}</span>
        <button type="button" className="primary" onClick={() => navigate(appStore(), { view: 'lesson', id: other })}>{t('predict.student.open')}</button>
      </div>
    );
  }

  const phase = poll.phase === 'open' ? 'asking' : poll.phase;
  const canPick = poll.phase === 'open' && mine === undefined;
  const revealed = poll.phase === 'revealed';
  let status: string;
  if (revealed) status = mine === undefined ? t('predict.student.notAnswered') : mine === poll.correct ? t('predict.student.right') : t('predict.student.wrong');
  else if (mine !== undefined) status = `${t('predict.student.mine', { choice: LETTERS[mine] ?? '?' })} · ${t('predict.student.wait')}`;
  else if (poll.phase === 'closed') status = t('predict.student.closed');
  else status = t('predict.student.pick');

  return (
    <QuestionCard question={q} testId="predict-student" className={`pq-student ${revealed ? 'pq-revealed' : 'pq-asking'}`} phase={phase}
      counts={poll.counts} correct={revealed ? poll.correct ?? null : undefined} mine={mine} busy={sending}
      onPick={canPick ? (i) => void sendAnswer(poll.id, i) : undefined}
      head={<header className="pq-head"><h2>{t('predict.student.title')}</h2></header>}
      foot={(
        <footer className="pq-foot" role="status">
          <span data-testid="predict-status" data-mine={mine ?? ''}>{status}</span>
          {revealed && poll.seen ? <span data-testid="predict-seen" lang={locale}>{t(poll.correct === null ? 'predict.noneMatched' : 'predict.seen', { seen: poll.seen })}</span> : null}
          {refused ? (
            <span className="err" role="alert" data-testid="predict-refused" data-code={refused}>
              {KNOWN_REFUSALS.has(refused) ? t(`predict.err.${refused}`) : t('predict.err.other', { code: refused })}
            </span>
          ) : null}
        </footer>
      )}
    />
  );
}
