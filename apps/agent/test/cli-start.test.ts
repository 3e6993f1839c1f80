import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CloseCode, PROTOCOL_VERSION } from '@socketscope/shared';
import { startCli, type Started } from './cli-kit.ts';
import { connect, inboxOf } from './server-helpers.ts';

const TOKEN = 'c'.repeat(64);

async function urlLine(s: Started, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const m = /^SocketScope: (http:\/\/\S+)$/m.exec(s.stdout());
    if (m) return m[1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  s.child.kill('SIGKILL');
  throw new Error(`no URL line; stderr: ${s.stderr()}`);
}

describe('socketscope start', () => {
  it('prints the URL with the token, serves the WebSocket, and shuts down cleanly on SIGINT', async () => {
    const s = startCli(['--port', '0'], { SOCKETSCOPE_TOKEN: TOKEN });
    const url = new URL(await urlLine(s));
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('token')).toBe(TOKEN);
    expect(s.stdout().trim().split('\n')).toHaveLength(1); // stdout: the URL line and nothing else
    const ws = await connect(Number(url.port), { token: TOKEN });
    const c = inboxOf(ws);
    expect(await c.next((m) => m.t === 'hello')).toMatchObject({ protocolVersion: PROTOCOL_VERSION });
    ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
    await c.next((m) => m.t === 'synced');
    s.child.kill('SIGINT');
    expect((await c.whenClosed(10_000)).code).toBe(CloseCode.shuttingDown);
    expect(await s.exit).toBe(0);
    expect(s.stderr()).not.toContain(TOKEN); // the token only in the URL line
  });

  it('refuses a port that is taken, clearly, with exit 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const s = startCli(['--port', String(port)]);
      expect(await s.exit).toBe(1);
      expect(s.stderr()).toMatch(new RegExp(`port ${port} .*already in use`));
      expect(s.stdout()).toBe('');
    } finally {
      blocker.close();
    }
  });

  it('rejects a malformed option with exit 2', async () => {
    const s = startCli(['--port', 'eighty']);
    expect(await s.exit).toBe(2);
    expect(s.stderr()).toMatch(/--port must be a port number/);
  });
});
