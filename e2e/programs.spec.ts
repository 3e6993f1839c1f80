import { spawnSync } from 'node:child_process';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { findExample } from '../packages/shared/src/programs/examples.ts';
import { freePort, startAgent } from './support/agent.ts';
import { card, consoleProblems, openLive, ownAgent } from './support/page.ts';
import { startSharedAgent } from './support/shared-agent.ts';

/**
 * Traced Python programs in the playground, on real loopback sockets of a real agent: a program's line is
 * lit where the tracer saw it, BEFORE the packets of that call exist (step mode holds the call until
 * Next call), its input() is answered from the page, its sockets' cards name it, and it ends as the
 * page says. Without python3 (3.8 or newer) the tests that run programs skip, saying so.
 */
const agentUrl = ownAgent();
test.describe.configure({ timeout: 120_000 });

const PY = spawnSync('python3', ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 3)'], { timeout: 10_000 });
const NO_PYTHON = PY.error ? `python3 cannot be run (${PY.error.message})` : PY.status !== 0 ? 'python3 is older than 3.8' : null;
if (NO_PYTHON) console.warn(`SKIPPED: the programs tests that run Python: ${NO_PYTHON}`);

const runCard = (page: Page, program: string): Locator => page.locator(`[data-testid="run-card"][data-program="${program}"]`);

/** The run's lit line is `line`, lit as `kind` (paused before its call, waiting in it, input …). */
async function expectLit(run: Locator, line: number, kind: string): Promise<void> {
  await expect(run).toHaveAttribute('data-line', String(line));
  await expect(run.locator(`li[data-line="${line}"]`)).toHaveAttribute('data-lit', kind);
  await expect(run.locator('li[data-lit]')).toHaveCount(1);
}

/** Captured (or inferred) segments in the event log, which shows the wire layer alone in these tests. */
const segments = (page: Page, re: RegExp): Locator =>
  page.getByTestId('event-log').locator('[data-testid="log-row"][data-type="tcp.segment"]').filter({ hasText: re });

/**
 * No such segment, and none comes: given the time a packet takes to reach the page (capture pipe, the
 * page's reordering hold), so that "not there yet" is not only "not drawn yet".
 */
async function expectNoSegment(page: Page, re: RegExp): Promise<void> {
  await page.waitForTimeout(800);
  expect(await segments(page, re).count(), `no segment ${re} yet`).toBe(0);
}

async function showWireOnly(page: Page): Promise<void> {
  for (const layer of ['api', 'kernel', 'session']) await page.getByTestId(`filter-${layer}`).uncheck();
}

async function pasteProgram(page: Page, name: string, code: string, args = ''): Promise<void> {
  await page.getByTestId('prog-example').selectOption('');
  await page.getByTestId('prog-code').fill(code);
  await page.getByTestId('prog-name').fill(name);
  await page.getByTestId('prog-args').fill(args);
}

test('a client with input() run step by step against a traced server: each call’s line is lit before its packets appear', async ({ page }) => {
  test.skip(NO_PYTHON !== null, NO_PYTHON ?? '');
  const problems = consoleProblems(page);
  const server = findExample('upper-server')!;
  // the tutorial's port 12000 moved to a free one, as a teacher would edit it: the server closes each
  // connection first, so its TIME_WAIT holds 12000 for a minute after any earlier run (a real EADDRINUSE)
  const port = await freePort();
  const moved = (code: string) => code.replace('serverPort = 12000', `serverPort = ${port}`);
  const clientCode = moved(findExample('upper-client')!.source);
  await openLive(page, agentUrl({ lang: 'en' }));
  await expect(page.getByTestId('programs').getByRole('heading', { name: 'Python programs' })).toBeVisible();
  await showWireOnly(page);

  // the tutorial's uppercase server, as an example, running freely: it waits in accept() (line 9)
  await page.getByTestId('prog-example').selectOption(server.id);
  await expect(page.getByTestId('prog-code')).toHaveValue(server.source);
  await page.getByTestId('prog-code').fill(moved(server.source));
  await page.getByTestId('prog-run').click();
  const srv = runCard(page, server.file);
  await expect(srv).toHaveAttribute('data-status', 'in-call');
  await expectLit(srv, 9, 'in-call');
  await expect(srv.getByTestId('run-status')).toContainText('waiting in accept()');
  await expect(srv.getByTestId('run-output')).toContainText('The server is ready to receive');
  await expect(card(page, 'listener', port).getByTestId('sock-program')).toContainText(`made by ${server.file}`);

  // a client pasted as the student's own code, run step by step: paused before its first call
  await pasteProgram(page, 'my_client.py', clientCode);
  await page.getByTestId('prog-run-step').click();
  const cli = runCard(page, 'my_client.py');
  await expect(cli).toHaveAttribute('data-status', 'paused');
  await expectLit(cli, 5, 'paused');
  await expect(cli.locator('li[data-line="5"]')).toContainText('clientSocket = socket(AF_INET, SOCK_STREAM)');
  await expect(cli.getByTestId('run-status')).toContainText('paused before socket()');
  await expect(cli.getByTestId('run-step')).toHaveAttribute('aria-pressed', 'true');

  // connect(): lit, paused — and no SYN exists until Next call lets the call happen
  await cli.getByTestId('run-go').click();
  await expectLit(cli, 6, 'paused');
  await expect(cli.getByTestId('run-status')).toContainText('paused before connect()');
  await expectNoSegment(page, new RegExp(`→ 127\\.0\\.0\\.1:${port} \\[SYN\\]`));
  await cli.getByTestId('run-go').click();
  await expect(segments(page, new RegExp(`→ 127\\.0\\.0\\.1:${port} \\[SYN\\]`))).toHaveCount(1);
  await expect(segments(page, new RegExp(`127\\.0\\.0\\.1:${port} → .*\\[SYN,ACK\\]`))).toHaveCount(1);
  await expect(card(page, 'client', port).getByTestId('sock-program')).toContainText('made by my_client.py');

  // input(): the line is lit while it waits, the prompt asks on the page, Enter answers it
  await expect(cli).toHaveAttribute('data-status', 'input');
  await expectLit(cli, 7, 'input');
  await expect(cli.getByTestId('run-prompt')).toHaveText('Input lowercase sentence: ');
  await cli.getByTestId('run-input').fill('hello socketscope');
  await cli.getByTestId('run-input').press('Enter');
  await expect(cli.locator('[data-stream="stdin"]')).toContainText('hello socketscope');

  // send(): lit and paused before it, no data on the wire until Next call
  const dataOut = new RegExp(`→ 127\\.0\\.0\\.1:${port} .*len=17`);
  await expectLit(cli, 8, 'paused');
  await expect(cli.getByTestId('run-status')).toContainText('paused before send()');
  await expectNoSegment(page, dataOut);
  await cli.getByTestId('run-go').click();
  await expect(segments(page, dataOut)).toHaveCount(1);

  // recv(): paused before it; the server has answered in the meantime (its segment is there), then the reply is printed
  await expectLit(cli, 9, 'paused');
  await expect(segments(page, new RegExp(`127\\.0\\.0\\.1:${port} → .*len=17`))).toHaveCount(1);
  await cli.getByTestId('run-go').click();
  await expect(cli.getByTestId('run-output')).toContainText('From server: HELLO SOCKETSCOPE');

  // close(): lit and paused, the client's FIN only after Next call; then the program ends by itself
  const clientFin = new RegExp(`→ 127\\.0\\.0\\.1:${port} \\[[A-Z,]*FIN`);
  await expectLit(cli, 11, 'paused');
  await expectNoSegment(page, clientFin);
  await cli.getByTestId('run-go').click();
  await expect(segments(page, clientFin)).toHaveCount(1);
  await expect(cli).toHaveAttribute('data-status', 'exited');
  await expect(cli.getByTestId('run-exit')).toContainText('Exited with code 0');
  await expect(cli.getByTestId('run-go')).toHaveCount(0);

  // the server served it and waits in accept() again; Stop ends it and the page says so
  await expectLit(srv, 9, 'in-call');
  await srv.getByTestId('run-stop').click();
  await expect(srv).toHaveAttribute('data-status', 'exited');
  await expect(srv.getByTestId('run-exit')).toHaveAttribute('data-reason', 'stopped');
  await expect(srv.getByTestId('run-exit')).toContainText('Stopped from the page');
  expect(problems).toEqual([]);
});

test('in zh-CN the panel speaks Chinese; a program that fails shows its stderr, its exception and the line it failed on', async ({ page }) => {
  test.skip(NO_PYTHON !== null, NO_PYTHON ?? '');
  const problems = consoleProblems(page);
  const port = await freePort(); // nobody listens there: connect() is refused
  await openLive(page, agentUrl({ lang: 'zh-CN' }));
  const panel = page.getByTestId('programs');
  await expect(panel.getByRole('heading', { name: 'Python 程序' })).toBeVisible();
  await expect(page.getByTestId('prog-run')).toHaveText('▶ 运行');
  await expect(page.getByTestId('prog-run-step')).toHaveText('⇥ 单步运行');
  await expect(page.getByTestId('prog-example').locator('option[value="upper-server"]')).toHaveText('tcp_server.py（TCP 服务端）');

  const code = `import socket, sys\nprint("你好，服务端")\ns = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\ns.connect(("127.0.0.1", int(sys.argv[1])))\n`;
  await pasteProgram(page, 'refused.py', code, String(port));
  await page.getByTestId('prog-run').click();
  const run = runCard(page, 'refused.py');
  await expect(run).toHaveAttribute('data-status', 'exited');
  await expectLit(run, 4, 'error');
  await expect(run.getByTestId('run-exit')).toContainText('已退出，退出码 1');
  await expect(run.getByTestId('run-exception')).toHaveText(/^ConnectionRefusedError: .*（第 4 行）$/);
  await expect(run.getByTestId('run-output').locator('[data-stream="stdout"]').first()).toContainText('你好，服务端');
  // the traceback came on stderr (in as many pieces as the pipe gave it)
  await expect(run.getByTestId('run-output').locator('[data-stream="stderr"]').filter({ hasText: 'ConnectionRefusedError' }).first()).toBeVisible();
  await expect(run.getByTestId('run-status')).toHaveText('✗ 已结束');
  expect(problems).toEqual([]);
});

test('where the agent has no Python, the panel says so and gives the one install command instead of Run', async ({ page }) => {
  const before = process.env['SOCKETSCOPE_PYTHON'];
  process.env['SOCKETSCOPE_PYTHON'] = '/nonexistent/python3';
  const agent = await startAgent().finally(() => {
    if (before === undefined) delete process.env['SOCKETSCOPE_PYTHON'];
    else process.env['SOCKETSCOPE_PYTHON'] = before;
  });
  try {
    await openLive(page, `${agent.url}&lang=en`);
    const missing = page.getByTestId('prog-missing');
    await expect(missing).toContainText('Python programs cannot run here');
    await expect(missing.getByTestId('prog-install')).toHaveText('sudo apt-get install -y python3');
    await expect(page.getByTestId('prog-run')).toHaveCount(0);
    await expect(page.getByTestId('prog-run-step')).toHaveCount(0);
  } finally {
    await agent.stop();
  }
});

/** An agent that shares with the class on 127.0.0.2 (loopback): the teacher's link and the students' read-only one. */
const sharedAgent = () => startSharedAgent({ token: 'e2e-programs-teacher-token-0123456789', shareHost: '127.0.0.2' });

test('a student’s read-only page shows the teacher’s programs, their code line and prompt, but no buttons', async ({ browser }) => {
  test.skip(NO_PYTHON !== null, NO_PYTHON ?? '');
  const agent = await sharedAgent();
  const teacher = await browser.newPage();
  const student = await browser.newPage();
  try {
    await openLive(teacher, `${agent.teacher}&lang=en`);
    await pasteProgram(teacher, 'ask.py', 'import socket\ns = socket.socket()\nname = input("Your name: ")\ns.close()\n');
    await teacher.getByTestId('prog-run').click();
    await expect(runCard(teacher, 'ask.py')).toHaveAttribute('data-status', 'input');

    await student.goto(`${agent.students}&lang=en&view=playground`);
    await expect(student.getByTestId('conn-status')).toHaveAttribute('data-status', 'live');
    const seen = runCard(student, 'ask.py');
    await expect(seen).toHaveAttribute('data-status', 'input');
    await expect(seen.getByTestId('run-input-watch')).toContainText('Your name:');
    // the student's page never saw the code sent: the file name and the line, no listing
    await expect(seen.getByTestId('run-nosource')).toContainText('now at line 3');
    await expect(student.getByTestId('prog-new')).toHaveCount(0);
    for (const id of ['run-go', 'run-step', 'run-stop', 'run-input']) await expect(seen.getByTestId(id)).toHaveCount(0);

    await runCard(teacher, 'ask.py').getByTestId('run-stop').click();
    await expect(seen).toHaveAttribute('data-status', 'exited');
    await expect(seen.getByTestId('run-exit')).toHaveAttribute('data-reason', 'stopped');
  } finally {
    await teacher.close();
    await student.close();
    await agent.stop();
  }
});
