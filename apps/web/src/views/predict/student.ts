import { currentLink } from '../../session/link.ts';
import { predictStore, rememberAnswer } from './store.ts';

/**
 * A student's side of "Ask first": the one thing a read-only page may send is its answer to the question
 * open now (the agent's class poll checks everything again: apps/agent/src/server/answers/class-poll.ts).
 * A page answers as one student: a random id of its own, kept for the tab, so a reload is the same student.
 */
const STUDENT_KEY = 'socketscope.student';

function newId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[b & 63];
  return s;
}

let fallback: string | null = null;

export function studentId(): string {
  try {
    const have = sessionStorage.getItem(STUDENT_KEY);
    if (have && /^[A-Za-z0-9_-]{8,64}$/.test(have)) return have;
    const id = newId();
    sessionStorage.setItem(STUDENT_KEY, id);
    return id;
  } catch {
    fallback ??= newId();
    return fallback;
  }
}

export async function sendAnswer(poll: string, choice: number): Promise<void> {
  const link = currentLink();
  if (!link || predictStore.getState().sending) return;
  predictStore.setState({ sending: true, refused: null });
  const r = await link.classPoll({ t: 'answer', poll, choice, student: studentId() });
  predictStore.setState({ sending: false });
  if (r.ok) rememberAnswer(poll, choice);
  else predictStore.setState({ refused: r.error.code });
}
