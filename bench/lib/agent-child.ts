/**
 * The agent as `socketscope start` runs it (createAgent + startServer, sources started, the page port
 * left out of capture), with engine limits from argv — the knob the CLI does not offer, because the
 * classroom keeps the defaults. Prints the same URL line; SIGTERM shuts it down the same way.
 * argv: capture (auto|off), limits as JSON (Partial<Limits>).
 */
import { createAgent } from '../../apps/agent/src/agent.ts';
import { startServer } from '../../apps/agent/src/server/server.ts';

const capture = process.argv[2] === 'auto' ? 'auto' : 'off';
const limits = JSON.parse(process.argv[3] ?? '{}') as Record<string, number>;
const token = process.env['SOCKETSCOPE_TOKEN'] ?? 'b'.repeat(64);
const log = (line: string) => process.stderr.write(`socketscope: ${line}\n`);
const agent = createAgent({ capture, limits, log });
const server = await startServer(agent, { port: 0, token, log });
await agent.setUiPorts([server.port]);
agent.start();
process.stdout.write(`SocketScope: ${server.url}\n`);
const stop = async () => {
  await server.close();
  await agent.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
