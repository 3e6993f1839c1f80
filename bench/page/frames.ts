/**
 * Frame times in the page, measured so that "p95 < 16.7 ms" means "the page could keep 60 fps".
 *
 * With vsync a rAF interval is a whole number of display frames: an idle page already reads 16.6–16.8 ms,
 * so a p95 under 16.7 ms fails on jitter alone, and a frame that took 3 ms reads 16.7 ms. The frame lines
 * therefore run Chromium uncapped: --disable-frame-rate-limit makes begin-frames come back to back, and
 * --run-all-compositor-stages-before-draw makes each frame wait for its main-thread work, raster and draw
 * before the next one starts, so a rAF interval is the real time to produce a frame. In this headless
 * Chromium (156) neither --disable-frame-rate-limit nor --disable-gpu-vsync alone changes anything (rAF
 * stays at 16.7 ms); the three flags together give ≈ 0.3 ms intervals on an idle blank page (measured).
 * --disable-gpu-vsync is kept for a headed browser. The idle page's p95 in the same browser is each
 * line's baseline.
 *
 * Uncapped, a page makes many cheap frames between its costly ones (an idle frame is ≈ 0.3 ms), so a
 * p95 counted over frames would fall as cheap frames multiply: 95 % of 10,000 frames can be cheap while
 * the page stalls for a third of the time. The frame lines therefore use the time-weighted p95
 * (`timeP95`): the frame time below which the page spent 95 % of the measured time. With vsync every
 * frame lasts about as long as the next, and the two agree.
 */
import type { Page } from '@playwright/test';

export const BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const UNCAPPED_ARGS = [...BASE_ARGS, '--disable-frame-rate-limit', '--disable-gpu-vsync', '--run-all-compositor-stages-before-draw'];

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = xs.toSorted((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** The frame time X such that frames of at most X ms cover 95 % (p %) of the total time. */
export function timeP95(frames: number[], p = 95): number {
  if (frames.length === 0) return NaN;
  const s = frames.toSorted((a, b) => a - b);
  const total = s.reduce((n, x) => n + x, 0);
  let acc = 0;
  for (const x of s) {
    acc += x;
    if (acc >= (p / 100) * total) return x;
  }
  return s.at(-1)!;
}

/** Starts recording rAF intervals in the page (at most 200,000: an uncapped page runs thousands a second). */
export async function startFrames(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { benchFrames: number[]; benchStop: boolean };
    w.benchFrames = [];
    w.benchStop = false;
    let last = performance.now();
    const tick = (): void => {
      const now = performance.now();
      w.benchFrames.push(now - last);
      last = now;
      if (!w.benchStop && w.benchFrames.length < 200_000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

export async function stopFrames(page: Page): Promise<number[]> {
  return page.evaluate(() => { const w = window as unknown as { benchFrames: number[]; benchStop: boolean }; w.benchStop = true; return w.benchFrames.slice(1); });
}

/** rAF intervals of the page as it is (nothing streaming) for `ms`. */
export async function idleFrames(page: Page, ms: number): Promise<number[]> {
  await startFrames(page);
  await new Promise((r) => setTimeout(r, ms));
  return stopFrames(page);
}

export function frameSummary(frames: number[]): string {
  return `p95 by count ${pct(frames, 95).toFixed(1)} ms, p50 ${pct(frames, 50).toFixed(1)} ms, max ${Math.max(...frames).toFixed(1)} ms over ${frames.length} frames`;
}
