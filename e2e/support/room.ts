import { expect, type Page } from '@playwright/test';

/**
 * What a room needs of a screen, read off the page as a person at the back would see it: every lane
 * of the diagram in view without scrolling sideways, the lit line of each listing in its box, the
 * step's explanation whole. Shared by e2e/room.spec.ts and e2e/room-shots.spec.ts.
 */
export const ROOM_SIZES = [[1024, 768], [1280, 720], [1920, 1080]] as const;

/** Projector mode on or off (P toggles it), then the frames the views take to lay out again. */
export async function setProjector(page: Page, on: boolean): Promise<void> {
  const html = page.locator('html');
  if ((await html.getAttribute('class') ?? '').includes('projector') !== on) await page.keyboard.press('p');
  if (on) await expect(html).toHaveClass(/projector/);
  else await expect(html).not.toHaveClass(/projector/);
  await settle(page);
}

/** Two animation frames and a little: the ladder re-measures its width and the worker sends its frame. */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  await page.waitForTimeout(250);
}

interface Box { left: number; right: number; top: number; bottom: number }

/** Every lane header of the diagram inside the viewport and inside the diagram's view; nothing to scroll sideways. */
export async function expectLanesInView(page: Page, where: string, lanes?: number): Promise<void> {
  const vw = page.viewportSize()!;
  const panel = page.getByTestId('ladder-panel');
  await expect(panel.locator('.ll-lane-head').first()).toBeVisible();
  if (lanes !== undefined) await expect(panel.locator('.ll-lane-head'), `${where}: lanes`).toHaveCount(lanes);
  const scroller = await panel.locator('.ll-scroll').evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, right: r.right, sw: el.scrollWidth, cw: el.clientWidth };
  });
  expect(scroller.sw, `${where}: the diagram scrolls sideways`).toBeLessThanOrEqual(scroller.cw + 1);
  const heads = await panel.locator('.ll-lane-head').evaluateAll((els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, title: e.querySelector('.ll-lane-title')?.textContent ?? '' };
  }));
  for (const h of heads) {
    expect(h.left, `${where}: lane "${h.title}" starts left of the view`).toBeGreaterThanOrEqual(Math.max(0, scroller.left) - 1);
    expect(h.right, `${where}: lane "${h.title}" ends right of the view`).toBeLessThanOrEqual(Math.min(vw.width, scroller.right) + 1);
    expect(h.bottom, `${where}: lane "${h.title}" below the window`).toBeLessThanOrEqual(vw.height + 1);
  }
}

/** In each listing shown, the lit line inside its scrolling box and the window; returns how many were lit. */
export async function expectLitLinesInView(page: Page, where: string): Promise<number> {
  const vw = page.viewportSize()!;
  const listings = await page.locator('.listing').evaluateAll((els) => els.map((el) => {
    const [code, lit] = [el.querySelector('ol.run-code'), el.querySelector('li[data-lit]')].map((e) => (e ? (e.getBoundingClientRect().toJSON() as Box) : null));
    return { id: el.getAttribute('data-testid') ?? '', code, lit };
  }));
  let lit = 0;
  for (const l of listings) {
    if (!l.lit || !l.code) continue;
    lit++;
    expect(l.lit.top, `${where}: ${l.id}'s lit line above its box`).toBeGreaterThanOrEqual(l.code.top - 1);
    expect(l.lit.bottom, `${where}: ${l.id}'s lit line below its box`).toBeLessThanOrEqual(l.code.bottom + 1);
    expect(l.lit.bottom, `${where}: ${l.id}'s lit line below the window`).toBeLessThanOrEqual(vw.height + 1);
  }
  return lit;
}

/** The step's explanation whole: nothing to scroll inside it, nothing below the window. */
export async function expectExplanationWhole(page: Page, where: string): Promise<void> {
  const vw = page.viewportSize()!;
  const e = await page.getByTestId('step-explain').evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { sh: el.scrollHeight, ch: el.clientHeight, bottom: r.bottom, right: r.right };
  });
  expect(e.sh, `${where}: the explanation is cut off`).toBeLessThanOrEqual(e.ch + 1);
  expect(e.bottom, `${where}: the explanation runs below the window`).toBeLessThanOrEqual(vw.height + 1);
  expect(e.right, `${where}: the explanation runs past the window`).toBeLessThanOrEqual(vw.width + 1);
}
