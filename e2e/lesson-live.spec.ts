import { expect, test, type Page } from '@playwright/test';
import { lessonById } from '../packages/shared/src/lessons/index.ts';
import { RUN_TIMEOUT_MS, lessonCard, openLesson } from './support/lesson.ts';
import { consoleProblems, ownAgent } from './support/page.ts';

/**
 * A lesson run LIVE from the page: the real Python programs stop before each step's socket calls, and
 * → runs the next step while the class watches. What the kernel did before accept() is called (the
 * handshake finished, the connection waiting in the listener's accept queue) is on the page before →,
 * and the new socket appears after it. Stepping back looks at what already happened; → at the newest
 * step runs the next one again.
 */
const url = ownAgent();
test.describe.configure({ timeout: 90_000 });

const handshake = lessonById('tcp-handshake')!;
const serverLine = (mark: string) => handshake.listings.server!.lines.findIndex((l) => l.kind === 'code' && l.mark === mark) + 1;

async function startLive(page: Page): Promise<void> {
  await page.getByTestId('run-live').click();
  const player = page.getByTestId('lesson-player');
  // the first step runs at once; then the programs wait for →
  await expect(player).toHaveAttribute('data-step', handshake.steps[0]!.id, { timeout: RUN_TIMEOUT_MS });
  await expect(player).toHaveAttribute('data-live', 'edge', { timeout: RUN_TIMEOUT_MS });
}

/** → at the live edge: the next step runs on the agent; waits until it is done and the page waits again. */
async function liveNext(page: Page, id: string): Promise<void> {
  const player = page.getByTestId('lesson-player');
  await page.keyboard.press('ArrowRight');
  await expect(player).toHaveAttribute('data-step', id, { timeout: RUN_TIMEOUT_MS });
  if (id === handshake.steps.at(-1)!.id) {
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: RUN_TIMEOUT_MS });
  } else {
    await expect(player).toHaveAttribute('data-live', 'edge', { timeout: RUN_TIMEOUT_MS });
  }
}

async function screenshots(page: Page, lang: string): Promise<void> {
  for (const [w, h] of [[1280, 720], [1024, 768]] as const) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(300);
    await page.screenshot({ path: `/tmp/lesson-live-${lang}-${w}x${h}.png` });
    await page.keyboard.press('p');
    await expect(page.locator('html')).toHaveClass(/projector/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: `/tmp/lesson-live-${lang}-${w}x${h}-projector.png` });
    await page.keyboard.press('p');
    await expect(page.locator('html')).not.toHaveClass(/projector/);
  }
  await page.setViewportSize({ width: 1280, height: 720 });
}

test('tcp-handshake live: before accept() the kernel holds the finished connection and the server waits on its accept() line; → makes the new socket', async ({ page }) => {
  const problems = consoleProblems(page);
  await openLesson(page, url({ lesson: 'tcp-handshake', lang: 'en' }));
  await startLive(page);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-live', 'true');
  await expect(page.getByTestId('run-status')).toContainText('Live');
  await expect(lessonCard(page, 'listener')).toHaveAttribute('data-state', 'LISTEN');
  // the client has not started: its listing is there, nothing lit
  await expect(page.getByTestId('listing-client').getByTestId('listing-not-started')).toBeVisible();

  await liveNext(page, 'client.connect');
  // the kernel finished the handshake before accept() is called: the client is ESTABLISHED and the
  // connection waits in the listener's accept queue
  await expect(lessonCard(page, 'client')).toHaveAttribute('data-state', 'ESTABLISHED');
  const acceptQueue = lessonCard(page, 'listener').locator('.bf-accept');
  await expect(acceptQueue).toContainText('1 waiting');
  await expect(acceptQueue.locator('.bf-slot.bf-taken')).toHaveCount(1);
  await expect(page.locator('[data-testid="lower-panel"] article[data-role="accepted"]')).toHaveCount(0);
  // the server's code is paused before accept(): lit as paused, on the accept() line the tracer reported
  const server = page.getByTestId('listing-server');
  await expect(server).toHaveAttribute('data-status', 'paused');
  await expect(server).toHaveAttribute('data-line', String(serverLine('accept')));
  await expect(server.locator('li[data-lit="paused"]')).toContainText('server.accept()');
  await expect(server.getByTestId('listing-run')).toContainText('paused before accept()');
  await expect(page.getByTestId('tr-next')).toHaveAttribute('data-edge', 'true');
  await screenshots(page, 'en');

  await liveNext(page, 'server.accept');
  await expect(lessonCard(page, 'accepted')).toHaveAttribute('data-state', 'ESTABLISHED');
  await expect(acceptQueue.locator('.bf-slot.bf-taken')).toHaveCount(0);
  // the server went on to recv(), which waits for the client's bytes (or is held before it)
  await expect(server).toHaveAttribute('data-line', String(serverLine('recv')));

  // step back over what already happened, then → returns to the newest step and runs the next one
  const player = page.getByTestId('lesson-player');
  await page.keyboard.press('ArrowLeft');
  await expect(player).toHaveAttribute('data-step', 'client.connect');
  await expect(player).toHaveAttribute('data-live', 'behind');
  await expect(page.locator('[data-testid="lower-panel"] article[data-role="accepted"]')).toHaveCount(0);
  await expect(server.locator('li[data-lit="paused"]')).toContainText('server.accept()');
  await page.keyboard.press('ArrowRight');
  await expect(player).toHaveAttribute('data-step', 'server.accept');
  await liveNext(page, 'client.send');
  // the rest of the lesson, step by step, to its end
  for (const step of handshake.steps.slice(4)) await liveNext(page, step.id);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('tr-next')).toBeDisabled();
  expect(problems).toEqual([]);
});

test('in 简体中文 the live lesson speaks Chinese: the Live button, its state, the paused program', async ({ page }) => {
  await openLesson(page, url({ lesson: 'tcp-handshake', lang: 'zh-CN' }));
  await expect(page.getByTestId('run-live')).toHaveText('● 实时运行');
  await startLive(page);
  await expect(page.getByTestId('run-status')).toContainText('实时：程序停在下一步之前');
  await expect(page.getByTestId('tr-next')).toContainText('运行下一步');
  await liveNext(page, 'client.connect');
  await expect(page.getByTestId('listing-server').getByTestId('listing-run')).toContainText('accept()');
  await expect(page.getByTestId('listing-server').locator('li').filter({ hasText: '# 4. 等待接受连接请求' })).toHaveCount(1);
  await expect(lessonCard(page, 'client').getByTestId('sock-role')).toHaveText('客户端');
  await screenshots(page, 'zh-CN');
  await page.getByTestId('live-stop').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
});
