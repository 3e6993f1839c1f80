import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { buildIpPacket, writePcap } from '../packages/shared/src/pcap/index.ts';
import { startAgent } from './support/agent.ts';
import { servePageAlone } from './support/static.ts';
import { arrows, next, openLesson, runLesson } from './support/lesson.ts';
import { ownAgent } from './support/page.ts';

/**
 * Recordings: a lesson saved to a file opens later in a page that has no agent at all, and shows the
 * same thing; damaged files are refused with a reason and change nothing; a .pcap is drawn like a
 * live capture.
 */
const url = ownAgent();
test.describe.configure({ timeout: 90_000 });

/** The built page without a token: no agent is asked for anything. */
function pageWithoutAgent(params: Record<string, string>): string {
  const u = new URL(url());
  u.searchParams.delete('token');
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

function outDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

test('save a lesson, stop the agent, open the built page alone, open the file: the same steps and the same arrows', async ({ page }, info) => {
  // this test stops its agent half-way, so it has its own
  const agent = await startAgent();
  const u = new URL(agent.url);
  u.searchParams.set('lesson', 'tcp-handshake');
  u.searchParams.set('lang', 'en');
  await openLesson(page, u.toString());
  await runLesson(page);
  await next(page, 'server.listen');
  await next(page, 'client.connect');
  const live = await arrows(page);
  expect(live.map((a) => a.flags).slice(0, 3)).toEqual(['SYN', 'SYN+ACK', 'ACK']);

  const download = page.waitForEvent('download');
  await page.getByTestId('save-recording').click();
  const file = path.join(outDir(info.outputDir), 'handshake.jsonl');
  await (await download).saveAs(file);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'socketscope-session', version: 1, events: lines.length - 1, lesson: 'tcp-handshake' });

  // the agent goes away; the built page, served by nothing but a static file server, opens the recording
  await agent.stop();
  const alone = await servePageAlone();
  await page.goto(`${alone.url}?lang=en`);
  await expect(page.getByTestId('lesson-list')).toBeVisible();
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-status', 'no-token');
  await page.getByTestId('open-file').setInputFiles(file);
  await expect(page.getByTestId('source-file')).toContainText('handshake.jsonl');
  await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-lesson', 'tcp-handshake');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'recording');
  await expect(page.getByTestId('run-lesson')).toHaveCount(0);
  await expect(page.getByTestId('lesson-player')).toHaveAttribute('data-step-index', '-1');
  await next(page, 'server.listen');
  await next(page, 'client.connect');
  // the page numbers events by when they happened, from the file as live: the same rows, the same numbers
  expect(await arrows(page)).toEqual(live);
  await alone.close();
});

test('without a token the page still offers to open a recording', async ({ page }) => {
  await page.goto(pageWithoutAgent({ lang: 'en' }));
  await expect(page.getByTestId('lesson-list')).toBeVisible();
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-status', 'no-token');
  await expect(page.getByTestId('recording-card')).toContainText('No agent needed');
  await expect(page.getByTestId('no-token')).toBeVisible();
  // with no agent a lesson opens its shipped recording, labelled as one (lesson-list.spec.ts goes further)
  await page.getByTestId('lesson-tcp-hello').click();
  await expect(page.getByTestId('shipped-label')).toBeVisible();
  await expect(page.getByTestId('listing-server')).toContainText('socket.socket');
});

test('a damaged or cut-short recording is refused with the reason, and what is shown stays as it was', async ({ page }, info) => {
  await page.goto(pageWithoutAgent({ lang: 'en' }));
  const good = [
    JSON.stringify({ format: 'socketscope-session', version: 1, events: 2 }),
    JSON.stringify({ v: 1, seq: 0, ts: 10, layer: 'api', type: 'api.call', sock: 's1', call: 'socket', args: {}, durationUs: 1, proto: 'tcp' }),
    JSON.stringify({ v: 1, seq: 1, ts: 20, layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 5 }, durationUs: 1, proto: 'tcp', local: '127.0.0.1:7000' }),
  ];
  const cut = path.join(outDir(info.outputDir), 'cut.jsonl');
  writeFileSync(cut, `${good.slice(0, 2).join('\n')}\n`);
  await page.getByTestId('open-file').setInputFiles(cut);
  await expect(page.getByTestId('load-problem')).toContainText('Could not open cut.jsonl. Nothing was changed.');
  await expect(page.getByTestId('load-problem')).toContainText('cut short: its header promises 2 events, but it holds 1');
  await expect(page.getByTestId('lesson-list')).toBeVisible();

  // a good file opens; then a broken one changes nothing of it
  const ok = path.join(info.outputDir, 'ok.jsonl');
  writeFileSync(ok, `${good.join('\n')}\n`);
  await page.getByTestId('open-file').setInputFiles(ok);
  await expect(page.getByTestId('session-view')).toBeVisible();
  await expect(page.locator('article[data-role="listener"]')).toContainText('127.0.0.1:7000');
  const broken = path.join(info.outputDir, 'broken.pcap');
  writeFileSync(broken, Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0]));
  await page.getByTestId('open-file').setInputFiles(broken);
  await expect(page.getByTestId('load-problem')).toContainText('The capture file is damaged or cut short');
  await expect(page.getByTestId('source-file')).toContainText('ok.jsonl');
  await expect(page.locator('article[data-role="listener"]')).toContainText('127.0.0.1:7000');
});

test('a .pcap dropped on the page is drawn through the same fold and ladder as a live capture', async ({ page }, info) => {
  await page.goto(pageWithoutAgent({ lang: 'en' }));
  const c = '127.0.0.1:50000';
  const s = '127.0.0.1:8888';
  const frames = [
    buildIpPacket({ proto: 'tcp', src: c, dst: s, flags: ['SYN'], seq: 1000, win: 65495, options: { mss: 65495 } }),
    buildIpPacket({ proto: 'tcp', src: s, dst: c, flags: ['SYN', 'ACK'], seq: 5000, ack: 1001, win: 65483 }),
    buildIpPacket({ proto: 'tcp', src: c, dst: s, flags: ['ACK'], seq: 1001, ack: 5001, win: 65536 }),
    buildIpPacket({ proto: 'tcp', src: c, dst: s, flags: ['ACK', 'PSH'], seq: 1001, ack: 5001, win: 65536, payload: new TextEncoder().encode('hello') }),
  ].map((p, i) => ({ tsUs: 1_700_000_000_000_000 + i * 40, data: p.data }));
  const bytes = writePcap(frames);
  const file = path.join(outDir(info.outputDir), 'hello.pcap');
  writeFileSync(file, bytes);

  // drag and drop, as a teacher would from the file manager
  const dt = await page.evaluateHandle((data) => {
    const t = new DataTransfer();
    t.items.add(new File([new Uint8Array(data)], 'hello.pcap', { type: 'application/vnd.tcpdump.pcap' }));
    return t;
  }, [...bytes]);
  await page.dispatchEvent('body', 'dragenter', { dataTransfer: dt });
  await expect(page.getByTestId('drop-overlay')).toBeVisible();
  await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
  await expect(page.getByTestId('source-file')).toContainText('hello.pcap');
  await expect(page.getByTestId('session-view')).toBeVisible();
  const a = await arrows(page);
  expect(a.map((x) => x.flags)).toEqual(['SYN', 'SYN+ACK', 'ACK', 'PSH+ACK']);
  expect(a.map((x) => x.nums.split(' ').slice(0, 2).join(' '))).toEqual(['seq=0 len=0', 'seq=0 ack=1', 'seq=1 ack=1', 'seq=1 ack=1']);
  await expect(page.getByTestId('ladder-panel')).toContainText('three-way handshake');
});
