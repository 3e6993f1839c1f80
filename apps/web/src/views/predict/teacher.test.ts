import { beforeEach, describe, expect, it } from 'vitest';
import type { ScenarioStepEvent } from '@socketscope/shared';
import { lessonById } from '@socketscope/shared/lessons/index';
import { initAppStore } from '../../store/store.ts';
import { predictStore } from './store.ts';
import { beforeNext, dismiss, watchReveal } from './teacher.ts';

/**
 * "Ask first" as Next meets it, on the page's own store (no agent: the class poll is not told, and the
 * run's answer cannot be read, so the verdict stays unread). tcp-refused asks before both of its steps.
 */
const refused = lessonById('tcp-refused')!;

function marker(step: number, seq: number, status: 'start' | 'done'): ScenarioStepEvent {
  return { v: 1, seq, ts: seq, layer: 'session', type: 'scenario.step', scenario: 'tcp-refused', step: refused.steps[step]!.id, index: step, status };
}

let store = initAppStore({ route: { view: 'lesson', id: 'tcp-refused' } });
beforeEach(() => {
  store = initAppStore({ route: { view: 'lesson', id: 'tcp-refused' } });
  predictStore.setState({ askFirst: true, asking: null, asked: [], poll: null });
});

describe('Next with "Ask first"', () => {
  it('on a lesson that has not run, the first Next asks the first step’s question and the second goes on', () => {
    expect(beforeNext(refused)).toBe('asked');
    expect(predictStore.getState().asking).toMatchObject({ lesson: 'tcp-refused', question: 'tcp-refused/syn-reply', phase: 'asking' });
    expect(beforeNext(refused)).toBe('pass');
    expect(predictStore.getState().asking?.phase).toBe('asking');
  });

  it('once the step is shown the question is revealed, and is not asked again in that run; the next step’s is', () => {
    expect(beforeNext(refused)).toBe('asked');
    const off = watchReveal(refused);
    try {
      store.setState({ steps: [marker(0, 0, 'start')], headSeq: 3, cursor: null });
      expect(predictStore.getState().asking?.phase).toBe('asking'); // the step still runs
      store.setState({ steps: [marker(0, 0, 'start'), marker(0, 5, 'done')], headSeq: 8 });
      expect(predictStore.getState().asking?.phase).toBe('revealed');
      expect(predictStore.getState().asked).toEqual(['tcp-refused|0|tcp-refused/syn-reply']);
      // back before the step, and Next again: the step is stepped, not asked again
      store.setState({ cursor: -1 });
      expect(beforeNext(refused)).toBe('pass');
      store.setState({ cursor: null });
      expect(beforeNext(refused)).toBe('asked');
      expect(predictStore.getState().asking).toMatchObject({ question: 'tcp-refused/close-wire', phase: 'asking' });
    } finally {
      off();
    }
  });

  it('asks nothing with "Ask first" off, on a student’s page, or while a run starts', () => {
    predictStore.setState({ askFirst: false });
    expect(beforeNext(refused)).toBe('pass');
    predictStore.setState({ askFirst: true });
    store.setState({ session: { id: 's', agentVersion: '0', readOnly: true } });
    expect(beforeNext(refused)).toBe('pass');
    store.setState({ session: { id: 's', agentVersion: '0', readOnly: false }, lessonRun: { lesson: 'tcp-refused', status: 'resetting' } });
    expect(beforeNext(refused)).toBe('pass');
    expect(predictStore.getState().asking).toBeNull();
  });

  it('a question put away is gone', () => {
    expect(beforeNext(refused)).toBe('asked');
    dismiss();
    expect(predictStore.getState().asking).toBeNull();
  });
});
