import { expect, test } from '@playwright/test';
import { LESSONS } from '../packages/shared/src/lessons/index.ts';
import { startAgent, type RunningAgent } from './support/agent.ts';
import { agentUrl, consoleProblems } from './support/page.ts';
import { servePageAlone } from './support/static.ts';

/** The page opens on the lesson list: every lesson (the lab's too) in the chosen language, the playground and "open a recording". */
test('the page opens on the lessons, then the playground and opening a recording', async ({ page }) => {
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

/**
 * An agent without Python (SOCKETSCOPE_PYTHON names no interpreter): the list says what is missing and
 * that each lesson opens its recording instead, and a lesson opens as the shipped recording, labelled as
 * one (when, on which OS and kernel), stepping like a run. The built page alone (no agent) does the same.
 */
test.describe('where the lessons cannot run', () => {
  let agent: RunningAgent | null = null;
  test.beforeAll(async () => {
    const before = process.env['SOCKETSCOPE_PYTHON'];
    process.env['SOCKETSCOPE_PYTHON'] = '/nonexistent/python3';
    try {
      agent = await startAgent();
    } finally {
      if (before === undefined) delete process.env['SOCKETSCOPE_PYTHON'];
      else process.env['SOCKETSCOPE_PYTHON'] = before;
    }
  });
  test.afterAll(async () => { await agent?.stop(); });

  test('no python3: the list says so, and every lesson opens its shipped recording, labelled as one', async ({ page }) => {
    const problems = consoleProblems(page);
    const u = new URL(agent!.url);
    u.searchParams.set('lang', 'en');
    await page.goto(u.toString());
    const why = page.getByTestId('lessons-cannot-run');
    await expect(why).toHaveAttribute('data-why', 'noPython');
    await expect(why).toContainText('no Python 3');
    await expect(why).toContainText('opens a recording of its real run instead');
    await expect(page.getByTestId('lessons-intro')).not.toContainText('on this machine');
    for (const l of LESSONS) {
      await expect(page.getByTestId(`lesson-${l.id}`)).toHaveAttribute('data-opens', 'recording');
      await page.getByTestId(`lesson-${l.id}`).click();
      const player = page.getByTestId('lesson-player');
      await expect(player).toHaveAttribute('data-lesson', l.id);
      await expect(page.getByTestId('shipped-label')).toContainText(/A recording, not a run on this machine: recorded .* on .*Linux/);
      await expect(player).toHaveAttribute('data-run', 'complete');
      await expect(player).toHaveAttribute('data-step-index', '-1');
      await page.keyboard.press('ArrowRight');
      await expect(player).toHaveAttribute('data-step', l.steps[0]!.id);
      await page.getByTestId('back-to-lessons').click();
      await expect(page.getByTestId('lesson-list')).toBeVisible();
    }
    // in 简体中文 the same sentences
    await page.getByTestId('lang-select').selectOption('zh-CN');
    await expect(why).toContainText('代理在本机上没有找到 Python 3');
    await page.getByTestId('lesson-tcp-handshake').click();
    await expect(page.getByTestId('shipped-label')).toContainText('这是录制，不是在本机上的运行');
    expect(problems).toEqual([]);
  });

  test('the built page alone (no agent): each lesson opens its shipped recording', async ({ page }) => {
    const alone = await servePageAlone();
    try {
      await page.goto(`${alone.url}?lang=en`);
      await expect(page.getByTestId('lessons-cannot-run')).toHaveAttribute('data-why', 'noAgent');
      await expect(page.getByTestId('lesson-tcp-refused')).toHaveAttribute('data-opens', 'recording');
      await page.getByTestId('lesson-tcp-refused').click();
      await expect(page.getByTestId('shipped-label')).toBeVisible();
      await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-run', 'complete');
    } finally {
      await alone.close();
    }
  });
});
