#!/usr/bin/env node
// `pnpm start`: build the page, then start the agent, which prints the page's URL and opens the browser.
// Extra arguments go to `socketscope start` (e.g. `pnpm start --port 9000 --no-open`).
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync('pnpm', ['--filter', '@socketscope/web', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (build.status !== 0) {
  console.error('SocketScope: building the page failed (see above).');
  process.exit(build.status ?? 1);
}
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const agent = spawn(tsx, [path.join(root, 'apps/agent/src/cli.ts'), 'start', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => agent.kill(sig));
agent.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
