import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_HINTS, ServerMessage } from '@socketscope/shared';
import { dial, FULL, get, live, refused, send, SHARE_HOST, startSec, until, VIEWER, type SecHarness } from './share-harness.ts';

/**
 * Sharing over loopback: the share listener sits on 127.0.0.2 (a loopback address that stands in for
 * the classroom LAN address); share-netns.test.ts proves the same across a real network namespace.
 */
let h: SecHarness;
beforeAll(async () => { h = await startSec({ share: { host: SHARE_HOST, viewerToken: VIEWER, maxViewers: 3 } }); });
afterAll(async () => { await h.close(); });

const onShare = { addr: SHARE_HOST, token: VIEWER };

describe('who may connect where (S8, S9)', () => {
  it('S8: the share address accepts the viewer token as a read-only page', async () => {
    const v = await live(h.port, onShare);
    expect(ServerMessage.safeParse(v.hello).success).toBe(true);
    expect(v.hello.readOnly).toBe(true);
    v.ws.close();
  });

  it('S8: the share address refuses the full token (it never has to cross the network)', async () => {
    const r = await refused(dial(h.port, { addr: SHARE_HOST, token: FULL }));
    expect(r.status).toBe(403);
    expect(r.body).toBe('');
    expect((await refused(dial(h.port, { addr: SHARE_HOST, token: 'x'.repeat(64) }))).status).toBe(403);
  });

  it('S8: on loopback the full token opens the teacher’s page and the viewer token a read-only one', async () => {
    const t = await live(h.port);
    expect(t.hello.readOnly).toBe(false);
    const v = await live(h.port, { token: VIEWER });
    expect(v.hello.readOnly).toBe(true);
    t.ws.close();
    v.ws.close();
  });

  it('S9: the share listener answers only to its own Host and Origin, for pages and for the socket', async () => {
    expect((await get(h.port, '/', {}, SHARE_HOST)).status).toBe(200);
    expect((await get(h.port, '/', { Host: `127.0.0.1:${h.port}` }, SHARE_HOST)).status).toBe(403);
    expect((await get(h.port, '/', { Host: `rebind.example:${h.port}` }, SHARE_HOST)).status).toBe(403);
    expect((await refused(dial(h.port, { ...onShare, host: `127.0.0.1:${h.port}`, origin: `http://127.0.0.1:${h.port}` }))).status).toBe(403);
    expect((await refused(dial(h.port, { ...onShare, origin: `http://127.0.0.1:${h.port}` }))).status).toBe(403);
    expect((await refused(dial(h.port, { ...onShare, origin: 'http://evil.example' }))).status).toBe(403);
  });

  it('S9: the loopback listener does not answer to the share address', async () => {
    expect((await get(h.port, '/', { Host: `${SHARE_HOST}:${h.port}` })).status).toBe(403);
    expect((await refused(dial(h.port, { token: VIEWER, host: `${SHARE_HOST}:${h.port}`, origin: `http://${SHARE_HOST}:${h.port}` }))).status).toBe(403);
  });

  it('S6: neither token appears in the agent’s log, even for refusals on the share address', async () => {
    await refused(dial(h.port, { addr: SHARE_HOST, token: FULL }));
    await refused(dial(h.port, { ...onShare, origin: 'http://evil.example' }));
    const all = h.logs.join('\n');
    expect(all).toContain('share address');
    expect(all).not.toContain(FULL);
    expect(all).not.toContain(VIEWER);
  });
});

describe('a viewer only watches (P7)', () => {
  it('P7: every command of a viewer is refused with E_READ_ONLY and changes nothing, valid or not', async () => {
    const v = await live(h.port, onShare);
    const before = h.agent.session.lastSeq;
    const sessionId = h.agent.session.id;
    const cmds = [
      { op: 'tcp.listen', host: '127.0.0.1', port: 0 },
      { op: 'session.reset' },
      { op: 'scenario.run', name: 'tcp-hello' },
      { op: 'watch.add', port: 5555 },
      // a student can never run a program on the teacher's machine, nor steer one (PR1)
      { op: 'py.run', code: 'print("from a student")', name: 'x.py', args: [] },
      { op: 'py.run', example: 'hello-server' },
      { op: 'py.go', run: 'p1' },
      { op: 'py.input', run: 'p1', line: 'hi' },
      { op: 'py.stop', run: 'p1' },
      { op: 'no-such-op' },
    ];
    for (const c of cmds) {
      const r = await v.inbox.reply(send(v.ws, c));
      expect(r, JSON.stringify(c)).toMatchObject({ ok: false, error: { code: 'E_READ_ONLY', hint: ERROR_HINTS['E_READ_ONLY'] } });
    }
    // the same from a read-only page on loopback
    const lv = await live(h.port, { token: VIEWER });
    expect(await lv.inbox.reply(send(lv.ws, { op: 'tcp.listen', host: '127.0.0.1', port: 0 }))).toMatchObject({ ok: false, error: { code: 'E_READ_ONLY' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(h.agent.session.lastSeq).toBe(before);
    expect(h.agent.session.id).toBe(sessionId);
    expect(h.agent.engine.tracked()).toHaveLength(0);
    expect(h.agent.watcher.ports()).toEqual([]);
    expect(h.agent.programs?.running() ?? []).toHaveLength(0);
    v.ws.close();
    lv.ws.close();
  });

  it('P7: a viewer sees the teacher’s calls live, and its hello never carries the viewer link', async () => {
    const t = await live(h.port);
    const v = await live(h.port, onShare);
    expect(v.hello.share).toBeUndefined();
    expect(JSON.stringify(v.hello)).not.toContain(VIEWER);
    expect(JSON.stringify(v.hello)).not.toContain(FULL);
    const r = await t.inbox.reply(send(t.ws, { op: 'tcp.listen', host: '127.0.0.1', port: 0 }));
    expect(r.ok).toBe(true);
    const seen = await until(() => v.inbox.events().find((e) => e.type === 'api.call' && e.call === 'listen' && e.sock === r.result.sock));
    expect(seen.error).toBeUndefined();
    expect(await t.inbox.reply(send(t.ws, { op: 'tcp.close', sock: r.result.sock }))).toMatchObject({ ok: true });
    t.ws.close();
    v.ws.close();
  });

  it('P6 + P7: after a session reset the viewer gets a new hello that is still read-only and without the link', async () => {
    const t = await live(h.port);
    const v = await live(h.port, onShare);
    const first = v.hello.session.id;
    expect(await t.inbox.reply(send(t.ws, { op: 'session.reset' }))).toMatchObject({ ok: true });
    const again = await v.inbox.next((m) => m.t === 'hello' && m.session.id !== first);
    expect(again.readOnly).toBe(true);
    expect(again.share).toBeUndefined();
    const teacherAgain = await t.inbox.next((m) => m.t === 'hello' && m.session.id !== first);
    expect(teacherAgain.share.viewerUrl).toContain(VIEWER);
    t.ws.close();
    v.ws.close();
  });

  it('N4: a viewer’s frames are limited to 16 KiB (it only ever sends a small sync)', async () => {
    const v = await live(h.port, onShare);
    v.ws.send(JSON.stringify({ t: 'cmd', id: 'big', cmd: { pad: 'x'.repeat(20_000) } }));
    expect((await v.inbox.whenClosed()).code).toBe(1009);
    // a teacher's frame of that size is fine (P3 answers it)
    const t = await live(h.port);
    expect(await t.inbox.reply(send(t.ws, { op: 'tcp.send', sock: 'nope', data: { text: 'x'.repeat(20_000) } }))).toMatchObject({ ok: false, error: { code: 'E_NO_SOCKET' } });
    t.ws.close();
  });
});

describe('the teacher sees who is watching (N8)', () => {
  it('N8: hello carries the viewer link and count; viewers {count} follows every change; viewers are never told', async () => {
    await until(() => h.server.viewers() === 0 || null);
    const t = await live(h.port);
    expect(t.hello.share).toEqual({ viewerUrl: `http://${SHARE_HOST}:${h.port}/?token=${VIEWER}`, viewers: 0 });
    expect(h.server.viewerUrl).toBe(t.hello.share.viewerUrl);
    const a = await live(h.port, onShare);
    await t.inbox.next((m) => m.t === 'viewers' && m.count === 1);
    const b = await live(h.port, { token: VIEWER }); // a read-only page on loopback counts too
    await t.inbox.next((m) => m.t === 'viewers' && m.count === 2);
    a.ws.close();
    await t.inbox.next((m) => m.t === 'viewers' && m.count === 1);
    b.ws.close();
    await t.inbox.next((m) => m.t === 'viewers' && m.count === 0);
    expect(a.inbox.all.some((m) => m.t === 'viewers')).toBe(false);
    expect(b.inbox.all.some((m) => m.t === 'viewers')).toBe(false);
    for (const m of t.inbox.all.filter((x) => x.t === 'viewers')) expect(ServerMessage.safeParse(m).success).toBe(true);
    t.ws.close();
  });

  it('N4: viewers beyond maxViewers get a bare 503; teachers and viewers are counted apart', async () => {
    await until(() => h.server.viewers() === 0 && h.server.clients() === 0 || null);
    // two teacher pages first: they must not use up the viewers' places (3)
    const teachers = await Promise.all([1, 2].map(() => live(h.port)));
    const vs = await Promise.all([1, 2, 3].map(() => live(h.port, onShare)));
    const r = await refused(dial(h.port, onShare));
    expect(r.status).toBe(503);
    expect(r.body).toBe('');
    // …and a full classroom of viewers does not lock the teacher out
    const t = await live(h.port);
    expect(t.hello.share.viewers).toBe(3);
    for (const v of [...vs, ...teachers, t]) v.ws.close();
  });
});

describe('without --share', () => {
  it('the viewer token means nothing, hello has no share, and there is no viewer link', async () => {
    const plain = await startSec();
    try {
      expect(plain.server.viewerUrl).toBeNull();
      const t = await live(plain.port);
      expect(t.hello.share).toBeUndefined();
      expect((await refused(dial(plain.port, { token: VIEWER }))).status).toBe(403);
      expect((await refused(dial(plain.port, { token: '' }))).status).toBe(403);
      t.ws.close();
    } finally {
      await plain.close();
    }
  });
});
