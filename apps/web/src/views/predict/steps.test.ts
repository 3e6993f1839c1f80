import { describe, expect, it } from 'vitest';
import type { ScenarioStepEvent } from '@socketscope/shared';
import { lessonById } from '@socketscope/shared/lessons/index';
import { latestRun } from '../../store/steps.ts';
import { askedKey, shownStep, stepSpan, upcomingQuestion, upcomingStep } from './steps.ts';

/** A run of tcp-hello's first `n` steps as step markers: step i starts at 10i and ends at 10i + 5. */
function markers(n: number, open = false): ScenarioStepEvent[] {
  const lesson = lessonById('tcp-hello')!;
  const out: ScenarioStepEvent[] = [];
  for (let i = 0; i < n; i++) {
    const base = { v: 1 as const, ts: i, layer: 'session' as const, type: 'scenario.step' as const, scenario: 'tcp-hello', step: lesson.steps[i]!.id, index: i };
    out.push({ ...base, seq: 10 * i, status: 'start' });
    if (!(open && i === n - 1)) out.push({ ...base, seq: 10 * i + 5, status: 'done' });
  }
  return out;
}

describe('where "Ask first" stands', () => {
  const hello = lessonById('tcp-hello')!;

  it('Next shows the first step of a lesson that has not run, or from before its first step', () => {
    expect(upcomingStep(null, -1, 9)).toBe(0);
    expect(upcomingStep(latestRun(markers(9), 'tcp-hello'), -1, 9)).toBe(0);
  });

  it('after a step that ended and is shown in full, Next shows the one after it; none after the last', () => {
    const run = latestRun(markers(9), 'tcp-hello');
    expect(upcomingStep(run, 5, 9)).toBe(1);
    expect(upcomingStep(run, 17, 9)).toBe(2);
    expect(upcomingStep(run, 85, 9)).toBeNull();
  });

  it('asks nothing while a step is shown only partly; while a live step runs at the head, Next is the one after it', () => {
    expect(upcomingStep(latestRun(markers(9), 'tcp-hello'), 12, 9)).toBeNull();
    expect(upcomingStep(latestRun(markers(2, true), 'tcp-hello'), 14, 9)).toBeNull();
    expect(upcomingStep(latestRun(markers(2, true), 'tcp-hello'), 14, 9, true)).toBe(2);
    expect(upcomingStep(latestRun(markers(1, true), 'tcp-hello'), 3, 9, true)).toBe(1);
  });

  it('finds the question of the step Next would show, and none for a step without one', () => {
    const run = latestRun(markers(9), 'tcp-hello');
    expect(upcomingQuestion(hello, run, 5)?.id).toBe('tcp-hello/syn-reply');
    expect(upcomingQuestion(hello, run, 15)).toBeNull(); // server.accept has no question
    expect(upcomingQuestion(hello, run, 35)?.id).toBe('tcp-hello/recv-bytes');
  });

  it('a step is shown once the position reaches its end; its events run to the next step’s start, or the head', () => {
    const run = latestRun(markers(9), 'tcp-hello')!;
    expect(shownStep(run, 'client.connect', 14)).toBeNull();
    const s = shownStep(run, 'client.connect', 15)!;
    expect(s.start).toBe(10);
    expect(stepSpan(run, s, 99)).toEqual({ from: 10, to: 19 });
    expect(stepSpan(run, run.steps.at(-1)!, 99)).toEqual({ from: 80, to: 99 });
    expect(askedKey('tcp-hello', null, 'q')).not.toBe(askedKey('tcp-hello', 0, 'q'));
  });
});
