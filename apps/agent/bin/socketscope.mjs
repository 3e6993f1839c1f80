#!/usr/bin/env node
// `socketscope` as an installed command: loads the TypeScript CLI through tsx (the project runs its
// sources directly; there is no separate build of the agent).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
const code = await main(process.argv.slice(2));
// a finished command exits even if a source left a handle open; `start` (-1) runs until a signal
if (code >= 0) process.exit(code);
