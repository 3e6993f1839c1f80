#!/usr/bin/env node
// `pnpm test`: everything CI runs, in order — system deps, typecheck, lint, build (integration tests
// serve the built page), unit + integration (vitest, real loopback sockets), end-to-end (Playwright in
// Debian's Chromium).
// Ends with one plain line counting every test: "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = path.join(root, '.tmp');
mkdirSync(tmp, { recursive: true });
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const vitestJson = path.join(tmp, 'vitest.json');
const playwrightJson = path.join(tmp, 'playwright.json');
rmSync(vitestJson, { force: true });
rmSync(playwrightJson, { force: true });

const steps = [
  ['system packages', 'bash', ['scripts/test-deps.sh']],
  ['typecheck shared', bin('tsc'), ['-p', 'packages/shared']],
  ['typecheck agent', bin('tsc'), ['-p', 'apps/agent']],
  ['typecheck web', bin('tsc'), ['-p', 'apps/web']],
  ['typecheck e2e + bench', 'bash', ['-c', `"${bin('tsc')}" -p e2e && "${bin('tsc')}" -p bench`]],
  ['lint', bin('oxlint'), ['-c', '.oxlintrc.json', '--deny-warnings', 'apps', 'packages', 'scripts', 'bench', 'e2e']],
  ['build', 'pnpm', ['--filter', '@socketscope/web', 'build']],
  ['unit + integration', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]],
  ['end-to-end', bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson }],
];

const failed = [];
for (const [name, cmd, args, env] of steps) {
  console.log(`\n=== ${name} ===`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.log(`=== ${name}: FAILED (${secs} s) ===`);
    failed.push(name);
    // without a build there is nothing for the end-to-end tests to open
    if (name === 'build' || name === 'system packages') break;
  } else console.log(`=== ${name}: ok (${secs} s) ===`);
}

let passed = 0, testsFailed = 0, skipped = 0;
if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += v.numPassedTests ?? 0;
  testsFailed += v.numFailedTests ?? 0;
  skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
}
if (existsSync(playwrightJson)) {
  const p = JSON.parse(readFileSync(playwrightJson, 'utf8'));
  passed += (p.stats?.expected ?? 0) + (p.stats?.flaky ?? 0);
  if (p.stats?.flaky) console.log(`\nNOTE: ${p.stats.flaky} end-to-end test(s) passed only on retry (flaky) — see the list above.`);
  testsFailed += p.stats?.unexpected ?? 0;
  skipped += p.stats?.skipped ?? 0;
}
if (skipped > 0) console.log(`\nNOTE: ${skipped} test(s) were SKIPPED — see the warnings above for what they need.`);
if (failed.length) console.log(`\nFailed steps: ${failed.join(', ')}`);
console.log(`tests: ${passed} passed, ${testsFailed} failed, ${skipped} skipped`);
process.exit(failed.length || testsFailed ? 1 : 0);
