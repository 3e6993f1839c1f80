import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ERROR_HINTS, PROTOCOL_VERSION } from '@socketscope/shared';
import { dial, live, refused, send, startSec, until, type SecHarness } from './share-harness.ts';

/** Limits with clear errors (E_LIMIT + hint), through the real WebSocket. docs/SECURITY.md lists them. */
const LIMIT = { code: 'E_LIMIT', hint: ERROR_HINTS['E_LIMIT'] };

describe('messages per second per page (P8)', () => {
  let h: SecHarness;
  beforeAll(async () => { h = await startSec({ rate: { perSecond: 5, burst: 10 } }); });
  afterAll(async () => { await h.close(); });

  it('P8: past the burst every message is refused with E_LIMIT and a hint, and the page recovers at the rate', async () => {
    const c = await live(h.port); // the sync took one token
    const ids = Array.from({ length: 14 }, () => send(c.ws, { op: 'tcp.send', sock: 'nope', data: { text: 'x' } }));
    const replies = await Promise.all(ids.map((id) => c.inbox.reply(id)));
    const limited = replies.filter((r) => r.error?.code === 'E_LIMIT');
    expect(replies.filter((r) => r.error?.code === 'E_NO_SOCKET')).toHaveLength(9);
    expect(limited).toHaveLength(5);
    for (const r of limited) expect(r).toMatchObject({ ok: false, error: LIMIT });
    await new Promise((r) => setTimeout(r, 1500)); // 5 per second: the debt of 5 is repaid, then some
    expect(await c.inbox.reply(send(c.ws, { op: 'tcp.send', sock: 'nope', data: { text: 'x' } }))).toMatchObject({ error: { code: 'E_NO_SOCKET' } });
    c.ws.close();
  });

  it('P8: a page that keeps flooding is closed with tooManyMessages; others are unaffected', async () => {
    const other = await live(h.port);
    const c = await live(h.port);
    for (let i = 0; i < 40; i++) c.ws.send(JSON.stringify({ t: 'cmd', id: `f${i}`, cmd: { op: 'session.reset' } }));
    const closed = await c.inbox.whenClosed();
    expect(closed.code).toBe(CloseCode.tooManyMessages);
    // at most about 2 × burst messages were answered before it was closed
    expect(c.inbox.all.filter((m) => m.t === 'reply').length).toBeLessThanOrEqual(21);
    expect(await other.inbox.reply(send(other.ws, { op: 'watch.add', port: 5555 }))).toMatchObject({ ok: true });
    expect(await other.inbox.reply(send(other.ws, { op: 'watch.remove', port: 5555 }))).toMatchObject({ ok: true });
    other.ws.close();
  });

  it('P8: the limit applies to every kind of frame, not only commands', async () => {
    const c = await live(h.port);
    for (let i = 0; i < 12; i++) c.ws.send('{not json');
    await until(() => c.inbox.all.some((m) => m.t === 'reply' && m.error?.code === 'E_LIMIT'));
    c.ws.close();
  });
});

describe('connections and frames (N4, P5, P9)', () => {
  let h: SecHarness;
  beforeAll(async () => { h = await startSec({ maxClients: 2, rate: { perSecond: 1000, burst: 1000 } }); });
  afterAll(async () => { await h.close(); });

  it('N4: more teacher connections than maxClients get a bare 503', async () => {
    const a = await live(h.port);
    const b = await live(h.port);
    const r = await refused(dial(h.port));
    expect(r.status).toBe(503);
    expect(r.body).toBe('');
    a.ws.close();
    await until(() => h.server.clients() === 1 || null);
    const c = await live(h.port); // a place freed up
    b.ws.close();
    c.ws.close();
    await until(() => h.server.clients() === 0 || null);
  });

  it('N4: a frame beyond maxPayload (1 MiB) closes that socket with 1009; the agent keeps serving', async () => {
    const c = await live(h.port);
    c.ws.send('x'.repeat(1024 * 1024 + 16));
    expect((await c.inbox.whenClosed()).code).toBe(1009);
    const d = await live(h.port);
    expect(await d.inbox.reply(send(d.ws, { op: 'watch.add', port: 5556 }))).toMatchObject({ ok: true });
    expect(await d.inbox.reply(send(d.ws, { op: 'watch.remove', port: 5556 }))).toMatchObject({ ok: true });
    d.ws.close();
    await until(() => h.server.clients() === 0 || null);
  });

  it('P5: at most 32 commands of one page run at once; more get E_LIMIT with a hint', async () => {
    const c = await live(h.port);
    const socks: string[] = [];
    for (let i = 0; i < 34; i++) {
      const r = await c.inbox.reply(send(c.ws, { op: 'udp.bind', host: '127.0.0.1', port: 0 }));
      expect(r.ok).toBe(true);
      socks.push(r.result.sock);
    }
    // recvfrom blocks (nothing arrives) until the socket closes: 32 wait, 2 are refused at once
    const waiting = socks.map((sock) => send(c.ws, { op: 'udp.recvfrom', sock }));
    const refusedNow = await until(() => {
      const r = c.inbox.all.filter((m) => m.t === 'reply' && waiting.includes(m.re));
      return r.length >= 2 ? r : null;
    });
    expect(refusedNow).toHaveLength(2);
    for (const r of refusedNow) expect(r).toMatchObject({ ok: false, error: { ...LIMIT, message: expect.stringContaining('32 commands at once') } });
    // the limit is per page: another page may still act, and closing the sockets wakes the waiting calls
    const other = await live(h.port);
    for (const sock of socks) expect((await other.inbox.reply(send(other.ws, { op: 'udp.close', sock }))).ok).toBe(true);
    const all = await Promise.all(waiting.map((id) => c.inbox.reply(id)));
    expect(all.filter((r) => r.error?.code === 'EBADF')).toHaveLength(32);
    c.ws.close();
    other.ws.close();
    await until(() => h.server.clients() === 0 || null);
  });

  it('P9: a second sync after one hello is refused (a sync may resend the whole recording)', async () => {
    const c = await live(h.port);
    const before = c.inbox.all.length;
    c.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
    const r = await c.inbox.next((m) => m.t === 'reply' && c.inbox.all.indexOf(m) >= before);
    expect(r).toMatchObject({ ok: false, error: { code: 'E_INVALID', message: expect.stringContaining('already synced') } });
    await new Promise((res) => setTimeout(res, 100));
    expect(c.inbox.all.slice(before).filter((m) => m.t === 'synced')).toHaveLength(0);
    c.ws.close();
  });
});

describe('what one page may ask of the engine (R2, WA1)', () => {
  let h: SecHarness;
  beforeAll(async () => { h = await startSec(); });
  afterAll(async () => { await h.close(); });

  it('R2: bytes per command: a send over 64 KiB is E_LIMIT naming tcp.sendBulk; sendBulk generates its bytes, its chunk is bounded by the schema (1 MiB)', async () => {
    const c = await live(h.port);
    const l = await c.inbox.reply(send(c.ws, { op: 'tcp.listen', host: '127.0.0.1', port: 0 }));
    const port = Number(String(l.result.local).split(':').pop());
    const conn = await c.inbox.reply(send(c.ws, { op: 'tcp.connect', host: '127.0.0.1', port }));
    expect(conn.ok).toBe(true);
    const sock = conn.result.sock;
    // 40 000 × "é" is 80 000 bytes of UTF-8: within the frame limit, over the per-command limit
    const big = await c.inbox.reply(send(c.ws, { op: 'tcp.send', sock, data: { text: 'é'.repeat(40_000) } }));
    expect(big).toMatchObject({ ok: false, error: { ...LIMIT, message: expect.stringContaining('tcp.sendBulk') } });
    const tooBig = await c.inbox.reply(send(c.ws, { op: 'tcp.sendBulk', sock, bytes: 1 << 21, chunk: (1 << 20) + 1 }));
    expect(tooBig).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    const bulk = await c.inbox.reply(send(c.ws, { op: 'tcp.sendBulk', sock, bytes: 200_000, chunk: 65_536 }));
    expect(bulk.ok).toBe(true);
    // on a second connection: the first one's bulk send may still be running (blocked on a peer that reads nothing)
    const conn2 = await c.inbox.reply(send(c.ws, { op: 'tcp.connect', host: '127.0.0.1', port }));
    const bigChunk = await c.inbox.reply(send(c.ws, { op: 'tcp.sendBulk', sock: conn2.result.sock, bytes: 1 << 18, chunk: 1 << 17 }));
    expect(bigChunk.ok).toBe(true);
    c.ws.close();
  });

  it('WA1: at most 16 watched ports; the 17th is E_LIMIT with a hint and changes nothing', async () => {
    const c = await live(h.port);
    for (let p = 0; p < 16; p++) expect((await c.inbox.reply(send(c.ws, { op: 'watch.add', port: 20_000 + p }))).ok).toBe(true);
    const r = await c.inbox.reply(send(c.ws, { op: 'watch.add', port: 20_016 }));
    expect(r).toMatchObject({ ok: false, error: LIMIT });
    expect(h.agent.watcher.ports()).toHaveLength(16);
    for (let p = 0; p < 16; p++) send(c.ws, { op: 'watch.remove', port: 20_000 + p });
    await until(() => h.agent.watcher.ports().length === 0 || null);
    c.ws.close();
  });
});
