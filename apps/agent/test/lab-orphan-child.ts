/**
 * Child process for lab-cleanup.test.ts: an agent's lab, up, with a program on each host and the forwarder
 * running; prints the pids as one JSON line, then waits to be killed.
 */
import { spawn } from 'node:child_process';
import { Lab } from '../src/lab/index.ts';

const lab = new Lab({ log: () => {} });
await lab.up({ delayMs: 50, lossPct: 1, rateKbit: 1000 });
const programs = (['client', 'server'] as const).map((host) => {
  const argv = lab.wrap(host, ['sleep', '600']);
  return spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' }).pid;
});
const internals = lab as unknown as { forwarder: { pid?: number }; keeper: { pid?: number } };
process.stdout.write(`${JSON.stringify({ pid: process.pid, programs, forwarder: internals.forwarder.pid, keeper: internals.keeper.pid })}\n`);
setInterval(() => {}, 1000);
