import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { RUN_TIMEOUT_MS } from './support/lesson.ts';
import { consoleProblems } from './support/page.ts';
import { startSharedAgent, type SharedAgent } from './support/shared-agent.ts';

/**
 * "Ask first" in a real Chromium: a teacher's page and three students' pages on the shared read-only link
 * (127.0.0.2, a loopback address standing in for the classroom LAN address; nothing leaves this machine).
 * The teacher runs tcp-hello live; → puts the question of the next step to the class, the students answer
 * on their own pages, the teacher sees the counts live, the next → runs the step and every page shows it
 * with the run's answer. A student's page that sends anything but an answer is refused, and the agent
 * keeps serving the class.
 */
const SHARE_HOST = '127.0.0.2';
const TOKEN = 'e2e-predict-teacher-token-0123456789';
test.describe.configure({ timeout: 120_000 });

let agent: SharedAgent;
test.beforeAll(async () => { agent = await startSharedAgent({ token: TOKEN, shareHost: SHARE_HOST }); });
test.afterAll(async () => { await agent?.stop(); });

function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

async function live(page: Page): Promise<void> {
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-status', 'live', { timeout: 20_000 });
}

/**
 * Runs the rest of the live lesson with "Ask first" off (which also puts the question away), so it ends as
 * the lesson does: a run stopped halfway kills the server's open connection and leaves 127.0.0.1:8888 in
 * TIME_WAIT, where the next run's server (no SO_REUSEADDR) could not bind for a minute.
 */
async function finishLesson(teacher: Page): Promise<void> {
  await teacher.getByTestId('ask-first').uncheck();
  const player = teacher.getByTestId('lesson-player');
  const status = teacher.getByTestId('run-status');
  const waiting = async () => (await status.getAttribute('data-status')) === 'done' ? 'done' : await player.getAttribute('data-live');
  for (let i = 0; i < 12; i++) {
    await expect.poll(waiting, { timeout: RUN_TIMEOUT_MS }).toMatch(/^(done|edge)$/);
    if ((await waiting()) === 'done') break;
    const before = await player.getAttribute('data-step-index');
    await teacher.keyboard.press('ArrowRight');
    const moved = async () => (await status.getAttribute('data-status')) === 'done' || (await player.getAttribute('data-step-index')) !== before;
    await expect.poll(moved, { timeout: RUN_TIMEOUT_MS }).toBe(true);
  }
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: RUN_TIMEOUT_MS });
}

/** A live lesson waits for the teacher's → until it is stopped: the next test's run would find it busy. */
async function endLive(teacher: Page): Promise<void> {
  const stop = teacher.getByTestId('live-stop');
  if (await stop.isVisible().catch(() => false)) {
    await stop.click();
    await expect(teacher.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 15_000 }).catch(() => {});
  }
}

interface Room { teacher: Page; students: Page[]; contexts: BrowserContext[]; problems: string[] }

async function openRoom(browser: Browser): Promise<Room> {
  const contexts: BrowserContext[] = [];
  const open = async (url: string, locale: string) => {
    const ctx = await browser.newContext({ locale });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.goto(url);
    return page;
  };
  const teacher = await open(withParams(agent.teacher, { lesson: 'tcp-hello', lang: 'en', ask: '1' }), 'en-US');
  const students = [
    await open(withParams(agent.students, { lesson: 'tcp-hello', lang: 'en' }), 'en-US'),
    await open(withParams(agent.students, { lesson: 'tcp-hello', lang: 'zh-CN' }), 'zh-CN'),
    await open(withParams(agent.students, { lesson: 'tcp-hello', lang: 'zh-TW' }), 'zh-TW'),
  ];
  const problems = [teacher, ...students].flatMap((p) => consoleProblems(p));
  for (const p of [teacher, ...students]) await live(p);
  await expect(teacher.getByTestId('share-toggle')).toHaveText(/3 watching/);
  return { teacher, students, contexts, problems };
}

test('the class predicts, the teacher sees the counts live, and → reveals the step on every page', async ({ browser }) => {
  const room = await openRoom(browser);
  const { teacher, students } = room;
  try {
    const player = teacher.getByTestId('lesson-player');
    await expect(teacher.getByTestId('ask-first')).toBeChecked();
    // the first step (listen) has no question: it runs at once, and the page waits for →
    await teacher.getByTestId('run-live').click();
    await expect(player).toHaveAttribute('data-step', 'server.listen', { timeout: RUN_TIMEOUT_MS });
    await expect(player).toHaveAttribute('data-live', 'edge', { timeout: RUN_TIMEOUT_MS });
    await expect(teacher.getByTestId('ask-upcoming')).toContainText('What does the server’s kernel send back?');

    // → asks: the question, not the step
    await teacher.keyboard.press('ArrowRight');
    const card = teacher.getByTestId('predict-question');
    await expect(card).toHaveAttribute('data-phase', 'asking');
    await expect(card).toHaveAttribute('data-question', 'tcp-hello/syn-reply');
    await expect(card.getByTestId('predict-answered')).toHaveAttribute('data-n', '0');
    await teacher.waitForTimeout(500);
    await expect(player).toHaveAttribute('data-step', 'server.listen');

    // each student sees it in their own language and answers on their own page
    const picks = [0, 0, 3];
    for (const [i, s] of students.entries()) {
      const q = s.getByTestId('predict-student');
      await expect(q).toHaveAttribute('data-phase', 'asking');
      await q.getByTestId(`predict-pick-${picks[i]}`).click();
      await expect(q.getByTestId('predict-status')).toHaveAttribute('data-mine', String(picks[i]));
      await expect(q.getByTestId('predict-pick-1')).toHaveCount(0); // one answer: the choices are no longer buttons
    }
    await expect(students[1]!.getByTestId('predict-student')).toContainText('服务端的内核回什么');
    await expect(students[2]!.getByTestId('predict-student')).toContainText('服務端的核心回什麼');
    // the teacher sees how the class answered, live
    await expect(card.getByTestId('predict-answered')).toHaveAttribute('data-n', '3');
    await expect(card.getByTestId('predict-answered')).toHaveText('3 of 3 answered');
    await expect(card.getByTestId('predict-count')).toHaveText(['2', '0', '0', '1']);
    // a student never sees the counts before the reveal
    await expect(students[0]!.getByTestId('predict-count')).toHaveCount(0);
    await teacher.screenshot({ path: 'docs/screenshots/predict-teacher-asking-en.png' });
    await students[1]!.screenshot({ path: 'docs/screenshots/predict-student-zh-CN.png' });

    // → reveals: the step runs, and its answer is read from what the run did
    await teacher.keyboard.press('ArrowRight');
    await expect(player).toHaveAttribute('data-step', 'client.connect', { timeout: RUN_TIMEOUT_MS });
    await expect(card).toHaveAttribute('data-phase', 'revealed');
    await expect(card).toHaveAttribute('data-correct', '0', { timeout: 15_000 });
    await expect(card.getByTestId('predict-seen')).toHaveText('The run: SYN+ACK');
    await expect(card.locator('[data-right="true"]')).toContainText('SYN+ACK');
    await expect(card.getByTestId('predict-count')).toHaveText(['2', '0', '0', '1']);

    // every student's page shows the step, the class's answers and the run's
    for (const [i, s] of students.entries()) {
      const q = s.getByTestId('predict-student');
      await expect(q).toHaveAttribute('data-correct', '0', { timeout: 15_000 });
      await expect(q.getByTestId('predict-count')).toHaveText(['2', '0', '0', '1']);
      await expect(s.getByTestId('lesson-player')).toHaveAttribute('data-step', 'client.connect', { timeout: 15_000 });
      await expect(q.locator('[data-mine="true"]')).toHaveAttribute('data-index', String(picks[i]));
    }
    await expect(students[0]!.getByTestId('predict-status')).toHaveText('You were right.');
    await expect(students[2]!.getByTestId('predict-status')).toHaveText('這次沒答對：看看實際執行的結果。');
    await teacher.screenshot({ path: 'docs/screenshots/predict-teacher-revealed-en.png' });

    // a step without a question steps at once; the teacher can put a question away
    await expect(player).toHaveAttribute('data-live', 'edge', { timeout: RUN_TIMEOUT_MS });
    await teacher.keyboard.press('ArrowRight');
    await expect(player).toHaveAttribute('data-step', 'server.accept', { timeout: RUN_TIMEOUT_MS });
    await teacher.getByTestId('predict-close').click();
    await expect(teacher.getByTestId('predict-question')).toHaveCount(0);
    for (const s of students) await expect(s.getByTestId('predict-student')).toHaveCount(0);
    await finishLesson(teacher);
    expect(room.problems).toEqual([]);
  } finally {
    await endLive(room.teacher);
    for (const c of room.contexts) await c.close();
  }
});

test('a student’s page that sends anything but an answer is refused, and the agent keeps serving the class', async ({ browser }) => {
  const room = await openRoom(browser);
  const { teacher, students } = room;
  try {
    const player = teacher.getByTestId('lesson-player');
    await teacher.getByTestId('run-live').click();
    await expect(player).toHaveAttribute('data-live', 'edge', { timeout: RUN_TIMEOUT_MS });
    await expect(teacher.getByTestId('ask-upcoming')).toBeVisible();
    await teacher.keyboard.press('ArrowRight');
    await expect(teacher.getByTestId('predict-question')).toHaveAttribute('data-phase', 'asking');
    const poll = await students[0]!.getByTestId('predict-student').getAttribute('data-question');
    expect(poll).toBe('tcp-hello/syn-reply');

    // from the student's own page (its origin, its read-only token): everything a page could send
    const viewerToken = new URL(agent.students).searchParams.get('token')!;
    const replies = await students[0]!.evaluate(async (token) => {
      const ws = new WebSocket(`ws://${location.host}/ws?token=${token}`);
      const got: { t: string; re?: string; ok?: boolean; error?: { code: string }; poll?: { id: string } | null }[] = [];
      const wait = (pred: (m: (typeof got)[number]) => boolean) => new Promise<(typeof got)[number]>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no reply; got ${JSON.stringify(got)}`)), 5000);
        const check = () => { const m = got.find(pred); if (m) { clearTimeout(t); resolve(m); } else setTimeout(check, 20); };
        check();
      });
      ws.addEventListener('message', (e) => got.push(JSON.parse(String(e.data))));
      await new Promise((r) => ws.addEventListener('open', r, { once: true }));
      await wait((m) => m.t === 'hello');
      ws.send(JSON.stringify({ t: 'sync', protocolVersion: 1, since: null }));
      const pollId = (await wait((m) => m.t === 'poll')).poll?.id ?? '';
      const tries: [string, unknown][] = [
        ['run a lesson', { t: 'cmd', id: 'c1', cmd: { op: 'scenario.run', name: 'tcp-refused' } }],
        ['run a program', { t: 'cmd', id: 'c2', cmd: { op: 'py.run', code: 'print(1)', name: 'x.py' } }],
        ['step the teacher’s lesson', { t: 'cmd', id: 'c3', cmd: { op: 'lesson.next' } }],
        ['reveal the question', { t: 'poll', id: 'c4', act: { op: 'reveal', correct: 3, seen: 'RST' } }],
        ['end the question', { t: 'poll', id: 'c5', act: { op: 'end' } }],
        ['an event', { t: 'events', id: 'c6', events: [] }],
        ['an answer out of range', { t: 'answer', id: 'c7', poll: pollId, choice: 7, student: 'abcdefgh12' }],
      ];
      const out: Record<string, string> = {};
      for (const [what, msg] of tries) {
        ws.send(JSON.stringify(msg));
        const id = (msg as { id: string }).id;
        const r = await wait((m) => m.t === 'reply' && m.re === id);
        out[what] = r.ok ? 'ok' : r.error!.code;
      }
      ws.close();
      return out;
    }, viewerToken);
    expect(replies).toEqual({
      'run a lesson': 'E_READ_ONLY', 'run a program': 'E_READ_ONLY', 'step the teacher’s lesson': 'E_READ_ONLY',
      'reveal the question': 'E_READ_ONLY', 'end the question': 'E_READ_ONLY', 'an event': 'E_INVALID', 'an answer out of range': 'E_INVALID',
    });

    // the agent keeps serving: the question is still open, the students answer, → reveals on every page
    await expect(teacher.getByTestId('predict-question')).toHaveAttribute('data-phase', 'asking');
    for (const s of students) await s.getByTestId('predict-student').getByTestId('predict-pick-0').click();
    await expect(teacher.getByTestId('predict-answered')).toHaveAttribute('data-n', '3');
    await teacher.keyboard.press('ArrowRight');
    await expect(player).toHaveAttribute('data-step', 'client.connect', { timeout: RUN_TIMEOUT_MS });
    // the run's answer (whatever this machine's kernel did) reaches every page
    const card = teacher.getByTestId('predict-question');
    await expect(card).toHaveAttribute('data-correct', /^\d$/, { timeout: 15_000 });
    const correct = (await card.getAttribute('data-correct'))!;
    for (const s of students) {
      await expect(s.getByTestId('predict-student')).toHaveAttribute('data-correct', correct, { timeout: 15_000 });
      await expect(s.getByTestId('conn-status')).toHaveAttribute('data-status', 'live');
    }
    await expect(teacher.getByTestId('conn-status')).toHaveAttribute('data-status', 'live');
    await finishLesson(teacher);
    expect(room.problems).toEqual([]);
  } finally {
    await endLive(room.teacher);
    for (const c of room.contexts) await c.close();
  }
});
