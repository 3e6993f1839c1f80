import { expect, test, type Page } from '@playwright/test';
import { openLesson, runLesson, showTab, stepTo } from './support/lesson.ts';
import { consoleProblems, openLive, ownAgent } from './support/page.ts';

/**
 * The lab lessons run from the page on a real lab (two network namespaces and a link the agent makes;
 * it must be root, or allowed unprivileged user namespaces), asserting what a person sees in the ladder:
 * the lost arrow (✕ and its reason in the row's words) and the retransmission (its mark) after it.
 * Where the agent cannot make the lab, each test says SKIPPED and why (capabilities.lab.reason).
 * The same drawing from a crafted stream, on any machine: lab-ladder.spec.ts.
 */
const url = ownAgent();
test.describe.configure({ timeout: 150_000 });

interface SeenRow { seq: number; kind: string; text: string; link: string; lost: boolean; leg: string; retx: boolean }

/**
 * Whether the receiving host's capture is on the page too (arrivals). With only the sending host's capture,
 * there is nothing to pair: the parts that need arrivals say SKIPPED and why.
 */
function bothHostsCaptured(rows: SeenRow[]): boolean {
  if (rows.some((r) => r.leg === 'arrive')) return true;
  console.warn('SKIPPED (part): no packet was seen arriving on the other host: the agent captures one host only, so departures and arrivals cannot be paired');
  return false;
}

/** Whether this agent can make the lab; says SKIPPED loudly when it cannot. */
async function labOrSkip(page: Page): Promise<boolean> {
  await openLive(page, url({ lang: 'en' }));
  const panel = page.getByTestId('lab-panel');
  await expect(panel).toBeVisible();
  if ((await panel.getAttribute('data-available')) === 'true') return true;
  const why = await panel.getByTestId('lab-unavailable').textContent();
  console.warn(`SKIPPED: the lab network cannot be made here, so the lab lessons cannot run: ${why}`);
  return false;
}

/**
 * Every ladder row of the lesson so far, read by scrolling the ladder from its top to its bottom (it is
 * windowed: only the rows in view have words). Bounded: at most 200 scroll steps.
 */
async function allRows(page: Page): Promise<SeenRow[]> {
  await stopFollowing(page);
  const scroller = page.locator('[data-testid="ladder-panel"] .ll-scroll');
  const seen = new Map<number, SeenRow>();
  const order: number[] = [];
  await scroller.evaluate((el) => { el.scrollTop = 0; });
  for (let i = 0; i < 200; i++) {
    await page.waitForTimeout(120); // the session worker's frame for the new position
    const rows = await page.locator('[data-testid="ladder-panel"] .ll-row').evaluateAll((rs) => rs.map((r) => ({
      seq: Number(r.getAttribute('data-seq')),
      kind: r.getAttribute('data-kind') ?? '',
      text: r.textContent ?? '',
      link: r.querySelector('.ll-link')?.textContent ?? '',
      lost: r.querySelector('.ll-lost') !== null,
      leg: r.querySelector('.ll-link')?.getAttribute('data-leg') ?? '',
      retx: r.querySelector('.ll-badge-retransmission') !== null,
    })));
    for (const r of rows) if (!seen.has(r.seq)) { seen.set(r.seq, r); order.push(r.seq); }
    const done = await scroller.evaluate((el) => {
      const before = el.scrollTop;
      el.scrollTop = before + el.clientHeight / 2;
      return el.scrollTop === before;
    });
    if (done) break;
  }
  return order.map((s) => seen.get(s)!);
}

/** Following the newest rows, the ladder does not scroll: the reader takes it off, as a person scrolling up does. */
async function stopFollowing(page: Page): Promise<void> {
  const follow = page.locator('[data-testid="ladder-panel"] .ll-follow input');
  if (await follow.isChecked()) await follow.uncheck();
  await expect(follow).not.toBeChecked();
}

/**
 * The rows once `ready` holds of them (the ladder's frames for the step come from the session worker a
 * moment after the cursor moved): read again until then, at most 15 s. The assertions that follow say
 * what is wrong if it never holds.
 */
async function rowsWhen(page: Page, ready: (rows: SeenRow[]) => boolean): Promise<SeenRow[]> {
  const until = Date.now() + 15_000;
  let rows = await allRows(page);
  while (!ready(rows) && Date.now() < until) {
    await page.waitForTimeout(300);
    rows = await allRows(page);
  }
  return rows;
}

/** Scrolls the ladder so the row with this seq is in the middle of the view (for a screenshot). */
async function scrollToSeq(page: Page, seq: number): Promise<void> {
  await stopFollowing(page);
  const scroller = page.locator('[data-testid="ladder-panel"] .ll-scroll');
  await scroller.evaluate((el) => { el.scrollTop = 0; });
  for (let i = 0; i < 200; i++) {
    await page.waitForTimeout(120);
    const row = page.locator(`[data-testid="ladder-panel"] .ll-row[data-seq="${seq}"]`);
    if (await row.count() > 0) {
      // the ladder's own scroller only (scrollIntoView would scroll the page too): the row in the middle of the view (under the lanes' heads)
      await scroller.evaluate((el, s) => {
        const r = el.querySelector(`.ll-row[data-seq="${s}"]`);
        if (r) el.scrollTop += r.getBoundingClientRect().top - el.getBoundingClientRect().top - el.clientHeight / 2;
      }, seq);
      await page.waitForTimeout(400);
      return;
    }
    const done = await scroller.evaluate((el) => { const b = el.scrollTop; el.scrollTop = b + el.clientHeight / 2; return el.scrollTop === b; });
    if (done) return;
  }
}

test('tcp-loss: the lost data segment ends in ✕ on the link, and its retransmission arrives after it', async ({ page }) => {
  const problems = consoleProblems(page);
  const lab = await labOrSkip(page);
  test.skip(!lab, 'the lab network cannot be made here (see the SKIPPED line)');
  await openLesson(page, url({ lesson: 'tcp-loss', lang: 'en' }));
  await runLesson(page);

  await stepTo(page, 'tcp-loss', 'burst');
  let rows = await rowsWhen(page, (rs) => rs.some((r) => r.lost) && rs.some((r) => r.retx));
  const lost = rows.filter((r) => r.lost);
  expect(lost.length, 'a lost segment on the ladder').toBeGreaterThan(0);
  expect(lost[0]!.link).toBe('✕ lost on the link: “lose next”');
  // a data segment (the first of the burst: ACK, or PSH+ACK) with its numbers
  expect(lost[0]!.text).toMatch(/ACK seq=1 ack=1 len=1448/);
  // the retransmission: sent after the loss, with the capture's mark
  const firstLost = rows.indexOf(lost[0]!);
  const retx = rows.filter((r, i) => r.retx && i > firstLost);
  expect(retx.length, 'a retransmission after the lost segment').toBeGreaterThan(0);
  if (bothHostsCaptured(rows)) {
    // one arrow per packet: the retransmission arrived, and each arrival says how long the link took (20 ms each way)
    expect(retx.some((r) => r.leg === 'arrive' || /arrives .* later/.test(r.link)), 'the retransmission arrived').toBe(true);
    expect(rows.filter((r) => r.leg === 'arrive' && /arrived after 2\d\.\d{3} ms/.test(r.link)).length).toBeGreaterThan(3);
  }

  await stepTo(page, 'tcp-loss', 'timeout');
  rows = await rowsWhen(page, (rs) => rs.filter((r) => r.lost).length > lost.length);
  expect(rows.filter((r) => r.lost).length, 'the second lost segment (the timeout’s)').toBeGreaterThanOrEqual(lost.length + 1);

  // the link beside the socket cards: its conditions and the two one-shot drops
  await showTab(page, 'cards');
  await expect(page.getByTestId('lab-strip').getByTestId('lab-strip-conditions')).toContainText('20 ms each way');
  await expect(page.getByTestId('lab-strip').getByTestId('lab-strip-drops')).toContainText('“lose next” 2');

  // screenshots at 1280×720 with the projector on, the lost segment in view, in English and Chinese
  for (const lang of ['en', 'zh-CN'] as const) {
    await openLesson(page, url({ lesson: 'tcp-loss', lang }));
    await runLesson(page);
    await stepTo(page, 'tcp-loss', 'burst');
    await page.keyboard.press('p');
    await expect(page.locator('html')).toHaveClass(/projector/);
    const r = (await allRows(page)).find((x) => x.lost && x.leg === 'drop');
    if (r) await scrollToSeq(page, r.seq);
    await page.screenshot({ path: `docs/screenshots/lab-tcp-loss-${lang}.png` });
    await page.keyboard.press('p');
  }
  expect(problems).toEqual([]);
});

test('udp-loss: a lost datagram ends in ✕ and is never retransmitted; a held one arrives after a later one', async ({ page }) => {
  const problems = consoleProblems(page);
  const lab = await labOrSkip(page);
  test.skip(!lab, 'the lab network cannot be made here (see the SKIPPED line)');
  await openLesson(page, url({ lesson: 'udp-loss', lang: 'en' }));
  await runLesson(page);

  await stepTo(page, 'udp-loss', 'send2');
  let rows = await rowsWhen(page, (rs) => rs.some((r) => r.lost));
  const lost = rows.filter((r) => r.lost);
  expect(lost.length, 'a lost datagram on the ladder').toBeGreaterThan(0);
  expect(lost[0]!.text).toContain('UDP');
  expect(lost[0]!.link).toBe('✕ lost on the link: “lose next”');

  await stepTo(page, 'udp-loss', 'send45');
  rows = await rowsWhen(page, (rs) => rs.some((r) => /datagram 5/.test(r.text)));
  if (bothHostsCaptured(rows)) {
    // datagram 4 is held 80 ms: datagram 5 arrives first (the arrivals' payloads in the other order)
    const arrivals = rows.filter((r) => r.leg === 'arrive').map((r) => /datagram (\d)/.exec(r.text)?.[1]);
    expect(arrivals.indexOf('5')).toBeGreaterThanOrEqual(0);
    expect(arrivals.indexOf('5')).toBeLessThan(arrivals.indexOf('4'));
  }
  await stepTo(page, 'udp-loss', 'close');
  rows = await rowsWhen(page, (rs) => rs.some((r) => /close\(\)/.test(r.text)));
  // nobody retransmits UDP: one ✕ (the link's drop), and no datagram is marked a retransmission
  expect(rows.filter((r) => r.lost && r.leg === 'drop')).toHaveLength(1);
  expect(rows.some((r) => r.retx)).toBe(false);
  expect(problems).toEqual([]);
});
