import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

const mid = () => 0.5;

describe('backoffDelay', () => {
  it('doubles from the base and stops at the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((a) => backoffDelay(a, 500, 5000, mid))).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });
  it('jitters within ±20 %', () => {
    expect(backoffDelay(1, 1000, 5000, () => 0)).toBe(800);
    expect(backoffDelay(1, 1000, 5000, () => 1)).toBe(1200);
  });
});
