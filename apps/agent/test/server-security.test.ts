import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, rawGet, startHarness, TOKEN, type Harness } from './server-helpers.ts';
import { allowedHosts, makeToken, tokenMatches } from '../src/server/security.ts';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

async function refusal(p: Promise<unknown>): Promise<{ status: number; body: string }> {
  try {
    const ws = (await p) as { close(): void };
    ws.close();
  } catch (e) {
    return e as { status: number; body: string };
  }
  throw new Error('the WebSocket was accepted');
}

describe('WebSocket upgrade security (S1–S6)', () => {
  it('S2: a WebSocket without a token is refused with a bare 403', async () => {
    const r = await refusal(connect(h.port, { token: null }));
    expect(r.status).toBe(403);
    expect(r.body).toBe('');
  });

  it('S2: a wrong token is refused, whether its length matches or not', async () => {
    expect((await refusal(connect(h.port, { token: 'b'.repeat(64) }))).status).toBe(403);
    expect((await refusal(connect(h.port, { token: 'short-wrong-token' }))).status).toBe(403);
    expect((await refusal(connect(h.port, { token: TOKEN + 'x' }))).status).toBe(403);
  });

  it('S4: a foreign Origin is refused even with the right token; so is a missing one', async () => {
    expect((await refusal(connect(h.port, { origin: 'http://evil.example' }))).status).toBe(403);
    expect((await refusal(connect(h.port, { origin: `http://127.0.0.1:${h.port + 1}` }))).status).toBe(403);
    expect((await refusal(connect(h.port, { origin: 'null' }))).status).toBe(403);
    expect((await refusal(connect(h.port, { origin: null }))).status).toBe(403);
  });

  it('S3: a Host header naming another server (DNS rebinding) is refused, for the socket and for pages', async () => {
    expect((await refusal(connect(h.port, { host: `rebind.example:${h.port}` }))).status).toBe(403);
    const page = await rawGet(h.port, '/', `rebind.example:${h.port}`);
    expect(page.status).toBe(403);
    expect(page.body).toBe('');
  });

  it('accepts the right token from the page’s own origin, as 127.0.0.1 and as localhost', async () => {
    const a = await connect(h.port);
    a.close();
    const b = await connect(h.port, { origin: `http://localhost:${h.port}`, host: `localhost:${h.port}` });
    b.close();
  });

  it('only /ws upgrades', async () => {
    expect((await refusal(connect(h.port, { path: '/other' }))).status).toBe(403);
  });

  it('S6: the token never appears in the agent’s log, even for refusals', async () => {
    await refusal(connect(h.port, { token: TOKEN, origin: 'http://evil.example' }));
    expect(h.logs.some((l) => l.includes('refused'))).toBe(true);
    expect(h.logs.join('\n')).not.toContain(TOKEN);
  });
});

describe('token helpers', () => {
  it('S1: tokens are 32 random bytes in hex, fresh each time', () => {
    const a = makeToken();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(makeToken()).not.toBe(a);
  });

  it('S2: tokenMatches accepts only the exact token', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN.slice(1), TOKEN)).toBe(false);
    expect(tokenMatches('', TOKEN)).toBe(false);
    expect(tokenMatches(null, TOKEN)).toBe(false);
    expect(tokenMatches(TOKEN.toUpperCase(), TOKEN)).toBe(false);
  });

  it('S3: the allowed hosts are the loopback names on this port', () => {
    expect([...allowedHosts(8787, '127.0.0.1')].toSorted()).toEqual(['127.0.0.1:8787', '[::1]:8787', 'localhost:8787']);
  });
});
