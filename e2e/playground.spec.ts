import { expect, test } from '@playwright/test';
import { freePort } from './support/agent.ts';
import { card, consoleProblems, openLive, ownAgent } from './support/page.ts';

const agentUrl = ownAgent();

/**
 * A teacher builds a TCP conversation by hand on real loopback sockets: listen, connect, accept,
 * send a greeting, recv it; the cards must show each socket's role, the kernel's TCP states and the
 * greeting's text. Every step asserts what a person sees, so a missing state fails the test.
 */
test('listen, connect, accept, send and recv by hand: the cards show LISTEN, ESTABLISHED and the greeting', async ({ page }) => {
  const port = await freePort();
  const greeting = 'hello, server 你好';
  const problems = consoleProblems(page);
  await openLive(page, agentUrl({ lang: 'en' }));
  await expect(page.getByRole('heading', { name: 'Playground' })).toBeVisible();

  // server: listen()
  await page.getByTestId('listen-port').fill(String(port));
  await page.getByTestId('listen-backlog').fill('5');
  await page.getByTestId('listen-submit').click();
  await expect(page.getByTestId('reply-listen')).toHaveAttribute('data-ok', 'true');
  const listener = card(page, 'listener', port);
  await expect(listener).toBeVisible();
  await expect(listener.getByTestId('sock-role')).toHaveText('server · listener');
  await expect(listener.getByTestId('sock-local')).toHaveText(`127.0.0.1:${port}`);
  await expect(listener.getByTestId('sock-state-name')).toHaveText('LISTEN');
  await expect(listener.getByTestId('sock-accept')).toContainText('/ 5');

  // client: connect()
  await page.getByTestId('connect-port').fill(String(port));
  await page.getByTestId('connect-submit').click();
  await expect(page.getByTestId('reply-connect')).toHaveAttribute('data-ok', 'true');
  const client = card(page, 'client', port);
  await expect(client).toBeVisible();
  await expect(client.getByTestId('sock-role')).toHaveText('client');
  await expect(client.getByTestId('sock-remote')).toHaveText(`127.0.0.1:${port}`);
  await expect(client.getByTestId('sock-state-name')).toHaveText('ESTABLISHED');
  // the kernel finished the handshake before accept(): the listener holds one connection
  await expect(listener.getByTestId('sock-pending')).toHaveAttribute('data-count', '1');

  // server: accept() gives a NEW socket; the listener keeps listening
  await listener.getByTestId('act-accept').click();
  await expect(listener.getByTestId('reply-' + (await listener.getAttribute('data-sock')))).toHaveAttribute('data-ok', 'true');
  const accepted = card(page, 'accepted', port);
  await expect(accepted).toBeVisible();
  await expect(accepted.getByTestId('sock-role')).toContainText('accepted from');
  await expect(accepted.getByTestId('sock-local')).toHaveText(`127.0.0.1:${port}`);
  await expect(accepted.getByTestId('sock-state-name')).toHaveText('ESTABLISHED');
  await expect(listener.getByTestId('sock-state-name')).toHaveText('LISTEN');

  // client: send() a greeting; it waits in the accepted socket's receive buffer until recv()
  await client.getByTestId('send-text').fill(greeting);
  await client.getByTestId('act-send').click();
  const clientId = await client.getAttribute('data-sock');
  await expect(client.getByTestId(`reply-${clientId}`)).toHaveAttribute('data-ok', 'true');
  const greetingBytes = Buffer.byteLength(greeting, 'utf8');
  await expect(accepted.getByTestId('sock-recvq')).toHaveAttribute('data-bytes', String(greetingBytes));
  await expect(accepted.getByTestId('sock-recvq')).toContainText(`${greetingBytes} B`);

  // server: recv() takes it out of the receive buffer; the card and the reply show the text
  const acceptedId = await accepted.getAttribute('data-sock');
  await accepted.getByTestId('act-recv').click();
  await expect(accepted.getByTestId(`reply-${acceptedId}`)).toHaveAttribute('data-ok', 'true');
  await expect(accepted.getByTestId(`reply-${acceptedId}`)).toContainText(greeting);
  await expect(accepted.getByTestId('sock-last-data')).toContainText(greeting);
  await expect(accepted.getByTestId('sock-last-data')).toContainText('recv()');
  await expect(accepted.getByTestId('sock-recvq')).toHaveAttribute('data-bytes', '0');

  // the event log tells the same story at the api and kernel layers, each row tagged in words
  const log = page.getByTestId('event-log');
  await expect(log.locator('[data-testid="log-row"][data-layer="api"]').filter({ hasText: 'recv(' }).last()).toContainText(greeting);
  await expect(log.locator('[data-testid="log-row"][data-layer="kernel"]').filter({ hasText: 'ESTABLISHED' }).first()).toContainText('KERNEL');

  // screenshots for the docs: the cards from the top, the log following the newest row
  const cardsPanel = page.locator('.cards-panel');
  await cardsPanel.evaluate((el) => el.scrollTo(0, 0));
  await page.screenshot({ path: 'docs/screenshots/playground-en.png' });
  await page.setViewportSize({ width: 1920, height: 1080 });
  await cardsPanel.evaluate((el) => el.scrollTo(0, 0));
  await expect(page.locator('[data-testid="log-row"]').last()).toBeInViewport();
  await page.screenshot({ path: 'docs/screenshots/playground-en-1080p.png' });

  // projector mode: same page, large type, high contrast
  await page.getByTestId('projector-toggle').click();
  await expect(page.getByTestId('projector-toggle')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('html')).toHaveClass(/projector/);
  await cardsPanel.evaluate((el) => el.scrollTo(0, 0));
  await page.screenshot({ path: 'docs/screenshots/playground-projector-1080p.png' });
  await page.setViewportSize({ width: 1280, height: 720 });
  await cardsPanel.evaluate((el) => el.scrollTo(0, 0));
  await page.screenshot({ path: 'docs/screenshots/playground-projector.png' });

  // the language switches live, without losing anything
  await page.getByTestId('lang-select').selectOption('zh-CN');
  await expect(page.getByRole('heading', { name: '实验台' })).toBeVisible();
  await expect(accepted.getByTestId('sock-last-data')).toContainText(greeting);
  await expect(page).toHaveURL(/lang=zh-CN/);
  expect(problems, 'no script errors or CSP violations in the console').toEqual([]);
});

/**
 * The agent lets one script compile code (H5 in apps/agent/src/server/static.ts): the session worker,
 * picked out by the name the web build gives it. If the build ever names it otherwise, the worker falls
 * back to zod's slower interpreter without a word; this test says so instead.
 */
test("the page's session worker is the one script allowed to compile code; the page itself is not", async ({ page }) => {
  await openLive(page, agentUrl({ lang: 'en' }));
  await expect(page.getByRole('heading', { name: 'Playground' })).toBeVisible();
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  const worker = loaded.find((u) => /\/assets\/session\.worker-[\w-]+\.js$/.test(new URL(u).pathname));
  expect(worker, `the session worker's script among ${loaded.join(', ')}`).toBeTruthy();
  const headers = await page.evaluate(async (urls) => Promise.all(urls.map(async (u) => (await fetch(u)).headers.get('content-security-policy') ?? '')), [worker!, page.url()]);
  expect(headers[0]).toContain("script-src 'self' 'unsafe-eval'");
  expect(headers[1]).toContain("script-src 'self'");
  expect(headers[1]).not.toContain('unsafe-eval');
});

test('a refused connect() shows ECONNREFUSED with its plain-language hint', async ({ page }) => {
  const port = await freePort(); // nobody listens here
  await openLive(page, agentUrl({ lang: 'en' }));
  await page.getByTestId('connect-port').fill(String(port));
  await page.getByTestId('connect-submit').click();
  const reply = page.getByTestId('reply-connect');
  await expect(reply).toHaveAttribute('data-code', 'ECONNREFUSED');
  await expect(reply).toContainText('Nobody is listening on that port');
});

test('an invalid port is refused in plain language before anything is sent', async ({ page }) => {
  await openLive(page, agentUrl({ lang: 'en' }));
  await page.getByTestId('listen-port').fill('70000');
  await page.getByTestId('listen-submit').click();
  await expect(page.getByTestId('reply-listen')).toHaveAttribute('data-code', 'E_INVALID');
  await expect(page.getByTestId('reply-listen')).toContainText('The command is not valid; nothing was changed.');
});

test('reset session closes every socket and the page starts over from the new session', async ({ page }) => {
  const port = await freePort();
  await openLive(page, agentUrl({ lang: 'en' }));
  await page.getByTestId('listen-port').fill(String(port));
  await page.getByTestId('listen-submit').click();
  await expect(card(page, 'listener', port)).toBeVisible();
  await page.getByTestId('reset-session').click();
  await page.getByTestId('reset-confirm').click();
  await expect(page.getByTestId('cards-empty')).toBeVisible();
  await expect(page.getByTestId('event-log')).toContainText('the agent started a new session');
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-status', 'live');
  // the port is free again: the old listener really closed
  await page.getByTestId('listen-submit').click();
  await expect(page.getByTestId('reply-listen')).toHaveAttribute('data-ok', 'true');
  await expect(card(page, 'listener', port).getByTestId('sock-state-name')).toHaveText('LISTEN');
});

test('UDP: bind two sockets, sendto with an address in gbk, recvfrom shows the text and the sender', async ({ page }) => {
  const [portA, portB] = [await freePort(), await freePort()];
  await openLive(page, agentUrl({ lang: 'en' }));
  for (const port of [portA, portB]) {
    await page.getByTestId('udp-port').fill(String(port));
    await page.getByTestId('udp-bind-submit').click();
    await expect(page.getByTestId('reply-udp.bind')).toHaveAttribute('data-ok', 'true');
    await expect(card(page, 'udp', port)).toBeVisible();
  }
  const a = card(page, 'udp', portA).filter({ has: page.getByTestId('sock-local').getByText(`127.0.0.1:${portA}`) });
  const b = card(page, 'udp', portB).filter({ has: page.getByTestId('sock-local').getByText(`127.0.0.1:${portB}`) });
  await expect(b.getByTestId('sock-drops')).toContainText('Dropped datagrams');

  // no handshake: the first sendto carries the data and the address
  await a.getByTestId('send-text').fill('ping 你好');
  await a.getByTestId('send-encoding').selectOption('gbk');
  await a.getByTestId('sendto-port').fill(String(portB));
  await a.getByTestId('act-sendto').click();
  await expect(a.getByTestId(`reply-${await a.getAttribute('data-sock')}`)).toHaveAttribute('data-ok', 'true');
  await expect(b.getByTestId('sock-recvq')).not.toHaveAttribute('data-bytes', '0');

  // read as gbk, the text is right; the reply names the sender
  await b.getByTestId('send-encoding').selectOption('gbk');
  await b.getByTestId('act-recvfrom').click();
  const reply = b.getByTestId(`reply-${await b.getAttribute('data-sock')}`);
  await expect(reply).toHaveAttribute('data-ok', 'true');
  await expect(reply).toContainText('ping 你好');
  await expect(reply).toContainText(`127.0.0.1:${portA}`);
  // 9 bytes in gbk (ping + space + 2×2), not the 11 of utf-8
  await expect(reply).toContainText('9 bytes');
  await expect(b.getByTestId('sock-last-data')).toContainText('ping 你好');
});

test('shutdown() on the client: the server’s recv() returns empty, its card says the peer closed, states move to FIN_WAIT2 / CLOSE_WAIT', async ({ page }) => {
  const port = await freePort();
  await openLive(page, agentUrl({ lang: 'en' }));
  await page.getByTestId('listen-port').fill(String(port));
  await page.getByTestId('listen-submit').click();
  await page.getByTestId('connect-port').fill(String(port));
  await page.getByTestId('connect-submit').click();
  const listener = card(page, 'listener', port);
  await listener.getByTestId('act-accept').click();
  const client = card(page, 'client', port);
  const accepted = card(page, 'accepted', port);
  await expect(accepted.getByTestId('sock-state-name')).toHaveText('ESTABLISHED');

  await client.getByTestId('act-shutdown').click();
  await expect(client.getByTestId('sock-state-name')).toHaveText('FIN_WAIT2');
  await expect(accepted.getByTestId('sock-state-name')).toHaveText('CLOSE_WAIT');
  await expect(accepted).toContainText('peer sent FIN: waiting for this program to close()');

  const acceptedId = await accepted.getAttribute('data-sock');
  await accepted.getByTestId('act-recv').click();
  await expect(accepted.getByTestId(`reply-${acceptedId}`)).toContainText('empty: the peer closed (recv returned 0 bytes)');
  await expect(accepted.getByTestId('sock-peer-closed')).toHaveText(/Peer closed its side \(FIN received\)/);
  // the state strip shows where the client came from
  await expect(client.locator('.state-strip .chip.past')).toContainText(['ESTABLISHED']);
});
