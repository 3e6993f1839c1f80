import { expect, test } from '@playwright/test';
import { freePort } from './support/agent.ts';
import { card, openLive, ownAgent } from './support/page.ts';

const agentUrl = ownAgent();

/**
 * The wire layer is captured packets when capture runs, else segments inferred from the other two
 * layers. Either way the log must say which: inferred rows carry the word "inferred" (推断), captured
 * ones do not. If this agent emits no wire events at all (capture off and no inference built), the
 * test says so and is skipped rather than passing on nothing.
 */
test('wire rows say whether they were captured or inferred, and name the handshake step', async ({ page }) => {
  const port = await freePort();
  await openLive(page, agentUrl({ lang: 'zh-CN' }));
  const captureOn = (await page.getByTestId('cap-wire').getAttribute('data-available')) === 'true';
  await page.getByTestId('listen-port').fill(String(port));
  await page.getByTestId('listen-submit').click();
  await page.getByTestId('connect-port').fill(String(port));
  await page.getByTestId('connect-submit').click();
  await expect(card(page, 'client', port).getByTestId('sock-state-name')).toHaveText('ESTABLISHED');

  const wireRows = page.locator('[data-testid="log-row"][data-layer="wire"]');
  const syn = wireRows.filter({ hasText: '[SYN]' });
  try {
    await expect(syn.first()).toBeVisible({ timeout: 5000 });
  } catch {
    console.warn('SKIPPED: the agent emitted no wire events (packet capture off and no inference in this build)');
    test.skip(true, 'the agent emitted no wire events (packet capture off and no inference in this build)');
    return;
  }
  await expect(syn.first()).toContainText('三次握手 1/3');
  await expect(syn.first()).toContainText('线路');
  await expect(wireRows.filter({ hasText: '[SYN,ACK]' }).first()).toContainText('三次握手 2/3');
  await expect(wireRows.filter({ hasText: '三次握手 3/3' }).first()).toContainText('[ACK]');
  if (captureOn) {
    await expect(syn.first().getByTestId('inferred-tag')).toHaveCount(0);
  } else {
    await expect(syn.first().getByTestId('inferred-tag')).toHaveText('推断');
    await expect(syn.first()).toHaveAttribute('data-inferred', 'true');
  }
});
