/**
 * What the page costs before any event: its JavaScript (gzipped, as index.html loads it; the session
 * worker's script and the lazy chunks apart) and its first contentful paint, against the first paint of a
 * one-line page served by the same server to the same browser.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BenchResult } from '../result.ts';
import type { Browser } from './browser.ts';

export function bundle(dist: string): BenchResult[] {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const entry = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
  const all = readdirSync(path.join(dist, 'assets')).filter((f) => f.endsWith('.js')).map((f) => `assets/${f}`);
  const gz = (f: string) => gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length / 1024;
  const sum = (fs: string[]) => fs.reduce((n, f) => n + gz(f), 0);
  const entryKb = sum(entry);
  const worker = all.filter((f) => !entry.includes(f) && /session\.worker-/.test(f));
  const lazy = all.filter((f) => !entry.includes(f) && !worker.includes(f));
  const rawKb = entry.reduce((n, f) => n + statSync(path.join(dist, f)).size / 1024, 0);
  return [{
    name: 'page JS bundle (gzipped, loaded by index.html)', value: entryKb, unit: 'kB', budget: '< 400 kB', ok: entryKb < 400,
    note: `${entry.length} file(s), ${rawKb.toFixed(0)} kB before gzip; no baseline (a size); the session worker's script, started by the page at once: ${sum(worker).toFixed(0)} kB gzipped; ${lazy.length} lazy chunk(s) (lessons' data): ${sum(lazy).toFixed(0)} kB gzipped`,
  }];
}

const median3 = (xs: number[]) => xs.toSorted((a, b) => a - b)[1]!;

async function fcp(browser: Browser, url: string): Promise<number> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const page = await ctx.newPage();
    await page.goto(url);
    const h = await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime, undefined, { timeout: 15_000 });
    return Number(await h.jsonValue());
  } finally {
    await ctx.close();
  }
}

/** Median of 3 cold loads of the page, and of 3 of a one-line page from the same server (the baseline). */
export async function firstPaint(browser: Browser, pageUrl: string, blankUrl: string): Promise<BenchResult[]> {
  const times: number[] = [];
  const blank: number[] = [];
  for (let i = 0; i < 3; i++) {
    blank.push(await fcp(browser, blankUrl));
    times.push(await fcp(browser, pageUrl));
  }
  const v = median3(times);
  const b = median3(blank);
  return [{
    name: 'page first contentful paint (built page)', value: v, unit: 'ms', baseline: b, ratio: v / b, budget: '< 1500 ms', ok: v < 1500,
    note: `3 cold loads: ${times.map((t) => t.toFixed(0)).join('/')} ms; baseline: a one-line page from the same server, ${blank.map((t) => t.toFixed(0)).join('/')} ms`,
  }];
}
