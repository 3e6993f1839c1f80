import { useEffect, useLayoutEffect, useMemo, useState } from 'react';
import { createPortal } from 'react-dom';
import type { Lesson } from '@socketscope/shared/lessons/index';
import { questionById, questionsOf } from '@socketscope/shared/lessons/questions';
import { useT } from '../../i18n/useT.ts';
import { latestRun } from '../../store/steps.ts';
import { useApp } from '../../store/store.ts';
import { installAskGate } from './gate.ts';
import { QuestionCard } from './QuestionCard.tsx';
import { upcomingQuestion } from './steps.ts';
import { setAskFirst, usePredict } from './store.ts';
import { StudentQuestion } from './StudentQuestion.tsx';
import { adopt, dismiss, watchReveal } from './teacher.ts';
import './predict.css';

/**
 * "Ask first" in the lesson player: the class predicts, then the step shows what really happens. The
 * teacher's page gets the switch, the question before its step (with the class's answers, live, while the
 * session is shared) and the run's answer after it; a student's read-only page gets the question to answer
 * on its own device (StudentQuestion). Everything here floats above the lesson's views, so turning it on
 * moves none of them.
 */
export function PredictPanel({ lesson }: { lesson: Lesson }) {
  const readOnly = useApp((s) => s.session?.readOnly ?? false);
  if (questionsOf(lesson.id).length === 0) return null;
  return readOnly ? <StudentQuestion lesson={lesson} /> : <TeacherQuestion lesson={lesson} />;
}

/** Presses Next as the keys do (app/keys.ts): it goes past the ask gate, which closes the answers first. */
function pressNext(): void {
  window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true, cancelable: true }));
}

function TeacherQuestion({ lesson }: { lesson: Lesson }) {
  const t = useT();
  const locale = useApp((s) => s.locale);
  const askFirst = usePredict((s) => s.askFirst);
  const asking = usePredict((s) => (s.asking?.lesson === lesson.id ? s.asking : null));
  const poll = usePredict((s) => s.poll);
  const share = useApp((s) => s.share);
  const steps = useApp((s) => s.steps);
  const pos = useApp((s) => s.cursor ?? s.headSeq);
  const follows = useApp((s) => s.cursor === null);
  const run = useMemo(() => latestRun(steps, lesson.id), [steps, lesson.id]);
  const upcoming = askFirst && !asking ? upcomingQuestion(lesson, run, pos, follows) : null;

  useEffect(() => (askFirst ? installAskGate(lesson) : undefined), [askFirst, lesson]);
  useEffect(() => watchReveal(lesson), [lesson]);
  // leaving the lesson, or turning "Ask first" off, puts its question away (on the students' pages too)
  useEffect(() => () => dismiss(), [lesson.id]);
  useEffect(() => { if (!askFirst) dismiss(); }, [askFirst]);
  useEffect(() => { if (askFirst) adopt(lesson.id); }, [askFirst, poll, lesson.id]);

  const q = asking ? questionById(asking.question) : undefined;
  const mine = poll && asking?.pollId === poll.id ? poll : null;
  const stepIndex = q ? lesson.steps.findIndex((s) => s.id === q.step) : -1;
  // the switch sits in the lesson bar (LessonBar's slot), where it covers no listing's lit line
  const [slot, setSlot] = useState<Element | null>(null);
  useLayoutEffect(() => setSlot(document.querySelector('[data-slot="ask-first"]')), []);
  const toggle = (
      <div className="pq-switch" data-testid="ask-first-bar">
        <label title={t('predict.askFirstHint')}>
          <input type="checkbox" data-testid="ask-first" checked={askFirst} onChange={(e) => setAskFirst(e.target.checked)} />
          {' '}{t('predict.askFirst')}
        </label>
        {upcoming ? <span className="pq-upcoming" data-testid="ask-upcoming">{t('predict.upcoming', { question: upcoming.ask[locale] })}</span> : null}
      </div>
  );
  return (
    <>
      {slot ? createPortal(toggle, slot) : toggle}
      {asking && q ? (
        <QuestionCard question={q} testId="predict-question" className={asking.phase === 'asking' ? 'pq-asking' : 'pq-revealed'}
          phase={asking.phase === 'asking' ? 'asking' : 'revealed'} counts={mine?.counts} correct={asking.phase === 'revealed' ? asking.verdict?.correct : undefined}
          head={(
            <header className="pq-head">
              <h2>{t('predict.title')}</h2>
              <span className="muted">{t('predict.beforeStep', { n: stepIndex + 1, step: q.step })}</span>
              <button type="button" className="pq-close" data-testid="predict-close" title={t('predict.closeHint')} aria-label={t('predict.close')} onClick={dismiss}>×</button>
            </header>
          )}
          foot={(
            <footer className="pq-foot" role="status">
              {mine ? (
                <span data-testid="predict-answered" data-n={mine.answered ?? 0}>
                  {share ? t('predict.answered', { n: mine.answered ?? 0, total: Math.max(share.viewers, mine.answered ?? 0) }) : t('predict.answeredSome', { n: mine.answered ?? 0 })}
                </span>
              ) : share ? <span className="muted">{t('predict.sharing')}</span> : <span className="muted" data-testid="predict-not-shared">{t('predict.notShared')}</span>}
              {asking.problem ? <span className="err" role="alert">{t('predict.askFailed', { detail: asking.problem })}</span> : null}
              {asking.phase === 'asking' ? (
                <button type="button" className="primary" data-testid="predict-reveal" title={t('predict.revealHint')} onClick={pressNext}>
                  {t('predict.reveal')} <span aria-hidden="true">▶▶</span>
                </button>
              ) : asking.verdict === undefined ? <span className="muted">{t('predict.reading')}</span>
                : asking.verdict ? (
                  <span data-testid="predict-seen">{t(asking.verdict.correct === null ? 'predict.noneMatched' : 'predict.seen', { seen: asking.verdict.seen })}</span>
                ) : null}
            </footer>
          )}
        />
      ) : null}
    </>
  );
}
