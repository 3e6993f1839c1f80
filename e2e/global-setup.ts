import { execFileSync } from 'node:child_process';
import { ROOT, startAgent } from './support/agent.ts';

/**
 * Builds the page once, then starts the agent that most tests share on a free port with a known token.
 * Tests read its address from SOCKETSCOPE_E2E_URL. Returns the teardown.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  execFileSync('pnpm', ['--filter', '@socketscope/web', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const agent = await startAgent();
  process.env['SOCKETSCOPE_E2E_URL'] = agent.url;
  process.env['SOCKETSCOPE_E2E_PORT'] = String(agent.port);
  return async () => {
    await agent.stop();
  };
}
