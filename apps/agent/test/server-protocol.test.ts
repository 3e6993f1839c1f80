import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseCode, PROTOCOL_VERSION, ServerMessage, type SessionEvent } from '@socketscope/shared';
import { connect, inboxOf, startHarness, type Harness } from './server-helpers.ts';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

async function client() {
  return inboxOf(await connect(h.port));
}
type Inbox = ReturnType<typeof inboxOf>;

let ids = 0;
function cmd(c: Inbox, body: unknown): string {
  const id = `c${++ids}`;
  c.ws.send(JSON.stringify({ t: 'cmd', id, cmd: body }));
  return id;
}

describe('protocol (P1–P6)', () => {
  it('P1: the first message is hello with the protocol version, session and capabilities', async () => {
    const c = await client();
    const hello = await c.next(() => true);
    expect(c.all[0]).toBe(hello);
    expect(ServerMessage.safeParse(hello).success).toBe(true);
    expect(hello).toMatchObject({ t: 'hello', protocolVersion: PROTOCOL_VERSION, readOnly: false, session: { id: h.agent.session.id } });
    expect(hello.capabilities.scenarios).toEqual(expect.arrayContaining(['tcp-hello', 'udp-echo']));
    c.ws.close();
  });

  it('P2: sync with another protocol version closes with protocolMismatch and a reason', async () => {
    const c = await client();
    c.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION + 1, since: null }));
    const closed = await c.whenClosed();
    expect(closed.code).toBe(CloseCode.protocolMismatch);
    expect(closed.reason).toContain(`agent speaks ${PROTOCOL_VERSION}`);
  });

  it('P3/P4: malformed frames and invalid commands get E_INVALID, change nothing, and the agent keeps serving', async () => {
    const c = await client();
    c.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
    await c.next((m) => m.t === 'synced');
    const before = h.agent.session.lastSeq;

    c.ws.send('{not json');
    c.ws.send(JSON.stringify({ t: 'launch', id: 'x1' }));
    c.ws.send(JSON.stringify([1, 2, 3]));
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    c.ws.send(JSON.stringify({ t: 'cmd', id: 'big', cmd: { op: 'tcp.send', sock: 's1', data: { text: 'x'.repeat(300_000) } } }));
    const bad1 = cmd(c, { op: 'tcp.listen', port: 70000 });
    const bad2 = cmd(c, { op: 'nuke' });
    const bad3 = cmd(c, { op: 'tcp.send', sock: 's1', data: { hex: 'zz' } });
    const errors = await Promise.all([c.reply(bad1), c.reply(bad2), c.reply(bad3)]);
    for (const e of errors) {
      expect(e).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
      expect(ServerMessage.safeParse(e).success).toBe(true);
    }
    // a frame too large to read is answered without an id (it is not parsed at all)
    await c.next((m) => m.t === 'reply' && /larger than/.test(m.error?.message ?? ''));
    const anonymous = c.all.filter((m) => m.t === 'reply' && m.re === '');
    expect(anonymous.length).toBe(4); // not JSON, an array, binary, too large
    for (const m of anonymous) expect(m).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    expect(c.all.find((m) => m.re === 'x1')).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    expect(h.agent.session.lastSeq).toBe(before); // nothing happened

    // the same connection still works: a real listen on a free loopback port
    const ok = cmd(c, { op: 'tcp.listen', host: '127.0.0.1', port: 0 });
    const reply = await c.reply(ok);
    expect(reply.ok).toBe(true);
    const listen = await waitFor(() => c.events().find((e) => e.type === 'api.call' && e.call === 'listen'));
    expect(listen.error).toBeUndefined();
    // the reply comes after the events its command caused (O6)
    const replyIndex = c.all.indexOf(reply);
    const eventsIndex = c.all.findIndex((m) => m.t === 'events' && m.events.some((e: any) => e.seq === listen.seq));
    expect(eventsIndex).toBeLessThan(replyIndex);
    const close = await c.reply(cmd(c, { op: 'tcp.close', sock: listen.sock }));
    expect(close.ok).toBe(true);
    c.ws.close();
  });

  it('P4: a call the engine refuses becomes an error reply with its code', async () => {
    const c = await client();
    const r = await c.reply(cmd(c, { op: 'tcp.send', sock: 'no-such-socket', data: { text: 'x' } }));
    expect(r).toMatchObject({ ok: false, error: { code: 'E_NO_SOCKET' } });
    expect(r.error.hint).toBeTruthy();
    c.ws.close();
  });

  it('agent commands: watch.add/remove answer with the watched ports', async () => {
    const c = await client();
    expect(await c.reply(cmd(c, { op: 'watch.add', port: 5555 }))).toMatchObject({ ok: true, result: { watching: [5555] } });
    expect(await c.reply(cmd(c, { op: 'watch.remove', port: 5555 }))).toMatchObject({ ok: true, result: { watching: [] } });
    // the page's own port is never watched: it would observe its own traffic
    expect(await c.reply(cmd(c, { op: 'watch.add', port: h.port }))).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    expect(await c.reply(cmd(c, { op: 'scenario.run', name: 'no-such-lesson' }))).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    c.ws.close();
  });

  it('a client resuming with since gets exactly the events after it, then synced', async () => {
    const c = await client();
    c.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
    const synced = await c.next((m) => m.t === 'synced');
    const all = c.events().map((e) => e.seq);
    expect(all).toEqual(Array.from({ length: synced.lastSeq + 1 }, (_, i) => i));
    c.ws.close();
    const d = await client();
    const since = Math.max(-1, synced.lastSeq - 3);
    d.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since }));
    const s2 = await d.next((m) => m.t === 'synced');
    expect(d.events().map((e) => e.seq)).toEqual(Array.from({ length: s2.lastSeq - since }, (_, i) => since + 1 + i));
    d.ws.close();
  });

  it('P6: session.reset sends a new hello; the client syncs again and gets the new session from seq 0', async () => {
    const c = await client();
    const first = await c.next((m) => m.t === 'hello');
    c.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
    await c.next((m) => m.t === 'synced');
    const r = await c.reply(cmd(c, { op: 'session.reset' }));
    expect(r.ok).toBe(true);
    const second = await c.next((m) => m.t === 'hello' && m.session.id !== first.session.id);
    expect(second.session.id).toBe(r.result.session);
    const n = c.all.length;
    c.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: -1 }));
    await c.next((m) => m.t === 'synced' && c.all.indexOf(m) >= n);
    await c.reply(cmd(c, { op: 'tcp.listen', host: '127.0.0.1', port: 0 }));
    const ev = await waitFor(() => c.all.slice(n).filter((m) => m.t === 'events').flatMap((m) => m.events).find((e: any) => e.type === 'api.call'));
    expect(ev.seq).toBeLessThan(10);
    c.ws.close();
  });

  it('P6: the new session starts by saying what capture is doing, as the first one did', async () => {
    const seen: SessionEvent[] = [];
    const stop = h.agent.session.subscribe((e) => { seen.push(e); });
    try {
      const before = h.agent.session.snapshotNow().model.sources.wire;
      expect(before, 'the first session knows its wire source').toBeDefined();
      h.agent.session.reset();
      const status = seen.find((e) => e.type === 'source.status' && e.source === 'wire');
      expect(status?.seq).toBe(0);
      expect(h.agent.session.snapshotNow().model.sources.wire).toEqual(before);
    } finally {
      stop();
    }
  });

  it('N5: shutting down closes clients with shuttingDown after flushing', async () => {
    const h2 = await startHarness();
    const ws = await connect(h2.port);
    const c = inboxOf(ws);
    await c.next((m) => m.t === 'hello');
    await h2.close();
    const closed = await c.whenClosed();
    expect(closed.code).toBe(CloseCode.shuttingDown);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });
});

async function waitFor<T>(fn: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
