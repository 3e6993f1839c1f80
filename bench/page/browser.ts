/**
 * The browser side of the page's bench lines: Debian's Chromium (headless, no GPU, no background
 * networking), a page with the bench's watchers installed before the page's own scripts run, and what
 * CDP tells about the page's two threads of JavaScript:
 * - the renderer's main thread (where React renders): its CPU time, `Performance.getMetrics`'
 *   ThreadTime (the CPU time of the thread that answers, which is the main thread; it matched /proc's
 *   per-thread counter of the renderer's main thread within 1 % when this was written), and its heap;
 * - the session worker (apps/web/src/session/session.worker.ts, where the session lives): its heap,
 *   through a session of the browser's own CDP connection attached to the worker's target.
 * What the watchers record lives on `window` under bench* names; the page never reads them.
 */
import type { Browser, BrowserContext, CDPSession, Page } from '@playwright/test';
import { chromium } from '@playwright/test';

export const BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const LONG_TASK_MS = 50;
/** benchCards' value for a card drawn while hidden */
export const HIDDEN = -2;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = xs.toSorted((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: BASE_ARGS, headless: true });
}

export interface Watched {
  benchLong: [number, number][];
  /**
   * first time each socket card (by data-testid) was in a frame that was drawn, page clock (ms); HIDDEN if
   * the card was in the DOM but not visible in that frame (another tab of the room's side column)
   */
  benchCards: Record<string, number>;
  /** timeStamp of each click on the playground's listen() button, page clock (ms) */
  benchClicks: number[];
  /** diffs the page received from its session worker */
  benchDiffs: number;
}

/**
 * Installed in every page before its scripts (addInitScript): long tasks as the browser reports them,
 * the moment each socket card is drawn (in the DOM, then the frame after it made: rAF, then a message
 * posted from it, which runs once that frame is done), clicks on listen(), and the diffs received from
 * the session worker (a listener added to every Worker the page starts; it only counts).
 */
function watchers(): void {
  const w = window as unknown as Watched & { Worker: typeof Worker };
  w.benchLong = [];
  w.benchCards = {};
  w.benchClicks = [];
  w.benchDiffs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.benchLong.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  const drawn = (el: Element, id: string) => {
    w.benchCards[id] = -1;
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      // HIDDEN (-2; a function evaluated in the page sees no module constants)
      ch.port1.addEventListener('message', () => { w.benchCards[id] = el.checkVisibility() ? performance.now() : -2; });
      ch.port1.start();
      ch.port2.postMessage(0);
    });
  };
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (!(n instanceof Element)) continue;
        for (const el of [n, ...n.querySelectorAll('[data-testid^="socket-card-"]')]) {
          const id = el.getAttribute('data-testid');
          if (id?.startsWith('socket-card-') && w.benchCards[id] === undefined) drawn(el, id);
        }
      }
    }
  }).observe(document, { childList: true, subtree: true });
  document.addEventListener('click', (e) => {
    if ((e.target as Element | null)?.closest?.('[data-testid="listen-submit"]')) w.benchClicks.push(e.timeStamp);
  }, true);
  const Base = w.Worker;
  w.Worker = class extends Base {
    constructor(url: string | URL, opts?: WorkerOptions) {
      super(url, opts);
      this.addEventListener('message', (e: MessageEvent<{ t?: string }>) => { if (e.data?.t === 'diff') w.benchDiffs++; });
    }
  };
}

/** A fresh context and page (1280×720) with the watchers, at `url`, once `ready` is on screen. */
export async function openPage(browser: Browser, url: string, ready = '[data-testid="conn-status"][data-status="live"]'): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-US' });
  // tsx compiles this file keeping function names (esbuild's __name helper): the functions evaluated in
  // the page need that helper there
  await ctx.addInitScript('globalThis.__name = (f) => f;');
  await ctx.addInitScript(watchers);
  const page = await ctx.newPage();
  await page.goto(url);
  await page.waitForSelector(ready, { timeout: 20_000 });
  return page;
}

export async function closePage(page: Page): Promise<void> {
  await page.context().close();
}

/** The page's own event count (the scrubber's head, the last page seq it shows), or -1. */
export function pageHead(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.querySelector('[data-testid="scrub-pos"]')?.getAttribute('data-head') ?? -1));
}

/** Waits until the page's head stops moving (bounded: rounds × pollMs). */
export async function settle(page: Page, pollMs = 250, rounds = 40): Promise<void> {
  let prev = -2;
  for (let k = 0; k < rounds; k++) {
    const hd = await pageHead(page);
    if (hd === prev) return;
    prev = hd;
    await sleep(pollMs);
  }
}

/** Waits until the page's head reaches `head` (bounded by `ms`); returns the head it reached. */
export async function reach(page: Page, head: number, ms: number, pollMs = 200): Promise<number> {
  const t0 = performance.now();
  let hd = await pageHead(page);
  while (hd < head && performance.now() - t0 < ms) {
    await sleep(pollMs);
    hd = await pageHead(page);
  }
  return hd;
}

export function watched<K extends keyof Watched>(page: Page, key: K): Promise<Watched[K]> {
  return page.evaluate((k: string) => (window as unknown as Record<string, unknown>)[k], key as string) as Promise<Watched[K]>;
}

/** Long tasks that began at or after `since` (page clock, ms). */
export async function longTasksSince(page: Page, since: number): Promise<number[]> {
  return (await watched(page, 'benchLong')).filter(([t]) => t >= since).map(([, d]) => d);
}

export function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

/** "3 > 50 ms (longest 81 ms)", or "none > 50 ms (longest 32 ms)" */
export function longSummary(durations: number[]): string {
  const over = durations.filter((d) => d > LONG_TASK_MS).length;
  return `${over || 'none'} > ${LONG_TASK_MS} ms${durations.length ? ` (longest ${Math.max(...durations).toFixed(0)} ms)` : ''}`;
}

/** A thread's JS heap, bytes: its objects, and the contents of its ArrayBuffers (kept outside the heap). */
export interface Heap { used: number; buffers: number }
type HeapUsage = { usedSize: number; backingStorageSize?: number };
const heapOf = (u: HeapUsage): Heap => ({ used: u.usedSize, buffers: u.backingStorageSize ?? 0 });

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time by function, the heaviest first: "12.3 %  name  file:line" lines. */
export function profileSummary(p: CpuProfile, top = 30): string[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id);
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    if (!n) return;
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'}  ${f.url.split('/').at(-1) ?? ''}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self].toSorted((a, b) => b[1] - a[1]).slice(0, top)
    .map(([k, us]) => `${((us / Math.max(1, total)) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}

/** CPU time of the page's renderer main thread, from CDP's Performance metrics. */
export class MainThread {
  private constructor(private readonly cdp: CDPSession) {}

  static async attach(page: Page): Promise<MainThread> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    return new MainThread(cdp);
  }

  async metrics(): Promise<Record<string, number>> {
    const { metrics } = await this.cdp.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  }

  /** CPU ms of the main thread (since Performance.enable), and its task, script and layout ms */
  async times(): Promise<{ cpu: number; task: number; script: number; layout: number }> {
    const m = await this.metrics();
    return { cpu: (m['ThreadTime'] ?? NaN) * 1000, task: (m['TaskDuration'] ?? NaN) * 1000, script: (m['ScriptDuration'] ?? NaN) * 1000, layout: ((m['LayoutDuration'] ?? 0) + (m['RecalcStyleDuration'] ?? 0)) * 1000 };
  }

  /** Starts the V8 CPU profiler on the main thread (PAGE_PROFILE: where the time goes, not a figure). */
  async startProfile(): Promise<void> {
    await this.cdp.send('Profiler.enable');
    await this.cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await this.cdp.send('Profiler.start');
  }

  /** Stops it: the profile (Chrome DevTools' .cpuprofile format). */
  async stopProfile(): Promise<CpuProfile> {
    const { profile } = await this.cdp.send('Profiler.stop');
    return profile as CpuProfile;
  }

  /** the main thread's JS heap after a forced GC */
  async heapAfterGc(): Promise<Heap> {
    await this.cdp.send('HeapProfiler.collectGarbage');
    return heapOf(await this.cdp.send('Runtime.getHeapUsage'));
  }

  async detach(): Promise<void> {
    await this.cdp.detach().catch(() => {});
  }
}

/**
 * A CDP session with the page's session worker. Playwright opens CDP sessions for pages and frames only;
 * the browser's own session attaches to the worker's target (not flattened) and carries its commands in
 * Target.sendMessageToTarget.
 */
export class WorkerCdp {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly browserCdp: CDPSession, private readonly sessionId: string) {
    browserCdp.on('Target.receivedMessageFromTarget', (ev) => {
      if (ev.sessionId !== this.sessionId) return;
      const m = JSON.parse(ev.message) as { id?: number; result?: unknown; error?: { message: string } };
      const w = m.id === undefined ? undefined : this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id!);
      if (m.error) w.reject(new Error(m.error.message));
      else w.resolve(m.result);
    });
  }

  /** The worker of the page whose script is `urlPart` (the newest such target). */
  static async attach(browser: Browser, urlPart = 'session.worker'): Promise<WorkerCdp> {
    const cdp = await browser.newBrowserCDPSession();
    const { targetInfos } = await cdp.send('Target.getTargets');
    const target = targetInfos.filter((t) => t.type === 'worker' && t.url.includes(urlPart)).at(-1);
    if (!target) throw new Error(`no worker target whose script is ${urlPart} (targets: ${targetInfos.map((t) => t.type).join(', ')})`);
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
    return new WorkerCdp(cdp, sessionId);
  }

  send<T>(method: string, params: object = {}, timeoutMs = 60_000): Promise<T> {
    const id = ++this.next;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(id); reject(new Error(`${method}: no answer from the worker in ${timeoutMs} ms`)); }, timeoutMs);
      this.waiting.set(id, { resolve: (r) => { clearTimeout(timer); resolve(r as T); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      void this.browserCdp.send('Target.sendMessageToTarget', { sessionId: this.sessionId, message: JSON.stringify({ id, method, params }) });
    });
  }

  /** the worker's JS heap after a forced GC */
  async heapAfterGc(): Promise<Heap> {
    await this.send('HeapProfiler.collectGarbage');
    return heapOf(await this.send<HeapUsage>('Runtime.getHeapUsage'));
  }

  async detach(): Promise<void> {
    await this.browserCdp.detach().catch(() => {});
  }
}

export type { Browser, BrowserContext, Page };
