import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { lessonCard, showTab, stepTo } from './support/lesson.ts';
import { servePageAlone } from './support/static.ts';

/**
 * A lab lesson opened as its shipped recording (made in the lab: both hosts captured, the kernel layer read
 * in each host): what a class sees without an agent. tcp-slow-link's sender shows its congestion window
 * (TCP_INFO) changing during the transfer, the link strip the link's conditions.
 */
interface Rec { type: string; seq: number; step?: string; status?: string; local?: string; info?: { cwnd?: number } }
const REC = readFileSync('apps/web/recordings/tcp-slow-link.jsonl', 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as Rec);
const isClientCwnd = (e: Rec) => e.type === 'kernel.tcp' && e.local?.startsWith('10.77.0.1:') === true && e.info?.cwnd !== undefined;
/** the oracle, from the file itself: the client's congestion window as of the end of a step */
function cwndAt(step: string): number {
  const done = REC.find((e) => e.type === 'scenario.step' && e.step === step && e.status === 'done')!.seq;
  return REC.filter((e) => e.seq <= done && isClientCwnd(e)).at(-1)!.info!.cwnd!;
}

test('tcp-slow-link, recorded: the link strip says 800 kbit/s and the sender’s card shows its congestion window as the recording has it', async ({ page }) => {
  const alone = await servePageAlone();
  try {
    await page.goto(`${alone.url}?lang=en`);
    await expect(page.getByTestId('lesson-tcp-slow-link')).toHaveAttribute('data-opens', 'recording');
    await page.getByTestId('lesson-tcp-slow-link').click();
    await expect(page.getByTestId('shipped-label')).toBeVisible();
    await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-run', 'complete');
    await stepTo(page, 'tcp-slow-link', 'client.connect');
    await showTab(page, 'cards');
    const client = lessonCard(page, 'client');
    const cwnd = client.getByTestId('sock-cwnd');
    await expect(cwnd).toContainText('congestion window');
    await expect(cwnd).toHaveAttribute('data-cwnd', String(cwndAt('client.connect')));
    await stepTo(page, 'tcp-slow-link', 'transfer');
    await expect(cwnd).toHaveAttribute('data-cwnd', String(cwndAt('transfer')));
    // the recording itself: the window moved during the transfer (what the card shows step by step)
    const start = REC.find((e) => e.type === 'scenario.step' && e.step === 'transfer' && e.status === 'start')!.seq;
    const done = REC.find((e) => e.type === 'scenario.step' && e.step === 'transfer' && e.status === 'done')!.seq;
    expect(new Set(REC.filter((e) => e.seq > start && e.seq < done && isClientCwnd(e)).map((e) => e.info!.cwnd)).size).toBeGreaterThanOrEqual(3);
    await expect(page.getByTestId('lab-strip-conditions').first()).toContainText('800 kbit/s');
  } finally {
    await alone.close();
  }
});
