import { seek, setStops } from '../store/playback.ts';
import { latestRun, stopsOf } from '../store/steps.ts';
import type { AppStore } from '../store/store.ts';
import { flushEvents, runCommand } from './session.ts';

/**
 * Running a lesson on the agent: a fresh session (so the ladder holds this run only), then
 * `scenario.run` with no port, so the agent uses its own default (the tutorial's port, or the one it
 * was started with). The page follows the run live; when the reply comes every event of the run has
 * arrived (the agent replies after the events a command caused), so the page folds what it still
 * holds and puts the cursor before the first step, ready to be stepped through.
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

export async function runLesson(store: AppStore, lesson: string, port?: number): Promise<void> {
  const running = store.getState().lessonRun;
  if (running && (running.status === 'resetting' || running.status === 'running')) return;
  const withPort = port === undefined ? {} : { port };
  store.setState({ lessonRun: { lesson, status: 'resetting', ...withPort }, playing: false });
  const reset = await runCommand('lesson', { op: 'session.reset' });
  if (!reset.ok) {
    store.setState({ lessonRun: { lesson, status: 'failed', error: reset.error, ...withPort } });
    return;
  }
  const id = (reset.result as { session?: unknown } | null)?.session;
  if (typeof id === 'string') await waitForSession(store, id);
  seek(store, null); // follow the run live
  store.setState({ lessonRun: { lesson, status: 'running', ...withPort } });
  const reply = await runCommand('lesson', { op: 'scenario.run', name: lesson, ...withPort });
  flushEvents();
  const s = store.getState();
  const run = latestRun(s.timeline, s.timeline.markers, lesson);
  if (run) {
    const stops = stopsOf(run);
    setStops(stops);
    seek(store, stops[0]!);
  }
  store.setState({ lessonRun: reply.ok ? { lesson, status: 'done', ...withPort } : { lesson, status: 'failed', error: reply.error, ...withPort } });
}
