/**
 * `pnpm bench [--json] [--only name]`: every performance budget of the project, each measured against
 * a baseline taken in the same run. One line per figure: name, value, unit, baseline, ratio, budget, ok.
 * Each bench/*.ts module (but this one) exports `run(): Promise<BenchResult[]>`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './result.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'result.ts'].includes(f) && !f.endsWith('.test.ts'))
  .filter((f) => !only || f.startsWith(only));

const results: (BenchResult & { module: string })[] = [];
for (const file of modules) {
  const mod = (await import(pathToFileURL(path.join(here, file)).href)) as { run?: () => Promise<BenchResult[]> };
  if (typeof mod.run !== 'function') continue;
  if (!json) process.stderr.write(`bench: ${file}…\n`);
  try {
    for (const r of await mod.run()) {
      results.push({ ...r, module: file });
      if (!json) console.log(formatLine(r));
    }
  } catch (err) {
    const r: BenchResult = { name: file, value: NaN, unit: '', budget: 'runs', ok: false, note: `failed: ${(err as Error).message}` };
    results.push({ ...r, module: file });
    if (!json) console.log(formatLine(r));
  }
}
if (json) console.log(JSON.stringify({ results }, null, 2));
else console.log(`\n${results.filter((r) => r.ok).length} within budget, ${results.filter((r) => !r.ok).length} over budget`);
process.exit(0);

function n(x: number | undefined): string {
  if (x === undefined) return '-';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en') : x.toPrecision(4);
}

function formatLine(r: BenchResult): string {
  return [r.name.padEnd(44), `${n(r.value)} ${r.unit}`.padEnd(22), `baseline ${n(r.baseline)}`.padEnd(22), `ratio ${n(r.ratio)}`.padEnd(14), `budget ${r.budget}`.padEnd(22), r.ok ? 'ok' : 'OVER', r.note ? ` (${r.note})` : ''].join(' ');
}
