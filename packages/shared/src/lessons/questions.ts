/**
 * Questions to ask the class before a lesson step is shown ("Ask first"): what the class predicts, then
 * what the run really did. Each belongs to one step of one lesson (asked before that step runs) and is
 * written in the course's three languages, like the lessons' explanations.
 *
 * A question's answer is never written down: `verdict` reads it from the events of the step as the run
 * made them (questions-facts.ts), so "how many bytes will this recv() return?" is answered by the recv()
 * the program really made, on this machine, this time. When the run did none of the choices (a program
 * changed, a step failed) the verdict says so (`correct: null`) and tells what it saw instead.
 *
 * Ids are `lesson/name`, unique and stable: the agent's class poll (apps/agent/src/server/answers) accepts
 * only these, and takes the number of choices from here, never from a page.
 */
import type { SessionEvent } from '../protocol/events.ts';
import { QUESTIONS_DATA } from './questions-data.ts';
import { QUESTIONS_LAB } from './questions-lab.ts';
import { QUESTIONS_TCP } from './questions-tcp.ts';
import type { Text } from './types.ts';

/** What the run did, as one question's answer. */
export interface Verdict {
  /** the index of the choice the run made true; null when it did none of them */
  correct: number | null;
  /** what the run did, in a few language-neutral words: "SYN+ACK", "recv(1024) → 5", "EADDRINUSE" */
  seen: string;
}

export interface Question {
  /** `lesson/name` */
  readonly id: string;
  readonly lesson: string;
  /** the step it is asked before (an id of the lesson's step plan) */
  readonly step: string;
  readonly ask: Text;
  /** 2 to MAX_CHOICES choices */
  readonly choices: readonly Text[];
  /** the answer, from the step's events: from its start marker up to the next step's (or all heard so far) */
  readonly verdict: (events: readonly SessionEvent[]) => Verdict;
}

export const MAX_CHOICES = 6;

/** Every question, in lesson order and, within a lesson, in step order. */
export const QUESTIONS: readonly Question[] = [...QUESTIONS_TCP, ...QUESTIONS_DATA, ...QUESTIONS_LAB];

const BY_ID = new Map(QUESTIONS.map((q) => [q.id, q]));

export function questionById(id: string): Question | undefined {
  return BY_ID.get(id);
}

export function questionsOf(lesson: string): Question[] {
  return QUESTIONS.filter((q) => q.lesson === lesson);
}

/** The question asked before `step` of `lesson`, if it has one. */
export function questionBefore(lesson: string, step: string): Question | undefined {
  return QUESTIONS.find((q) => q.lesson === lesson && q.step === step);
}

/**
 * The events of the latest run's `step` of `lesson` in a whole session: from that step's start marker up
 * to the next step's start marker (of any lesson), or to the end. Null when the session has no such step.
 * (Recordings and tests; the page asks its session worker for the same range by position.)
 */
export function eventsOfStep(events: readonly SessionEvent[], lesson: string, step: string): SessionEvent[] | null {
  let from = -1;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'scenario.step' && e.scenario === lesson && e.step === step && e.status === 'start') { from = i; break; }
  }
  if (from < 0) return null;
  let to = events.length;
  for (let i = from + 1; i < events.length; i++) {
    const e = events[i]!;
    if (e.type === 'scenario.step' && e.status === 'start') { to = i; break; }
  }
  return events.slice(from, to);
}
