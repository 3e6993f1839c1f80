import type { Scenario, ScenarioContext, ScenarioStep } from './types.ts';
import { accept, close, closeAll, connect, kernelTcp, listen, need, recv, send, type TcpLessonState } from './lesson-kit.ts';

/**
 * The tutorial's echo server on 127.0.0.1:9999 (listen(5)), single task, and two clients. The server
 * serves A until recv() returns empty bytes (A's FIN), closes A's socket, and only then accepts B. B
 * connected and sent meanwhile: the kernel finished B's handshake without accept() and holds B's bytes
 * in the receive queue of B's server-side socket until the server gets to it.
 */
interface Client {
  sock?: string;
  /** the client's local address: the server-side socket's remote */
  local?: string;
  /** the server's socket for this client (from accept) */
  conn?: string;
  echoed?: string;
}

interface EchoState extends TcpLessonState {
  listener?: string;
  serverAddr?: string;
  a: Client;
  b: Client;
}

const ID = 'tcp-echo';
export const MESSAGES = { a: 'hello from A', b: 'hello from B' } as const;
type Who = 'a' | 'b';

function clientConnect(who: Who): ScenarioStep<EchoState> {
  return {
    id: `client-${who}.connect`, role: 'client',
    async run(ctx, s) {
      const c = await connect(ctx, s, ctx.port(9999));
      s[who].sock = c.sock;
      s[who].local = c.local;
    },
  };
}

function clientSend(who: Who): ScenarioStep<EchoState> {
  return {
    id: `client-${who}.send`, role: 'client',
    async run(ctx, s) {
      await send(ctx, need(ID, s[who].sock, `client ${who}`), MESSAGES[who]);
      const server = s.serverAddr;
      const from = s[who].local;
      // B's bytes wait in the server's kernel for a socket nobody accepted yet: shown where the kernel
      // layer reports such connections (bounded; the accept step shows them in any case)
      if (who === 'b' && server && from) await ctx.waitForEvent((e) => kernelTcp(e, { local: server, remote: from }) && e.recvQueue > 0, { timeoutMs: 300 });
    },
  };
}

function clientRecv(who: Who): ScenarioStep<EchoState> {
  return {
    id: `client-${who}.recv`, role: 'client',
    async run(ctx, s) {
      await recv(ctx, need(ID, s[who].sock, `client ${who}`), 1024, MESSAGES[who].length);
    },
  };
}

function clientClose(who: Who): ScenarioStep<EchoState> {
  return {
    id: `client-${who}.close`, role: 'client',
    async run(ctx, s) {
      const sock = need(ID, s[who].sock, `client ${who}`);
      await close(ctx, s, sock);
      await ctx.waitForTcpState(sock, ['FIN_WAIT2', 'TIME_WAIT']);
    },
  };
}

function serverAccept(who: Who): ScenarioStep<EchoState> {
  return {
    id: `server.accept-${who}`, role: 'server',
    async run(ctx, s) {
      const conn = await accept(ctx, s, need(ID, s.listener, 'listening'));
      s[who].conn = conn;
      // B's bytes arrived long before this accept(): they are already in the new socket's receive queue
      if (who === 'b') await ctx.waitForEvent((e) => kernelTcp(e, { sock: conn }) && e.recvQueue > 0, { timeoutMs: 1000 });
    },
  };
}

function serverRecv(who: Who): ScenarioStep<EchoState> {
  return {
    id: `server.recv-${who}`, role: 'server',
    async run(ctx, s) {
      const got = await recv(ctx, need(ID, s[who].conn, `server's ${who}`), 1024, 0);
      s[who].echoed = got.text;
    },
  };
}

function serverSend(who: Who): ScenarioStep<EchoState> {
  return {
    id: `server.send-${who}`, role: 'server',
    async run(ctx, s) {
      await send(ctx, need(ID, s[who].conn, `server's ${who}`), s[who].echoed || MESSAGES[who]);
    },
  };
}

/** the inner loop's last recv(): empty bytes, the client's FIN, ends the loop */
function serverRecvEnd(who: Who): ScenarioStep<EchoState> {
  return {
    id: `server.recv-${who}-end`, role: 'server',
    async run(ctx, s) {
      const got = await recv(ctx, need(ID, s[who].conn, `server's ${who}`), 1024, 0);
      if (!got.eof) ctx.log(`${ID}: expected recv() to return empty bytes after client ${who} closed, got ${got.lens.join('+')} bytes`);
    },
  };
}

function serverClose(who: Who): ScenarioStep<EchoState> {
  return {
    id: `server.close-${who}`, role: 'server',
    async run(ctx, s) {
      await close(ctx, s, s[who].conn);
      await ctx.waitForTcpState(need(ID, s[who].sock, `client ${who}`), ['TIME_WAIT']);
    },
  };
}

async function closeListener(ctx: ScenarioContext, s: EchoState): Promise<void> {
  await close(ctx, s, s.listener);
}

export const tcpEcho: Scenario<EchoState> = {
  id: ID,
  summary: 'Single-task TCP echo server on 127.0.0.1:9999 (listen(5)): client A served until recv() returns empty, client B waits in the kernel meanwhile',
  ports: [9999],
  init: () => ({ open: new Set(), a: {}, b: {} }),
  steps: [
    {
      id: 'server.listen', role: 'server',
      async run(ctx, s) {
        const l = await listen(ctx, s, ctx.port(9999), 5, false);
        s.listener = l.sock;
        s.serverAddr = l.local;
      },
    },
    clientConnect('a'),
    serverAccept('a'),
    clientConnect('b'),
    clientSend('b'),
    clientSend('a'),
    serverRecv('a'),
    serverSend('a'),
    clientRecv('a'),
    clientClose('a'),
    serverRecvEnd('a'),
    serverClose('a'),
    serverAccept('b'),
    serverRecv('b'),
    serverSend('b'),
    clientRecv('b'),
    clientClose('b'),
    serverRecvEnd('b'),
    serverClose('b'),
    { id: 'server.close', role: 'server', run: closeListener },
  ],
  async cleanup(ctx, s) {
    await closeAll(ctx, s, [s.listener]);
  },
};
