import { CommandError } from '../engine/types.ts';
import type { Scenario } from './types.ts';
import { accept, close, closeAll, connect, listen, need, recv, send, type TcpLessonState } from './lesson-kit.ts';

/**
 * 四次挥手 and TIME_WAIT with the tutorial's SO_REUSEADDR server on 8989 (listen(128)). The server says
 * goodbye and closes first, so FIN_WAIT1 → FIN_WAIT2 → TIME_WAIT happen on the server's connection (local port 8989) and
 * CLOSE_WAIT → LAST_ACK on the client, which lingers in CLOSE_WAIT for a moment so it can be seen.
 * Then the server restarts on 8989 while TIME_WAIT still holds it: without SO_REUSEADDR, then with.
 *
 * What the restart without SO_REUSEADDR shows is what really happens: Node (libuv) sets SO_REUSEADDR on
 * every TCP socket it binds, so the agent's bind cannot fail with EADDRINUSE there. The engine's bind
 * result reports what the kernel held on the port and that a program without SO_REUSEADDR would have
 * failed (engine/reuseaddr.ts); the lesson text says the same. Should an engine ever produce the real
 * EADDRINUSE, the step takes it as the expected outcome.
 */
interface TeardownState extends TcpLessonState {
  listener?: string;
  client?: string;
  conn?: string;
  restarted?: string;
  /** what the restart without SO_REUSEADDR got: 'EADDRINUSE' or 'bound' */
  restartOutcome?: 'EADDRINUSE' | 'bound';
}

const ID = 'tcp-teardown';
export const GOODBYE = 'bye';
/** how long the client stays in CLOSE_WAIT after recv() returned b'', so the eye (and the probe) catch it */
export const CLOSE_WAIT_PAUSE_MS = 800;

export const tcpTeardown: Scenario<TeardownState> = {
  id: ID,
  summary: 'TCP four-way teardown on 127.0.0.1:8989 (server closes first): FIN_WAIT1/2, TIME_WAIT, CLOSE_WAIT, LAST_ACK; then a restart without and with SO_REUSEADDR',
  ports: [8989],
  init: () => ({ open: new Set() }),
  steps: [
    {
      id: 'server.listen', role: 'server',
      async run(ctx, s) {
        s.listener = (await listen(ctx, s, ctx.port(8989), 128, true)).sock;
      },
    },
    {
      id: 'client.connect', role: 'client',
      async run(ctx, s) {
        s.client = (await connect(ctx, s, ctx.port(8989))).sock;
      },
    },
    {
      id: 'server.accept', role: 'server',
      async run(ctx, s) {
        s.conn = await accept(ctx, s, need(ID, s.listener, 'listening'));
      },
    },
    {
      // a last word before closing: its ACK and the FIN's are what the client's kernel may delay
      id: 'server.send', role: 'server',
      async run(ctx, s) {
        await send(ctx, need(ID, s.conn, 'accepted'), GOODBYE);
      },
    },
    {
      // FIN from the server: FIN_WAIT1 until the client's kernel ACKs it, then FIN_WAIT2
      id: 'server.close', role: 'server',
      async run(ctx, s) {
        const conn = need(ID, s.conn, 'accepted');
        const client = need(ID, s.client, 'client');
        await close(ctx, s, conn);
        await close(ctx, s, s.listener);
        await Promise.all([
          ctx.waitForTcpState(conn, ['FIN_WAIT2', 'TIME_WAIT']),
          ctx.waitForTcpState(client, ['CLOSE_WAIT']),
        ]);
      },
    },
    {
      // recv() until it returns empty bytes: first the goodbye, then the FIN
      id: 'client.recv', role: 'client',
      async run(ctx, s) {
        const got = await recv(ctx, need(ID, s.client, 'client'), 1024, Number.POSITIVE_INFINITY, 4);
        if (!got.eof) ctx.log(`${ID}: recv() never returned empty bytes (got ${got.lens.join('+')} bytes)`);
        await ctx.pause(CLOSE_WAIT_PAUSE_MS);
      },
    },
    {
      id: 'client.close', role: 'client',
      async run(ctx, s) {
        const client = need(ID, s.client, 'client');
        await close(ctx, s, client);
        await Promise.all([
          ctx.waitForTcpState(need(ID, s.conn, 'accepted'), ['TIME_WAIT']),
          ctx.waitForTcpState(client, ['LAST_ACK', 'CLOSE'], { orGone: true, timeoutMs: 1000 }),
        ]);
      },
    },
    {
      id: 'server.restart', role: 'server',
      async run(ctx, s) {
        try {
          const r = await ctx.call({ op: 'tcp.listen', host: '127.0.0.1', port: ctx.port(8989), backlog: 128, reuseAddr: false });
          s.restartOutcome = 'bound';
          // like the Python program: a restart that did bind is closed again before the next try
          if (r.sock) {
            s.open.add(r.sock);
            await close(ctx, s, r.sock);
          }
        } catch (err) {
          if (!(err instanceof CommandError && err.code === 'EADDRINUSE')) throw err;
          s.restartOutcome = 'EADDRINUSE';
        }
      },
    },
    {
      id: 'server.restart-reuseaddr', role: 'server',
      async run(ctx, s) {
        s.restarted = (await listen(ctx, s, ctx.port(8989), 128, true)).sock;
      },
    },
    {
      id: 'server.stop', role: 'server',
      async run(ctx, s) {
        await close(ctx, s, s.restarted);
      },
    },
  ],
  async cleanup(ctx, s) {
    await closeAll(ctx, s, [s.listener, s.restarted]);
  },
};
