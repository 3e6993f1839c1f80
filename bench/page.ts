/**
 * Page-side budgets, in Debian's Chromium (headless, --no-sandbox --disable-gpu
 * --disable-background-networking) on the built page (apps/web/dist). The page is driven only through
 * stable things: the URL with the token, data-testid attributes and window.performance.
 *
 * Two sources of events:
 * - a real agent in this process (first paint, event → pixel, the 10,000/s stream): events are injected
 *   into its session (agent.session.emit), so the page receives them through the real server, outbound
 *   batching and WebSocket. The agent spends ~16 µs per emitted event (zod, fold, inference), so it
 *   cannot offer 100,000/s;
 * - for the fold rate and the heap, a bench-owned feed (FeedServer below) that serves the same dist/
 *   with the agent's own static handler (same CSP) and speaks the real protocol on /ws: hello, the
 *   page's sync {since}, history after `since`, synced, then pre-encoded `events` messages about once
 *   a frame, as the agent's outbound does, holding back while the socket's buffer is over 8 MB (the
 *   agent's high-water mark does the same). The page cannot tell it from an agent; what is measured
 *   is the page.
 * - JS bundle, gzipped: < 400 kB (what index.html loads; lazy chunks reported apart).
 * - first contentful paint of the built page: < 1.5 s (median of 3 cold loads).
 * - socket event → pixel: an api event that makes a new socket card; time from emit in the agent to the
 *   frame after the card is in the DOM (rAF + a message posted after it, i.e. once that frame is done):
 *   p95 ≤ 50 ms.
 * - p95 frame time while the agent streams 10,000 events/s (plus its inferred segments): < 16.7 ms.
 * - events folded per second while p95 frame time stays < 16.7 ms: fed at rising rates, 3 s each;
 *   folded = growth of the page's own event count (the scrubber's data-head): ≥ 100,000/s.
 * - Frame times are vsync-paced rAF intervals, time-weighted (page/frames.ts); each line's baseline is
 *   the same page's idle p95, which timer jitter puts at 16.7–17.0 ms: "under 16.7 ms" is judged as
 *   "no worse than the page at rest" where the idle page itself reads above 16.7.
 * - the machine's floor for the 10,000/s line (information, no budget): the built page at rest on its
 *   lessons, not connected, while the same agent streams the same events to a Node client that reads
 *   every frame. It shows what that load alone does to a page's frames on this machine; the 10,000/s
 *   line prints its ratio to it.
 * - page JS heap after 1,000,000 events (after a forced GC, CDP Runtime.getHeapUsage): ≤ 300 MB.
 * Set PAGE_NO_BUILD=1 to use apps/web/dist as it is instead of building it first; PAGE_DIST=DIR to measure
 * another build of the page.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from '@playwright/test';
import { PROTOCOL_VERSION, type EventInput } from '../packages/shared/src/index.ts';
import { KIT_TOKEN, StreamClient, startAgentServer, type AgentServer } from '../apps/agent/test/reliability-kit.ts';
import { generateSession } from './fixtures/session-gen.ts';
import { ROOT } from './lib/agent-process.ts';
import { FeedServer } from './page/feed-server.ts';
import { BASE_ARGS, FRAME_MS, frameSummary, idleFrames, pct, startFrames, stopFrames, timeP95 } from './page/frames.ts';
import type { BenchResult } from './result.ts';

/** PAGE_DIST: measure another build (e.g. a candidate fix built elsewhere) instead of apps/web/dist */
const DIST = process.env['PAGE_DIST'] ?? path.join(ROOT, 'apps/web/dist');
const say = (line: string) => { if (!process.argv.includes('--json')) process.stderr.write(`  page: ${line}\n`); };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nowEpoch = () => performance.timeOrigin + performance.now();

function bundle(): BenchResult[] {
  const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const entry = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
  const all = readdirSync(path.join(DIST, 'assets')).filter((f) => f.endsWith('.js')).map((f) => `assets/${f}`);
  const gz = (f: string) => gzipSync(readFileSync(path.join(DIST, f)), { level: 9 }).length / 1024;
  const entryKb = entry.reduce((n, f) => n + gz(f), 0);
  const lazy = all.filter((f) => !entry.includes(f));
  const lazyKb = lazy.reduce((n, f) => n + gz(f), 0);
  const rawKb = entry.reduce((n, f) => n + statSync(path.join(DIST, f)).size / 1024, 0);
  return [{
    name: 'page JS bundle (gzipped, loaded by index.html)', value: entryKb, unit: 'kB', budget: '< 400 kB', ok: entryKb < 400,
    note: `${entry.length} file(s), ${rawKb.toFixed(0)} kB before gzip; ${lazy.length} lazy chunk(s) ${lazyKb.toFixed(0)} kB gzipped`,
  }];
}

async function firstPaint(browser: Browser, url: string): Promise<BenchResult[]> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await ctx.newPage();
    await page.goto(url);
    const fcp = await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime, undefined, { timeout: 10_000 });
    times.push(Number(await fcp.jsonValue()));
    await ctx.close();
  }
  const med = times.toSorted((a, b) => a - b)[1]!;
  return [{ name: 'page first contentful paint (built page)', value: med, unit: 'ms', budget: '< 1500 ms', ok: med < 1500, note: `3 cold loads: ${times.map((t) => t.toFixed(0)).join('/')} ms` }];
}

/** In the page: first time each marker card is in the DOM, then painted (rAF, then a message after it). */
function installMarkWatch(): void {
  const w = window as unknown as { benchMarks: Record<string, number> };
  w.benchMarks = {};
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (!(n instanceof Element)) continue;
        const els = [n, ...n.querySelectorAll('[data-testid^="socket-card-mk"]')];
        for (const el of els) {
          const id = el.getAttribute('data-testid');
          if (!id?.startsWith('socket-card-mk') || w.benchMarks[id]) continue;
          w.benchMarks[id] = -1;
          requestAnimationFrame(() => {
            const ch = new MessageChannel();
            ch.port1.addEventListener('message', () => { w.benchMarks[id] = performance.timeOrigin + performance.now(); });
            ch.port1.start();
            ch.port2.postMessage(0);
          });
        }
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
}

async function eventToPixel(h: AgentServer, page: Page): Promise<BenchResult[]> {
  await page.evaluate(installMarkWatch);
  const lat: number[] = [];
  let missing = 0;
  for (let i = 0; i < 40; i++) {
    const id = `socket-card-mk${i}`;
    const t0 = nowEpoch();
    h.agent.session.emit({ layer: 'api', type: 'api.call', sock: `mk${i}`, call: 'socket', args: { type: 'SOCK_STREAM' }, durationUs: 3, proto: 'tcp' });
    const seen = await page.waitForFunction((k) => (window as unknown as { benchMarks: Record<string, number> }).benchMarks[k]! > 0 ? (window as unknown as { benchMarks: Record<string, number> }).benchMarks[k] : null, id, { timeout: 3000, polling: 20 }).then((r) => r.jsonValue() as Promise<number>).catch(() => null);
    if (seen === null) missing++;
    else lat.push(seen - t0);
    await sleep(60 + (i % 5) * 17);
  }
  const p95 = pct(lat, 95);
  return [{
    name: 'page: socket event → pixel, p95', value: p95, unit: 'ms', budget: '≤ 50 ms', ok: p95 <= 50 && missing === 0,
    note: `p50 ${pct(lat, 50).toFixed(1)} ms, max ${Math.max(...lat).toFixed(1)} ms over ${lat.length} events${missing ? `; ${missing} never appeared` : ''}`,
  }];
}

/** The page's own event count (the scrubber's head), or -1 if not shown. */
async function pageHead(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.querySelector('[data-testid="scrub-pos"]')?.getAttribute('data-head') ?? -1));
}

/** Feeds `events` (from `from`) into the agent at `rate` per second for `ms`; returns how many it emitted. */
async function feedAgent(h: AgentServer, events: EventInput[], from: number, rate: number, ms: number): Promise<number> {
  const t0 = performance.now();
  let i = from;
  while (performance.now() - t0 < ms && i < events.length) {
    const due = Math.min(events.length, from + Math.floor(((performance.now() - t0) / 1000) * rate));
    for (; i < due; i++) h.agent.session.emit(events[i]!);
    await sleep(5);
  }
  return i - from;
}

async function settle(page: Page, pollMs = 250, rounds = 40): Promise<void> {
  let prev = -2;
  for (let k = 0; k < rounds; k++) { const hd = await pageHead(page); if (hd === prev) break; prev = hd; await sleep(pollMs); }
}

/** rAF intervals while the real agent streams `rate` events/s for `ms` from events[from]; the next index too. */
async function streamFrames(h: AgentServer, page: Page, events: EventInput[], from: number, rate: number, ms: number) {
  await settle(page);
  await startFrames(page);
  const head0 = await pageHead(page);
  const seq0 = h.agent.session.lastSeq;
  const t0 = performance.now();
  const sent = await feedAgent(h, events, from, rate, ms);
  const secs = (performance.now() - t0) / 1000;
  const head1 = await pageHead(page);
  const frames = await stopFrames(page);
  return { frames, next: from + sent, emitted: sent / secs, streamed: (h.agent.session.lastSeq - seq0) / secs, folded: (head1 - head0) / secs };
}

/**
 * Frame times while the real agent streams `rate` events/s for `ms` (vsync-paced, as on a projector),
 * against the same page's idle frames just before: the budget is met when the time-weighted p95 is
 * under 16.7 ms, or no worse than the idle page's own where timer jitter puts that above 16.7 ms.
 */
async function agentStream(h: AgentServer, page: Page, events: EventInput[], rate: number, ms: number, floor: Floor): Promise<BenchResult[]> {
  await settle(page);
  await sleep(2000); // its history's chunks are packed in idle time: the baseline is a page at rest
  const idleF = await idleFrames(page, 2000);
  const idle = timeP95(idleF);
  const r = await streamFrames(h, page, events, 0, rate, ms);
  const p95 = timeP95(r.frames);
  return [{
    name: `page: frame p95 while the agent streams ${(rate / 1000).toFixed(0)},000 events/s`, value: p95, unit: 'ms', baseline: idle, ratio: p95 / idle, budget: '< 16.7 ms (or ≤ idle)', ok: p95 <= Math.max(FRAME_MS, idle),
    note: `vsync-paced rAF intervals, time-weighted p95; baseline: the idle page's (${frameSummary(idleF)}); ${(p95 / floor.p95).toFixed(2)}× the machine's floor under the same load (${floor.p95.toFixed(1)} ms, the line above); ${Math.round(r.emitted)}/s emitted into the agent (${Math.round(r.streamed)}/s streamed with its inferred segments), page folded ${Math.round(r.folded)}/s; frame ${frameSummary(r.frames)}`,
  }];
}

interface Floor { p95: number; result: BenchResult }

/**
 * What the streaming load alone does to a page's frames on this machine: the built page at rest (its
 * lessons, no token, so it never connects) while the agent streams `rate` events/s for `ms` to a Node
 * client that reads every frame, as the page's connection worker would. No page work is in it; where it
 * reads above the idle page, that much of the 10,000/s line's p95 is the machine's, not the page's.
 */
async function machineFloor(h: AgentServer, browser: Browser, events: EventInput[], rate: number, ms: number): Promise<Floor> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  await ctx.addInitScript('globalThis.__name = (f) => f;');
  const page = await ctx.newPage();
  const client = await StreamClient.open(h.port, { keepSeqs: false });
  try {
    await page.goto(`http://127.0.0.1:${h.port}/?lang=en`);
    await page.waitForSelector('[data-testid="no-token"]', { timeout: 15_000 });
    await sleep(1500);
    const idleF = await idleFrames(page, 2000);
    client.send({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: -1 });
    await sleep(300);
    const e0 = client.events;
    await startFrames(page);
    const t0 = performance.now();
    const sent = await feedAgent(h, events, 0, rate, ms);
    const secs = (performance.now() - t0) / 1000;
    const frames = await stopFrames(page);
    const idle = timeP95(idleF);
    const p95 = timeP95(frames);
    return {
      p95,
      result: {
        name: `page: the machine's floor: frame p95 of a page at rest while the agent streams ${(rate / 1000).toFixed(0)},000 events/s to another client`, value: p95, unit: 'ms', baseline: idle, ratio: p95 / idle, budget: 'info', ok: true,
        note: `the built page on its lessons, not connected; a Node client read ${Math.round((client.events - e0) / secs)}/s of the ${Math.round(sent / secs)}/s emitted (with inferred segments); baseline: the same page before the stream (${frameSummary(idleF)}); frame ${frameSummary(frames)}`,
      },
    };
  } finally {
    client.ws.close();
    await ctx.close();
  }
}

/** Frame p95 (vsync-paced) against the idle page's, at rising fed rates. */
async function foldRate(feed: FeedServer, page: Page): Promise<BenchResult[]> {
  const idle = timeP95(await idleFrames(page, 2000));
  let best = 0;
  let anyRate = 0;
  const rows: string[] = [];
  for (const rate of [25_000, 50_000, 100_000, 150_000, 200_000, 300_000]) {
    if (feed.sent + rate * 3 > feed.length) break;
    await startFrames(page);
    const head0 = await pageHead(page);
    const t0 = performance.now();
    const sent = await feed.feed(rate, 3000);
    const secs = (performance.now() - t0) / 1000;
    const head1 = await pageHead(page);
    const frames = await stopFrames(page);
    const p95 = timeP95(frames);
    const folded = (head1 - head0) / secs;
    const offered = sent / secs;
    rows.push(`${Math.round(offered / 1000)}k/s offered → ${Math.round(folded / 1000)}k/s folded, frame p95 ${p95.toFixed(1)} ms (by count ${pct(frames, 95).toFixed(1)} ms, ${frames.length} frames)`);
    say(rows.at(-1)!);
    const keptUp = folded >= 0.9 * offered;
    anyRate = Math.max(anyRate, folded);
    const smooth = p95 <= Math.max(FRAME_MS, idle);
    if (smooth && keptUp) best = Math.max(best, folded);
    await settle(page); // let the page catch up before the next step
    if (!keptUp || !smooth || offered < 0.8 * rate) break; // the page (or the feed) is at its limit
  }
  return [{
    name: 'page: events folded per second with frame p95 < 16.7 ms (or ≤ idle)', value: best || anyRate, unit: 'events/s', budget: '≥ 100,000/s', ok: best >= 100_000,
    note: `${best ? '' : 'no rate kept frames under 16.7 ms; the value is the best fold rate seen at any frame time; '}vsync-paced frames, time-weighted p95, idle page's ${idle.toFixed(1)} ms; bench feed (real protocol, pre-encoded batches per frame); ${rows.join('; ')}`,
  }];
}

/** the page's EventStore keeps its 8 newest chunks as objects (hotChunks), and the one being filled */
const UNPACKED_CHUNKS = 9;

/** A fresh page given the whole million, no faster than it folds (its queue stays < 50,000). Bounded: 6 min. */
async function heapAfter(feed: FeedServer, page: Page): Promise<BenchResult[]> {
  const cdp = await page.context().newCDPSession(page);
  const t0 = performance.now();
  while (feed.sent < feed.length && performance.now() - t0 < 360_000) {
    await feed.feed(100_000, 500);
    for (let k = 0; k < 100 && feed.sent - 1 - (await pageHead(page)) > 50_000; k++) await sleep(100);
  }
  await settle(page, 500, 120);
  const held = (await pageHead(page)) + 1;
  // full chunks are packed in a worker, in the page's idle time; a fast feed leaves a backlog, so wait
  // until only the newest chunks are left as objects (bounded: 120 s) and say how long that took
  const stored = () => page.evaluate(() => (window as unknown as { socketscope: { stats(): { stored?: { objectChunks: number } } } }).socketscope.stats().stored);
  const tPack = performance.now();
  for (let k = 0; k < 240 && ((await stored())?.objectChunks ?? 0) > UNPACKED_CHUNKS; k++) await sleep(500);
  const packWait = (performance.now() - tPack) / 1000;
  await sleep(500);
  await cdp.send('HeapProfiler.collectGarbage');
  await sleep(500);
  const { usedSize, totalSize } = await cdp.send('Runtime.getHeapUsage');
  const footprint = await stored();
  const mb = usedSize / 2 ** 20;
  return [{
    name: `page JS heap holding ${(held / 1e6).toFixed(2)}M events`, value: mb, unit: 'MB', budget: '≤ 300 MB', ok: mb <= 300 && held >= 1_000_000,
    note: `after a forced GC; heap committed ${(totalSize / 2 ** 20).toFixed(0)} MB; ${feed.sent} events fed in ${((performance.now() - t0) / 1000).toFixed(0)} s; packing done ${packWait.toFixed(1)} s after the page had folded the last event; timeline storage ${JSON.stringify(footprint)}`,
  }];
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  if (process.env['PAGE_NO_BUILD'] !== '1' && !process.env['PAGE_DIST']) {
    try {
      execFileSync('pnpm', ['--filter', '@socketscope/web', 'build'], { cwd: ROOT, stdio: 'ignore', timeout: 300_000 });
    } catch (err) {
      say(`build failed (${(err as Error).message.split('\n')[0]}); measuring apps/web/dist as it is`);
    }
  }
  results.push(...bundle());
  // a busy session: ~125 connections with long data exchanges, as the page would see it
  const session = generateSession({ events: 1_000_000, dataRounds: 1000, overlap: 20 });
  const h = await startAgentServer({ webRoot: DIST });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: BASE_ARGS, headless: true });
  const open = async (port: number): Promise<Page> => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    // tsx compiles this file keeping function names (esbuild's __name helper): give the page that helper
    // for the functions we evaluate there
    await ctx.addInitScript('globalThis.__name = (f) => f;');
    const page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${port}/?token=${KIT_TOKEN}&view=playground&lang=en`);
    await page.waitForSelector('[data-testid="scrub-pos"]', { timeout: 15_000 });
    await sleep(500);
    return page;
  };
  let feed: (FeedServer & { port: number }) | null = null;
  let agentOpen = true;
  try {
    results.push(...await firstPaint(browser, `http://127.0.0.1:${h.port}/?token=${KIT_TOKEN}&view=playground&lang=en`));
    const agentEvents = session.slice(0, 200_000).map(({ v: _v, seq: _s, ts: _t, ...rest }) => rest as EventInput);
    // before the measured page connects (it would take the floor's stream too); a new session after it
    const floor = await machineFloor(h, browser, agentEvents, 10_000, 5000);
    results.push(floor.result);
    h.agent.session.reset();
    const page = await open(h.port);
    results.push(...await eventToPixel(h, page));
    results.push(...await agentStream(h, page, agentEvents, 10_000, 5000, floor));
    await page.context().close();
    agentOpen = false;
    await h.close();

    feed = await FeedServer.start(session, DIST);
    const ratePage = await open(feed.port);
    results.push(...await foldRate(feed, ratePage));
    await ratePage.context().close();
    feed.reset();
    const heapPage = await open(feed.port);
    results.push(...await heapAfter(feed, heapPage));
    await heapPage.context().close();
  } finally {
    await browser.close();
    if (agentOpen) await h.close();
    await feed?.close();
  }
  return results;
}
