import { expect, test, type Page } from '@playwright/test';
import { fakeAgent } from './support/fake-agent.ts';
import { consoleProblems } from './support/page.ts';

/**
 * The lab on the page, from a crafted stream (a stand-in agent speaking the real protocol), so what the
 * page draws of the lab can be checked whatever this machine allows: both hosts' captures of one packet
 * are one arrow, a lost segment ends in ✕ with its reason and its retransmission keeps its mark, the link
 * strip says the conditions and the drops, the teacher's LabPanel says why the lab cannot be made here
 * and shows the agent's refusal in its words. The live lessons on a real lab: lab-lessons.spec.ts.
 */
const C = '10.77.0.1:40000';
const S = '10.77.0.2:12100';
const I = 1000; // the client's ISN
const J = 5000; // the server's
const base = (seq: number, wireTs: number) => ({ v: 1, seq, ts: wireTs + 300 });
const seg = (seq: number, host: 'client' | 'server', wireTs: number, fromClient: boolean, flags: string[], s: number, a: number, len = 0, analysis?: string[]) => ({
  ...base(seq, wireTs), layer: 'wire', type: 'tcp.segment', src: fromClient ? C : S, dst: fromClient ? S : C, flags, seqNo: s, ackNo: a, win: 64240, len,
  options: {}, inferred: false, bytes: len > 0 ? 'MDAwMDAwMAo=' : '', wireTs, host, ...(analysis ? { analysis } : {}),
});

/** a handshake over a 20 ms link, one data segment lost by the teacher's one-shot, its retransmission arriving */
function lossyStream(): object[] {
  return [
    { ...base(0, 900_000), layer: 'session', type: 'link.state', up: true, conditions: { delayMs: 20, jitterMs: 0, lossPct: 0, rateKbit: null }, hosts: { client: '10.77.0.1', server: '10.77.0.2' }, how: 'root' },
    seg(1, 'client', 1_000_000, true, ['SYN'], I, 0),
    seg(2, 'server', 1_020_000, true, ['SYN'], I, 0),
    seg(3, 'server', 1_020_100, false, ['SYN', 'ACK'], J, I + 1),
    seg(4, 'client', 1_040_100, false, ['SYN', 'ACK'], J, I + 1),
    seg(5, 'client', 1_040_200, true, ['ACK'], I + 1, J + 1),
    seg(6, 'server', 1_060_200, true, ['ACK'], I + 1, J + 1),
    seg(7, 'client', 1_100_000, true, ['PSH', 'ACK'], I + 1, J + 1, 8),
    { ...base(8, 1_100_040), layer: 'wire', type: 'link.drop', src: C, dst: S, proto: 'tcp', len: 8, flags: ['PSH', 'ACK'], seqNo: I + 1, reason: 'oneshot', wireTs: 1_100_040 },
    seg(9, 'client', 1_400_000, true, ['PSH', 'ACK'], I + 1, J + 1, 8, ['retransmission']),
    seg(10, 'server', 1_420_000, true, ['PSH', 'ACK'], I + 1, J + 1, 8, ['retransmission']),
    seg(11, 'server', 1_420_200, false, ['ACK'], J + 1, I + 9),
    seg(12, 'client', 1_440_200, false, ['ACK'], J + 1, I + 9),
  ];
}

const ladderRows = (page: Page) => page.locator('[data-testid="ladder-panel"] .ll-row[data-kind="arrow"]');
const row = (page: Page, seq: number) => page.locator(`[data-testid="ladder-panel"] .ll-row[data-seq="${seq}"]`);

/** How many pixels of the ladder's canvas, in a row's band, are the lost colour (ladder.css --ll-rst). */
async function redInk(page: Page, seq: number): Promise<number> {
  const box = await row(page, seq).boundingBox();
  if (!box) return 0;
  return page.evaluate(({ y, h }) => {
    const canvas = document.querySelector('[data-testid="ladder-panel"] canvas') as HTMLCanvasElement | null;
    if (!canvas) return 0;
    const r = canvas.getBoundingClientRect();
    const dpr = canvas.width / r.width;
    const ctx = canvas.getContext('2d');
    if (!ctx) return 0;
    const data = ctx.getImageData(0, Math.max(0, (y - r.top) * dpr), canvas.width, h * dpr).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i]! > 170 && data[i + 1]! < 80 && data[i + 2]! < 80) n++;
    return n;
  }, { y: box.y, h: box.height });
}

for (const lang of ['en', 'zh-CN'] as const) {
  test(`lab (${lang}): one arrow per packet, the lost segment ends in ✕ with its reason, the retransmission keeps its mark`, async ({ page }) => {
    const problems = consoleProblems(page);
    const agent = await fakeAgent({ onSync: (send) => { send({ t: 'synced', lastSeq: -1 }); send({ t: 'events', events: lossyStream() }); } });
    try {
      await page.goto(agent.url.replace('lang=en', `lang=${lang}`));
      await agent.synced;
      await expect(ladderRows(page)).toHaveCount(12);
      const lost = lang === 'en' ? '✕ lost on the link: “lose next”' : '✕ 在链路上丢失：“丢弃下一个”';
      // the original and the link's drop say it was lost, and why; the retransmission says it arrived
      await expect(row(page, 7).locator('.ll-link')).toHaveText(lost);
      await expect(row(page, 8).locator('.ll-link')).toHaveText(lost);
      await expect(row(page, 8).locator('.ll-flags')).toHaveText('PSH+ACK');
      await expect(row(page, 8).locator('.ll-nums')).toHaveText('seq=1 len=8');
      await expect(row(page, 9).locator('.ll-badge-retransmission')).toHaveCount(1);
      await expect(row(page, 9).locator('.ll-link')).toHaveText(lang === 'en' ? 'sent; arrives 20.000 ms later' : '已发出；20.000 ms 后到达');
      await expect(row(page, 10).locator('.ll-link')).toHaveText(lang === 'en' ? 'arrived after 20.000 ms on the link' : '在链路上经过 20.000 ms 后到达');
      // one arrow per packet: the arrival rows carry no arrow of their own (the departure's comes down to them),
      // the drop's row has the red ✕ at the link's middle
      expect(await redInk(page, 8)).toBeGreaterThan(30);
      // the drop's detail card: what was lost (flags, seq relative / raw, length) and why
      if (lang === 'en') {
        await row(page, 8).click();
        const card = page.locator('[data-testid="ladder-panel"] .ll-detail');
        await expect(card).toContainText('PSH+ACK');
        await expect(card).toContainText(`1 / ${I + 1}`);
        await expect(card).toContainText('8 B');
        await expect(card).toContainText('lost on the link: “lose next”');
        await card.getByRole('button').click();
      }
      // the link beside the socket cards: conditions and what it dropped
      const strip = page.getByTestId('lab-strip');
      await expect(strip).toHaveAttribute('data-up', 'true');
      await expect(strip.getByTestId('lab-strip-conditions')).toContainText(lang === 'en' ? '20 ms each way' : '单向时延 20 毫秒');
      await expect(strip.getByTestId('lab-strip-drops')).toContainText(lang === 'en' ? 'dropped 1: loss 0 · “lose next” 1 · queue full 0' : '已丢弃 1 个');
      await page.keyboard.press('p');
      await expect(page.locator('html')).toHaveClass(/projector/);
      await page.waitForTimeout(400);
      await page.screenshot({ path: `test-results/lab-ladder-${lang}.png` });
      expect(problems).toEqual([]);
    } finally {
      await agent.close();
    }
  });
}

test('the LabPanel says why the lab cannot be made here and what to do', async ({ page }) => {
  const agent = await fakeAgent({
    onSync: (send) => send({ t: 'synced', lastSeq: -1 }),
    hello: {
      readOnly: false,
      capabilities: {
        kernel: { available: false }, wire: { available: true }, tcpInfo: { available: false }, remoteTargets: false, scenarios: [],
        lab: { available: false, reason: 'not root, and this kernel does not allow unprivileged user namespaces', fix: { linux: 'sudo socketscope start' } },
      },
    },
  });
  try {
    await page.goto(agent.url);
    await agent.synced;
    const panel = page.getByTestId('lab-panel');
    await expect(panel).toHaveAttribute('data-available', 'false');
    await expect(panel.getByTestId('lab-unavailable')).toContainText('The lab network cannot be made here: not root, and this kernel does not allow unprivileged user namespaces');
    await expect(panel.getByTestId('lab-fix')).toHaveText('What to do: sudo socketscope start');
    await expect(panel.getByTestId('lab-up')).toHaveCount(0);
  } finally {
    await agent.close();
  }
});

test('the LabPanel sends lab.up / lab.oneshot / lab.down and shows the agent’s refusal in its words', async ({ page }) => {
  const cmds: { op: string; [k: string]: unknown }[] = [];
  const agent = await fakeAgent({
    onSync: (send) => send({ t: 'synced', lastSeq: -1 }),
    hello: {
      readOnly: false,
      capabilities: {
        kernel: { available: false }, wire: { available: true }, tcpInfo: { available: false }, remoteTargets: false, scenarios: [],
        lab: { available: true, how: 'root' },
        python: { available: true, version: '3.11.2' },
      },
    },
    onMessage: (msg, send) => {
      if (msg.t !== 'cmd') return;
      const cmd = msg.cmd as { op: string; conditions?: { delayMs?: number } };
      cmds.push(cmd);
      if (cmd.op === 'lab.up') {
        // the link comes up: the agent says so as an event, then replies
        send({ t: 'events', events: [{ v: 1, seq: 0, ts: 10, layer: 'session', type: 'link.state', up: true, conditions: { delayMs: cmd.conditions?.delayMs ?? 0, jitterMs: 0, lossPct: 0, rateKbit: null }, hosts: { client: '10.77.0.1', server: '10.77.0.2' } }] });
        send({ t: 'reply', re: msg.id, ok: true, result: { up: true } });
      } else if (cmd.op === 'lab.set') {
        send({ t: 'reply', re: msg.id, ok: false, error: { code: 'E_BAD_COMMAND', message: 'jitter (80 ms) must not exceed the delay (50 ms)' } });
      } else if (cmd.op === 'lab.down') {
        send({ t: 'events', events: [{ v: 1, seq: 1, ts: 20, layer: 'session', type: 'link.state', up: false, conditions: { delayMs: 0, jitterMs: 0, lossPct: 0, rateKbit: null } }] });
        send({ t: 'reply', re: msg.id, ok: true, result: { up: false } });
      } else if (cmd.op === 'lab.oneshot') {
        send({ t: 'reply', re: msg.id, ok: true, result: { armed: true } });
      } else if (cmd.op === 'py.run') {
        send({ t: 'reply', re: msg.id, ok: false, error: { code: 'E_UNAVAILABLE', message: 'no python here (this test checks the command only)' } });
      }
    },
  });
  try {
    await page.goto(agent.url);
    await agent.synced;
    const panel = page.getByTestId('lab-panel');
    await expect(panel).toHaveAttribute('data-available', 'true');
    await expect(panel.getByTestId('lab-state')).toHaveText('The lab is down: programs run on this machine’s loopback.');
    await panel.getByTestId('lab-delay').fill('50');
    await panel.getByTestId('lab-up').click();
    await expect(panel.getByTestId('lab-state')).toHaveText('Link up: 50 ms each way');
    await expect(page.getByTestId('lab-strip')).toContainText('50 ms each way');
    expect(cmds[0]).toEqual({ op: 'lab.up', conditions: { delayMs: 50, jitterMs: 0, lossPct: 0, rateKbit: null } });
    // while the link is up, a program can be run on one of its hosts (G7): the command says which
    await expect(page.getByTestId('prog-where')).toBeVisible();
    await page.getByTestId('prog-where').selectOption('server');
    await expect(page.getByTestId('prog-where-note')).toContainText('127.0.0.1 in the program means the server host, 10.77.0.2');
    await page.getByTestId('prog-run').click();
    await expect(page.getByTestId('prog-problem')).toContainText('no python here');
    expect(cmds.find((c) => c.op === 'py.run')).toMatchObject({ op: 'py.run', host: 'server' });
    cmds.splice(cmds.findIndex((c) => c.op === 'py.run'), 1);
    await panel.getByTestId('lab-oneshot-client').click();
    await expect(page.getByTestId('reply-lab')).toHaveAttribute('data-ok', 'true');
    expect(cmds[1]).toEqual({ op: 'lab.oneshot', from: 'client', match: 'data' });
    await panel.getByTestId('lab-jitter').fill('80');
    await panel.getByTestId('lab-set').click();
    await expect(page.getByTestId('reply-lab')).toHaveAttribute('data-ok', 'false');
    await expect(page.getByTestId('reply-lab')).toContainText('jitter (80 ms) must not exceed the delay (50 ms)');
    await panel.getByTestId('lab-down').click();
    await expect(panel.getByTestId('lab-state')).toHaveText('The lab is down: programs run on this machine’s loopback.');
    await expect(page.getByTestId('lab-strip')).toHaveAttribute('data-up', 'false');
    await expect(page.getByTestId('prog-where')).toHaveCount(0);
    expect(cmds.map((c) => c.op)).toEqual(['lab.up', 'lab.oneshot', 'lab.set', 'lab.down']);
  } finally {
    await agent.close();
  }
});
