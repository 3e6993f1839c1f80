import type { AppState } from '../store/slices.ts';
import { latestRun } from '../store/steps.ts';
import { cannotRun } from '../views/player/shipped.ts';

/**
 * What "next" means to a presenter remote (→, PageDown, space), decided from the page's state alone, so
 * the first press of a lesson is never lost:
 *
 * P1  On a lesson that has not run (no run of it in the session), → starts it LIVE: the programs run
 *     the first step at once and the page lands on it; later presses run the next steps.
 * P2  Where the lesson cannot run here (no agent, no Python, not Linux) but the page ships its
 *     recording, → opens that recording and lands on its first step.
 * P3  While the agent is still being reached (connecting, synchronising, reconnecting), → waits for it (bounded) and
 *     then decides again: a lesson opened by link is ready for the first key.
 * P4  While a run is starting or a step is running, → is swallowed: it must not step through the
 *     events of something else meanwhile.
 * P5  A read-only (student) page never starts anything; it steps through what the teacher ran.
 * P6  Everything else steps (playback.ts stepNext: a lesson's step ends, a live lesson's edge action).
 */
export type NextAction = 'start-live' | 'open-shipped' | 'wait-agent' | 'busy' | 'step' | 'none';

export function nextAction(s: Pick<AppState, 'route' | 'steps' | 'lessonRun' | 'conn' | 'capabilities' | 'session' | 'headSeq' | 'source'>, shipped: (lesson: string) => boolean): NextAction {
  const stepOrNone: NextAction = s.headSeq >= 0 ? 'step' : 'none';
  if (s.route.view !== 'lesson') return stepOrNone;
  const lesson = s.route.id;
  const run = s.lessonRun?.lesson === lesson ? s.lessonRun : null;
  if (run?.status === 'resetting') return 'busy';
  if (run?.status === 'running' && (!run.live || run.ready !== true)) return 'busy';
  if (latestRun(s.steps, lesson) !== null) return stepOrNone;
  if (run?.status === 'running') return 'busy'; // live, ready, but its first step's markers have not come yet
  if (s.session?.readOnly) return stepOrNone;
  if (s.source.kind === 'live' && (s.conn.status === 'connecting' || s.conn.status === 'syncing' || s.conn.status === 'reconnecting')) return 'wait-agent';
  const why = cannotRun(s, lesson);
  if (why === null) return s.source.kind === 'live' && s.conn.status === 'live' ? 'start-live' : (shipped(lesson) ? 'open-shipped' : 'none');
  return shipped(lesson) ? 'open-shipped' : stepOrNone;
}
