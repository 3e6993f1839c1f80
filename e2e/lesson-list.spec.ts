import { expect, test } from '@playwright/test';
import { LESSONS } from '../packages/shared/src/lessons/index.ts';
import { agentUrl } from './support/page.ts';

/** The page opens on the lesson list: the eight lessons in the chosen language, the playground and "open a recording". */
test('the page opens on the eight lessons, then the playground and opening a recording', async ({ page }) => {
  await page.goto(agentUrl({ lang: 'en' }));
  const list = page.getByTestId('lesson-list');
  await expect(list).toBeVisible();
  for (const l of LESSONS) await expect(page.getByTestId(`lesson-${l.id}`)).toContainText(l.title.en);
  await expect(page.getByTestId('playground-card')).toBeVisible();
  await expect(page.getByTestId('open-recording')).toBeVisible();
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.keyboard.press('p');
  await expect(page.locator('html')).toHaveClass(/projector/);
  await page.screenshot({ path: 'docs/screenshots/lessons-en.png' });
  await page.keyboard.press('p');

  // a lesson opens from its card, and the browser's Back returns to the list
  await page.getByTestId('lesson-tcp-handshake').click();
  await expect(page).toHaveURL(/lesson=tcp-handshake/);
  await expect(page.getByTestId('lesson-title')).toHaveText('The three-way handshake (三次握手)');
  await page.goBack();
  await expect(list).toBeVisible();
  await page.getByTestId('open-playground').click();
  await expect(page.getByTestId('playground')).toBeVisible();
});

test('in 简体中文 the lessons have their Chinese titles and summaries', async ({ page }) => {
  await page.goto(agentUrl({ lang: 'zh-CN' }));
  for (const l of LESSONS) {
    const card = page.getByTestId(`lesson-${l.id}`);
    await expect(card).toContainText(l.title['zh-CN']);
    await expect(card).toContainText(l.summary['zh-CN'].slice(0, 12));
  }
  await expect(page.getByRole('heading', { name: '课程' })).toBeVisible();
  await expect(page.getByTestId('open-recording')).toHaveText('打开录制…');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.keyboard.press('P');
  await expect(page.locator('html')).toHaveClass(/projector/);
  await page.screenshot({ path: 'docs/screenshots/lessons-zh-CN.png' });
});
