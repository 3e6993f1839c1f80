import { describe, expect, it } from 'vitest';
import { MAX_SCROLL_PX, PROJECTOR_FONT, PROJECTOR_MIN_FONT, contentWidth, lanesFit, metrics, pictureTop, stickyCentre } from './geometry.ts';

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

describe('metrics: every lane in view (G1), projector type shrinking before a lane leaves it (G2)', () => {
  // the ladder's width beside the code at the room's sizes (measured in the page), and shown alone
  const widths = [560, 640, 780, 820, 1180, 1880];

  for (const projector of [false, true]) {
    for (const width of widths) {
      for (const lanes of [1, 2, 3, 4]) {
        it(`${projector ? 'projector' : 'normal'}, ${width} px, ${lanes} lane(s): the lanes fill the width exactly`, () => {
          const m = metrics(projector, 46, width, lanes);
          expect(contentWidth(m, lanes)).toBeCloseTo(width, 6);
          expect(lanesFit(width, lanes, projector)).toBe(true);
        });
      }
    }
  }

  it('projector type is full size where the lanes have room, and never below its floor', () => {
    expect(metrics(true, 68, 1880, 3).font).toBe(PROJECTOR_FONT);
    const narrow = metrics(true, 68, 780, 3);
    expect(narrow.font).toBeLessThan(PROJECTOR_FONT);
    expect(narrow.font).toBeGreaterThanOrEqual(PROJECTOR_MIN_FONT);
    expect(metrics(true, 68, 300, 6).font).toBe(PROJECTOR_MIN_FONT);
  });

  it('so many lanes that one would be unreadably narrow: the lanes keep a floor and the diagram scrolls', () => {
    const m = metrics(false, 46, 560, 8);
    expect(m.laneW).toBeGreaterThanOrEqual(m.font * 6.2);
    expect(lanesFit(560, 8, false)).toBe(false);
  });
});

describe('pictureTop (G3: where the picture starts, for the page\'s words and the worker\'s painter alike)', () => {
  const box = { following: true, viewH: 400, boxH: 472, headerH: 72, scrollY: 0 };
  it('following: the newest row ends at the bottom of the view once the rows fill it', () => {
    expect(pictureTop(100, 40, box)).toBe(100 * 40 - 400);
    expect(pictureTop(5, 40, box)).toBe(0);
  });
  it('not following: the scroll position, scaled when the rows are taller than a browser lets a box be', () => {
    expect(pictureTop(100, 40, { ...box, following: false, scrollY: 123 })).toBe(123);
    const rows = (2 * MAX_SCROLL_PX) / 40;
    expect(pictureTop(rows, 40, { ...box, following: false, scrollY: 1000 })).toBe(2000);
  });
});
