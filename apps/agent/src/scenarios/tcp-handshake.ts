import type { Scenario } from './types.ts';
import { accept, close, closeAll, connect, kernelTcp, listen, need, recv, send, waitForSegment, type TcpLessonState } from './lesson-kit.ts';

/**
 * 三次握手 with the tutorial's uppercase server (TCP 12000, listen(1)). connect() is where SYN, SYN+ACK
 * and ACK happen; accept() only takes the finished connection and returns a new socket, which then
 * carries the data while the listener stays in LISTEN.
 *
 * The kernel states CLOSED → SYN_SENT and LISTEN → SYN_RECV last microseconds on loopback. The step
 * waits a little for whatever the kernel really shows (it never invents a state); the wire layer
 * shows the three segments when capture runs.
 */
interface HandshakeState extends TcpLessonState {
  listener?: string;
  serverAddr?: string;
  client?: string;
  clientAddr?: string;
  conn?: string;
  answer?: string;
}

const ID = 'tcp-handshake';
export const SENTENCE = 'hello, tcp';

export const tcpHandshake: Scenario<HandshakeState> = {
  id: ID,
  summary: 'TCP three-way handshake on 127.0.0.1:12000 (uppercase server, listen(1)): SYN, SYN+ACK, ACK; accept() returns a new socket',
  ports: [12000],
  init: () => ({ open: new Set() }),
  steps: [
    {
      id: 'server.listen', role: 'server',
      async run(ctx, s) {
        const l = await listen(ctx, s, ctx.port(12000), 1, false);
        s.listener = l.sock;
        s.serverAddr = l.local;
      },
    },
    {
      id: 'client.connect', role: 'client',
      async run(ctx, s) {
        const c = await connect(ctx, s, ctx.port(12000));
        s.client = c.sock;
        s.clientAddr = c.local;
        const server = need(ID, s.serverAddr, 'listening');
        // the server side's half-open moment, only if the kernel was caught in it
        await ctx.waitForEvent((e) => kernelTcp(e, { local: server, remote: c.local }) && (e.state === 'SYN_RECV' || e.state === 'NEW_SYN_RECV'), { timeoutMs: 50 });
        // the handshake's last segment (the client's ACK), when the wire layer has it
        await waitForSegment(ctx, (e) => e.src === c.local && e.dst === server && e.flags.includes('ACK') && !e.flags.includes('SYN') && e.len === 0);
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
        await send(ctx, need(ID, s.client, 'client'), SENTENCE);
      },
    },
    {
      id: 'server.recv', role: 'server',
      async run(ctx, s) {
        const got = await recv(ctx, need(ID, s.conn, 'accepted'), 1024, SENTENCE.length);
        s.answer = (got.text || SENTENCE).toUpperCase();
      },
    },
    {
      id: 'server.send', role: 'server',
      async run(ctx, s) {
        await send(ctx, need(ID, s.conn, 'accepted'), s.answer ?? SENTENCE.toUpperCase());
      },
    },
    {
      id: 'client.recv', role: 'client',
      async run(ctx, s) {
        await recv(ctx, need(ID, s.client, 'client'), 1024, (s.answer ?? SENTENCE).length);
      },
    },
    {
      // the client closes first, as the tutorial's client does right after reading
      id: 'close', role: 'both',
      async run(ctx, s) {
        const client = need(ID, s.client, 'client');
        const conn = need(ID, s.conn, 'accepted');
        await close(ctx, s, client);
        await Promise.all([ctx.waitForTcpState(client, ['FIN_WAIT2', 'TIME_WAIT']), ctx.waitForTcpState(conn, ['CLOSE_WAIT'])]);
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
