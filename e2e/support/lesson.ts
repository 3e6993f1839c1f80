import { expect, type Locator, type Page } from '@playwright/test';
import { lessonById } from '../../packages/shared/src/lessons/index.ts';

/**
 * Driving the lesson player as a teacher does: open the lesson, press Run, then step with the keys a
 * presenter remote sends (→), reading what the page shows. The ladder is windowed (rows outside the
 * view are not in the DOM), so arrows are read at the step where they are new.
 */

/** A lesson run on loopback takes 2–8 s; a busy 2-core machine may take longer. */
export const RUN_TIMEOUT_MS = 45_000;

export async function openLesson(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('lesson-player')).toBeVisible();
}

/** Presses Run and waits for the run to finish; the cursor then stands before step 1. */
export async function runLesson(page: Page): Promise<void> {
  await page.getByTestId('run-lesson').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: RUN_TIMEOUT_MS });
  await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-step-index', '-1');
}

/** → once: the end of the next step, which must be `id`. */
export async function next(page: Page, id: string): Promise<void> {
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-step', id);
}

/** → until the cursor is at the end of step `id` (at most the lesson's step count). */
export async function stepTo(page: Page, lesson: string, id: string): Promise<void> {
  const steps = lessonById(lesson)!.steps.map((s) => s.id);
  const player = page.getByTestId('lesson-player');
  const target = steps.indexOf(id);
  if (target < 0) throw new Error(`${lesson} has no step ${id}`);
  for (let i = 0; i <= steps.length; i++) {
    const now = Number(await player.getAttribute('data-step-index'));
    if (now === target) return;
    if (now > target) throw new Error(`already past ${id} (at step ${now})`);
    await next(page, steps[now + 1]!);
  }
}

export interface Arrow {
  seq: number;
  flags: string;
  nums: string;
}

/** The ladder's arrows in view, top to bottom. */
export async function arrows(page: Page): Promise<Arrow[]> {
  const rows = page.locator('[data-testid="ladder-panel"] .ll-row[data-kind="arrow"]');
  const all = await rows.evaluateAll((gs) => gs.map((g) => ({
    seq: Number(g.getAttribute('data-seq')),
    flags: g.querySelector('.ll-flags')?.textContent ?? '',
    nums: g.querySelector('.ll-nums')?.textContent ?? '',
  })));
  // in the order the ladder draws them: when each happened (a packet's capture time)
  return all;
}

/** A socket card in the lesson's socket panel, by role (and which of several). */
export function lessonCard(page: Page, role: 'listener' | 'client' | 'accepted' | 'udp', nth = 0): Locator {
  return page.locator(`[data-testid="lower-panel"] article[data-role="${role}"]`).nth(nth);
}

export async function showTab(page: Page, tab: 'cards' | 'log' | 'code'): Promise<void> {
  await page.getByTestId(`tab-${tab}`).click();
  await expect(page.getByTestId(`tab-${tab}`)).toHaveAttribute('aria-selected', 'true');
}

/** Whether the agent captures packets (else the arrows are inferred, without sequence numbers). */
export async function captureOn(page: Page): Promise<boolean> {
  return (await page.getByTestId('cap-wire').getAttribute('data-available')) === 'true';
}

/**
 * The lesson at step `id` in projector mode at 1920×1080 (P toggles it), saved for the docs. The
 * ladder and the cards are scrolled to their start, so the picture is the same on every run.
 */
export async function projectorShot(page: Page, lesson: string, id: string, view: 'code' | 'cards' | 'log' | 'cards-alone', file: string): Promise<void> {
  const steps = lessonById(lesson)!.steps.map((s) => s.id);
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.getByTestId(`step-${steps.indexOf(id) + 1}`).click();
  await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-step', id);
  await page.keyboard.press('p');
  await expect(page.locator('html')).toHaveClass(/projector/);
  await showTab(page, view === 'cards-alone' ? 'cards' : view);
  if (view === 'cards-alone') await page.getByTestId('maximize-cards').click();
  await page.waitForTimeout(400); // the ladder re-measures its lanes for the larger type
  await page.screenshot({ path: file });
  if (view === 'cards-alone') await page.getByTestId('maximize-cards').click();
  await page.keyboard.press('p');
  await expect(page.locator('html')).not.toHaveClass(/projector/);
  await page.setViewportSize({ width: 1280, height: 720 });
}
