import { BUFFERS_BYTES } from '@socketscope/shared/lessons/index';
import type { Scenario } from './types.ts';
import { accept, close, closeAll, connect, kernelTcp, listen, need, queuePlateau, type TcpLessonState } from './lesson-kit.ts';

/**
 * send/recv and the kernel buffers on 127.0.0.1:8888. The client sends BUFFERS_BYTES (6 MiB) while the
 * server does not read: the server's receive queue rises to a plateau, its advertised window falls to
 * zero, the client's send queue fills and send() blocks (the engine's `blocked` notice). Then the server
 * reads everything and the queues drain (`writable`).
 *
 * 6 MiB is bounded and still more than loopback holds by default: a receive queue of about 128 KiB plus a
 * send buffer the kernel grows to at most tcp_wmem's 4 MiB. A machine configured with larger buffers
 * would take it all without blocking; the step then says so in the log and the lesson goes on.
 */
interface BuffersState extends TcpLessonState {
  listener?: string;
  client?: string;
  conn?: string;
  serverAddr?: string;
  clientAddr?: string;
}

const ID = 'tcp-buffers';
const CHUNK = 64 * 1024;
/** recv(65536) calls allowed for the whole transfer (loopback usually returns full 64 KiB reads) */
const MAX_RECV_CALLS = Math.ceil(BUFFERS_BYTES / 1024) + 16;
const READ_DEADLINE_MS = 30_000;

export const tcpBuffers: Scenario<BuffersState> = {
  id: ID,
  summary: `send/recv and the kernel buffers on 127.0.0.1:8888: ${BUFFERS_BYTES / 1024 / 1024} MiB into a server that reads late; zero window, send blocks, then drains`,
  ports: [8888],
  init: () => ({ open: new Set() }),
  steps: [
    {
      id: 'server.listen', role: 'server',
      async run(ctx, s) {
        const l = await listen(ctx, s, ctx.port(8888), 128, false);
        s.listener = l.sock;
        s.serverAddr = l.local;
      },
    },
    {
      id: 'client.connect', role: 'client',
      async run(ctx, s) {
        const c = await connect(ctx, s, ctx.port(8888));
        s.client = c.sock;
        s.clientAddr = c.local;
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
        const conn = need(ID, s.conn, 'accepted');
        // resolves as soon as the kernel's send buffer is full (or everything fit); the rest flows later
        const r = await ctx.call({ op: 'tcp.sendBulk', sock: client, bytes: BUFFERS_BYTES, chunk: CHUNK });
        const bulk = (r.result ?? {}) as { blocked?: boolean; sent?: number };
        if (!bulk.blocked) ctx.log(`${ID}: the kernel took all ${BUFFERS_BYTES} bytes without blocking (large buffers on this machine)`);
        const blocked = await ctx.waitForEvent((e) => e.type === 'api.notice' && e.what === 'blocked' && e.sock === client, { timeoutMs: bulk.blocked ? 2000 : 200 });
        // the picture the lesson is about: both queues at their plateau, the server's window at zero
        const [recvQ, sendQ] = await Promise.all([queuePlateau(ctx, conn, 'recvQueue'), queuePlateau(ctx, client, 'sendQueue')]);
        if (s.serverAddr && s.clientAddr) {
          const server = s.serverAddr;
          const from = s.clientAddr;
          await ctx.waitForEvent((e) => e.type === 'tcp.segment' && e.src === server && e.dst === from && (e.win === 0 || (e.analysis ?? []).includes('zero-window')), { timeoutMs: 300 });
        }
        ctx.log(`${ID}: blocked=${blocked ? 'yes' : 'no'} server Recv-Q plateau ${recvQ} B, client Send-Q plateau ${sendQ} B`);
      },
    },
    {
      id: 'server.recv', role: 'server',
      async run(ctx, s) {
        const conn = need(ID, s.conn, 'accepted');
        const client = need(ID, s.client, 'client');
        const deadline = Date.now() + READ_DEADLINE_MS;
        let got = 0;
        let lastSeq = 0;
        for (let i = 0; i < MAX_RECV_CALLS && got < BUFFERS_BYTES && Date.now() < deadline; i++) {
          const r = await ctx.callWhenReady({ op: 'tcp.recv', sock: conn, max: CHUNK });
          const call = r.calls.find((c) => c.call === 'recv');
          const len = call?.data?.len ?? 0;
          if (call) lastSeq = call.seq;
          if (len === 0) break; // the peer closed early
          got += len;
        }
        if (got < BUFFERS_BYTES) throw new Error(`${ID}: the server read ${got} of ${BUFFERS_BYTES} bytes`);
        // the send that blocked has drained into the kernel, and the kernel has delivered it
        await ctx.waitForEvent((e) => e.type === 'api.notice' && e.what === 'writable' && e.sock === client, { timeoutMs: 1000 });
        await ctx.waitForEvent((e) => kernelTcp(e, { sock: conn }) && e.recvQueue === 0, { timeoutMs: 500, sinceSeq: lastSeq });
      },
    },
    {
      id: 'client.close', role: 'client',
      async run(ctx, s) {
        const client = need(ID, s.client, 'client');
        await close(ctx, s, client);
        await ctx.waitForTcpState(client, ['FIN_WAIT2', 'TIME_WAIT']);
      },
    },
    {
      id: 'server.close', role: 'server',
      async run(ctx, s) {
        await close(ctx, s, s.conn);
        await close(ctx, s, s.listener);
        await ctx.waitForTcpState(need(ID, s.client, 'client'), ['TIME_WAIT']);
      },
    },
  ],
  async cleanup(ctx, s) {
    await closeAll(ctx, s, [s.listener]);
  },
};
