import { expect, test } from '@playwright/test';
import { fakeAgent } from './support/fake-agent.ts';

/**
 * Live without a hold: every event is drawn as it arrives, and a captured packet that arrives after the
 * calls that followed it (tcpdump's pipe delivers 15–250 ms late) is drawn where its capture time puts
 * it — among the rows already on screen, which stay where they are. The stream is crafted (a stand-in
 * agent speaking the real protocol) so that the packet is late every time, by a known amount.
 */
const C = '127.0.0.1:50000';
const S = '127.0.0.1:8888';
const CONN = `${C}>${S}`;
const base = (seq: number, ts: number) => ({ v: 1, seq, ts });
const call = (seq: number, ts: number, name: string, extra: object = {}) => ({
  ...base(seq, ts), layer: 'api', type: 'api.call', sock: 's1', call: name, args: {}, durationUs: 40, proto: 'tcp', local: C, remote: S, conn: CONN, ...extra,
});
const seg = (seq: number, ts: number, wireTs: number, flags: string[], len = 0) => ({
  ...base(seq, ts), layer: 'wire', type: 'tcp.segment', conn: CONN, src: C, dst: S, flags, seqNo: 100, ackNo: 0, relSeq: 0, win: 65535, len,
  options: {}, inferred: false, bytes: '', wireTs,
});

test('a captured packet that arrives after later calls is drawn in its place at once, and the rows on screen do not move', async ({ page }) => {
  const agent = await fakeAgent({ onSync: (send) => send({ t: 'synced', lastSeq: -1 }) });
  try {
    await page.goto(agent.url);
    await agent.synced;
    await expect(page.getByTestId('conn-status')).toHaveAttribute('data-status', 'live');
    const rows = page.locator('[data-testid="ladder-panel"] .ll-row');

    // connect() returned at 1.000 s and send() at 1.200 s: drawn at once, nothing held back
    const shown = page.waitForFunction(() => document.querySelectorAll('[data-testid="ladder-panel"] .ll-row').length === 2, null, { polling: 'raf' });
    const t0 = Date.now();
    agent.send({ t: 'events', events: [call(0, 1_000_000, 'connect'), call(1, 1_200_000, 'send', { data: { len: 5, b64: 'aGVsbG8=', truncated: false } })] });
    await shown;
    // the old page held every event 500 ms for late packets while capture ran; now it is the next frames
    expect(Date.now() - t0).toBeLessThan(400);
    const before = await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-seq')));
    expect(before).toEqual(['0', '1']);
    const sendTop = await rows.nth(1).evaluate((r) => r.getBoundingClientRect().top);

    // the SYN connect() sent, captured at 0.999 s, comes through the capture's pipe only now
    await page.waitForTimeout(300);
    agent.send({ t: 'events', events: [seg(2, 1_500_000, 999_000, ['SYN'])] });
    await expect(rows).toHaveCount(3);
    // drawn where it happened: before connect() returned, though it arrived last
    const after = await rows.evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-seq')}:${r.getAttribute('data-kind')}`));
    expect(after).toEqual(['2:arrow', '0:mark', '1:mark']);
    await expect(rows.first()).toContainText('SYN');
    await expect(rows.first()).toContainText('999.000 ms');
    // following the newest rows, the send() row is where it was: the late row went in above it
    const sendTopAfter = await rows.nth(2).evaluate((r) => r.getBoundingClientRect().top);
    expect(Math.abs(sendTopAfter - sendTop)).toBeLessThan(60);
  } finally {
    await agent.close();
  }
});
