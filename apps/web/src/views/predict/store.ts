import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { PollState } from '@socketscope/shared';
import type { Verdict } from '@socketscope/shared/lessons/questions';
import { onPoll } from '../../session/link.ts';

/**
 * "Ask first" on the page: the teacher's question to the class and what the students' pages hold of it.
 * Its own small store (the app's slices hold the session); the agent's class poll reaches it through the
 * session worker (`poll` messages, session/link.ts onPoll), never through events: answers are no part
 * of the session, its recordings or its model.
 */
export interface Asking {
  lesson: string;
  /** a question id (packages/shared/src/lessons/questions.ts) */
  question: string;
  /** asking: shown before its step; revealed: the step has been shown */
  phase: 'asking' | 'revealed';
  /** what the run did: undefined while it is read, null when it could not be read */
  verdict?: Verdict | null;
  /** the agent's id of this asking, while the session is shared */
  pollId?: string;
  /** why the class could not be asked (the question still shows on this screen) */
  problem?: string;
}

export interface PredictState {
  askFirst: boolean;
  /** the teacher's question now */
  asking: Asking | null;
  /** questions already asked, per run (steps.ts askedKey) */
  asked: readonly string[];
  /** the class poll as the agent tells it (the teacher's page: with the counts) */
  poll: PollState | null;
  /** a student's page: its answers, by poll id */
  mine: Readonly<Record<string, number>>;
  /** a student's page: an answer on its way, or why the last one was refused */
  sending: boolean;
  refused: string | null;
}

const ANSWERS_KEY = 'socketscope.answers';
const ASK_KEY = 'socketscope.askFirst';

function session(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

function initialAskFirst(): boolean {
  if (typeof location !== 'undefined') {
    const q = new URLSearchParams(location.search).get('ask');
    if (q === '1' || q === '0') return q === '1';
  }
  return session()?.getItem(ASK_KEY) === '1';
}

function initialMine(): Record<string, number> {
  try {
    const raw = JSON.parse(session()?.getItem(ANSWERS_KEY) ?? '{}') as unknown;
    if (!raw || typeof raw !== 'object') return {};
    return Object.fromEntries(Object.entries(raw).filter(([k, v]) => k.length <= 32 && Number.isInteger(v) && (v as number) >= 0 && (v as number) < 8)) as Record<string, number>;
  } catch {
    return {};
  }
}

export const predictStore = createStore<PredictState>()(() => ({
  askFirst: initialAskFirst(),
  asking: null,
  asked: [],
  poll: null,
  mine: initialMine(),
  sending: false,
  refused: null,
}));

// the agent says where the class poll stands after every hello and whenever it changes
onPoll((poll) => predictStore.setState({ poll }));

export function usePredict<T>(selector: (s: PredictState) => T): T {
  return useStore(predictStore, selector);
}

export function setAskFirst(on: boolean): void {
  predictStore.setState({ askFirst: on });
  session()?.setItem(ASK_KEY, on ? '1' : '0');
}

/** A student's page remembers its answers for this tab (a reload still shows them); the newest 20. */
export function rememberAnswer(poll: string, choice: number): void {
  const mine = { ...predictStore.getState().mine, [poll]: choice };
  const kept = Object.fromEntries(Object.entries(mine).slice(-20));
  predictStore.setState({ mine: kept });
  session()?.setItem(ANSWERS_KEY, JSON.stringify(kept));
}
