import { expect, test } from '@playwright/test';
import { lessonCard, showTab, stepTo } from './support/lesson.ts';
import { servePageAlone } from './support/static.ts';

/**
 * A lab lesson opened as its shipped recording (made in the lab: both hosts captured, the kernel layer read
 * in each host): what a class sees without an agent. tcp-slow-link's sender shows its congestion window
 * (TCP_INFO) changing during the transfer, the link strip the link's conditions.
 */
test('tcp-slow-link, recorded: the link strip says 800 kbit/s and the sender’s card shows its congestion window change', async ({ page }) => {
  const alone = await servePageAlone();
  try {
    await page.goto(`${alone.url}?lang=en`);
    await expect(page.getByTestId('lesson-tcp-slow-link')).toHaveAttribute('data-opens', 'recording');
    await page.getByTestId('lesson-tcp-slow-link').click();
    await expect(page.getByTestId('shipped-label')).toBeVisible();
    await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-run', 'complete');
    await stepTo(page, 'tcp-slow-link', 'client.connect');
    await showTab(page, 'cards');
    const client = lessonCard(page, 'client');
    const cwnd = client.getByTestId('sock-cwnd');
    await expect(cwnd).toContainText('congestion window');
    const before = Number(await cwnd.getAttribute('data-cwnd'));
    await stepTo(page, 'tcp-slow-link', 'transfer');
    await expect(cwnd).toBeVisible();
    const after = Number(await cwnd.getAttribute('data-cwnd'));
    expect(before).toBeGreaterThan(0);
    expect(after, 'the window moved during the transfer').not.toBe(before);
    await expect(page.getByTestId('lab-strip-conditions').first()).toContainText('800 kbit/s');
  } finally {
    await alone.close();
  }
});
