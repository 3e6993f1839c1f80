import type { Lesson } from '@socketscope/shared/lessons/index';
import { questionBefore, type Question } from '@socketscope/shared/lessons/questions';
import { stepAt, type LessonRun, type RunStep } from '../../store/steps.ts';

/**
 * Where "Ask first" stands in a lesson, from the run's step markers and the position the views show (the
 * cursor, or the live head): which step Next would show next, and whether a step has been shown.
 */

/**
 * The index (in the lesson's plan) of the step Next would show from `position`: the first one when the
 * lesson has not run or the position is before its first step; the one after a step that has ended and is
 * fully shown, or after a step still running while the views follow the live head (`following`: a live
 * lesson runs its next step once this one is done); null while a step is shown only partly, and after the last.
 */
export function upcomingStep(run: LessonRun | null, position: number, stepCount: number, following = false): number | null {
  if (!run) return stepCount > 0 ? 0 : null;
  const i = stepAt(run, position);
  if (i < 0) return stepCount > 0 ? 0 : null;
  const cur = run.steps[i]!;
  const running = cur.end === null && following;
  if (!running && (cur.end === null || position < cur.end)) return null;
  const next = cur.index + 1;
  return next < stepCount ? next : null;
}

/** The question to ask before what Next would show, if that step has one. */
export function upcomingQuestion(lesson: Lesson, run: LessonRun | null, position: number, following = false): Question | null {
  const k = upcomingStep(run, position, lesson.steps.length, following);
  if (k === null) return null;
  return questionBefore(lesson.id, lesson.steps[k]!.id) ?? null;
}

/** The run's step `stepId` once it has ended and the views show all of it (the position at or past its end). */
export function shownStep(run: LessonRun | null, stepId: string, position: number): RunStep | null {
  const s = run?.steps.find((x) => x.id === stepId);
  return s && s.end !== null && position >= s.end ? s : null;
}

/**
 * The page positions of a shown step's events: from its start marker up to the next step's start marker,
 * or to the newest event held (a late packet or kernel state still belongs to it).
 */
export function stepSpan(run: LessonRun, step: RunStep, head: number): { from: number; to: number } {
  const i = run.steps.indexOf(step);
  const next = i >= 0 ? run.steps[i + 1] : undefined;
  return { from: step.start, to: next ? next.start - 1 : head };
}

/** A question's key in the set of those already asked in a run (`runStart` null: before the lesson ran). */
export function askedKey(lesson: string, runStart: number | null, question: string): string {
  return `${lesson}|${runStart ?? 'new'}|${question}`;
}
