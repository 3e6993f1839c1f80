#!/usr/bin/env node
/**
 * Records every lesson as the page's recording format (apps/web/src/recording/format.ts: a header line,
 * then one event per line) by running the agent's `socketscope run <lesson> --json`: the lesson's real
 * Python programs, traced, on loopback, with the kernel probe and (where permitted) packet capture. A lab
 * lesson (one whose definition names a link) is recorded the same way on the lab network, which `run`
 * brings up for it (two network namespaces and the link: root, or unprivileged user namespaces); its
 * recording then holds the link's state and drops too, and a machine without the lab cannot record it
 * (the run fails and says why). The files go to apps/web/recordings/<lesson>.jsonl; the page ships them
 * and opens one where the lesson cannot run (no Python, not Linux, no agent).
 *
 *   node scripts/record-lessons.mjs            every lesson
 *   node scripts/record-lessons.mjs tcp-echo   only the ones named
 *
 * The header says where and when the recording was made (`recorded`: time, OS, kernel, Python, whether
 * packets were captured), so the page can label it. The temporary folder the runner wrote the programs
 * to is taken out of the events (a source file is named by its file name alone): it says nothing about
 * the lesson and would differ in every recording.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'apps/web/recordings');
const CLI = path.join(ROOT, 'apps/agent/bin/socketscope.mjs');
/** a lesson takes 2–10 s; a stuck one is ended */
const RUN_TIMEOUT_MS = 120_000;
/** the runner's temporary folders (lessons/lesson-run.ts: mkdtemp "socketscope-<lesson>-") */
const TMP_DIR = /(?:\/[^"/\\]+)*\/socketscope-[a-z0-9-]+-[A-Za-z0-9]{6}\//g;

function lessonIds() {
  const out = execFileSync(process.execPath, [CLI, 'list'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
}

function distro() {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

function record(lesson) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [CLI, 'run', lesson, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${lesson}: socketscope run exited ${r.status ?? r.signal}\n${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.replace(TMP_DIR, ''));
  const events = lines.map((l) => JSON.parse(l));
  const python = events.find((e) => e.type === 'proc.start')?.python;
  const wire = events.find((e) => e.type === 'source.status' && e.source === 'wire');
  const header = {
    format: 'socketscope-session',
    version: 1,
    events: events.length,
    savedAt: new Date().toISOString(),
    app: 'SocketScope record-lessons',
    source: 'agent',
    lesson,
    recorded: {
      at: new Date(started).toISOString(),
      os: distro() ?? os.type(),
      kernel: `${os.type()} ${os.release()} ${os.arch()}`,
      ...(python ? { python } : {}),
      captured: wire?.status?.available === true,
    },
  };
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `${lesson}.jsonl`);
  writeFileSync(file, `${JSON.stringify(header)}\n${lines.join('\n')}\n`);
  // a lab lesson that did not run on the lab would teach a loss that never happened
  const lab = events.find((e) => e.type === 'link.state');
  if (lab && !lab.up) throw new Error(`${lesson}: the lab's link was not up; the recording is not one to ship`);
  const steps = events.filter((e) => e.type === 'scenario.step' && e.status !== 'start');
  const failed = steps.filter((e) => e.status === 'failed');
  process.stderr.write(`${lesson}: ${events.length} events, ${steps.length} steps${failed.length ? `, FAILED: ${failed.map((e) => e.step).join(', ')}` : ''}, ${((Date.now() - started) / 1000).toFixed(1)} s → ${path.relative(ROOT, file)}\n`);
  if (failed.length) throw new Error(`${lesson}: a step failed; the recording is not one to ship`);
}

const wanted = process.argv.slice(2);
const all = lessonIds();
const unknown = wanted.filter((id) => !all.includes(id));
if (unknown.length) {
  process.stderr.write(`record-lessons: no lesson ${unknown.join(', ')}; there are: ${all.join(', ')}\n`);
  process.exit(2);
}
let bad = 0;
for (const id of wanted.length ? wanted : all) {
  try {
    record(id);
  } catch (err) {
    bad++;
    process.stderr.write(`record-lessons: ${err.message}\n`);
  }
}
process.exit(bad ? 1 : 0);
