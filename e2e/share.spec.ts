import { expect, test, type Page } from '@playwright/test';
import { freePort } from './support/agent.ts';
import { startSharedAgent, type SharedAgent } from './support/shared-agent.ts';
import { card, consoleProblems } from './support/page.ts';

/**
 * Sharing with the class, in a real Chromium. The agent shares on 127.0.0.2 — a loopback address that
 * stands in for the classroom LAN address (nothing here leaves this machine; the test across a real
 * network namespace is apps/agent/test/share-netns.test.ts). It also runs with --allow-remote, so the
 * page must name that.
 */
const SHARE_HOST = '127.0.0.2';
const TOKEN = 'e2e-share-teacher-token-0123456789';

const startShared = () => startSharedAgent({ token: TOKEN, shareHost: SHARE_HOST, args: ['--allow-remote'] });

function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

async function live(page: Page): Promise<void> {
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-status', 'live');
}

let agent: SharedAgent;
test.beforeAll(async () => { agent = await startShared(); });
test.afterAll(async () => { await agent?.stop(); });

test('the teacher’s page drops the token from the address, shows who watches, a QR code of the read-only link, and the remote warning', async ({ page }) => {
  const problems = consoleProblems(page);
  await page.goto(withParams(agent.teacher, { lang: 'en', view: 'playground' }));
  await live(page);
  // the token is gone from the address bar (projector, history), and a reload still connects
  expect(page.url()).not.toContain('token');
  expect(page.url()).toContain('view=playground');
  await page.reload();
  await live(page);
  expect(page.url()).not.toContain('token');

  await expect(page.getByTestId('remote-warning')).toBeVisible();
  await expect(page.getByTestId('remote-warning')).toContainText('remote targets allowed');
  const toggle = page.getByTestId('share-toggle');
  await expect(toggle).toHaveText(/0 watching/);
  await toggle.click();
  const dialog = page.getByTestId('share-dialog');
  await expect(dialog).toBeVisible();
  const link = new URL(await page.getByTestId('share-link').innerText());
  expect(link.hostname).toBe(SHARE_HOST);
  expect(link.searchParams.get('token')).toBe(new URL(agent.students).searchParams.get('token'));
  expect(link.searchParams.get('lang')).toBe('en');
  expect(link.toString()).not.toContain(TOKEN);
  const qr = page.getByTestId('share-qr');
  await expect(qr).toBeVisible();
  expect(((await qr.boundingBox())?.width ?? 0)).toBeGreaterThan(200); // big enough to scan off a projector
  expect((await qr.locator('path').getAttribute('d'))?.length ?? 0).toBeGreaterThan(100);
  await page.screenshot({ path: 'docs/screenshots/share-teacher-en.png' });
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('a student’s read-only page: no controls, no link, live events, its own language; the teacher sees the count', async ({ browser }) => {
  const teacherCtx = await browser.newContext();
  const studentCtx = await browser.newContext({ locale: 'zh-CN' });
  const teacher = await teacherCtx.newPage();
  const student = await studentCtx.newPage();
  const problems = [...consoleProblems(teacher), ...consoleProblems(student)];
  try {
    await teacher.goto(withParams(agent.teacher, { lang: 'en', view: 'playground' }));
    await live(teacher);
    await expect(teacher.getByTestId('share-toggle')).toHaveText(/0 watching/);

    await student.goto(withParams(agent.students, { view: 'playground' }));
    await live(student);
    expect(student.url()).not.toContain('token');
    await expect(student.getByTestId('read-only')).toBeVisible();
    await expect(student.getByTestId('read-only')).toContainText('只读');
    await expect(student.getByTestId('share-toggle')).toHaveCount(0); // the link and count are the teacher's
    await expect(student.getByTestId('playground')).toHaveCount(0);
    await expect(teacher.getByTestId('share-toggle')).toHaveText(/1 watching/);

    // the teacher listens; the student sees the socket appear, without any call of its own to make
    const port = await freePort();
    await teacher.getByTestId('listen-port').fill(String(port));
    await teacher.getByTestId('listen-submit').click();
    await expect(teacher.getByTestId('reply-listen')).toHaveAttribute('data-ok', 'true');
    const seen = card(student, 'listener', port);
    await expect(seen).toBeVisible();
    await expect(seen.getByTestId('sock-state-name')).toHaveText('LISTEN');
    await expect(seen.getByTestId('sock-actions')).toHaveCount(0);
    await expect(card(teacher, 'listener', port).getByTestId('sock-actions')).toBeVisible();

    // the student's language is the student's own
    await student.getByTestId('lang-select').selectOption('zh-TW');
    await expect(student.getByTestId('read-only')).toContainText('唯讀');
    await expect(teacher.getByTestId('read-only')).toHaveCount(0);
    await student.screenshot({ path: 'docs/screenshots/share-student-zh-TW.png' });

    await student.close();
    await expect(teacher.getByTestId('share-toggle')).toHaveText(/0 watching/);
    expect(problems).toEqual([]);
  } finally {
    await teacherCtx.close();
    await studentCtx.close();
  }
});
