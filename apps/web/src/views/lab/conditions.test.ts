import { describe, expect, it } from 'vitest';
import { Command } from '@socketscope/shared';
import { conditionsOf, fieldsOf } from './conditions.ts';

describe('the LabPanel’s fields as lab.up / lab.set conditions', () => {
  it('empty rate is no rate limit, empty numbers are 0, and the result is a valid command', () => {
    const c = conditionsOf({ delay: ' 100 ', jitter: '', loss: '2.5', rate: '' });
    expect(c).toEqual({ delayMs: 100, jitterMs: 0, lossPct: 2.5, rateKbit: null });
    expect(Command.safeParse({ op: 'lab.up', conditions: c }).success).toBe(true);
    expect(Command.safeParse({ op: 'lab.set', conditions: conditionsOf({ delay: '0', jitter: '0', loss: '0', rate: '800' }) }).success).toBe(true);
  });

  it('what a person mistyped is sent as it is, and the shared schema refuses it (the agent says why)', () => {
    expect(Command.safeParse({ op: 'lab.set', conditions: conditionsOf({ delay: 'abc', jitter: '0', loss: '0', rate: '' }) }).success).toBe(false);
    expect(Command.safeParse({ op: 'lab.set', conditions: conditionsOf({ delay: '10', jitter: '0', loss: '150', rate: '' }) }).success).toBe(false);
  });

  it('starts from the link’s conditions', () => {
    expect(fieldsOf({ delayMs: 50, jitterMs: 5, lossPct: 1, rateKbit: null })).toEqual({ delay: '50', jitter: '5', loss: '1', rate: '' });
    expect(conditionsOf(fieldsOf({ delayMs: 50, jitterMs: 5, lossPct: 1, rateKbit: 64 }))).toEqual({ delayMs: 50, jitterMs: 5, lossPct: 1, rateKbit: 64 });
  });
});
