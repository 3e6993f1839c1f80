#!/usr/bin/env node
// `socketscope` as an installed command: loads the TypeScript CLI through tsx (the project runs its
// sources directly; there is no separate build of the agent). Started without the agent's node flags (a
// heap cap, node-flags.mjs), it runs itself again with them.
import { register } from 'tsx/esm/api';
import { hasAgentFlags, runAgentCli } from './node-flags.mjs';

if (!hasAgentFlags()) {
  runAgentCli(process.argv.slice(2));
} else {
  register();
  const { main } = await import('../src/cli.ts');
  const code = await main(process.argv.slice(2));
  // a finished command exits even if a source left a handle open; `start` (-1) runs until a signal
  if (code >= 0) process.exit(code);
}
