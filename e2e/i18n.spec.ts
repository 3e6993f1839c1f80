import { expect, test } from '@playwright/test';
import { freePort } from './support/agent.ts';
import { card, openLive, ownAgent } from './support/page.ts';

const agentUrl = ownAgent();

test('?lang=zh-CN shows Chinese labels, with TCP terms kept and the course names beside them', async ({ page }) => {
  const port = await freePort();
  await openLive(page, agentUrl({ lang: 'zh-CN' }));
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.getByRole('heading', { name: '实验台' })).toBeVisible();
  await expect(page.getByRole('heading', { name: '事件日志' })).toBeVisible();
  await expect(page.getByText('TCP 服务端：listen()（设置监听）')).toBeVisible();
  await expect(page.getByText('TCP 客户端：connect()（建立连接）')).toBeVisible();
  await expect(page.getByTestId('conn-status')).toContainText('已连接');

  await page.getByTestId('listen-port').fill(String(port));
  await page.getByTestId('listen-submit').click();
  await page.getByTestId('connect-port').fill(String(port));
  await page.getByTestId('connect-submit').click();
  const client = card(page, 'client', port);
  await expect(client.getByTestId('sock-role')).toHaveText('客户端');
  await expect(client.getByTestId('sock-state-name')).toHaveText('ESTABLISHED');
  await expect(client).toContainText('连接已建立：可以收发数据');
  await expect(client.getByTestId('sock-sendq')).toContainText('Send-Q：发送缓冲区');
  await expect(client.getByTestId('sock-recvq')).toContainText('Recv-Q：接收缓冲区');
  await expect(card(page, 'listener', port).getByTestId('sock-role')).toContainText('服务端');
  await page.screenshot({ path: 'docs/screenshots/playground-zh-CN.png' });
});

test('?lang=zh-TW shows Traditional Chinese', async ({ page }) => {
  await openLive(page, agentUrl({ lang: 'zh-TW' }));
  await expect(page.getByRole('heading', { name: '實驗台' })).toBeVisible();
  await expect(page.getByRole('heading', { name: '事件紀錄' })).toBeVisible();
  await page.screenshot({ path: 'docs/screenshots/playground-zh-TW.png' });
});
