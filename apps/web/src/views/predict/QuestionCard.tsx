import type { ReactNode } from 'react';
import type { Question } from '@socketscope/shared/lessons/questions';
import { useT } from '../../i18n/useT.ts';
import { useApp } from '../../store/store.ts';

export const LETTERS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;

export interface CardProps {
  question: Question;
  /** asking: answers open; closed: answers closed, step not shown yet; revealed: the run's answer is known */
  phase: 'asking' | 'closed' | 'revealed';
  /** answers per choice, where known */
  counts?: readonly number[] | undefined;
  /** revealed: the choice the run made true (null: none); undefined: not read yet */
  correct?: number | null | undefined;
  /** a student's own answer */
  mine?: number | undefined;
  /** a student's page while it may answer: tapping a choice answers */
  onPick?: ((choice: number) => void) | undefined;
  busy?: boolean;
  className?: string;
  testId: string;
  /** above the question (title, close) and below the choices (how many answered, what the run did) */
  head?: ReactNode;
  foot?: ReactNode;
}

/**
 * A question and its choices, the same on the teacher's screen and the students' pages: each choice with
 * its letter, its share of the class's answers (a bar AND the number: colour never carries it alone), and
 * once revealed a ✓ and words on the one the run made true.
 */
export function QuestionCard({ question, phase, counts, correct, mine, onPick, busy = false, className = '', testId, head, foot }: CardProps) {
  const t = useT();
  const locale = useApp((s) => s.locale);
  const total = counts ? counts.reduce((a, b) => a + b, 0) : 0;
  const revealed = phase === 'revealed' && correct !== undefined;
  return (
    <section className={`pq-card ${className}`} data-testid={testId} data-phase={phase} data-question={question.id}
      data-correct={revealed && correct !== null ? String(correct) : undefined}>
      {head}
      <p className="pq-ask" lang={locale}>{question.ask[locale]}</p>
      <ol className="pq-choices">
        {question.choices.map((c, i) => {
          const n = counts?.[i] ?? 0;
          const right = revealed && correct === i;
          const label = <><span className="pq-letter" aria-hidden="true">{LETTERS[i]}</span><span className="pq-text">{c[locale]}</span></>;
          return (
            <li key={i} className={`pq-choice${right ? ' right' : ''}${revealed && !right ? ' other' : ''}${mine === i ? ' mine' : ''}`}
              data-testid="predict-choice" data-index={i} data-right={right ? 'true' : undefined} data-mine={mine === i ? 'true' : undefined}>
              {onPick ? (
                <button type="button" className="pq-pick" data-testid={`predict-pick-${i}`} disabled={busy} onClick={() => onPick(i)}
                  aria-label={`${LETTERS[i]}: ${c[locale]}`}>{label}</button>
              ) : <span className="pq-label">{label}</span>}
              {counts ? (
                <span className="pq-count">
                  <span className="pq-bar" aria-hidden="true"><span style={{ width: `${total > 0 ? (100 * n) / total : 0}%` }} /></span>
                  <span className="pq-n" data-testid="predict-count">{n}</span>
                </span>
              ) : null}
              {right ? <strong className="pq-right" data-testid="predict-right">✓ {t('predict.right')}</strong> : null}
            </li>
          );
        })}
      </ol>
      {foot}
    </section>
  );
}
