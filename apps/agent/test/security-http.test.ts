import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_HINTS } from '@socketscope/shared';
import { resolveInside } from '../src/server/static.ts';
import { get, live, rawHttp, send, SHARE_HOST, startSec, VIEWER, type SecHarness } from './share-harness.ts';

let h: SecHarness;
beforeAll(async () => { h = await startSec(); });
afterAll(async () => { await h.close(); });

/** Resolves 'connected' or the error code of a plain TCP connect (bounded). */
function tcpReach(addr: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, addr);
    const done = (v: string) => { s.destroy(); resolve(v); };
    s.once('connect', () => done('connected'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
    s.setTimeout(3000, () => done('timeout'));
  });
}

describe('HTTP endpoints (S7, N1, H2)', () => {
  it('S7: a request whose Origin is another site gets a bare 403; no Origin (a navigation) or our own is served', async () => {
    const evil = await get(h.port, '/', { Origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body).toBe('');
    expect((await get(h.port, '/index.html', { Origin: 'null' })).status).toBe(403);
    expect((await get(h.port, '/', { Origin: `http://127.0.0.1:${h.port + 1}` })).status).toBe(403);
    expect((await get(h.port, '/', {})).status).toBe(200);
    expect((await get(h.port, '/', { Origin: `http://127.0.0.1:${h.port}` })).status).toBe(200);
  });

  it('S7: the same for the /ws address without an upgrade and for a POST', async () => {
    expect((await get(h.port, '/ws', { Origin: 'http://evil.example' })).status).toBe(403);
    const post = await rawHttp(h.port, `POST / HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nOrigin: http://evil.example\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`);
    expect(post.status).toBe(403);
  });

  it('H2: every answer the agent serves says Referrer-Policy: no-referrer (the page address holds the token)', async () => {
    for (const p of ['/', '/assets/none.js', '/%E0%A4%A', '/ws']) {
      const r = await get(h.port, p, {});
      expect(r.head, p).toMatch(/\r\nReferrer-Policy: no-referrer\r\n/i);
    }
    const post = await rawHttp(h.port, `POST / HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    expect(post.status).toBe(405);
    expect(post.head).toMatch(/\r\nReferrer-Policy: no-referrer\r\n/i);
  });

  it('H1: whatever the URL path, the file it names is inside the web root (or it is refused) before the file system is asked', () => {
    const root = '/srv/socketscope/dist';
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/../../secret.txt', '/%2e%2e%2f%2e%2e%2fetc/passwd', '/..\\secret.txt', '/a%00b', '/%E0%A4%A', '//etc/passwd']) {
      const r = resolveInside(root, p);
      expect(r === null || r.startsWith(`${root}/`), `${p} → ${r}`).toBe(true);
    }
    for (const p of ['/..\\secret.txt', '/a%00b', '/%E0%A4%A']) expect(resolveInside(root, p), p).toBeNull();
    expect(resolveInside(root, '/assets/app.js')).toBe('/srv/socketscope/dist/assets/app.js');
  });

  it('N1: by default the agent listens on 127.0.0.1 only (another loopback address finds nothing)', async () => {
    expect(h.server.host).toBe('127.0.0.1');
    expect(await tcpReach('127.0.0.1', h.port)).toBe('connected');
    expect(await tcpReach(SHARE_HOST, h.port)).toBe('ECONNREFUSED');
  });
});

describe('slow and many connections (N7)', () => {
  it('N7: a connection that never finishes its request headers is dropped', async () => {
    const s = await startSec({ headersTimeoutMs: 500 });
    try {
      const sock = net.connect(s.port, '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n`); // …and never the blank line
      const t0 = Date.now();
      const ended = await new Promise<string>((resolve) => {
        sock.on('data', () => {});
        sock.once('close', () => resolve('closed'));
        setTimeout(() => resolve('still open'), 4000);
      });
      sock.destroy();
      expect(ended).toBe('closed');
      expect(Date.now() - t0).toBeLessThan(4000);
    } finally {
      await s.close();
    }
  });

  it('N7: the share listener holds at most maxConnections TCP connections; the loopback one is not affected', async () => {
    const s = await startSec({ share: { host: SHARE_HOST, viewerToken: VIEWER, maxConnections: 3 } });
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const c = net.connect(s.port, SHARE_HOST);
        await new Promise((r) => c.once('connect', r));
        held.push(c);
      }
      // the kernel completes the handshake, Node closes the connection at once
      const extra = net.connect(s.port, SHARE_HOST);
      held.push(extra);
      const fate = await new Promise<string>((resolve) => {
        extra.on('error', () => {});
        extra.once('close', () => resolve('closed'));
        setTimeout(() => resolve('kept'), 2000);
      });
      expect(fate).toBe('closed');
      expect((await get(s.port, '/', {})).status).toBe(200);
    } finally {
      for (const c of held) c.destroy();
      await s.close();
    }
  });
});

describe('remote targets (R1, --allow-remote)', () => {
  it('R1: without --allow-remote a page cannot bind or reach outside loopback (E_TARGET + hint), and hello says so', async () => {
    const c = await live(h.port);
    expect(c.hello.capabilities.remoteTargets).toBe(false);
    // binding every interface would let the classroom reach the teacher's sockets; no packet is sent
    const r = await c.inbox.reply(send(c.ws, { op: 'tcp.listen', host: '0.0.0.0', port: 0 }));
    expect(r).toMatchObject({ ok: false, error: { code: 'E_TARGET', hint: ERROR_HINTS['E_TARGET'] } });
    const u = await c.inbox.reply(send(c.ws, { op: 'udp.bind', host: '::', port: 0 }));
    expect(u).toMatchObject({ ok: false, error: { code: 'E_TARGET' } });
    expect(h.agent.engine.tracked()).toHaveLength(0);
    c.ws.close();
  });

  it('R1: with --allow-remote the capability is on in hello, so the page can name it', async () => {
    const s = await startSec({ allowRemote: true });
    try {
      const c = await live(s.port);
      expect(c.hello.capabilities.remoteTargets).toBe(true);
      c.ws.close();
    } finally {
      await s.close();
    }
  });
});
