/**
 * One bench module in a process of its own (bench/run.ts starts it in its own process group, so a module
 * that passes its bound is killed with every process it started). argv: the module's path, then the
 * bench's own arguments (modules read --json and --quick from process.argv). Over the IPC channel:
 * { t: 'bound', ms } as soon as the module is loaded (its `boundMs` export, or null), then
 * { t: 'results', results } or { t: 'error', message }. Nothing of this goes to stdout: run.ts sends this
 * process's stdout to its stderr, so `--json` prints one document whatever a module logs.
 */
import { pathToFileURL } from 'node:url';
import type { BenchResult } from '../result.ts';

type Msg = { t: 'bound'; ms: number | null; runs: boolean } | { t: 'results'; results: BenchResult[] } | { t: 'error'; message: string };

const send = (m: Msg) => new Promise<void>((resolve) => {
  if (!process.send) throw new Error('bench/lib/module-child.ts is started by bench/run.ts (it needs the IPC channel)');
  process.send(m, undefined, {}, () => resolve());
});

try {
  const mod = (await import(pathToFileURL(process.argv[2]!).href)) as { run?: () => Promise<BenchResult[]>; boundMs?: unknown };
  const runs = typeof mod.run === 'function';
  await send({ t: 'bound', ms: typeof mod.boundMs === 'number' ? mod.boundMs : null, runs });
  if (runs) await send({ t: 'results', results: await mod.run!() });
} catch (err) {
  await send({ t: 'error', message: (err as Error)?.message ?? String(err) });
}
// a module may leave timers or sockets behind: its results are in, the process ends here
process.exit(0);
