#!/usr/bin/env node
// `pnpm start`: build the page, then start the agent, which prints the page's URL and opens the browser.
// Extra arguments go to `socketscope start` (e.g. `pnpm start --port 9000 --no-open`).
// The agent runs in its own node process with the flags in apps/agent/bin/node-flags.mjs (a heap cap;
// bench/rss.ts measures it with the same list), through apps/agent/bin/socketscope.mjs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { runAgentCli } from '../apps/agent/bin/node-flags.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync('pnpm', ['--filter', '@socketscope/web', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (build.status !== 0) {
  console.error('SocketScope: building the page failed (see above).');
  process.exit(build.status ?? 1);
}
runAgentCli(['start', ...process.argv.slice(2)], root);
