import { describe, expect, it } from 'vitest';
import { statePath } from './states.ts';

describe('statePath', () => {
  it('shows where a client came from, where it is and the usual road ahead', () => {
    const steps = statePath([
      { from: null, to: 'SYN_SENT', seq: 1, ts: 1 },
      { from: 'SYN_SENT', to: 'ESTABLISHED', seq: 2, ts: 2 },
      { from: 'ESTABLISHED', to: 'FIN_WAIT1', seq: 3, ts: 3 },
    ], 'FIN_WAIT1');
    expect(steps).toEqual([
      { state: 'SYN_SENT', kind: 'past' },
      { state: 'ESTABLISHED', kind: 'past' },
      { state: 'FIN_WAIT1', kind: 'current' },
      { state: 'FIN_WAIT2', kind: 'next' },
      { state: 'TIME_WAIT', kind: 'next' },
    ]);
  });
  it('is empty without a kernel state', () => {
    expect(statePath([], undefined)).toEqual([]);
  });
});
