import { expect, test } from '@playwright/test';

function withoutToken(lang: string): string {
  const base = process.env['SOCKETSCOPE_E2E_URL'];
  if (!base) throw new Error('SOCKETSCOPE_E2E_URL is not set');
  const u = new URL(base);
  u.searchParams.delete('token');
  u.searchParams.set('lang', lang);
  return u.toString();
}

test('without ?token= the page explains how to get the link instead of failing', async ({ page }) => {
  await page.goto(withoutToken('en'));
  const box = page.getByTestId('no-token');
  await expect(box).toBeVisible();
  await expect(box.getByRole('heading')).toHaveText('This page needs the session token');
  await expect(box).toContainText('pnpm start');
  await expect(box).toContainText('?token=');
  await expect(page.getByTestId('conn-status')).toHaveText(/No token/);
  await expect(page.getByTestId('playground')).toHaveCount(0);
  await page.screenshot({ path: 'docs/screenshots/no-token-en.png' });
});

test('without a token, in Chinese', async ({ page }) => {
  await page.goto(withoutToken('zh-CN'));
  await expect(page.getByTestId('no-token').getByRole('heading')).toHaveText('本页面需要会话令牌（token）');
});

test('a wrong token: the page says it cannot connect and that a restarted agent prints a new link', async ({ page }) => {
  const base = process.env['SOCKETSCOPE_E2E_URL']!;
  const u = new URL(base);
  u.searchParams.set('token', 'wrong-token-wrong-token-0000');
  u.searchParams.set('lang', 'en');
  await page.goto(u.toString());
  // the agent answers a bad token with a bare 403 on the upgrade (it tells a stranger nothing), so the
  // page only knows it could not connect; it says that a stale link is the likely cause
  const banner = page.getByTestId('agent-unreachable-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('Cannot connect to the agent');
  await expect(banner).toContainText('refused this link’s token');
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-status', 'reconnecting');
});
