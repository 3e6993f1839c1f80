import { expect, test, type Page } from '@playwright/test';
import { arrows, captureOn, lessonCard, next, openLesson, projectorShot, runLesson, showTab, stepTo } from './support/lesson.ts';
import { consoleProblems, ownAgent } from './support/page.ts';

/**
 * Every lesson run from the page, start to end, on real loopback sockets of a real agent, asserting
 * what a person sees at the step where it becomes true. Each ends with its projector screenshot.
 * Timeouts: a run gets RUN_TIMEOUT_MS (support/lesson.ts); a test as a whole 90 s.
 */
const url = ownAgent();
test.describe.configure({ timeout: 90_000 });

test('tcp-handshake: SYN, SYN+ACK, ACK in order with consistent seq/ack, both ends ESTABLISHED, accept() gives a new socket', async ({ page }) => {
  const problems = consoleProblems(page);
  await openLesson(page, url({ lesson: 'tcp-handshake', lang: 'en' }));
  const captured = await captureOn(page);
  await runLesson(page);
  await expect(page.getByTestId('step-now')).toHaveText('Before the first step');

  await next(page, 'server.listen');
  await expect(lessonCard(page, 'listener')).toHaveAttribute('data-state', 'LISTEN');
  // the lit line is the one the tracer saw: after listen() the server is held before its accept()
  await expect(page.getByTestId('listing-server').locator('li[data-lit="paused"]')).toContainText('server.accept()');
  await expect(page.getByTestId('listing-client').getByTestId('listing-not-started')).toBeVisible();

  await next(page, 'client.connect');
  const hs = (await arrows(page)).filter((a) => /SYN|^ACK$/.test(a.flags));
  expect(hs.map((a) => a.flags)).toEqual(['SYN', 'SYN+ACK', 'ACK']);
  // the picture under the words: in each handshake row the canvas has the arrow, SYN and SYN+ACK in the
  // handshake's blue, the ACK in the plain-ACK grey (ladder.css --ll-syn, --ll-ack)
  const ink = await ladderInk(page, hs.map((a) => a.seq));
  expect(ink.map((r) => r.syn > 40)).toEqual([true, true, false]);
  expect(ink[2]!.ack).toBeGreaterThan(40);
  if (captured) {
    // relative numbers as Wireshark shows them: the SYN+ACK acknowledges the SYN, the ACK both
    expect(hs[0]!.nums).toMatch(/^seq=0 len=0/);
    expect(hs[1]!.nums).toMatch(/^seq=0 ack=1 len=0/);
    expect(hs[2]!.nums).toMatch(/^seq=1 ack=1 len=0/);
  } else {
    console.warn('SKIPPED (part): packet capture is off, arrows are inferred and carry no sequence numbers');
  }
  // the segments are drawn at their capture time: they went out while connect() was waiting, so the
  // connect() row (drawn when the call returned) comes after the handshake's ACK however late tcpdump's
  // pipe delivered the packets
  const order = await page.locator('[data-testid="ladder-panel"] .ll-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-seq')));
  const connectSeq = await page.locator('[data-testid="ladder-panel"] .ll-row[data-kind="mark"]').filter({ hasText: 'connect()' }).getAttribute('data-seq');
  expect(order.indexOf(connectSeq)).toBeGreaterThan(order.indexOf(String(hs[2]!.seq)));
  await expect(lessonCard(page, 'client')).toHaveAttribute('data-state', 'ESTABLISHED');
  // connect() returned; the client is held before its send(), the server still before accept()
  await expect(page.getByTestId('listing-client').locator('li[data-lit="paused"]')).toContainText('client.send(');
  await expect(page.getByTestId('listing-server').locator('li[data-lit="paused"]')).toContainText('server.accept()');
  await expect(page.getByTestId('step-explain')).toContainText('SYN+ACK');

  await next(page, 'server.accept');
  await expect(lessonCard(page, 'accepted')).toHaveAttribute('data-state', 'ESTABLISHED');
  await expect(lessonCard(page, 'client')).toHaveAttribute('data-state', 'ESTABLISHED');
  await expect(lessonCard(page, 'listener')).toHaveAttribute('data-state', 'LISTEN');

  for (const id of ['client.send', 'server.recv', 'server.send', 'client.recv']) await next(page, id);
  await expect(lessonCard(page, 'client').getByTestId('sock-last-data')).toContainText('HELLO, TCP');
  await next(page, 'close');
  await expect(page.getByTestId('step-now')).toContainText('Step 8 of 8');
  await expect(page.getByTestId('tr-next')).toBeDisabled();

  // ← goes back a step and the views follow the cursor (the model is folded to it again)
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-step', 'client.recv');
  // Restart, then Play at 4×: the animation clock moves the cursor through the steps by itself
  await page.getByTestId('tr-restart').click();
  await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-step-index', '-1');
  await page.getByTestId('tr-speed').selectOption('4');
  await page.getByTestId('tr-play').click();
  await expect(page.getByTestId('tr-play')).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(async () => Number(await page.getByTestId('lesson-player').getAttribute('data-step-index')), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
  await page.getByTestId('tr-play').click();
  await expect(page.getByTestId('tr-play')).toHaveAttribute('aria-pressed', 'false');
  await projectorShot(page, 'tcp-handshake', 'client.connect', 'code', 'docs/screenshots/lesson-tcp-handshake.png');
  expect(problems).toEqual([]);
});

test('tcp-teardown: FIN_WAIT2 then TIME_WAIT on the closer, CLOSE_WAIT on the other, then the restart without and with SO_REUSEADDR', async ({ page }) => {
  await openLesson(page, url({ lesson: 'tcp-teardown', lang: 'en' }));
  await runLesson(page);
  await stepTo(page, 'tcp-teardown', 'server.close');
  // the server closed first: its connection waits for the client's FIN; the client has seen the FIN
  await expect(lessonCard(page, 'accepted')).toHaveAttribute('data-state', /^(FIN_WAIT1|FIN_WAIT2)$/);
  await expect(lessonCard(page, 'client')).toHaveAttribute('data-state', 'CLOSE_WAIT');
  const fins = (await arrows(page)).filter((a) => a.flags.includes('FIN'));
  expect(fins.length).toBeGreaterThanOrEqual(1);

  await next(page, 'client.recv');
  await expect(lessonCard(page, 'client').getByTestId('sock-peer-closed')).toBeVisible();
  await next(page, 'client.close');
  await expect(lessonCard(page, 'accepted')).toHaveAttribute('data-state', 'TIME_WAIT');
  // LAST_ACK lasts microseconds on loopback: the kernel layer shows it (tracepoints), or the socket gone
  const client = lessonCard(page, 'client');
  await expect(client).toHaveAttribute('data-state', /^(CLOSE_WAIT|LAST_ACK|CLOSE)$/);

  // the real restart without SO_REUSEADDR: bind() fails with EADDRINUSE while the old connection is in TIME_WAIT
  await next(page, 'server.restart');
  const panel = page.getByTestId('lower-panel');
  await expect(panel.locator('[data-testid="sock-last-error"][data-code="EADDRINUSE"]').first()).toBeVisible();
  await next(page, 'server.restart-reuseaddr');
  await expect(panel.locator('article[data-role="listener"][data-state="LISTEN"]').last()).toBeVisible();
  await projectorShot(page, 'tcp-teardown', 'client.close', 'code', 'docs/screenshots/lesson-tcp-teardown.png');
});

test('tcp-buffers: the receive buffer fills, the window falls to zero and send() blocks; then it drains', async ({ page }) => {
  await openLesson(page, url({ lesson: 'tcp-buffers', lang: 'en' }));
  const captured = await captureOn(page);
  await runLesson(page);
  await stepTo(page, 'tcp-buffers', 'client.send');
  // the reader has not read: its receive buffer (SO_RCVBUF set small in the listing) is full, the sender's
  // send buffer fills behind it, and sendall() waits in the kernel
  const accepted = lessonCard(page, 'accepted');
  await expect.poll(async () => Number(await accepted.getAttribute('data-recvq'))).toBeGreaterThanOrEqual(2048);
  await expect.poll(async () => Number(await lessonCard(page, 'client').getAttribute('data-sendq'))).toBeGreaterThanOrEqual(2048);
  await expect(page.getByTestId('listing-client').getByTestId('listing-run')).toContainText('sendall()');
  // (the zero window on the wire is checked where every captured segment is at hand: lessons-run.test.ts)
  if (!captured) console.warn('NOTE: packet capture is off here: the ladder shows inferred segments');
  // the server reads: every byte the client sent arrives
  await stepTo(page, 'tcp-buffers', 'server.close');
  await expect(accepted.getByTestId('sock-moved')).toContainText('received 1048576 B');
  await projectorShot(page, 'tcp-buffers', 'client.send', 'cards-alone', 'docs/screenshots/lesson-tcp-buffers.png');
});

test('tcp-stream: two send() calls are read by one recv(), and one send by three recv(4)', async ({ page }) => {
  await openLesson(page, url({ lesson: 'tcp-stream', lang: 'en' }));
  await runLesson(page);
  await stepTo(page, 'tcp-stream', 'server.recv');
  await showTab(page, 'log');
  // the log shows a window of its rows: the api layer alone keeps this step's calls in it
  for (const layer of ['kernel', 'wire', 'session']) await page.getByTestId(`filter-${layer}`).uncheck();
  const api = page.getByTestId('event-log').locator('[data-testid="log-row"][data-layer="api"]');
  await expect(api.and(page.locator('[data-type="api.call"]')).filter({ hasText: /send\(.*→ 5/ })).toHaveCount(2);
  await expect(api.filter({ hasText: 'recv(' }).last()).toContainText('10 B “helloworld”');
  await showTab(page, 'cards');
  await expect(lessonCard(page, 'accepted').getByTestId('sock-last-data')).toContainText('helloworld');
  const server = await lessonCard(page, 'accepted').getAttribute('data-sock');
  await showTab(page, 'log');
  // a click on a log row selects that event in the ladder; the socket filter keeps one socket's rows
  const recvRow = api.filter({ hasText: 'helloworld' }).last();
  const seq = await recvRow.getAttribute('data-seq');
  await recvRow.click();
  await expect(page.locator(`[data-testid="ladder-panel"] .ll-row.ll-selected[data-seq="${seq}"]`)).toBeAttached();
  await page.getByTestId('filter-sock').selectOption(server!);
  await expect(page.getByTestId('event-log').locator('[data-testid="log-row"] .sock').first()).toHaveText(server!);
  expect(new Set(await page.getByTestId('event-log').locator('[data-testid="log-row"] .sock').allTextContents())).toEqual(new Set([server]));
  await page.getByTestId('filter-sock').selectOption('');
  await stepTo(page, 'tcp-stream', 'client.recv');
  // three calls (each also has its row paused before it, in step mode)
  await expect(api.and(page.locator('[data-type="api.call"]')).filter({ hasText: /recv\((bufsize|max)=4\)/ })).toHaveCount(3);
  await next(page, 'close');
  await projectorShot(page, 'tcp-stream', 'server.recv', 'code', 'docs/screenshots/lesson-tcp-stream.png');
});

test('tcp-refused: SYN answered by RST, connect() fails with ECONNREFUSED', async ({ page }) => {
  await openLesson(page, url({ lesson: 'tcp-refused', lang: 'en' }));
  await expect(page.getByTestId('no-server')).toBeVisible();
  await runLesson(page);
  await next(page, 'client.connect');
  const flags = (await arrows(page)).map((a) => a.flags);
  expect(flags[0]).toBe('SYN');
  expect(flags.some((f) => f.includes('RST'))).toBe(true);
  // connect() failed, so the socket never became a client: it is a plain socket with the error
  const sock = page.locator('[data-testid="lower-panel"] article[data-sock]').first();
  await expect(sock.getByTestId('sock-role')).toHaveText('socket');
  await expect(sock.getByTestId('sock-last-error')).toHaveAttribute('data-code', 'ECONNREFUSED');
  await expect(sock.getByTestId('sock-last-error')).toContainText('Nobody is listening');
  await next(page, 'client.close');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
  await projectorShot(page, 'tcp-refused', 'client.connect', 'code', 'docs/screenshots/lesson-tcp-refused.png');
});

test('udp-echo: datagrams with addresses and no handshake; a flooded receiver drops datagrams', async ({ page }) => {
  await openLesson(page, url({ lesson: 'udp-echo', lang: 'en' }));
  await runLesson(page);
  await stepTo(page, 'udp-echo', 'client.recvfrom');
  const flags = (await arrows(page)).map((a) => a.flags);
  expect(flags.length).toBeGreaterThanOrEqual(2);
  expect(flags.every((f) => f === 'UDP')).toBe(true); // no SYN, no ACK: no connection
  await expect(lessonCard(page, 'udp', 1).getByTestId('sock-last-data')).toContainText('HELLO');
  await stepTo(page, 'udp-echo', 'client.flood');
  const server = page.locator('[data-testid="lower-panel"] article[data-role="udp"]').filter({ hasText: ':9998' }).first();
  await expect.poll(async () => Number(await server.getAttribute('data-drops'))).toBeGreaterThan(0);
  await expect(server.getByTestId('sock-buffers')).toContainText(/dropped/i);
  await stepTo(page, 'udp-echo', 'close');
  await projectorShot(page, 'udp-echo', 'client.flood', 'cards-alone', 'docs/screenshots/lesson-udp-echo.png');
});

test('tcp-hello end to end: every step lights its code, the greeting and the answer arrive', async ({ page }) => {
  await openLesson(page, url({ lesson: 'tcp-hello', lang: 'en' }));
  await runLesson(page);
  await stepTo(page, 'tcp-hello', 'server.recv');
  await expect(lessonCard(page, 'accepted').getByTestId('sock-last-data')).toContainText('hello');
  // recv() returned: the server's program is held before its next call, the send() of its answer
  await expect(page.getByTestId('listing-server').locator('li[data-lit]')).toContainText('send(');
  await stepTo(page, 'tcp-hello', 'client.recv');
  await expect(lessonCard(page, 'client').getByTestId('sock-last-data')).toContainText('hi, client');
  await stepTo(page, 'tcp-hello', 'server.close');
  await expect(page.getByTestId('tr-next')).toBeDisabled();
  await projectorShot(page, 'tcp-hello', 'client.recv', 'code', 'docs/screenshots/lesson-tcp-hello.png');
});

test('tcp-echo end to end: per-client sockets, recv() returns empty when the client closes, the second client waits', async ({ page }) => {
  await openLesson(page, url({ lesson: 'tcp-echo', lang: 'en' }));
  await runLesson(page);
  await stepTo(page, 'tcp-echo', 'client-b.send');
  // a single-task server: client B is connected by the kernel but not accepted; it waits for accept()
  await expect(page.locator('[data-testid="lower-panel"] article[data-role="accepted"]')).toHaveCount(1);
  await expect(lessonCard(page, 'listener').getByTestId('sock-buffers')).toContainText(/held|waiting/);
  await stepTo(page, 'tcp-echo', 'server.recv-a-end');
  await expect(lessonCard(page, 'accepted', 0).getByTestId('sock-peer-closed')).toBeVisible();
  await stepTo(page, 'tcp-echo', 'client-b.recv');
  await expect(page.locator('[data-testid="lower-panel"] article[data-role="accepted"]')).toHaveCount(2);
  await expect(lessonCard(page, 'client', 1).getByTestId('sock-last-data')).toContainText('hello from B');
  await stepTo(page, 'tcp-echo', 'server.close');
  await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-run', 'complete');
  await projectorShot(page, 'tcp-echo', 'client-b.send', 'cards', 'docs/screenshots/lesson-tcp-echo.png');
});

test('a lesson in 简体中文: ?lesson=…&lang=zh-CN opens straight into it, with Chinese text throughout', async ({ page }) => {
  await openLesson(page, url({ lesson: 'tcp-handshake', lang: 'zh-CN' }));
  await expect(page.getByTestId('lesson-title')).toHaveText('三次握手');
  await expect(page.getByTestId('run-lesson')).toContainText('运行本课');
  await runLesson(page);
  await expect(page.getByTestId('run-status')).toContainText('已在真实的套接字上运行完毕');
  // the room's keys: space steps like →, + and − change the speed
  await page.keyboard.press(' ');
  await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-step', 'server.listen');
  await page.keyboard.press('+');
  await expect(page.getByTestId('tr-speed')).toHaveValue('2');
  await page.keyboard.press('-');
  await page.keyboard.press('-');
  await expect(page.getByTestId('tr-speed')).toHaveValue('0.5');
  await next(page, 'client.connect');
  await expect(page.getByTestId('step-now')).toContainText('第 2 步，共 8 步');
  await expect(page.getByTestId('step-explain')).toContainText('客户端内核选一个临时端口');
  await expect(page.getByTestId('listing-client').locator('li').filter({ hasText: '# 2. 建立连接' }).first()).toBeAttached();
  await expect(page.getByTestId('listing-client').getByTestId('listing-run')).toContainText('暂停在 send() 之前');
  await expect(page.getByTestId('tab-cards')).toHaveText(/套接字/);
  await expect(lessonCard(page, 'client').getByTestId('sock-role')).toHaveText('客户端');
  await expect(page.locator('[data-testid="ladder-panel"]')).toContainText('三次握手');
});

/**
 * Pixels of the ladder's canvas in the band of each row (by seq): how many are the SYN blue (#0b57d0)
 * and how many the ACK grey (#3c4043). The rows' words are transparent, so this is what a person sees.
 */
async function ladderInk(page: Page, seqs: number[]): Promise<{ syn: number; ack: number }[]> {
  return page.evaluate((want) => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="ladder-panel"] canvas.ll-paint')!;
    const box = canvas.getBoundingClientRect();
    const k = canvas.width / box.width;
    const ctx = canvas.getContext('2d')!;
    return want.map((seq) => {
      const row = document.querySelector(`[data-testid="ladder-panel"] .ll-row[data-seq="${seq}"]`)!.getBoundingClientRect();
      const y = Math.max(0, Math.round((row.top - box.top) * k));
      const h = Math.max(1, Math.min(canvas.height - y, Math.round(row.height * k)));
      const d = ctx.getImageData(0, y, canvas.width, h).data;
      let syn = 0;
      let ack = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3]! < 200) continue;
        // within 60 (summed over r, g, b) of the SYN blue, or of the ACK grey
        if (Math.abs(d[i]! - 0x0b) + Math.abs(d[i + 1]! - 0x57) + Math.abs(d[i + 2]! - 0xd0) < 60) syn++;
        else if (Math.abs(d[i]! - 0x3c) + Math.abs(d[i + 1]! - 0x40) + Math.abs(d[i + 2]! - 0x43) < 60) ack++;
      }
      return { syn, ack };
    });
  }, seqs);
}
