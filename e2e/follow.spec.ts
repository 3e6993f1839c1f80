import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { buildIpPacket, writePcap } from '../packages/shared/src/pcap/index.ts';
import { ownAgent } from './support/page.ts';

/**
 * Following the newest events without scrolling: while they follow, the ladder and the event log show
 * their newest rows in a box one view tall (no scroll position is written per update: that was a
 * layout of the whole page per frame under load, docs/PERFORMANCE.md). Turning the wheel up leaves
 * follow mode: the box gets its full height and the view moves to older rows, and the rows in view stay
 * real ones. Checked on a capture of 300 UDP datagrams opened from a file.
 */
const url = ownAgent();

async function openEcho(page: Page, dir: string): Promise<number> {
  const u = new URL(url());
  u.searchParams.delete('token');
  u.searchParams.set('lang', 'en');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(u.toString());
  const c = '127.0.0.1:50000';
  const s = '127.0.0.1:9999';
  const frames = Array.from({ length: 300 }, (_, i) => {
    const p = buildIpPacket({ proto: 'udp', src: i % 2 ? s : c, dst: i % 2 ? c : s, payload: new TextEncoder().encode(`msg ${i}`) });
    return { tsUs: 1_700_000_000_000_000 + i * 1000, data: p.data };
  });
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'echo.pcap');
  writeFileSync(file, writePcap(frames));
  await page.getByTestId('open-file').setInputFiles(file);
  await expect(page.getByTestId('source-file')).toContainText('echo.pcap');
  const head = page.getByTestId('scrub-pos');
  await expect.poll(async () => Number(await head.getAttribute('data-head'))).toBeGreaterThanOrEqual(299);
  return Number(await head.getAttribute('data-head'));
}

/** the page seqs of the rows drawn in the ladder */
async function ladderSeqs(page: Page): Promise<number[]> {
  return (await page.locator('[data-testid="ladder-panel"] .ll-row').evaluateAll((gs) => gs.map((g) => Number(g.getAttribute('data-seq')))));
}

async function scrollBox(el: Locator): Promise<{ top: number; height: number; client: number }> {
  return el.evaluate((e) => ({ top: e.scrollTop, height: e.scrollHeight, client: e.clientHeight }));
}

test('the ladder follows its newest rows without scrolling, and the wheel turned up leaves follow mode for older rows', async ({ page }, info) => {
  const head = await openEcho(page, info.outputDir);
  const ladder = page.getByTestId('ladder-panel');
  const scroller = ladder.locator('.ll-scroll');
  const follow = ladder.locator('.ll-follow input');
  await expect(follow).toBeChecked();
  // following: the newest datagram is drawn, and the box does not scroll (it is one view tall)
  await expect.poll(async () => Math.max(...await ladderSeqs(page))).toBe(head);
  const still = await scrollBox(scroller);
  expect(still.top).toBe(0);
  expect(still.height).toBeLessThanOrEqual(still.client + 1);
  const newestRow = ladder.locator(`.ll-row[data-seq="${head}"]`);
  await expect(newestRow).toBeInViewport();

  // the wheel turned up: follow mode ends, the box has its full height, the view is above the end
  await scroller.hover();
  await page.mouse.wheel(0, -600);
  await expect(follow).not.toBeChecked();
  await expect.poll(async () => (await scrollBox(scroller)).height).toBeGreaterThan(still.client * 3);
  await expect.poll(async () => { const b = await scrollBox(scroller); return b.top + b.client < b.height - 100; }).toBe(true);
  await expect(newestRow).not.toBeInViewport();
  // the rows now drawn are older ones, still real events of the capture
  const seqs = await ladderSeqs(page);
  expect(Math.min(...seqs)).toBeGreaterThan(0);
  expect(Math.max(...seqs)).toBeLessThan(head);

  // and back: ticking follow shows the newest row again
  await follow.check();
  await expect(newestRow).toBeInViewport();
});

test('the event log follows its newest rows without scrolling, and the wheel turned up leaves follow mode', async ({ page }, info) => {
  const head = await openEcho(page, info.outputDir);
  const log = page.getByTestId('event-log');
  const scroller = log.getByTestId('log-scroll');
  const follow = log.locator('.panel-head label.check input');
  await expect(follow).toBeChecked();
  const newest = log.locator(`[data-testid="log-row"][data-seq="${head}"]`);
  await expect(newest).toBeInViewport();
  await expect(newest).toContainText('127.0.0.1:9999 → 127.0.0.1:50000 UDP len=7'); // the 300th, the server's answer
  const still = await scrollBox(scroller);
  expect(still.top).toBe(0);
  expect(still.height).toBeLessThanOrEqual(still.client + 1);

  await scroller.hover();
  await page.mouse.wheel(0, -600);
  await expect(follow).not.toBeChecked();
  await expect.poll(async () => (await scrollBox(scroller)).height).toBeGreaterThan(still.client * 3);
  // the view stays where it was when follow mode ended, and scrolls from there
  await page.mouse.wheel(0, -600);
  await expect(newest).not.toBeInViewport();
  await follow.check();
  await expect(newest).toBeInViewport();
});
