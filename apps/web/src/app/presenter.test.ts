import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import type { AppState } from '../store/slices.ts';
import { nextAction } from './presenter.ts';

type S = Parameters<typeof nextAction>[0];
const caps = {
  python: { available: true }, kernel: { available: true }, scenarios: ['tcp-hello'],
} as unknown as AppState['capabilities'];

function state(over: Partial<S> = {}): S {
  return {
    route: { view: 'lesson', id: 'tcp-hello' }, steps: [], lessonRun: null, headSeq: -1,
    conn: { status: 'live', attempt: 0, retryAt: null, everLive: true }, capabilities: caps,
    session: { id: 's', agentVersion: '1', readOnly: false }, source: { kind: 'live' }, ...over,
  };
}
const shipped = () => true;
const none = () => false;
const marker = (seq: number, index: number, status: 'start' | 'done'): Extract<SessionEvent, { type: 'scenario.step' }> => ({
  v: 1, seq, ts: seq, layer: 'session', type: 'scenario.step', scenario: 'tcp-hello', step: `s${index}`, index, status,
} as unknown as Extract<SessionEvent, { type: 'scenario.step' }>);

describe('nextAction: what → / PageDown / space do (presenter.ts P1–P6)', () => {
  it('P1: a lesson opened by link that has not run starts live on the first key', () => {
    expect(nextAction(state(), shipped)).toBe('start-live');
    // the playground's events in the session are not this lesson's run
    expect(nextAction(state({ headSeq: 120 }), shipped)).toBe('start-live');
  });

  it('P2: where it cannot run here, the first key opens the shipped recording', () => {
    expect(nextAction(state({ conn: { status: 'no-token', attempt: 0, retryAt: null, everLive: false }, capabilities: null }), shipped)).toBe('open-shipped');
    const noPython = { ...caps, python: { available: false } } as unknown as AppState['capabilities'];
    expect(nextAction(state({ capabilities: noPython }), shipped)).toBe('open-shipped');
    expect(nextAction(state({ capabilities: noPython }), none)).toBe('none');
  });

  it('P3: while the agent is still being reached, the key waits for it', () => {
    for (const status of ['connecting', 'syncing', 'reconnecting'] as const) {
      expect(nextAction(state({ conn: { status, attempt: 0, retryAt: null, everLive: false }, capabilities: null }), shipped)).toBe('wait-agent');
    }
  });

  it('P4: a run starting or a step running swallows the key', () => {
    expect(nextAction(state({ lessonRun: { lesson: 'tcp-hello', status: 'resetting', live: true } }), shipped)).toBe('busy');
    expect(nextAction(state({ lessonRun: { lesson: 'tcp-hello', status: 'running' } }), shipped)).toBe('busy');
    expect(nextAction(state({ lessonRun: { lesson: 'tcp-hello', status: 'running', live: true } }), shipped)).toBe('busy');
  });

  it('P5: a student’s read-only page never starts a lesson', () => {
    expect(nextAction(state({ session: { id: 's', agentVersion: '1', readOnly: true } }), shipped)).toBe('none');
    expect(nextAction(state({ session: { id: 's', agentVersion: '1', readOnly: true }, headSeq: 4 }), shipped)).toBe('step');
  });

  it('P6: once the lesson has a run (live and waiting, or recorded), the key steps', () => {
    const steps = [marker(3, 0, 'start'), marker(9, 0, 'done')];
    expect(nextAction(state({ steps, headSeq: 9, lessonRun: { lesson: 'tcp-hello', status: 'running', live: true, ready: true } }), shipped)).toBe('step');
    expect(nextAction(state({ steps, headSeq: 9, lessonRun: { lesson: 'tcp-hello', status: 'done' } }), shipped)).toBe('step');
    expect(nextAction(state({ steps, headSeq: 9, source: { kind: 'file', name: 'tcp-hello.jsonl', format: 'session', events: 9 } }), shipped)).toBe('step');
    // another screen: the key steps through the session's events as before
    expect(nextAction(state({ route: { view: 'session' }, headSeq: 4 }), shipped)).toBe('step');
    expect(nextAction(state({ route: { view: 'session' } }), shipped)).toBe('none');
  });
});
