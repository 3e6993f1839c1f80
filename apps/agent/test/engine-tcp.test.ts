import { connKey } from '@socketscope/shared';
import { describe, expect, it } from 'vitest';
import { checkEachTest, freePort, harness, sleep, type ApiCall, type Harness } from './engine-harness.ts';

const H = '127.0.0.1';
let h: Harness;
checkEachTest(() => h);

/** listen + connect + accept; returns the three socket ids and the endpoints. */
async function connected(port?: number) {
  const p = port ?? (await freePort());
  const l = await h.exec({ op: 'tcp.listen', host: H, port: p, backlog: 5 });
  const c = await h.exec({ op: 'tcp.connect', host: H, port: p });
  const a = await h.exec({ op: 'tcp.accept', sock: l['sock'] as string });
  return { port: p, listener: l['sock'] as string, client: c['sock'] as string, server: a['newSock'] as string, clientEp: c['local'] as string, serverEp: c['remote'] as string };
}

describe('tcp: server steps and the handshake', () => {
  it('listen emits socket, setsockopt SO_REUSEADDR (when asked), bind and listen as separate calls, and the kernel shows LISTEN', async () => {
    h = harness();
    const port = await freePort();
    const r = await h.exec({ op: 'tcp.listen', host: H, port, backlog: 7, reuseAddr: true });
    expect(r).toMatchObject({ sock: 's1', local: `${H}:${port}`, backlog: 7 });
    const calls = h.calls('s1');
    expect(calls.map((c) => c.call)).toEqual(['socket', 'setsockopt', 'bind', 'listen']);
    expect(calls[1]!.args).toMatchObject({ option: 'SO_REUSEADDR', value: 1 });
    expect(calls[2]).toMatchObject({ local: `${H}:${port}`, proto: 'tcp' });
    expect(calls[3]!.args).toEqual({ backlog: 7 });
    const k = await h.state('s1', ['LISTEN']);
    expect(k).toMatchObject({ local: `${H}:${port}`, acceptQueue: 0, backlog: 7 });
    expect(h.model().sockets['s1']).toMatchObject({ role: 'listener', apiState: 'listening', state: 'LISTEN', backlog: 7 });
  });

  it('connect and accept: an incoming notice, accept returns a new socket, both ends ESTABLISHED, one conn key everywhere', async () => {
    h = harness();
    const { listener, client, server, clientEp, serverEp } = await connected();
    const conn = connKey(clientEp, serverEp);
    const incoming = h.notices(listener).find((n) => n.what === 'incoming');
    expect(incoming).toMatchObject({ conn, remote: clientEp, local: serverEp });
    const accept = h.calls(listener).find((c) => c.call === 'accept')!;
    expect(accept).toMatchObject({ newSock: server, local: serverEp, remote: clientEp, conn });
    expect(h.calls(client).find((c) => c.call === 'connect')).toMatchObject({ local: clientEp, remote: serverEp, conn });
    const [kc, ks] = await Promise.all([h.state(client, ['ESTABLISHED']), h.state(server, ['ESTABLISHED'])]);
    expect(kc.conn).toBe(conn);
    expect(ks.conn).toBe(conn);
    const m = h.model();
    expect(m.sockets[server]).toMatchObject({ role: 'accepted', parent: listener, state: 'ESTABLISHED' });
    expect(m.sockets[listener]!.pendingAccept).toBe(0);
    expect(m.conns[conn]).toMatchObject({ clientSock: client, serverSock: server });
  });

  it('accept blocks until a client connects (bounded), then returns it', async () => {
    h = harness();
    const port = await freePort();
    const l = (await h.exec({ op: 'tcp.listen', host: H, port }))['sock'] as string;
    const pending = h.exec({ op: 'tcp.accept', sock: l });
    await sleep(100);
    const c = await h.exec({ op: 'tcp.connect', host: H, port });
    const a = await pending;
    expect(a['remote']).toBe(c['local']);
    expect((h.calls(l).find((x) => x.call === 'accept') as ApiCall).durationUs).toBeGreaterThan(50_000);
  });

  it('accept with nobody connecting gives up after maxWaitMs with E_NOTHING_TO_ACCEPT', async () => {
    h = harness({ limits: { maxWaitMs: 150 } });
    const l = (await h.exec({ op: 'tcp.listen', host: H, port: await freePort() }))['sock'] as string;
    const err = await h.fails({ op: 'tcp.accept', sock: l });
    expect(err.code).toBe('E_NOTHING_TO_ACCEPT');
    expect(h.calls(l).at(-1)).toMatchObject({ call: 'accept', error: { code: 'E_NOTHING_TO_ACCEPT' } });
  });

  it('connect to a port nobody listens on fails with ECONNREFUSED (and the agent closes that socket)', async () => {
    h = harness();
    const port = await freePort();
    const err = await h.fails({ op: 'tcp.connect', host: H, port });
    expect(err.code).toBe('ECONNREFUSED');
    const calls = h.calls('s1');
    expect(calls.map((c) => c.call)).toEqual(['socket', 'connect', 'close']);
    expect(calls[1]!.error).toMatchObject({ code: 'ECONNREFUSED', hint: expect.stringContaining('RST') });
    expect(h.model().sockets['s1']).toMatchObject({ apiState: 'closed', lastError: { code: 'ECONNREFUSED' } });
  });

  it('listen on a port a live listener holds fails in bind with EADDRINUSE', async () => {
    h = harness();
    const { port } = await connected();
    const err = await h.fails({ op: 'tcp.listen', host: H, port });
    expect(err.code).toBe('EADDRINUSE');
    const failed = h.calls().filter((c) => c.error);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ call: 'bind', error: { code: 'EADDRINUSE' } });
    expect(failed[0]!.error!.hint).toMatch(/TIME_WAIT/);
  });

  it('connect with a local port binds first (a bind call, then connect); the same 4-tuple again is EADDRNOTAVAIL', async () => {
    h = harness();
    const port = await freePort();
    await h.exec({ op: 'tcp.listen', host: H, port });
    const localPort = await freePort();
    const c = await h.exec({ op: 'tcp.connect', host: H, port, localPort });
    expect(c['local']).toBe(`${H}:${localPort}`);
    expect(h.calls(c['sock'] as string).map((x) => x.call)).toEqual(['socket', 'bind', 'connect']);
    // Node binds with SO_REUSEADDR, so the bind succeeds; the kernel refuses a second identical connection
    const err = await h.fails({ op: 'tcp.connect', host: H, port, localPort });
    expect(err.code).toBe('EADDRNOTAVAIL');
    const second = h.calls().filter((x) => x.sock && x.sock !== c['sock'] && x.sock !== 's1');
    expect(second.map((x) => [x.call, x.error?.code])).toEqual([['socket', undefined], ['bind', undefined], ['connect', 'EADDRNOTAVAIL'], ['close', undefined]]);
  });
});
