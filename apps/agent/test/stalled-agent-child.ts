/**
 * The agent as `socketscope start --share` runs it (createAgent + startServer with a share listener,
 * sources started, the page port left out of capture), in its own process so it runs with the node flags
 * it ships with (apps/agent/bin/node-flags.mjs: the heap cap). For the stalled-viewers test and bench
 * (stalled-kit.ts). The share address is 127.0.0.2, a loopback address standing in for the LAN one.
 *
 * Prints the two link lines as the CLI does. It samples its own V8 heap every 20 ms, watches its event
 * loop's delay, and answers SIGUSR2 with one line on stderr: `HEAP {"used", "peak", "limit"}` (bytes),
 * `loopMaxMs`, `loopP99Ms` (the longest and the 99th percentile turn since start). SIGTERM shuts it down.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { createAgent } from '../src/agent.ts';
import { startServer } from '../src/server/server.ts';

const token = process.env['SOCKETSCOPE_TOKEN'] ?? 'f'.repeat(64);
const viewerToken = process.env['SOCKETSCOPE_VIEWER_TOKEN'] ?? 'v'.repeat(64);
const log = (line: string) => process.stderr.write(`socketscope: ${line}\n`);
const agent = createAgent({ capture: 'off', log });
const server = await startServer(agent, { port: 0, token, log, share: { host: '127.0.0.2', viewerToken } });
await agent.setUiPorts([server.port]);
agent.start();
process.stdout.write(`SocketScope: ${server.url}\n`);
process.stdout.write(`SocketScope read-only link for students: ${server.viewerUrl}\n`);

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
let peak = 0;
const sample = () => { peak = Math.max(peak, v8.getHeapStatistics().used_heap_size); };
setInterval(sample, 20).unref();
process.on('SIGUSR2', () => {
  sample();
  const h = v8.getHeapStatistics();
  process.stderr.write(`HEAP ${JSON.stringify({ used: h.used_heap_size, peak, limit: h.heap_size_limit, loopMaxMs: loop.max / 1e6, loopP99Ms: loop.percentile(99) / 1e6 })}\n`);
});
const stop = async () => {
  await server.close();
  await agent.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
