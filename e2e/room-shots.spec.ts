import { expect, test } from '@playwright/test';
import { lessonById } from '../packages/shared/src/lessons/index.ts';
import { openLesson, runLesson, showTab } from './support/lesson.ts';
import { consoleProblems, openLive, ownAgent } from './support/page.ts';
import { ROOM_SIZES, expectExplanationWhole, expectLanesInView, expectLitLinesInView, setProjector } from './support/room.ts';

/**
 * Every lesson as the room sees it, at 1024×768, 1280×720 and 1920×1080, projector mode on and off, in
 * English and 简体中文: every lane header of the diagram inside the window with nothing to scroll
 * sideways, the lit line of each listing inside its box, the step's explanation whole. Each lesson runs
 * once (recorded) on a real agent and is shown at a step where all its sockets are on the diagram.
 *
 * Screenshots for the docs: docs/screenshots/lesson-<id>-<lang>-<w>x<h>.png with projector mode on, and
 * lesson-<id>-<lang>-1280x720-plain.png with it off.
 */
const url = ownAgent();
test.describe.configure({ timeout: 150_000 });

/** the step shown, and how many lanes (sockets) the diagram has there */
const SHOTS: { id: string; step: string; lanes: number }[] = [
  { id: 'tcp-hello', step: 'client.recv', lanes: 3 },
  { id: 'tcp-handshake', step: 'server.accept', lanes: 3 },
  { id: 'tcp-teardown', step: 'client.close', lanes: 3 },
  { id: 'tcp-buffers', step: 'client.send', lanes: 3 },
  { id: 'tcp-stream', step: 'server.recv', lanes: 3 },
  { id: 'tcp-echo', step: 'server.accept-b', lanes: 5 },
  { id: 'tcp-refused', step: 'client.connect', lanes: 2 },
  // one lane per socket: the client's sendto() bound it to 0.0.0.0, its datagrams name 127.0.0.1
  { id: 'udp-echo', step: 'client.recvfrom', lanes: 2 },
  // the lab's lessons (run on the lab by the agent: skipped, saying why, where it cannot make one)
  { id: 'tcp-loss', step: 'timeout', lanes: 3 },
  { id: 'udp-loss', step: 'server.recvfrom', lanes: 2 },
  { id: 'tcp-delayed', step: 'server.recv', lanes: 3 },
  { id: 'tcp-slow-link', step: 'transfer', lanes: 3 },
];

/** Whether the agent can make the lab (hello's capabilities.lab, as the playground's Lab panel shows it). */
async function labHere(page: import('@playwright/test').Page): Promise<string | null> {
  await openLive(page, url({ lang: 'en' }));
  const panel = page.getByTestId('lab-panel');
  await expect(panel).toBeVisible();
  if ((await panel.getAttribute('data-available')) === 'true') return null;
  return (await panel.getByTestId('lab-unavailable').textContent()) ?? 'the lab is not available';
}

for (const shot of SHOTS) {
  test(`${shot.id}: every lane, the lit lines and the explanation in view at each room size, projector on and off, en and zh-CN`, async ({ page }) => {
    const problems = consoleProblems(page);
    const lesson = lessonById(shot.id)!;
    const steps = lesson.steps.map((s) => s.id);
    await page.setViewportSize({ width: 1280, height: 720 });
    if (lesson.lab) {
      const why = await labHere(page);
      if (why !== null) console.warn(`SKIPPED ${shot.id} in the room: the lab network cannot be made here: ${why}`);
      test.skip(why !== null, `the lab network cannot be made here: ${why}`);
    }
    await openLesson(page, url({ lesson: shot.id, lang: 'en' }));
    await runLesson(page);
    await page.getByTestId(`step-${steps.indexOf(shot.step) + 1}`).click();
    const player = page.getByTestId('lesson-player');
    await expect(player).toHaveAttribute('data-step', shot.step);

    for (const lang of ['en', 'zh-CN'] as const) {
      if (lang !== 'en') {
        await page.getByTestId('lang-select').selectOption(lang);
        await expect(page.locator('html')).toHaveAttribute('lang', lang);
      }
      for (const projector of [true, false]) {
        for (const [w, h] of ROOM_SIZES) {
          const where = `${shot.id} ${lang} ${w}×${h}${projector ? ' projector' : ''}`;
          await page.setViewportSize({ width: w, height: h });
          await setProjector(page, projector);
          // in projector mode the listings are a tab beside the cards and the log
          if (projector) await showTab(page, 'code');
          await expectLanesInView(page, where, shot.lanes);
          expect(await expectLitLinesInView(page, where), `${where}: no lit line`).toBeGreaterThan(0);
          await expectExplanationWhole(page, where);
          if (projector || (w === 1280 && h === 720)) {
            await page.screenshot({ path: `docs/screenshots/lesson-${shot.id}-${lang}-${w}x${h}${projector ? '' : '-plain'}.png` });
          }
        }
      }
    }
    await expect(player).toHaveAttribute('data-step', shot.step);
    expect(problems).toEqual([]);
  });
}
