/**
 * No leaks: 1,000 socket open/close cycles through the engine (bench/reliability.ts: 10,000), in a child
 * process with --expose-gc (reliability-leak-child.ts) running the whole agent: engine, kernel probe,
 * wire inference, recorder and a page streaming every event.
 * - open TCP/UDP sockets return exactly to where they were (leak-fds.ts: sockets, not every descriptor —
 *   the kernel probe's files and `ss`'s pipes come and go, so the total moves by a few with no leak);
 * - after gc, what the agent holds grows only by the session's own model (it keeps every socket of the
 *   session, and the recorder's snapshots copy it), and after session.reset() it is back at the start.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LeakReport } from './reliability-leak-child.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CYCLES = 1000;

describe('no leaks', () => {
  it(`${CYCLES} socket cycles return the open sockets to the start and memory to a bound`, () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, 'reliability-leak-child.ts'), String(CYCLES)], {
      cwd: path.resolve(here, '../../..'), encoding: 'utf8', timeout: 100_000,
    });
    if (r.status !== 0) throw new Error(`leak child failed (${r.status ?? r.signal}): ${r.stderr}`);
    const rep = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as LeakReport;
    const perCycleKb = ((rep.heapEnd - rep.heapStart) * 1024) / rep.cycles;
    console.info(`leaks: ${rep.cycles} cycles in ${(rep.ms / 1000).toFixed(1)} s, ${rep.events} events; sockets ${rep.socketsStart} → ${rep.socketsEnd} (all fds ${rep.fdsStart} → ${rep.fdsEnd}); `
      + `heap ${rep.heapStart.toFixed(1)} → ${rep.heapEnd.toFixed(1)} MB (${perCycleKb.toFixed(1)} KB/cycle, model holds ${rep.modelSockets} sockets), `
      + `${rep.heapAfterReset.toFixed(1)} MB after reset; rss ${rep.rssStart.toFixed(0)} → ${rep.rssEnd.toFixed(0)} MB`);
    expect(rep.socketsStart).toBeGreaterThan(0); // the listeners and the page's connection are there
    expect(rep.socketsEnd).toBe(rep.socketsStart);
    expect(rep.pageViolations).toEqual([]);
    expect(rep.pageEvents).toBe(rep.events);
    // the session's model keeps each socket (~1–2 KB with its recent calls) and the recorder's snapshots
    // share its entities; anything beyond that per cycle is a leak
    expect(perCycleKb).toBeLessThan(16);
    // with the session's model and ring gone, the rest of the agent is back where it started
    expect(rep.heapAfterReset).toBeLessThan(rep.heapStart + 4);
  }, 110_000);
});
