import type { EngineCommand } from '../engine/types.ts';
import type { Scenario, ScenarioContext } from './types.ts';

/**
 * The tutorial's hello exchange on 127.0.0.1:8888: the server listens, accepts, receives the
 * client's greeting and answers once; the client connects, sends, receives, and closes first, so the
 * teardown shows FIN_WAIT2 → TIME_WAIT on the client and CLOSE_WAIT → LAST_ACK on the server.
 *
 * Between steps the scenario waits (bounded) for the kernel to show the state the step produces, so
 * the /proc probe sees every state even though loopback is faster than its polling.
 */
interface HelloState {
  listener?: string;
  client?: string;
  conn?: string;
  open: Set<string>;
}

const HOST = '127.0.0.1';
export const GREETING = 'hello';
export const ANSWER = 'hi, client';

async function close(ctx: ScenarioContext, s: HelloState, sock: string | undefined): Promise<void> {
  if (!sock || !s.open.has(sock)) return;
  s.open.delete(sock);
  await ctx.call({ op: 'tcp.close', sock });
}

function need(sock: string | undefined, what: string): string {
  if (!sock) throw new Error(`tcp-hello: no ${what} socket (an earlier step did not make it)`);
  return sock;
}

export const tcpHello: Scenario<HelloState> = {
  id: 'tcp-hello',
  summary: `TCP hello exchange on ${HOST}:8888: handshake, one message each way, teardown (client closes first)`,
  ports: [8888],
  init: () => ({ open: new Set() }),
  steps: [
    {
      id: 'server.listen', role: 'server',
      async run(ctx, s) {
        const r = await ctx.call({ op: 'tcp.listen', host: HOST, port: ctx.port(8888), backlog: 128, reuseAddr: false });
        s.listener = need(r.sock, 'listening');
        s.open.add(s.listener);
        await ctx.waitForTcpState(s.listener, ['LISTEN']);
      },
    },
    {
      id: 'client.connect', role: 'client',
      async run(ctx, s) {
        const r = await ctx.call({ op: 'tcp.connect', host: HOST, port: ctx.port(8888) });
        s.client = need(r.sock, 'client');
        s.open.add(s.client);
        await ctx.waitForTcpState(s.client, ['ESTABLISHED']);
      },
    },
    {
      id: 'server.accept', role: 'server',
      async run(ctx, s) {
        const r = await ctx.callWhenReady({ op: 'tcp.accept', sock: need(s.listener, 'listening') });
        s.conn = need(r.newSock, 'accepted');
        s.open.add(s.conn);
        await ctx.waitForTcpState(s.conn, ['ESTABLISHED']);
      },
    },
    {
      id: 'client.send', role: 'client',
      async run(ctx, s) {
        await ctx.call({ op: 'tcp.send', sock: need(s.client, 'client'), data: { text: GREETING, encoding: 'utf8' } });
      },
    },
    {
      id: 'server.recv', role: 'server',
      async run(ctx, s) {
        await recvAll(ctx, need(s.conn, 'accepted'), GREETING.length);
      },
    },
    {
      id: 'server.send', role: 'server',
      async run(ctx, s) {
        await ctx.call({ op: 'tcp.send', sock: need(s.conn, 'accepted'), data: { text: ANSWER, encoding: 'utf8' } });
      },
    },
    {
      id: 'client.recv', role: 'client',
      async run(ctx, s) {
        await recvAll(ctx, need(s.client, 'client'), ANSWER.length);
      },
    },
    {
      id: 'client.close', role: 'client',
      async run(ctx, s) {
        await close(ctx, s, s.client);
        // the client's FIN is acknowledged at once: FIN_WAIT2 until the server closes too
        await Promise.all([
          ctx.waitForTcpState(need(s.client, 'client'), ['FIN_WAIT2', 'TIME_WAIT']),
          ctx.waitForTcpState(need(s.conn, 'accepted'), ['CLOSE_WAIT']),
        ]);
      },
    },
    {
      id: 'server.close', role: 'server',
      async run(ctx, s) {
        await close(ctx, s, s.conn);
        await close(ctx, s, s.listener);
        await Promise.all([
          ctx.waitForTcpState(need(s.client, 'client'), ['TIME_WAIT']),
          ctx.waitForTcpState(need(s.conn, 'accepted'), ['LAST_ACK', 'CLOSE'], { orGone: true, timeoutMs: 1000 }),
        ]);
      },
    },
  ],
  async cleanup(ctx, s) {
    for (const sock of s.open) await close(ctx, s, sock).catch(() => {});
  },
};

/** recv(1024) until `want` bytes came (TCP has no message boundaries), bounded in calls and time. */
async function recvAll(ctx: ScenarioContext, sock: string, want: number): Promise<void> {
  let got = 0;
  for (let i = 0; i < 16 && got < want; i++) {
    const cmd: EngineCommand = { op: 'tcp.recv', sock, max: 1024 };
    const r = await ctx.callWhenReady(cmd);
    const len = r.calls.find((c) => c.call === 'recv')?.data?.len ?? 0;
    if (len === 0) break; // the peer closed
    got += len;
  }
}
