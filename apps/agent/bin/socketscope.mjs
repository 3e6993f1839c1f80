#!/usr/bin/env node
// `socketscope` as an installed command: loads the TypeScript CLI through tsx (the project runs its
// sources directly; there is no separate build of the agent). Started without the agent's node flags (a
// heap cap, node-flags.mjs), it runs itself again with them, and that agent ends when this launcher
// does, even by SIGKILL (LA1).
import { register } from 'tsx/esm/api';
import { hasAgentFlags, runAgentCli, watchLifeline } from './node-flags.mjs';

if (!hasAgentFlags()) {
  runAgentCli(process.argv.slice(2));
} else {
  // LA1 (node-flags.mjs): started by a launcher, end with it
  await watchLifeline();
  // `ps` and a later start that finds the port taken (server/port-holder.ts) see "socketscope"; this
  // also takes the arguments (a --token given on the command line) out of /proc/PID/cmdline
  process.title = 'socketscope';
  register();
  const { main } = await import('../src/cli.ts');
  const code = await main(process.argv.slice(2));
  // a finished command exits even if a source left a handle open; `start` (-1) runs until a signal
  if (code >= 0) process.exit(code);
}
