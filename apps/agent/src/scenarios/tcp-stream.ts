import type { Scenario, ScenarioContext } from './types.ts';
import { accept, close, closeAll, connect, kernelTcp, listen, need, recv, send, type TcpLessonState } from './lesson-kit.ts';

/**
 * No message boundaries (粘包) with the uppercase server on 127.0.0.1:12000: two sends ("hello",
 * "world") are read by one recv(1024), and the server's one send of 10 bytes by three recv(4).
 *
 * Before each read the step waits (bounded) until the kernel shows all the bytes in the receive queue,
 * as the tutorial's server does by sleeping: the point is what one recv() returns once they are there.
 */
interface StreamState extends TcpLessonState {
  listener?: string;
  client?: string;
  conn?: string;
  /** what the server's one recv() returned */
  received?: string;
}

const ID = 'tcp-stream';
export const PARTS = ['hello', 'world'] as const;
const TOTAL = PARTS.join('').length;
/** without a kernel layer there is nothing to wait for: a short pause lets the bytes land */
const SETTLE_MS = 150;

async function waitForQueued(ctx: ScenarioContext, sock: string, bytes: number): Promise<void> {
  const seen = await ctx.waitForEvent((e) => kernelTcp(e, { sock }) && e.recvQueue >= bytes, { timeoutMs: 1500 });
  if (!seen) await ctx.pause(SETTLE_MS);
}

export const tcpStream: Scenario<StreamState> = {
  id: ID,
  summary: 'TCP has no message boundaries on 127.0.0.1:12000: two sends read by one recv (粘包), one send read by three recv(4)',
  ports: [12000],
  init: () => ({ open: new Set() }),
  steps: [
    {
      id: 'server.listen', role: 'server',
      async run(ctx, s) {
        s.listener = (await listen(ctx, s, ctx.port(12000), 1, false)).sock;
      },
    },
    {
      id: 'client.connect', role: 'client',
      async run(ctx, s) {
        s.client = (await connect(ctx, s, ctx.port(12000))).sock;
      },
    },
    {
      id: 'server.accept', role: 'server',
      async run(ctx, s) {
        s.conn = await accept(ctx, s, need(ID, s.listener, 'listening'));
      },
    },
    {
      id: 'client.send', role: 'client',
      async run(ctx, s) {
        const client = need(ID, s.client, 'client');
        for (const part of PARTS) await send(ctx, client, part);
        await waitForQueued(ctx, need(ID, s.conn, 'accepted'), TOTAL);
      },
    },
    {
      id: 'server.recv', role: 'server',
      async run(ctx, s) {
        const got = await recv(ctx, need(ID, s.conn, 'accepted'), 1024, 0);
        s.received = got.text;
        if (got.text.length !== TOTAL) ctx.log(`${ID}: one recv() returned ${JSON.stringify(got.text)}, not both sends`);
      },
    },
    {
      id: 'server.send', role: 'server',
      async run(ctx, s) {
        await send(ctx, need(ID, s.conn, 'accepted'), (s.received || PARTS.join('')).toUpperCase());
      },
    },
    {
      id: 'client.recv', role: 'client',
      async run(ctx, s) {
        const client = need(ID, s.client, 'client');
        const want = (s.received || PARTS.join('')).length;
        await waitForQueued(ctx, client, want);
        await recv(ctx, client, 4, want, 8);
      },
    },
    {
      id: 'close', role: 'both',
      async run(ctx, s) {
        const client = need(ID, s.client, 'client');
        const conn = need(ID, s.conn, 'accepted');
        await close(ctx, s, client);
        await ctx.waitForTcpState(conn, ['CLOSE_WAIT']);
        await close(ctx, s, conn);
        await close(ctx, s, s.listener);
        await ctx.waitForTcpState(client, ['TIME_WAIT']);
      },
    },
  ],
  async cleanup(ctx, s) {
    await closeAll(ctx, s, [s.listener]);
  },
};
