import { describe, expect, it } from 'vitest';
import { stickyCentre } from './geometry.ts';

describe('stickyCentre (where a phase bracket puts its name, 三次握手 / 四次挥手)', () => {
  it('a bracket wholly in view: its middle', () => {
    expect(stickyCentre(100, 300, 0, 720, 40)).toBe(200);
  });

  it('a bracket that began above the view: the middle of the part in view, so the name stays readable', () => {
    expect(stickyCentre(-400, 200, 0, 720, 40)).toBe(100);
  });

  it('kept inside the bracket: when little of it is left in view, the name stops at its end', () => {
    expect(stickyCentre(-400, 60, 0, 720, 40)).toBe(20);
  });

  it('a bracket that runs on below the view: the middle of the part in view', () => {
    expect(stickyCentre(600, 1400, 0, 720, 40)).toBe(660);
  });

  it('a bracket shorter than its name: the name is centred on it', () => {
    expect(stickyCentre(-30, 20, 0, 720, 40)).toBe(-5);
  });
});
