import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawGet, startHarness, type Harness } from './server-helpers.ts';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

describe('static page (H1–H4)', () => {
  it('serves index.html at / with a strict CSP and no referrer', async () => {
    const res = await fetch(`${h.base}/?token=x`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>SocketScope</title>');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${h.port}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves assets with their type, and page routes fall back to index.html', async () => {
    const js = await fetch(`${h.base}/assets/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('content-security-policy')).toBeTruthy();
    const route = await fetch(`${h.base}/lessons/tcp-hello`);
    expect(await route.text()).toContain('<title>SocketScope</title>');
    expect((await fetch(`${h.base}/assets/missing.js`)).status).toBe(404);
  });

  it("H5: only the session worker's script may compile code; the page and other scripts may not", async () => {
    const worker = await fetch(`${h.base}/assets/session.worker-Ab1_c-9.js`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get('content-security-policy')).toContain("script-src 'self' 'unsafe-eval'");
    expect(worker.headers.get('content-security-policy')).toContain("default-src 'none'");
    for (const p of ['/', '/assets/app.js', '/assets/evil-session.worker-1.js', '/session.worker-1.js', '/assets/session.worker-1.js.map']) {
      const res = await fetch(`${h.base}${p}`);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-security-policy'), p).not.toContain('unsafe');
    }
  });

  it('H1: path traversal out of the web root never serves the file', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/../../secret.txt', '/%2e%2e%2f%2e%2e%2fsecret.txt', '/..\\secret.txt', '/%00/../secret.txt', '/%E0%A4%A', '/link.txt']) {
      const r = await rawGet(h.port, p);
      expect(r.status, p).not.toBe(200);
      expect(r.body, p).not.toContain('TOP-SECRET');
    }
  });

  it('H3: only GET and HEAD', async () => {
    expect((await fetch(`${h.base}/`, { method: 'POST', body: 'x' })).status).toBe(405);
    const head = await fetch(`${h.base}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('/ without an upgrade says it is a WebSocket address', async () => {
    expect((await fetch(`${h.base}/ws`)).status).toBe(426);
  });
});

describe('page not built (H4)', () => {
  it('says to run pnpm build', async () => {
    const h2 = await startHarness({ webRoot: null });
    try {
      const res = await fetch(`${h2.base}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('pnpm build');
      expect(res.headers.get('content-security-policy')).toBeTruthy();
    } finally {
      await h2.close();
    }
  });
});
