import { expect, test } from '@playwright/test';
import { freePort, startAgent } from './support/agent.ts';
import { agentUrl, card, openLive } from './support/page.ts';

test('when the agent goes away a banner says so, and the page reconnects by itself when it is back', async ({ page }) => {
  const agent = await startAgent();
  try {
    await openLive(page, `${agent.url}&lang=en`);
    await expect(page.getByTestId('agent-lost-banner')).toHaveCount(0);

    await agent.stop('SIGTERM');
    const banner = page.getByTestId('agent-lost-banner');
    await expect(banner).toBeVisible();
    await expect(banner).toContainText('The agent went away');
    await expect(page.getByTestId('conn-status')).toHaveAttribute('data-status', 'reconnecting');
    await expect(page.getByTestId('listen-submit')).toBeDisabled();
    await page.screenshot({ path: 'docs/screenshots/agent-lost-en.png' });

    // the same agent command again, on the same port and token: the page comes back on its own
    const again = await startAgent({ port: agent.port, token: agent.token });
    try {
      // backoff tops out at 5 s; the agent itself may take a few seconds to start on a loaded machine
      await expect(page.getByTestId('conn-status')).toHaveAttribute('data-status', 'live', { timeout: 30_000 });
      await expect(banner).toHaveCount(0);
      await expect(page.getByTestId('event-log')).toContainText('the agent started a new session');
    } finally {
      await again.stop();
    }
  } finally {
    await agent.stop();
  }
});

test('after a dropped connection the page resyncs from its last event: nothing lost, nothing twice', async ({ page }) => {
  const port = await freePort();
  await openLive(page, agentUrl({ lang: 'en' }));
  await page.getByTestId('listen-port').fill(String(port));
  await page.getByTestId('listen-submit').click();
  await expect(card(page, 'listener', port).getByTestId('sock-state-name')).toHaveText('LISTEN');
  const before = await page.evaluate(() => (window as unknown as { socketscope: { stats(): { lastSeq: number } } }).socketscope.stats());

  await page.evaluate(() => (window as unknown as { socketscope: { dropConnection(): void } }).socketscope.dropConnection());
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-status', 'live', { timeout: 20_000 });
  await expect(page.getByTestId('event-log')).toContainText(`resumed after event ${before.lastSeq}`);

  // something new happens after the resync, and it arrives exactly once
  await page.getByTestId('connect-port').fill(String(port));
  await page.getByTestId('connect-submit').click();
  await expect(card(page, 'client', port).getByTestId('sock-state-name')).toHaveText('ESTABLISHED');
  const after = await page.evaluate(() => (window as unknown as { socketscope: { stats(): { lastSeq: number; seqs: (number | null)[] } } }).socketscope.stats());
  const seqs = after.seqs.filter((s): s is number => s !== null);
  expect(new Set(seqs).size, 'no event appears twice in the log').toBe(seqs.length);
  expect(seqs).toEqual(seqs.toSorted((a, b) => a - b));
  expect(after.lastSeq).toBeGreaterThan(before.lastSeq);
});
