import type { SessionEvent } from '@socketscope/shared';

/**
 * A lesson's steps as they really ran: the agent's `scenario.step` start/done (or failed) markers of
 * the latest run of that lesson in the timeline. A step spans its start marker to its end marker, and
 * the cursor "is at" step i from its start until the next step starts.
 */
export interface RunStep {
  /** the scenario's step id (the lesson content's step id) */
  id: string;
  index: number;
  role: 'client' | 'server' | 'both' | undefined;
  /** page seq of the start marker */
  start: number;
  /** page seq of the done/failed marker; null while the step runs */
  end: number | null;
  status: 'start' | 'done' | 'failed';
}

export interface LessonRun {
  scenario: string;
  steps: RunStep[];
  /** page seq of the first step's start marker */
  start: number;
  /** every step ended with done */
  complete: boolean;
  failed: boolean;
}

/**
 * The latest run of `scenario` (from its step 0 start), or null. `markers`: the session's step markers
 * (scenario.step events, or any events: others are skipped) in page order.
 */
export function latestRun(markers: readonly SessionEvent[], scenario: string): LessonRun | null {
  let from = -1;
  for (let k = markers.length - 1; k >= 0; k--) {
    const e = markers[k];
    if (e?.type === 'scenario.step' && e.scenario === scenario && e.index === 0 && e.status === 'start') { from = k; break; }
  }
  if (from < 0) return null;
  const steps: RunStep[] = [];
  for (let k = from; k < markers.length; k++) {
    const e = markers[k];
    if (e?.type !== 'scenario.step') continue;
    if (e.scenario !== scenario || (k > from && e.index === 0 && e.status === 'start')) break;
    if (e.status === 'start') {
      steps.push({ id: e.step, index: e.index, role: e.role, start: e.seq, end: null, status: 'start' });
    } else {
      const s = steps.findLast((x) => x.index === e.index && x.end === null);
      if (s) { s.end = e.seq; s.status = e.status; }
    }
  }
  const failed = steps.some((s) => s.status === 'failed');
  return { scenario, steps, start: steps[0]!.start, complete: !failed && steps.length > 0 && steps.every((s) => s.status === 'done'), failed };
}

/** Where Next/Previous stop: before the first step, then the end of each finished step. */
export function stopsOf(run: LessonRun): number[] {
  const stops = [run.start - 1];
  for (const s of run.steps) if (s.end !== null) stops.push(s.end);
  return stops;
}

/** Index into run.steps of the step the cursor is in (the last one started at or before it), or -1. */
export function stepAt(run: LessonRun, cursor: number): number {
  let i = -1;
  for (let k = 0; k < run.steps.length; k++) if (run.steps[k]!.start <= cursor) i = k;
  return i;
}

export function nextStop(stops: readonly number[], cursor: number): number | null {
  for (const s of stops) if (s > cursor) return s;
  return null;
}

export function prevStop(stops: readonly number[], cursor: number): number | null {
  for (let k = stops.length - 1; k >= 0; k--) if (stops[k]! < cursor) return stops[k]!;
  return null;
}
