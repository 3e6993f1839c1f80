import type { PollAct, SessionEvent } from '@socketscope/shared';
import type { Lesson } from '@socketscope/shared/lessons/index';
import { questionById, type Question, type Verdict } from '@socketscope/shared/lessons/questions';
import type { CommandReply } from '../../session/protocol.ts';
import { currentLink } from '../../session/link.ts';
import { latestRun, type LessonRun, type RunStep } from '../../store/steps.ts';
import { appStore } from '../../store/store.ts';
import { askedKey, shownStep, stepSpan, upcomingQuestion } from './steps.ts';
import { predictStore } from './store.ts';

/**
 * The teacher's side of "Ask first": put the question of the step Next would show to the class, close the
 * answers when the teacher reveals, read what the run really did once the step is shown, and tell the
 * class. While the agent shares the session the students' pages hear of each change through the agent's
 * class poll (`poll` messages); otherwise the question is this screen's alone.
 */

/** events read for one verdict at most (a step of bulk data is summarised by the capture, so far fewer) */
const MAX_STEP_EVENTS = 4000;
/** a step's last packets and kernel states may be heard a moment after its end marker */
const SETTLE_MS = 300;
const RETRY_MS = 1500;

function sharedLive(): boolean {
  const s = appStore().getState();
  return s.share !== null && s.conn.status === 'live' && s.source.kind === 'live' && s.session?.readOnly === false;
}

function tell(act: PollAct): Promise<CommandReply | null> {
  const link = currentLink();
  if (!link || !sharedLive()) return Promise.resolve(null);
  return link.classPoll({ t: 'poll', act });
}

/** Where the views are: the cursor, or the live head. */
export function position(): number {
  const s = appStore().getState();
  return s.cursor ?? s.headSeq;
}

/** The views follow the live head (a live step that still runs is then followed by the next one). */
function following(): boolean {
  return appStore().getState().cursor === null;
}

function runOf(lesson: string): LessonRun | null {
  return latestRun(appStore().getState().steps, lesson);
}

/** Whether Next is busy starting a run or running a step: then it asks nothing. */
function busy(lesson: string): boolean {
  const r = appStore().getState().lessonRun;
  return r?.lesson === lesson && (r.status === 'resetting' || r.stepping === true);
}

/**
 * What Next does with "Ask first" on: 'asked' (the question is shown and put to the class; the step waits
 * for the next press), or 'pass' (Next goes on: it steps, runs, or — while a question is asked — reveals
 * it, and the answers close first).
 */
export function beforeNext(lesson: Lesson): 'asked' | 'pass' {
  const p = predictStore.getState();
  if (!p.askFirst || appStore().getState().session?.readOnly) return 'pass';
  if (p.asking?.lesson === lesson.id && p.asking.phase === 'asking') {
    void tell({ op: 'close' });
    return 'pass';
  }
  if (busy(lesson.id)) return 'pass';
  const run = runOf(lesson.id);
  const q = upcomingQuestion(lesson, run, position(), following());
  if (!q || p.asked.includes(askedKey(lesson.id, run?.start ?? null, q.id))) return 'pass';
  ask(lesson.id, q, run?.start ?? null);
  return 'asked';
}

/**
 * A teacher's page that reloads while its question is put to the class takes it up again from the agent's
 * class poll (the students still see it) — only before this page has asked or put away a question itself,
 * so a late message about an old question never brings it back.
 */
let adoptable = true;

export function adopt(lesson: string): void {
  const p = predictStore.getState();
  const q = p.poll ? questionById(p.poll.question) : undefined;
  if (!adoptable || p.asking || !p.poll || q?.lesson !== lesson) return;
  adoptable = false;
  const revealed = p.poll.phase === 'revealed';
  predictStore.setState({
    asking: {
      lesson, question: q.id, pollId: p.poll.id, phase: revealed ? 'revealed' : 'asking',
      ...(revealed ? { verdict: p.poll.seen === undefined ? null : { correct: p.poll.correct ?? null, seen: p.poll.seen } } : {}),
    },
  });
}

export function ask(lesson: string, q: Question, runStart: number | null): void {
  adoptable = false;
  const p = predictStore.getState();
  predictStore.setState({ asking: { lesson, question: q.id, phase: 'asking' }, asked: [...p.asked, askedKey(lesson, runStart, q.id)] });
  void tell({ op: 'open', question: q.id }).then((r) => {
    const now = predictStore.getState().asking;
    if (!r || now?.question !== q.id) return;
    if (r.ok) predictStore.setState({ asking: { ...now, pollId: (r.result as { poll: { id: string } }).poll.id } });
    else predictStore.setState({ asking: { ...now, problem: r.error.message } });
  });
}

/** Puts the question away, on this screen and the students'. */
export function dismiss(): void {
  if (!predictStore.getState().asking) return;
  adoptable = false;
  predictStore.setState({ asking: null });
  void tell({ op: 'end' });
}

/**
 * Watches the views: once the asked step is shown (whatever showed it: →, the Next button, Run, the
 * scrubber), the question is revealed: answers close, the run's answer is read and the class is told.
 */
export function watchReveal(lesson: Lesson): () => void {
  const check = () => {
    const a = predictStore.getState().asking;
    if (a?.lesson !== lesson.id || a.phase !== 'asking') return;
    const q = questionById(a.question);
    const run = runOf(lesson.id);
    const step = q ? shownStep(run, q.step, position()) : null;
    if (!q || !run || !step) return;
    const asked = predictStore.getState().asked.filter((k) => k !== askedKey(lesson.id, null, q.id));
    predictStore.setState({ asking: { ...a, phase: 'revealed' }, asked: [...asked, askedKey(lesson.id, run.start, q.id)] });
    void tell({ op: 'close' });
    void reveal(q, run, step);
  };
  check();
  return appStore().subscribe((s, prev) => {
    if (s.steps !== prev.steps || s.cursor !== prev.cursor || s.headSeq !== prev.headSeq) check();
  });
}

async function reveal(q: Question, run: LessonRun, step: RunStep): Promise<void> {
  await sleep(SETTLE_MS);
  let verdict = await readVerdict(q, run, step);
  // a verdict that names no choice may be a state or packet still on its way: read once more
  if (verdict?.correct === null) {
    await sleep(RETRY_MS);
    verdict = (await readVerdict(q, run, step)) ?? verdict;
  }
  const now = predictStore.getState().asking;
  if (now?.question !== q.id || now.phase !== 'revealed') return;
  predictStore.setState({ asking: { ...now, verdict } });
  if (verdict) void tell({ op: 'reveal', correct: verdict.correct, seen: verdict.seen.slice(0, 80) });
}

/** The step's events from the session worker (by page position), and the question's verdict on them. */
async function readVerdict(q: Question, run: LessonRun, step: RunStep): Promise<Verdict | null> {
  const link = currentLink();
  if (!link) return null;
  const head = appStore().getState().headSeq;
  const fresh = latestRun(appStore().getState().steps, run.scenario);
  const s = fresh?.steps.find((x) => x.start === step.start) ?? step;
  const span = stepSpan(fresh ?? run, s, head);
  const to = Math.min(span.to, span.from + MAX_STEP_EVENTS - 1);
  const events: SessionEvent[] = [];
  for (let from = span.from; from <= to; from += 200) {
    const batch = await Promise.all(Array.from({ length: Math.min(200, to - from + 1) }, (_, k) => link.query({ q: 'event', seq: from + k })));
    for (const a of batch) if (a.event) events.push(a.event);
  }
  try {
    return q.verdict(events);
  } catch (err) {
    console.warn(`SocketScope: the answer to ${q.id} could not be read from the run: ${(err as Error).message}`);
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
