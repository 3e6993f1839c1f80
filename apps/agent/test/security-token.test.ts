import { timingSafeEqual } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { roleFor, tokenMatches } from '../src/server/security.ts';

// The comparison itself must be crypto.timingSafeEqual (S2): wrap it to see that it is the one used.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const FULL = 'f'.repeat(64);
const VIEWER = 'v'.repeat(64);
const spy = vi.mocked(timingSafeEqual);

describe('token comparison (S2, S8)', () => {
  beforeEach(() => { spy.mockClear(); });

  it('S2: every comparison goes through timingSafeEqual, also when the lengths differ', () => {
    expect(tokenMatches(FULL, FULL)).toBe(true);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(tokenMatches('f'.repeat(63) + 'x', FULL)).toBe(false);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(tokenMatches('short', FULL)).toBe(false); // a length mismatch still spends one comparison
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it('S8: on the share listener only the viewer token is accepted; on loopback both, each as its own role', () => {
    expect(roleFor(VIEWER, { full: FULL, viewer: VIEWER }, 'share')).toBe('viewer');
    expect(roleFor(FULL, { full: FULL, viewer: VIEWER }, 'share')).toBeNull();
    expect(roleFor(FULL, { full: FULL, viewer: VIEWER }, 'local')).toBe('full');
    expect(roleFor(VIEWER, { full: FULL, viewer: VIEWER }, 'local')).toBe('viewer');
    expect(roleFor(VIEWER, { full: FULL }, 'local')).toBeNull(); // not sharing: no viewer token exists
    expect(roleFor(null, { full: FULL, viewer: VIEWER }, 'local')).toBeNull();
  });

  it('S8: both tokens are compared whichever matches, so timing does not tell which one a guess was near', () => {
    for (const given of [FULL, VIEWER, 'x'.repeat(64)]) {
      spy.mockClear();
      roleFor(given, { full: FULL, viewer: VIEWER }, 'local');
      expect(spy, given.slice(0, 4)).toHaveBeenCalledTimes(2);
    }
  });
});
