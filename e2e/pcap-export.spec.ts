import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { captureOn, openLesson, runLesson } from './support/lesson.ts';
import { ownAgent } from './support/page.ts';

/**
 * The page's "Export .pcap": after a lesson with real capture, the file it offers opens in tshark with
 * exactly as many packets as the page says it exported, and they are the lesson's handshake first.
 */
const url = ownAgent();
test.describe.configure({ timeout: 90_000 });

function hasTshark(): boolean {
  try { execFileSync('tshark', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

test('Export .pcap gives a file tshark opens, with the captured packets and without the inferred ones', async ({ page }) => {
  await openLesson(page, url({ lesson: 'tcp-hello', lang: 'en' }));
  const captured = await captureOn(page);
  test.skip(!captured || !hasTshark(), 'SKIPPED: needs packet capture (root or CAP_NET_RAW + tcpdump) and tshark');
  await runLesson(page);

  const download = page.waitForEvent('download');
  await page.getByTestId('export-pcap').click();
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ss-pcap-')), 'wire.pcap');
  await (await download).saveAs(file);
  const said = await page.getByTestId('export-pcap-result').innerText();
  const exported = Number(/(\d+) captured packets exported/.exec(said)?.[1]);
  expect(exported).toBeGreaterThan(0);

  const rows = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'tcp.flags.str'], { encoding: 'utf8' }).trim().split('\n');
  expect(rows).toHaveLength(exported);
  // tshark's flag strings: ··········S· for SYN, ·······A··S· for SYN+ACK
  expect(rows[0]).toMatch(/S.$/);
  expect(rows[1]).toMatch(/A..S.$/);
});
