import { describe, expect, it } from 'vitest';
import { lanesFit, readableWidth } from './ladder/geometry.ts';
import { ladderWidthIn, roomMode } from './roomMode.ts';

describe('roomMode: the playground gives the diagram the room it needs (R1–R3)', () => {
  const sizes = [[1024, 768], [1280, 720], [1920, 1080]] as const;

  it('R1: without projector mode, a desktop’s width keeps the three columns (the page as it always was), and five lanes fit them (four beside programs’ code)', () => {
    expect(roomMode({ width: 1280, projector: false, lanes: 3, withPlayground: true })).toBe('wide');
    expect(roomMode({ width: 1920, projector: false, lanes: 4, withPlayground: true })).toBe('wide');
    expect(lanesFit(ladderWidthIn('wide', 1280, false, true), 5, false)).toBe(true);
    // with traced programs' code beside it (the forms' column grows for it), four
    expect(lanesFit(ladderWidthIn('wide', 1280, false, true, true), 4, false)).toBe(true);
    // a 4:3 room's width: the diagram first
    expect(roomMode({ width: 1024, projector: false, lanes: 3, withPlayground: true })).toBe('side');
  });

  it('R2: projector mode puts the forms, the cards and the log in one column beside the diagram', () => {
    for (const [w] of sizes) expect(roomMode({ width: w, projector: true, lanes: 3, withPlayground: true })).toBe('side');
  });

  it('R3: lanes the side layout cannot draw readably take the whole width (the issue: 1280×720, the echo programs and more)', () => {
    expect(roomMode({ width: 1280, projector: true, lanes: 6, withPlayground: true })).toBe('rail');
    expect(roomMode({ width: 1024, projector: true, lanes: 4, withPlayground: true })).toBe('rail');
    expect(roomMode({ width: 1024, projector: false, lanes: 8, withPlayground: true })).toBe('rail');
  });

  it('whatever it picks, the lanes fit the diagram it leaves (G1), and in projector mode readably where the rail can', () => {
    for (const [w] of sizes) {
      for (const projector of [false, true]) {
        for (let lanes = 1; lanes <= (projector || w < 1200 ? 6 : 4); lanes++) {
          for (const programs of [false, true]) {
            const mode = roomMode({ width: w, projector, lanes, withPlayground: true, programs });
            const width = ladderWidthIn(mode, w, projector, true, programs);
            expect(lanesFit(width, lanes, projector), `${w} ${projector} ${lanes} ${mode}`).toBe(true);
            if (projector && mode === 'side') expect(width).toBeGreaterThanOrEqual(readableWidth(lanes, true));
          }
        }
      }
    }
  });
});
