import { expect, test, type Page } from '@playwright/test';
import { lessonById } from '../packages/shared/src/lessons/index.ts';
import { freePort } from './support/agent.ts';
import { RUN_TIMEOUT_MS, openLesson, runLesson, showTab } from './support/lesson.ts';
import { card, consoleProblems, openLive, ownAgent } from './support/page.ts';
import { ROOM_SIZES, expectLanesInView, setProjector, settle } from './support/room.ts';
import { servePageAlone } from './support/static.ts';

/**
 * The room (issue 19): a presenter remote's keys work from the first press on a lesson opened by link,
 * B blanks the screen, the playground's diagram keeps every lane in view at the room's sizes in both
 * modes, and a socket card's state machine opens large enough for the back of the room. The lessons'
 * layouts at every size are e2e/room-shots.spec.ts.
 */
const url = ownAgent();
test.describe.configure({ timeout: 90_000 });

async function stopLive(page: Page): Promise<void> {
  const stop = page.getByTestId('live-stop');
  if (await stop.isVisible()) {
    await stop.click();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
  }
}

test('the first → on a fresh lesson link starts it live on its first step; PageDown/space step, PageUp goes back; B blanks the screen and any key brings it back', async ({ page }) => {
  const problems = consoleProblems(page);
  const steps = lessonById('tcp-handshake')!.steps.map((s) => s.id);
  await page.goto(url({ lesson: 'tcp-handshake', lang: 'en' }));
  const player = page.getByTestId('lesson-player');
  await expect(player).toBeVisible();
  await expect(player).toHaveAttribute('data-run', 'none');
  // pressed at once: the page may still be reaching the agent, and the key waits for it (presenter.ts P3)
  await page.keyboard.press('ArrowRight');
  await expect(player).toHaveAttribute('data-step', steps[0]!, { timeout: RUN_TIMEOUT_MS });
  await expect(player).toHaveAttribute('data-live', 'edge', { timeout: RUN_TIMEOUT_MS });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-live', 'true');
  await expect(page.getByTestId('listing-server').locator('li[data-lit]')).toHaveCount(1);

  // a remote's Next is PageDown: the next step runs while the class watches
  await page.keyboard.press('PageDown');
  await expect(player).toHaveAttribute('data-step', steps[1]!, { timeout: RUN_TIMEOUT_MS });
  await expect(player).toHaveAttribute('data-live', 'edge', { timeout: RUN_TIMEOUT_MS });
  // its Previous is PageUp: back over what happened, and Next comes forward again without running anything
  await page.keyboard.press('PageUp');
  await expect(player).toHaveAttribute('data-step', steps[0]!);
  await expect(player).toHaveAttribute('data-live', 'behind');
  await page.keyboard.press('ArrowRight');
  await expect(player).toHaveAttribute('data-step', steps[1]!);
  await page.keyboard.press(' ');
  await expect(player).toHaveAttribute('data-step', steps[2]!, { timeout: RUN_TIMEOUT_MS });
  await expect(player).toHaveAttribute('data-live', 'edge', { timeout: RUN_TIMEOUT_MS });

  // B blanks the screen; the key that brings it back does nothing else
  await page.keyboard.press('b');
  const blank = page.getByTestId('blank-screen');
  await expect(blank).toBeVisible();
  expect(await blank.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(0, 0, 0)');
  await expect(blank).toHaveAttribute('aria-label', /any key/);
  await page.keyboard.press('ArrowRight');
  await expect(blank).toHaveCount(0);
  await page.waitForTimeout(300);
  await expect(player).toHaveAttribute('data-step', steps[2]!);
  await expect(player).toHaveAttribute('data-live', 'edge');
  // a remote's "blank" button sends "." as often as "b"
  await page.keyboard.press('.');
  await expect(blank).toBeVisible();
  await page.keyboard.press('Shift');
  await expect(blank).toBeVisible();
  await blank.click();
  await expect(blank).toHaveCount(0);

  await stopLive(page);
  expect(problems).toEqual([]);
});

test('without an agent, the first → opens the lesson’s shipped recording on its first step', async ({ page }) => {
  const problems = consoleProblems(page);
  const alone = await servePageAlone();
  try {
    const steps = lessonById('tcp-hello')!.steps.map((s) => s.id);
    await page.goto(`${alone.url}?lesson=tcp-hello&lang=en`);
    const player = page.getByTestId('lesson-player');
    await expect(player).toBeVisible();
    await expect(page.getByTestId('open-shipped')).toBeVisible();
    await page.keyboard.press('ArrowRight');
    await expect(page.getByTestId('shipped-label')).toBeVisible({ timeout: 20_000 });
    await expect(player).toHaveAttribute('data-step', steps[0]!);
    await page.keyboard.press('ArrowRight');
    await expect(player).toHaveAttribute('data-step', steps[1]!);
    await page.keyboard.press('ArrowLeft');
    await expect(player).toHaveAttribute('data-step', steps[0]!);
  } finally {
    await alone.close();
  }
  expect(problems).toEqual([]);
});

test('the playground at 1024×768, 1280×720 and 1920×1080, projector on and off: every lane in view; the forms and the cards give way to the diagram and open on demand', async ({ page }) => {
  const problems = consoleProblems(page);
  const [tcpPort, udpA, udpB] = [await freePort(), await freePort(), await freePort()];
  await openLive(page, url({ lang: 'en' }));
  // a session of its own (the lessons above ran in this agent's)
  await page.getByTestId('reset-session').click();
  await page.getByTestId('reset-confirm').click();
  await expect(page.getByTestId('cards-empty')).toBeVisible();
  // a listener, a client and the socket accept() returns, and two UDP sockets: five sockets, five lanes
  await page.getByTestId('listen-port').fill(String(tcpPort));
  await page.getByTestId('listen-submit').click();
  await expect(card(page, 'listener', tcpPort)).toBeVisible();
  await page.getByTestId('connect-port').fill(String(tcpPort));
  await page.getByTestId('connect-submit').click();
  await expect(page.getByTestId('reply-connect')).toHaveAttribute('data-ok', 'true');
  await card(page, 'listener', tcpPort).getByTestId('act-accept').click();
  await expect(page.locator('article[data-role="accepted"]')).toHaveCount(1);
  for (const port of [udpA, udpB]) {
    await page.getByTestId('udp-port').fill(String(port));
    await page.getByTestId('udp-bind-submit').click();
    await expect(card(page, 'udp', port)).toBeVisible();
  }
  const a = card(page, 'udp', udpA);
  await a.getByTestId('sendto-port').fill(String(udpB));
  await a.getByTestId('send-text').fill('ping');
  await a.getByTestId('act-sendto').click();
  await expect(page.getByTestId('ladder-panel').locator('.ll-row[data-kind="arrow"]').filter({ hasText: 'UDP' })).toHaveCount(1);

  const view = page.getByTestId('session-view');
  for (const projector of [false, true]) {
    for (const [w, h] of ROOM_SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await setProjector(page, projector);
      const where = `${w}×${h}${projector ? ' projector' : ''}`;
      await expectLanesInView(page, where, 5);
      const mode = await view.getAttribute('data-room');
      if (projector) expect(mode, `${where}: the diagram shares the room with the forms`).not.toBe('wide');
      if (mode === 'rail') {
        // the forms open over the diagram and close again
        await page.getByTestId('room-tab-play').click();
        await expect(page.getByTestId('playground')).toBeVisible();
        await page.getByTestId('listen-submit').scrollIntoViewIfNeeded();
        await expect(page.getByTestId('listen-submit')).toBeInViewport();
        await page.getByTestId('room-drawer-close').click();
        await expect(page.getByTestId('playground')).toBeHidden();
        await settle(page);
        await expectLanesInView(page, `${where}, drawer closed`, 5);
      } else if (mode === 'side') {
        await page.getByTestId('room-tab-cards').click();
        await expect(card(page, 'udp', udpA)).toBeVisible();
        await page.getByTestId('room-tab-play').click();
        await expect(page.getByTestId('listen-submit')).toBeVisible();
      } else {
        await expect(page.getByTestId('listen-submit')).toBeVisible();
        await expect(card(page, 'listener', tcpPort)).toBeVisible();
      }
    }
  }
  await setProjector(page, false);
  await page.setViewportSize({ width: 1280, height: 720 });
  expect(problems).toEqual([]);
});

test('a socket card’s state machine opens over the page, readable from the back of the room, and follows the steps', async ({ page }) => {
  const problems = consoleProblems(page);
  const steps = lessonById('tcp-teardown')!.steps.map((s) => s.id);
  await page.setViewportSize({ width: 1280, height: 720 });
  // the lesson whose server sets SO_REUSEADDR: its port is free to bind whatever ran on it before
  await openLesson(page, url({ lesson: 'tcp-teardown', lang: 'zh-CN', projector: '1' }));
  await runLesson(page);
  await page.getByTestId(`step-${steps.indexOf('server.accept') + 1}`).click();
  await showTab(page, 'cards');
  const accepted = page.locator('[data-testid="lower-panel"] article[data-role="accepted"]').first();
  await accepted.getByTestId('machine-enlarge').click();
  const zoom = page.getByTestId('machine-zoom');
  await expect(zoom).toBeVisible();
  // the diagram takes most of the window's height: its node names (22–26 px in a 910-unit picture) stay large
  const svg = await zoom.locator('svg[role="img"]').boundingBox();
  expect(svg!.height).toBeGreaterThan(720 * 0.6);
  const node = await zoom.locator('.sm-node text').first().boundingBox();
  expect(node!.height).toBeGreaterThanOrEqual(14);
  await expect(zoom).toContainText('TCP 状态机');
  await expect(zoom.locator('.sm-node.sm-current')).toContainText('ESTABLISHED');
  // → steps with it open, and it shows the socket at the new step: the server closes first (FIN_WAIT…)
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-step', 'server.close');
  await expect(zoom.locator('.sm-node.sm-current')).toContainText('FIN_WAIT');
  await page.keyboard.press('Escape');
  await expect(zoom).toHaveCount(0);
  expect(problems).toEqual([]);
});
