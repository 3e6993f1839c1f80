import type { Scenario, ScenarioContext } from './types.ts';

/**
 * The tutorial's UDP echo server on 127.0.0.1:9998: no handshake; every sendto() carries the address
 * and recvfrom() returns the sender's; two datagrams stay two (boundaries kept). Then the server stops
 * reading, shrinks its receive buffer and the client floods it: the kernel drops what does not fit and
 * counts it (kernel.udp drops), where TCP would have slowed the sender down.
 */
interface EchoState {
  server?: string;
  client?: string;
  clientAddr?: { host: string; port: number };
  open: Set<string>;
}

const HOST = '127.0.0.1';
export const FLOOD_DATAGRAMS = 200;
export const FLOOD_BYTES = 1000;
const SMALL_BUFFER = 2048;

async function close(ctx: ScenarioContext, s: EchoState, sock: string | undefined): Promise<void> {
  if (!sock || !s.open.has(sock)) return;
  s.open.delete(sock);
  await ctx.call({ op: 'udp.close', sock });
}

function need(sock: string | undefined, what: string): string {
  if (!sock) throw new Error(`udp-echo: no ${what} socket (an earlier step did not make it)`);
  return sock;
}

/** recvfrom(1024) on a socket, retried while nothing has arrived yet; returns the sender and the length. */
async function recvfrom(ctx: ScenarioContext, sock: string): Promise<{ from?: string; len: number }> {
  const r = await ctx.callWhenReady({ op: 'udp.recvfrom', sock, max: 1024 });
  const ev = r.calls.find((c) => c.call === 'recvfrom');
  const out: { from?: string; len: number } = { len: ev?.data?.len ?? 0 };
  if (ev?.remote) out.from = ev.remote;
  return out;
}

function hostPort(ep: string): { host: string; port: number } | undefined {
  const i = ep.lastIndexOf(':');
  if (i < 0) return undefined;
  return { host: ep.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(ep.slice(i + 1)) };
}

export const udpEcho: Scenario<EchoState> = {
  id: 'udp-echo',
  summary: `UDP echo on ${HOST}:9998: sendto/recvfrom with addresses, boundaries kept, a flooded receiver dropping datagrams`,
  ports: [9998],
  init: () => ({ open: new Set() }),
  steps: [
    {
      id: 'server.bind', role: 'server',
      async run(ctx, s) {
        const r = await ctx.call({ op: 'udp.bind', host: HOST, port: ctx.port(9998) });
        s.server = need(r.sock, 'server');
        s.open.add(s.server);
      },
    },
    {
      id: 'client.socket', role: 'client',
      async run(ctx, s) {
        const r = await ctx.call({ op: 'udp.socket', family: 'ipv4' });
        s.client = need(r.sock, 'client');
        s.open.add(s.client);
      },
    },
    {
      id: 'client.sendto', role: 'client',
      async run(ctx, s) {
        await ctx.call({ op: 'udp.sendto', sock: need(s.client, 'client'), host: HOST, port: ctx.port(9998), data: { text: 'hello', encoding: 'utf8' } });
      },
    },
    {
      id: 'server.recvfrom', role: 'server',
      async run(ctx, s) {
        const got = await recvfrom(ctx, need(s.server, 'server'));
        // recvfrom() tells the server who sent it: that is where the echo goes
        const addr = got.from ? hostPort(got.from) : undefined;
        if (!addr) throw new Error('udp-echo: recvfrom() did not report the sender address');
        s.clientAddr = addr;
      },
    },
    {
      id: 'server.sendto', role: 'server',
      async run(ctx, s) {
        const to = s.clientAddr!;
        await ctx.call({ op: 'udp.sendto', sock: need(s.server, 'server'), host: to.host, port: to.port, data: { text: 'HELLO', encoding: 'utf8' } });
      },
    },
    {
      id: 'client.recvfrom', role: 'client',
      async run(ctx, s) {
        await recvfrom(ctx, need(s.client, 'client'));
      },
    },
    {
      // two sendto() calls are two datagrams, and two recvfrom() calls read them one at a time
      id: 'boundaries', role: 'both',
      async run(ctx, s) {
        const client = need(s.client, 'client');
        const server = need(s.server, 'server');
        for (const text of ['one', 'two']) await ctx.call({ op: 'udp.sendto', sock: client, host: HOST, port: ctx.port(9998), data: { text, encoding: 'utf8' } });
        for (let i = 0; i < 2; i++) await recvfrom(ctx, server);
      },
    },
    {
      id: 'server.shrink-buffer', role: 'server',
      async run(ctx, s) {
        await ctx.call({ op: 'udp.setRecvBuffer', sock: need(s.server, 'server'), bytes: SMALL_BUFFER });
      },
    },
    {
      // all sendto() calls issued at once, so they land before the server reads anything
      id: 'client.flood', role: 'client',
      async run(ctx, s) {
        const client = need(s.client, 'client');
        const hex = '58'.repeat(FLOOD_BYTES);
        const sends = Array.from({ length: FLOOD_DATAGRAMS }, () =>
          ctx.call({ op: 'udp.sendto', sock: client, host: HOST, port: ctx.port(9998), data: { hex } }));
        const results = await Promise.allSettled(sends);
        const failed = results.filter((r) => r.status === 'rejected').length;
        if (failed === results.length) throw (results[0] as PromiseRejectedResult).reason;
        if (failed > 0) ctx.log(`udp-echo: ${failed} of ${results.length} flood sends were refused`);
        const server = need(s.server, 'server');
        // bounded wait for the kernel to count the drops (/proc/net/udp `drops`)
        await ctx.waitUntil(() => (ctx.socket(server)?.drops ?? 0) > 0, { timeoutMs: 2000, needsKernel: true });
      },
    },
    {
      // what fitted in the small buffer is still there; the rest is gone for good. recvfrom() would
      // block on an empty queue, so read only while the kernel still reports queued datagrams.
      id: 'server.drain', role: 'server',
      async run(ctx, s) {
        const server = need(s.server, 'server');
        let queued = ctx.socket(server)?.recvQueue ?? 0;
        for (let i = 0; i < 32 && queued > 0; i++) {
          await recvfrom(ctx, server);
          const before = queued;
          await ctx.waitUntil(() => (ctx.socket(server)?.recvQueue ?? 0) < before, { timeoutMs: 1000, needsKernel: true });
          queued = ctx.socket(server)?.recvQueue ?? 0;
          if (queued >= before) break; // the kernel did not report the read: stop rather than block
        }
      },
    },
    {
      id: 'close', role: 'both',
      async run(ctx, s) {
        await close(ctx, s, s.client);
        await close(ctx, s, s.server);
      },
    },
  ],
  async cleanup(ctx, s) {
    for (const sock of s.open) await close(ctx, s, sock).catch(() => {});
  },
};
