import { lessonById } from '@socketscope/shared/lessons/index';
import { seek, setAtEdge, setStops } from '../store/playback.ts';
import type { LessonRunState } from '../store/slices.ts';
import { latestRun, stopsOf } from '../store/steps.ts';
import type { AppStore } from '../store/store.ts';
import { setShownShipped, recordedOf, shippedName, shippedText } from '../views/player/shipped.ts';
import { openBytes } from './files.ts';
import { runCommand } from './session.ts';

/**
 * Running a lesson on the agent: a fresh session (so the ladder holds this run only), then
 * `scenario.run` with no port, so the agent uses its own default (the tutorial's port, or the one it
 * was started with), and the page's language for the comments of the files that run.
 *
 * Recorded: the reply comes when the lesson has ended, after every event of the run (the agent replies
 * after the events a command caused), so the page folds what it still holds and puts the cursor before
 * the first step, ready to be stepped through.
 *
 * Live: the reply comes at once and the agent runs the first step; the page follows the head. At the
 * live edge Next (→, the button) sends `lesson.next` (playback's edge action), which runs the next
 * step while the class watches; its reply comes when the step is done. Stepping back moves the cursor
 * over what already happened; Live (or → at the last step) comes back.
 */

const NEW_SESSION_WAIT_MS = 10_000;

function waitForSession(store: AppStore, id: string): Promise<boolean> {
  if (store.getState().session?.id === id) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { off(); resolve(false); }, NEW_SESSION_WAIT_MS);
    const off = store.subscribe((s) => {
      if (s.session?.id === id) { clearTimeout(timer); off(); resolve(true); }
    });
  });
}

function setRun(store: AppStore, run: LessonRunState | null): void {
  store.setState({ lessonRun: run });
}

export interface RunOptions {
  port?: number;
  live?: boolean;
}

export async function runLesson(store: AppStore, lesson: string, opts: RunOptions = {}): Promise<void> {
  const running = store.getState().lessonRun;
  if (running && (running.status === 'resetting' || running.status === 'running')) {
    if (!running.live) return;
    await stopLive(store); // a live lesson waits on the teacher: starting another ends it
  }
  const base = { lesson, ...(opts.port === undefined ? {} : { port: opts.port }), ...(opts.live ? { live: true } : {}) };
  setRun(store, { ...base, status: 'resetting' });
  store.setState({ playing: false });
  const reset = await runCommand('lesson', { op: 'session.reset' });
  if (!reset.ok) {
    setRun(store, { ...base, status: 'failed', error: reset.error });
    return;
  }
  const id = (reset.result as { session?: unknown } | null)?.session;
  if (typeof id === 'string') await waitForSession(store, id);
  seek(store, null); // follow the run live
  setRun(store, { ...base, status: 'running' });
  const lang = store.getState().locale;
  const reply = await runCommand('lesson', { op: 'scenario.run', name: lesson, lang, ...(opts.port === undefined ? {} : { port: opts.port }), ...(opts.live ? { live: true } : {}) });
  if (opts.live && reply.ok) {
    // → runs the next step from now on (not before: the agent's reply says the programs wait for it)
    setAtEdge(() => void nextLive(store));
    const now = store.getState().lessonRun;
    if (now?.lesson === lesson && now.status === 'running') setRun(store, { ...now, ready: true });
    return;
  }
  // the worker sent every event of the run before the reply (session/worker.ts)
  const run = latestRun(store.getState().steps, lesson);
  if (run) {
    const stops = stopsOf(run);
    setStops(stops);
    seek(store, stops[0]!);
  }
  setRun(store, reply.ok ? { ...base, status: 'done' } : { ...base, status: 'failed', error: reply.error });
}

/** Live: runs the next step now (one at a time); the cursor follows it. */
export async function nextLive(store: AppStore): Promise<void> {
  const run = store.getState().lessonRun;
  if (!run?.live || run.status !== 'running' || run.stepping) return;
  setRun(store, { ...run, stepping: true });
  seek(store, null);
  const reply = await runCommand('lesson', { op: 'lesson.next' });
  const now = store.getState().lessonRun;
  if (now?.lesson !== run.lesson || now.status !== 'running') return; // stopped or replaced meanwhile
  const { stepping: _, ...rest } = now;
  if (!reply.ok) {
    setAtEdge(null);
    setRun(store, { ...rest, status: 'failed', error: reply.error });
    return;
  }
  const done = (reply.result as { stepsDone?: unknown } | null)?.stepsDone;
  const steps = latestRun(store.getState().steps, run.lesson);
  const failed = steps?.failed ?? false;
  const total = typeof done === 'number' && steps && done >= 0 ? done : -1;
  if (failed) {
    setAtEdge(null);
    const failedStep = steps?.steps.find((x) => x.status === 'failed');
    setRun(store, { ...rest, status: 'failed', error: { code: 'E_STEP', message: failedStep?.id ?? '' } });
  } else if (total >= 0 && total >= (lessonById(run.lesson)?.steps.length ?? Number.POSITIVE_INFINITY)) {
    setAtEdge(null);
    setRun(store, { ...rest, status: 'done' });
  } else {
    setRun(store, rest);
  }
}


/** Ends a live lesson and its programs (leaving the lesson, or starting another run). */
export async function stopLive(store: AppStore): Promise<void> {
  const run = store.getState().lessonRun;
  setAtEdge(null);
  if (!run?.live || (run.status !== 'running' && run.status !== 'resetting')) return;
  setRun(store, { ...run, status: 'done', stepping: false });
  await runCommand('lesson', { op: 'lesson.stop' });
}

/**
 * Opens the recording the page ships for `lesson` (where the lesson cannot run here) through the same
 * checks and pipeline as any opened file, and remembers its label (when, which OS and kernel).
 */
export async function openShipped(store: AppStore, lesson: string): Promise<boolean> {
  const text = await shippedText(lesson);
  if (text === null) return false;
  const name = shippedName(lesson);
  setShownShipped({ name, lesson, recorded: recordedOf(text) });
  return openBytes(store, name, new TextEncoder().encode(text));
}
