import { CommandError } from '../engine/types.ts';
import type { Scenario } from './types.ts';
import { close, closeAll, HOST, waitForSegment, type TcpLessonState } from './lesson-kit.ts';

/**
 * Nobody listening: the hello client run before its server. connect() to 127.0.0.1:8888 with no listener
 * is answered by RST and fails with ECONNREFUSED — which is this lesson's expected outcome, so the step
 * succeeds on it. If something does listen on the port, the step fails and says so (the lesson needs a
 * free port: --port N), rather than pretending.
 */
interface RefusedState extends TcpLessonState {
  /** the client socket that was refused (the engine names it in the failed connect's event) */
  client?: string;
  refused?: boolean;
}

const ID = 'tcp-refused';

export const tcpRefused: Scenario<RefusedState> = {
  id: ID,
  summary: 'connect() to 127.0.0.1:8888 where nobody listens: SYN answered by RST, ECONNREFUSED',
  ports: [8888],
  init: () => ({ open: new Set() }),
  steps: [
    {
      id: 'client.connect', role: 'client',
      async run(ctx, s) {
        const port = ctx.port(8888);
        const target = `${HOST}:${port}`;
        try {
          const r = await ctx.call({ op: 'tcp.connect', host: HOST, port });
          if (r.sock) { s.client = r.sock; s.open.add(r.sock); }
        } catch (err) {
          if (!(err instanceof CommandError && err.code === 'ECONNREFUSED')) throw err;
          s.refused = true;
          const ev = await ctx.waitForEvent((e) => e.type === 'api.call' && e.call === 'connect' && e.error?.code === 'ECONNREFUSED' && e.args['port'] === port, { timeoutMs: 0 });
          if (ev?.sock) s.client = ev.sock;
          // the RST that refused it, when the wire layer has it
          await waitForSegment(ctx, (e) => e.src === target && e.flags.includes('RST'));
          return;
        }
        throw new CommandError('E_NOT_REFUSED', `something is listening on ${target}, so the connection was not refused; run the lesson on a free port (--port N)`);
      },
    },
    {
      id: 'client.close', role: 'client',
      async run(ctx, s) {
        // the engine closes a socket whose connect() failed and says so with a close event; close only if it did not
        const sock = s.client;
        if (!sock) return;
        const closed = await ctx.waitForEvent((e) => e.type === 'api.call' && e.call === 'close' && e.sock === sock, { timeoutMs: 0 });
        if (!closed) {
          s.open.add(sock);
          await close(ctx, s, sock);
        }
      },
    },
  ],
  async cleanup(ctx, s) {
    await closeAll(ctx, s);
  },
};
