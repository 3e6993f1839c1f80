/**
 * The agent as `socketscope start` runs it (createAgent + startServer, sources started, the page port
 * left out of capture), with engine limits from argv — the knob the CLI does not offer, because the
 * classroom keeps the defaults. Prints the same URL line; SIGTERM shuts it down the same way.
 * argv: capture (auto|off), limits as JSON (Partial<Limits>), options as JSON: { rate?: a page's frames
 * per second (server/rate.ts; the default is a person's pace, too slow to drive a load), ringSize? }.
 */
import v8 from 'node:v8';
import { createAgent } from '../../apps/agent/src/agent.ts';
import { startServer } from '../../apps/agent/src/server/server.ts';

const capture = process.argv[2] === 'auto' ? 'auto' : 'off';
const limits = JSON.parse(process.argv[3] ?? '{}') as Record<string, number>;
const serverOpts = JSON.parse(process.argv[4] ?? '{}') as { rate?: { perSecond: number; burst: number }; ringSize?: number };
const token = process.env['SOCKETSCOPE_TOKEN'] ?? 'b'.repeat(64);
const log = (line: string) => process.stderr.write(`socketscope: ${line}\n`);
const agent = createAgent({ capture, limits, log, ...(serverOpts.ringSize ? { session: { ringSize: serverOpts.ringSize } } : {}) });
const server = await startServer(agent, { port: 0, token, log, ...(serverOpts.rate ? { rate: serverOpts.rate } : {}) });
await agent.setUiPorts([server.port]);
agent.start();
process.stdout.write(`SocketScope: ${server.url}\n`);
const stop = async () => {
  await server.close();
  await agent.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
// for the memory bench: what the heap holds versus what the process has (one JSON line on stderr)
process.on('SIGUSR2', () => {
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, { used: Math.round(sp.space_used_size / 2 ** 20), committed: Math.round(sp.physical_space_size / 2 ** 20) }]));
  process.stderr.write(`MEMORY ${JSON.stringify({ ...process.memoryUsage(), spaces })}\n`);
});
process.on('SIGINT', () => void stop());
