// Screenshots of the views harness (demo data) in Debian's Chromium: `node apps/web/harness/shoot.mjs [name=query@WxH ...]`.
// Build first: pnpm --filter @socketscope/web exec vite build -c harness/vite.config.ts
// Serves /tmp/ladder-harness on 127.0.0.1 only, writes /tmp/ladder-<name>.png, prints timings the page reports.
import { chromium } from '@playwright/test';
import { preview } from 'vite';

const defaults = [
  'hello-1080=demo=hello&top=1@1920x1080',
  'hello-720=demo=hello&top=1@1280x720',
  'proj-zh-1080=demo=hello&lang=zh-CN&projector=1&top=1@1920x1080',
  'proj-zh-720=demo=hello&lang=zh-CN&projector=1&top=1@1280x720',
  'select-1080=demo=hello&top=1&click=17@1920x1080',
  'inferred-tw-720=demo=inferred&lang=zh-TW&top=1@1280x720',
  'refused-720=demo=refused&top=1@1280x720',
  'udp-720=demo=udp&top=1@1280x720',
];
const shots = (process.argv.length > 2 ? process.argv.slice(2) : defaults).map((s) => {
  const [name, rest] = s.split(/=(.*)/s);
  const [query, size] = rest.split('@');
  const [w, h] = (size ?? '1920x1080').split('x').map(Number);
  return { name, query, w, h };
});

const server = await preview({ root: '/tmp', build: { outDir: '/tmp/ladder-harness' }, preview: { host: '127.0.0.1', port: 0, strictPort: false }, configFile: false, logLevel: 'warn' });
const base = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--headless'] });
try {
  for (const s of shots) {
    const page = await browser.newPage({ viewport: { width: s.w, height: s.h } });
    page.on('pageerror', (e) => console.error(`[${s.name}] page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.error(`[${s.name}] ${m.type()}: ${m.text()}`); });
    const t0 = Date.now();
    await page.goto(`${base}harness.html?${s.query}`, { timeout: 60_000 });
    await page.waitForFunction(() => window.harnessPaintMs !== undefined, null, { timeout: 60_000 });
    const renderMs = await page.evaluate(() => window.harnessPaintMs);
    const timings = await page.evaluate(() => window.harnessTimings);
    console.log(`${s.name}: in-page ms ${JSON.stringify(Object.fromEntries(Object.entries(timings ?? {}).map(([k, v]) => [k, Math.round(v)])))}`);
    if (s.query.includes('scroll=1')) {
      // scroll through the ladder and time frames: windowed rendering must keep frames short
      const frames = await page.evaluate(async () => {
        const el = document.querySelector('.ll-scroll');
        const times = [];
        let last = performance.now();
        for (let i = 0; i < 120; i++) {
          el.scrollTop += 2000 + i * 5000;
          await new Promise((r) => requestAnimationFrame(r));
          const now = performance.now();
          times.push(now - last);
          last = now;
        }
        times.sort((a, b) => a - b);
        return { median: times[60], p95: times[114], max: times[119], nodes: document.querySelectorAll('.ll-row').length };
      });
      console.log(`${s.name}: scroll frames median ${frames.median.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms, max ${frames.max.toFixed(1)} ms, rows in DOM ${frames.nodes}`);
    }
    if (s.query.includes('top=1')) {
      await page.evaluate(() => { document.querySelector('.ll-scroll').scrollTop = 0; });
    }
    if (s.query.includes('click=')) {
      const seq = new URLSearchParams(s.query).get('click');
      await page.click(`[data-seq="${seq}"] .ll-hit`, { force: true });
    }
    await page.waitForTimeout(300);
    await page.screenshot({ path: `/tmp/ladder-${s.name}.png` });
    console.log(`${s.name}: ${s.w}x${s.h} first paint ${renderMs.toFixed(0)} ms, load ${Date.now() - t0} ms → /tmp/ladder-${s.name}.png`);
    await page.close();
  }
} finally {
  await browser.close();
  await new Promise((r) => server.httpServer.close(r));
}
