/**
 * How soon a socket call is on screen, with packet capture running (the classroom's default wherever
 * tcpdump may run) and, as the baseline from the same run, with capture turned off (capture.set): the old
 * page held every event 500 ms for late captured packets while capture ran.
 * - socket call → pixel: listen() on a real socket of the real agent (agent.exec, as a command from the
 *   page would run it), from just before the call to the end of the first frame that has the socket's
 *   card (the page's watcher: in the DOM, then rAF and a message posted from it). Budget: p95 ≤ 50 ms.
 * - click → card: a click on the playground's listen() button, from the click event's own time stamp to
 *   the same frame, both on the page's clock. Budget: p95 ≤ 100 ms.
 * Before each sample the session is reset (session.reset: every socket closed, a new session the page
 * starts afresh), so each listen() is a first call on an empty page, as a new user tries it, and the page's
 * layout does not change under the bench as lanes pile up. A card drawn but not visible (in a hidden tab
 * of the room's side column) is not on screen: it counts as never drawn.
 */
import net from 'node:net';
import type { BenchResult } from '../result.ts';
import { captureState, setCapture, type AgentServer } from './agent.ts';
import { HIDDEN, pct, settle, sleep, watched, type Page } from './browser.ts';

const WARMUP = 3;
/** samples per line and capture mode, taken in blocks that alternate capture on and off (the machine's load drifts) */
const SAMPLES = 60;
const BLOCK = 10;
/** how long one sample may take to show before it counts as missing */
const SHOW_MS = 3000;

/** The time the card `socket-card-<sock>` was drawn and visible (page clock), or null (hidden, or not after SHOW_MS). */
async function drawnAt(page: Page, sock: string): Promise<number | null> {
  const t = await page.waitForFunction((id) => {
    const v = (window as unknown as { benchCards: Record<string, number> }).benchCards[id];
    return v !== undefined && v !== -1 ? v : null;
  }, `socket-card-${sock}`, { timeout: SHOW_MS, polling: 10 }).then((r) => r.jsonValue() as Promise<number>).catch(() => null);
  return t === HIDDEN ? null : t;
}

/**
 * A new session on the page, once the page's head has stopped moving (bounded: 3 s), and the watcher's
 * cards forgotten (ids come again). The new session is not always empty: the kernel layer may report the
 * old session's last socket gone in it.
 */
async function fresh(h: AgentServer, page: Page): Promise<void> {
  await h.agent.exec({ op: 'session.reset' });
  await sleep(50);
  await settle(page, 100, 30);
  await page.evaluate(() => { (window as unknown as { benchCards: Record<string, number> }).benchCards = {}; });
  await sleep(80 + Math.random() * 60); // not in step with the page's frames
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

interface Samples { lat: number[]; missing: number }
const samples = (): Samples => ({ lat: [], missing: 0 });

/** listen() through the agent → its card drawn; `n` samples (after `warmup` not counted) into `out`. */
async function callToPixel(h: AgentServer, page: Page, n: number, warmup: number, out: Samples): Promise<void> {
  const origin = await page.evaluate(() => performance.timeOrigin);
  for (let i = -warmup; i < n; i++) {
    await fresh(h, page);
    const t0 = performance.timeOrigin + performance.now();
    const r = await h.agent.exec({ op: 'tcp.listen', host: '127.0.0.1', port: 0, backlog: 5, reuseAddr: false }) as { sock: string };
    const at = await drawnAt(page, r.sock);
    if (i >= 0) {
      if (at === null) out.missing++;
      else out.lat.push(origin + at - t0);
    }
  }
}

/** A click on listen() in the playground → the new listener's card drawn. */
async function clickToCard(h: AgentServer, page: Page, n: number, warmup: number, out: Samples): Promise<void> {
  for (let i = -warmup; i < n; i++) {
    await fresh(h, page);
    const port = await freePort();
    await page.getByTestId('listen-port').fill(String(port));
    const clicks = (await watched(page, 'benchClicks')).length;
    await page.getByTestId('listen-submit').click();
    const card = page.locator('article[data-role="listener"]').filter({ hasText: `:${port}` });
    const sock = await card.first().getAttribute('data-sock', { timeout: SHOW_MS }).catch(() => null);
    const at = sock ? await drawnAt(page, sock) : null;
    const clicked = (await watched(page, 'benchClicks'))[clicks];
    if (i >= 0) {
      if (at === null || clicked === undefined) out.missing++;
      else out.lat.push(at - clicked);
    }
  }
}

const summary = (s: Samples) => `p50 ${pct(s.lat, 50).toFixed(1)} ms, max ${Math.max(...s.lat).toFixed(1)} ms over ${s.lat.length}${s.missing ? `; ${s.missing} never on screen` : ''}`;

/** Both lines; the page is the playground of a page connected to `h`. */
export async function latencyLines(h: AgentServer, page: Page): Promise<BenchResult[]> {
  const [callOn, clickOn, callOff, clickOff] = [samples(), samples(), samples(), samples()];
  let cap = captureState(h);
  for (let b = 0; b < SAMPLES / BLOCK; b++) {
    const warmup = b === 0 ? WARMUP : 0;
    await setCapture(h, true);
    if (b === 0) cap = captureState(h);
    await callToPixel(h, page, BLOCK, warmup, callOn);
    await clickToCard(h, page, BLOCK, warmup, clickOn);
    await setCapture(h, false);
    await callToPixel(h, page, BLOCK, 0, callOff);
    await clickToCard(h, page, BLOCK, 0, clickOff);
  }
  await setCapture(h, true);
  const line = (name: string, on: Samples, off: Samples, budgetMs: number): BenchResult => {
    const v = pct(on.lat, 95);
    const b = pct(off.lat, 95);
    return {
      name, value: v, unit: 'ms', baseline: b, ratio: v / b, budget: `≤ ${budgetMs} ms`, ok: cap.running && v <= budgetMs && on.missing === 0,
      note: `capture ${cap.running ? 'on' : `NOT running (${cap.why})`}: ${summary(on)}; baseline: the same with capture off (capture.set), p95 ${b.toFixed(1)} ms, ${summary(off)}; in blocks of ${BLOCK}, on and off in turn`,
    };
  };
  return [
    line('page: socket call → pixel, p95, capture on', callOn, callOff, 50),
    line('page: click listen() → its card on screen, p95, capture on', clickOn, clickOff, 100),
  ];
}
