/**
 * What a person sees of the page, in Debian's Chromium (headless, --no-sandbox --disable-gpu
 * --disable-background-networking) on the built page (apps/web/dist), each figure against a baseline
 * taken in the same run. The page keeps its session in a worker (apps/web/src/session/) and renders the
 * diffs it posts; the bench drives the page only through stable things (the URL with the token,
 * data-testid attributes, the keys a teacher presses) and reads it through window.performance, its own
 * watchers (page/browser.ts) and CDP.
 *
 * - JS bundle, gzipped, what index.html loads: < 400 kB (page/static.ts).
 * - first contentful paint: < 1.5 s, median of 3 cold loads; baseline a one-line page from the same
 *   server (page/static.ts).
 * - socket call → pixel p95 ≤ 50 ms and a click on listen() in the playground → its card p95 ≤ 100 ms,
 *   both with packet capture running; baseline: the same with capture off (page/latency.ts).
 * - main-thread CPU per event while the real agent streams 10,000 events/s: ≤ 0.25 × JSON.parse of the
 *   same events' text in the same page; and long tasks (> 50 ms) meanwhile: 0 (page/stream.ts).
 * - long tasks during each of the 8 lessons, run from the page (Run, then every step): 0 (page/lessons.ts).
 * - information: main-thread CPU per event, and how many events a second the page takes, when the bench
 *   feed offers far more than the page can take (page/feed-server.ts: the real protocol, pre-encoded).
 * - JS heap holding 1,000,000 events, session worker + main thread, objects and ArrayBuffer contents:
 *   ≤ 300 MB (page/heap.ts).
 *
 * The lessons use their fixed tutorial ports: run this where nothing else runs lessons at the same time.
 * Knobs: PAGE_NO_BUILD=1 measures apps/web/dist as it is instead of building it first; PAGE_DIST=DIR
 * measures another build of the page; PAGE_LINES=static,latency,stream,lessons,feed,heap runs only those;
 * PAGE_PROFILE=FILE writes the main thread's CPU profile of the 10,000 events/s stream there and prints
 * its heaviest functions (the profiler's own cost is then in that stream's figures); PAGE_TRACE=FILE a
 * Chrome trace of it (style, layout and paint with what they touched).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EventInput } from '../packages/shared/src/index.ts';
import { KIT_TOKEN } from '../apps/agent/test/reliability-kit.ts';
import { generateSession } from './fixtures/session-gen.ts';
import { ROOT } from './lib/agent-process.ts';
import { asMessages, injectAt, startCapturingAgent, type AgentServer } from './page/agent.ts';
import { closePage, launch, longSummary, MainThread, openPage, profileSummary, type Browser } from './page/browser.ts';
import { BLANK_PATH, FeedServer } from './page/feed-server.ts';
import { heapLine } from './page/heap.ts';
import { latencyLines } from './page/latency.ts';
import { lessonLines } from './page/lessons.ts';
import { bundle, firstPaint } from './page/static.ts';
import { longLine, parseCost, perEventLine, restingLong, streamCost } from './page/stream.ts';
import type { BenchResult } from './result.ts';

/** Worst case with every internal bound reached: build 5 min, feed 6 + pack 2, lessons 8 × 1.5, the rest ~3. */
export const boundMs = 25 * 60_000;

const DIST = process.env['PAGE_DIST'] ?? path.join(ROOT, 'apps/web/dist');
const LINES = new Set((process.env['PAGE_LINES'] ?? 'static,latency,stream,lessons,feed,heap').split(','));
/** a file to write the main thread's CPU profile of the 10,000 events/s stream to (its figures then include the profiler's cost) */
const PROFILE = process.env['PAGE_PROFILE'];
/** a file to write a Chrome trace (devtools.timeline) of that stream to */
const TRACE = process.env['PAGE_TRACE'];
const say = (line: string) => { if (!process.argv.includes('--json')) process.stderr.write(`  page: ${line}\n`); };
const STREAM_RATE = 10_000;
const STREAM_MS = 5000;
const FEED_RATE = 100_000;
const FEED_MS = 4000;

const playground = (port: number) => `http://127.0.0.1:${port}/?token=${KIT_TOKEN}&view=playground&lang=en`;

/** 10,000 events/s injected into the real agent (capture on): main-thread CPU per event, and long tasks. */
async function agentStream(browser: Browser, h: AgentServer, events: EventInput[]): Promise<BenchResult[]> {
  h.agent.session.reset();
  const page = await openPage(browser, playground(h.port));
  const main = await MainThread.attach(page);
  try {
    const resting = await restingLong(page, STREAM_MS);
    if (PROFILE) await main.startProfile();
    if (TRACE) await browser.startTracing(page, { path: TRACE, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
    let seen: Awaited<ReturnType<typeof injectAt>> = [];
    const cost = await streamCost(page, main, async () => {
      seen = await injectAt(h, events, 0, STREAM_RATE, STREAM_MS);
      return seen.length;
    });
    if (TRACE) await browser.stopTracing();
    if (PROFILE) {
      const profile = await main.stopProfile();
      writeFileSync(PROFILE, JSON.stringify(profile));
      for (const line of profileSummary(profile)) say(`profile: ${line}`);
    }
    // the agent's outbound sends about one message a frame: as many events per message here
    const parse = await parseCost(page, asMessages(seen, Math.round(STREAM_RATE / 60)));
    const k = `${(STREAM_RATE / 1000).toFixed(0)},000 events/s`;
    return [
      perEventLine(`page: main-thread CPU per event while the agent streams ${k}`, cost, parse, true),
      longLine(`page: long tasks while the agent streams ${k}`, cost, resting),
    ];
  } finally {
    await main.detach();
    await closePage(page);
  }
}

/** The bench feed offering far more than the page takes: what the page takes, and its main thread's cost. */
async function feedStream(browser: Browser, feed: FeedServer & { port: number }): Promise<BenchResult[]> {
  const page = await openPage(browser, playground(feed.port));
  const main = await MainThread.attach(page);
  try {
    const from = feed.sent;
    let feedMs = 0;
    const cost = await streamCost(page, main, async () => {
      const t0 = performance.now();
      const n = await feed.feed(FEED_RATE, FEED_MS);
      feedMs = performance.now() - t0;
      return n;
    });
    const parse = await parseCost(page, feed.texts(from, from + cost.sent, Math.round(FEED_RATE / 60)));
    const offered = cost.sent / (feedMs / 1000);
    const taken = cost.events / (cost.wallMs / 1000);
    return [
      perEventLine(`page: main-thread CPU per event, bench feed offering ${(FEED_RATE / 1000).toFixed(0)},000 events/s`, cost, parse, false),
      {
        name: 'page: events per second the page takes from the bench feed', value: taken, unit: 'events/s', baseline: offered, ratio: taken / offered, budget: 'info', ok: true,
        note: `events shown ÷ the time from the first sent to the last shown; baseline: what the feed sent per second (it offers ${FEED_RATE.toLocaleString('en')}/s and holds back while the socket has 8 MB unsent); long tasks meanwhile: ${longSummary(cost.long)}`,
      },
    ];
  } finally {
    await main.detach();
    await closePage(page);
  }
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const add = (rs: BenchResult[]) => { for (const r of rs) { results.push(r); say(`${r.name}: ${r.value.toFixed(2)} ${r.unit}`); } };
  if (process.env['PAGE_NO_BUILD'] !== '1' && !process.env['PAGE_DIST']) {
    try {
      execFileSync('pnpm', ['--filter', '@socketscope/web', 'build'], { cwd: ROOT, stdio: 'ignore', timeout: 300_000 });
    } catch (err) {
      say(`build failed (${(err as Error).message.split('\n')[0]}); measuring apps/web/dist as it is`);
    }
  }
  if (LINES.has('static')) add(bundle(DIST));
  // a busy session: ~125 connections with long data exchanges, as the page would see it
  const session = generateSession({ events: 1_000_000, dataRounds: 1000, overlap: 20 });
  const browser = await launch();
  const feed = await FeedServer.start(session, DIST);
  let h: AgentServer | null = null;
  try {
    if (LINES.has('static')) add(await firstPaint(browser, playground(feed.port), `http://127.0.0.1:${feed.port}${BLANK_PATH}`));
    if (LINES.has('latency') || LINES.has('stream') || LINES.has('lessons')) {
      h = await startCapturingAgent(DIST);
      if (LINES.has('latency')) {
        const page = await openPage(browser, playground(h.port));
        try {
          add(await latencyLines(h, page));
        } finally {
          await closePage(page);
        }
      }
      if (LINES.has('stream')) {
        const events = session.slice(0, 200_000).map(({ v: _v, seq: _s, ts: _t, ...rest }) => rest as EventInput);
        add(await agentStream(browser, h, events));
      }
      if (LINES.has('lessons')) add(await lessonLines(browser, h));
      await h.close();
      h = null;
    }
    if (LINES.has('feed')) add(await feedStream(browser, feed));
    if (LINES.has('heap')) {
      feed.reset();
      const page = await openPage(browser, playground(feed.port));
      try {
        add(await heapLine(browser, feed, page));
      } finally {
        await closePage(page);
      }
    }
  } finally {
    await browser.close();
    await h?.close();
    await feed.close();
  }
  return results;
}

// `tsx bench/page.ts` runs it alone
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(JSON.stringify(r));
  process.exit(0);
}
