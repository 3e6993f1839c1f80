/**
 * Long tasks (> 50 ms) on the page during every lesson, run from the page as a teacher does: open the
 * lesson, press Run (recorded: the agent runs the lesson's Python programs on real loopback sockets, with
 * capture running), wait for the run to finish, then step through every step with →. Counted from the
 * click on Run to the last step shown; the page's load before it is reported apart (it is the first
 * paint's business). Baseline: the same lesson page at rest for 3 s before Run. The lab lessons run on
 * the lab the agent brings up for them (its own namespaces); where the lab cannot run they are left out,
 * and the line's note says which and why.
 * Bounded: a run gets RUN_MS, a step STEP_MS; a lesson that fails or stalls fails the line, saying where.
 */
import { Lab } from '../../apps/agent/src/lab/index.ts';
import { LESSONS } from '../../packages/shared/src/lessons/index.ts';
import { KIT_TOKEN } from '../../apps/agent/test/reliability-kit.ts';
import type { BenchResult } from '../result.ts';
import type { AgentServer } from './agent.ts';
import { closePage, LONG_TASK_MS, longSummary, openPage, pageNow, sleep, watched, type Browser, type Page } from './browser.ts';
import { restingLong } from './stream.ts';

const RUN_MS = 60_000;
const STEP_MS = 10_000;

interface LessonTasks { id: string; during: number[]; inRun: number; load: number[]; resting: number[]; wallMs: number; problem?: string }

async function stepIndex(page: Page): Promise<number> {
  return Number(await page.getByTestId('lesson-player').getAttribute('data-step-index'));
}

async function oneLesson(browser: Browser, port: number, id: string, steps: number): Promise<LessonTasks> {
  const page = await openPage(browser, `http://127.0.0.1:${port}/?token=${KIT_TOKEN}&lesson=${id}&lang=en`, '[data-testid="lesson-player"]');
  try {
    const canRun = await page.locator('[data-testid="run-lesson"]:not([disabled])').waitFor({ timeout: 20_000 }).then(() => true, () => false);
    if (!canRun) {
      const why = await page.getByTestId('needs-agent').textContent({ timeout: 1000 }).catch(() => null);
      return { id, during: [], inRun: 0, load: [], resting: [], wallMs: 0, problem: `Run stayed disabled${why ? `: ${why}` : ''}` };
    }
    const loaded = await pageNow(page);
    const resting = await restingLong(page, 3000);
    const since = await pageNow(page);
    const t0 = performance.now();
    let problem: string | undefined;
    await page.getByTestId('run-lesson').click();
    const status = page.getByTestId('run-status');
    const ended = await page.locator('[data-testid="run-status"][data-status="done"], [data-testid="run-status"][data-status="failed"]')
      .waitFor({ timeout: RUN_MS }).then(() => status.getAttribute('data-status')).catch(() => 'still running');
    const ran = await pageNow(page);
    if (ended !== 'done') problem = `the run ended ${ended}: ${(await status.textContent().catch(() => null)) ?? ''}`;
    else {
      for (let k = 0; k < steps && !problem; k++) {
        await page.keyboard.press('ArrowRight');
        const t = performance.now();
        while ((await stepIndex(page)) < k && performance.now() - t < STEP_MS) await sleep(50);
        if ((await stepIndex(page)) < k) problem = `step ${k + 1} of ${steps} did not show within ${STEP_MS / 1000} s`;
      }
    }
    const all = await watched(page, 'benchLong');
    return {
      id, resting, wallMs: performance.now() - t0, ...(problem ? { problem } : {}),
      during: all.filter(([t]) => t >= since).map(([, d]) => d),
      inRun: all.filter(([t, d]) => t >= since && t < ran && d > LONG_TASK_MS).length,
      load: all.filter(([t]) => t < loaded).map(([, d]) => d),
    };
  } finally {
    await closePage(page);
  }
}

const over = (xs: number[]) => xs.filter((d) => d > LONG_TASK_MS).length;

function describe(r: LessonTasks): string {
  const long = r.during.filter((d) => d > LONG_TASK_MS);
  const where = long.length ? ` [${long.map((d) => d.toFixed(0)).join(', ')} ms; ${r.inRun} while it ran, ${long.length - r.inRun} while stepping]` : '';
  return `${longSummary(r.during)}${where} in ${(r.wallMs / 1000).toFixed(1)} s`;
}

export async function lessonLines(browser: Browser, h: AgentServer): Promise<BenchResult[]> {
  const rows: LessonTasks[] = [];
  const lab = Lab.status();
  const noLab = LESSONS.filter((l) => l.lab && !lab.available).map((l) => l.id);
  for (const lesson of LESSONS) {
    if (!noLab.includes(lesson.id)) rows.push(await oneLesson(browser, h.port, lesson.id, lesson.steps.length));
  }
  const n = rows.reduce((s, r) => s + over(r.during), 0);
  const base = rows.reduce((s, r) => s + over(r.resting), 0);
  const failed = rows.filter((r) => r.problem);
  return [{
    name: `page: long tasks during the ${rows.length} lessons (Run, then every step)`, value: n, unit: 'tasks', baseline: base, budget: '0',
    ok: n === 0 && failed.length === 0,
    note: `${rows.map((r) => `${r.id} ${describe(r)}${r.problem ? ` (FAILED: ${r.problem})` : ''}`).join('; ')}; `
      + `baseline: each lesson page at rest for 3 s before Run, ${base} in all; while the pages loaded (not counted): ${rows.map((r) => over(r.load)).join('/')} `
      + `(longest ${Math.max(0, ...rows.flatMap((r) => r.load)).toFixed(0)} ms)`
      + (noLab.length ? `; NOT RUN, the lab cannot run here (${lab.reason ?? 'unavailable'}): ${noLab.join(', ')}` : ''),
  }];
}
