/**
 * Load: 200 TCP connections open at once through the agent (bench/concurrent.ts: 1,000) — listen, every
 * connect, every accept, a message each way, recv each way, closes — driven by a page over the
 * WebSocket, with the kernel probe and wire inference running and every event streamed to that page.
 * No errors, and the page holds every event in order.
 *
 * The engine's default limit (256 sockets: DEFAULT_LIMITS) is the classroom's and is not raised: this
 * agent is started with createAgent({ limits: { maxSockets } }), the knob for load. Nor is the page's
 * rate (server/rate.ts: 50 frames/s, a person's pace): a script of 8 × N commands needs startServer's
 * `rate` option. A second test shows the default socket limit refusing clearly (E_LIMIT).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/engine/types.ts';
import { startAgentServer, StreamClient, UNLIMITED_RATE, type AgentServer } from './reliability-kit.ts';
import { runAgentLoad, runPlainLoad } from './reliability-load.ts';

const N = 200;

let h: AgentServer | null = null;
afterEach(async () => { await h?.close(); h = null; });

describe('load through the agent', () => {
  it(`${N} concurrent connections: listen, connect, accept, a message each way, close — no errors`, async () => {
    h = await startAgentServer({ limits: { maxSockets: 2 * N + 16 }, rate: UNLIMITED_RATE });
    const r = await runAgentLoad(h, N);
    const plain = await runPlainLoad(N);
    const phases = Object.entries(r.phases).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    console.info(`load: ${N} connections through the agent in ${r.ms.toFixed(0)} ms (${phases}); ${r.events} events; plain node:net ${plain.ms.toFixed(0)} ms`);
    expect(r.errors).toEqual([]);
    expect(plain.errors).toEqual([]);
    // every connection made each call: socket, connect, incoming, accept, 2 sends, 2 recvs, 2 closes
    expect(r.events).toBeGreaterThanOrEqual(10 * N);
    expect(h.logs.filter((l) => /failed unexpectedly|uncaught/i.test(l))).toEqual([]);
  }, 55_000);

  it('with the classroom default the agent refuses the socket beyond its limit with E_LIMIT', async () => {
    h = await startAgentServer({ rate: UNLIMITED_RATE });
    const page = await StreamClient.open(h.port);
    await page.sync();
    const max = DEFAULT_LIMITS.maxSockets;
    // a plain peer outside the agent, so each connect is exactly one of the agent's sockets
    const peer = net.createServer((s) => s.on('error', () => {}));
    await new Promise<void>((r) => peer.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => r()));
    const port = (peer.address() as net.AddressInfo).port;
    try {
      const replies = [];
      for (let i = 0; i <= max; i++) replies.push(await page.cmd({ op: 'tcp.connect', port }));
      expect(replies.slice(0, max).every((r) => r.ok)).toBe(true);
      expect(replies[max]).toMatchObject({ ok: false, error: { code: 'E_LIMIT' } });
      expect(replies[max]!.error!.message).toMatch(new RegExp(`at most ${max} open sockets`));
    } finally {
      await page.close();
      peer.close();
    }
  }, 55_000);
});
