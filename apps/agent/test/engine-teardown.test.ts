import { describe, expect, it } from 'vitest';
import { checkEachTest, freePort, harness, type Harness } from './engine-harness.ts';

const H = '127.0.0.1';
let h: Harness;
checkEachTest(() => h);

async function connected() {
  const port = await freePort();
  const l = await h.exec({ op: 'tcp.listen', host: H, port, backlog: 5 });
  const c = await h.exec({ op: 'tcp.connect', host: H, port });
  const a = await h.exec({ op: 'tcp.accept', sock: l['sock'] as string });
  const client = c['sock'] as string;
  const server = a['newSock'] as string;
  await Promise.all([h.state(client, ['ESTABLISHED']), h.state(server, ['ESTABLISHED'])]);
  return { port, listener: l['sock'] as string, client, server };
}

const states = (sock: string) => h.model().sockets[sock]!.stateHistory.map((s) => s.to);

describe('tcp teardown (四次挥手)', () => {
  it('the side that closes first goes FIN_WAIT2 → TIME_WAIT; the other sits in CLOSE_WAIT until recv returns empty and it closes', async () => {
    h = harness();
    const { client, server } = await connected();
    await h.exec({ op: 'tcp.send', sock: client, data: { text: 'hello', encoding: 'utf8' } });
    const got = await h.exec({ op: 'tcp.recv', sock: server, max: 1024 });
    expect(got).toMatchObject({ len: 5, eof: false });

    await h.exec({ op: 'tcp.close', sock: client });
    await h.state(client, ['FIN_WAIT2']);
    await h.state(server, ['CLOSE_WAIT']);

    const eof = await h.exec({ op: 'tcp.recv', sock: server, max: 1024 });
    expect(eof).toMatchObject({ len: 0, eof: true });
    expect(h.calls(server).at(-1)).toMatchObject({ call: 'recv', data: { len: 0 } });
    expect(h.notices(server).map((n) => n.what)).toContain('peer-closed');

    await h.exec({ op: 'tcp.close', sock: server });
    await h.state(client, ['TIME_WAIT']);
    await h.waitFor((e) => e.type === 'kernel.tcp' && e.sock === server && e.gone === true);

    // the fold (the model every view uses) shows the whole story
    const m = h.model();
    expect(states(client)).toEqual(expect.arrayContaining(['ESTABLISHED', 'FIN_WAIT2', 'TIME_WAIT']));
    expect(states(client).indexOf('FIN_WAIT2')).toBeLessThan(states(client).indexOf('TIME_WAIT'));
    expect(states(server)).toEqual(expect.arrayContaining(['ESTABLISHED', 'CLOSE_WAIT']));
    expect(m.sockets[server]).toMatchObject({ peerClosed: true, apiState: 'closed', gone: true });
    expect(m.sockets[client]).toMatchObject({ apiState: 'closed', state: 'TIME_WAIT', gone: false });
  });

  it('LAST_ACK is visible when the last FIN waits behind data the peer does not read (shutdown, then a zero window)', async () => {
    h = harness();
    const { client, server } = await connected();
    await h.exec({ op: 'tcp.shutdown', sock: client }); // the client's FIN; it keeps its socket but reads nothing
    await h.state(client, ['FIN_WAIT2']);
    await h.state(server, ['CLOSE_WAIT']);

    const bulk = await h.exec({ op: 'tcp.sendBulk', sock: server, bytes: 16 << 20, chunk: 65536 });
    expect(bulk).toMatchObject({ blocked: true, done: false });
    expect(await h.exec({ op: 'tcp.recv', sock: server, max: 64 })).toMatchObject({ eof: true });
    await h.exec({ op: 'tcp.close', sock: server });
    const lastAck = await h.state(server, ['LAST_ACK']);
    expect(lastAck.sendQueue).toBeGreaterThan(0); // the FIN is queued behind these bytes

    // the client reads everything; then the server's FIN arrives: TIME_WAIT here, the server socket leaves
    let total = 0;
    for (let i = 0; i < 2000; i++) {
      const r = await h.exec({ op: 'tcp.recv', sock: client, max: 1 << 20 });
      if (r['eof']) break;
      total += r['len'] as number;
    }
    expect(total).toBeGreaterThan(0);
    await h.state(client, ['TIME_WAIT']);
    await h.waitFor((e) => e.type === 'kernel.tcp' && e.sock === server && e.gone === true);
    expect(states(server)).toEqual(expect.arrayContaining(['CLOSE_WAIT', 'LAST_ACK']));
    expect(states(server).indexOf('CLOSE_WAIT')).toBeLessThan(states(server).indexOf('LAST_ACK'));
  });

  it('abort sends RST: SO_LINGER 0 then close; the peer recv fails with ECONNRESET and nobody waits in TIME_WAIT', async () => {
    h = harness();
    const { client, server } = await connected();
    await h.exec({ op: 'tcp.abort', sock: client });
    expect(h.calls(client).slice(-2).map((c) => [c.call, c.args['option']])).toEqual([['setsockopt', 'SO_LINGER'], ['close', undefined]]);
    const err = await h.fails({ op: 'tcp.recv', sock: server, max: 10 });
    expect(err.code).toBe('ECONNRESET');
    expect(h.calls(server).at(-1)).toMatchObject({ call: 'recv', error: { code: 'ECONNRESET' } });
    await h.waitFor((e) => e.type === 'kernel.tcp' && e.sock === client && e.gone === true);
    expect(h.kernel(client).some((e) => e.type === 'kernel.tcp' && e.state === 'TIME_WAIT')).toBe(false);
    // a later recv sees the end, as after a reported reset on Linux
    expect(await h.exec({ op: 'tcp.recv', sock: server, max: 10 })).toMatchObject({ eof: true });
  });

  it('send to a peer that reset the connection fails (ECONNRESET or EPIPE), as the send call, not a crash', async () => {
    h = harness();
    const { client, server } = await connected();
    await h.exec({ op: 'tcp.abort', sock: client });
    await h.waitFor((e) => e.type === 'kernel.tcp' && e.sock === server && e.gone === true); // the RST arrived
    const err = await h.fails({ op: 'tcp.send', sock: server, data: { text: 'anyone?', encoding: 'utf8' } });
    expect(['ECONNRESET', 'EPIPE']).toContain(err.code);
    expect(h.calls(server).at(-1)).toMatchObject({ call: 'send', error: { code: err.code } });
    expect((await h.fails({ op: 'tcp.send', sock: server, data: { text: 'again', encoding: 'utf8' } })).code).toBe('EPIPE');
    await h.exec({ op: 'tcp.close', sock: server });
  });

  it('closing a listener resets the connections still waiting for accept()', async () => {
    h = harness();
    const port = await freePort();
    const l = (await h.exec({ op: 'tcp.listen', host: H, port }))['sock'] as string;
    const c = (await h.exec({ op: 'tcp.connect', host: H, port }))['sock'] as string;
    await h.waitFor((e) => e.type === 'api.notice' && e.what === 'incoming');
    await h.state(l, ['LISTEN']); // the probe must have seen it to report it gone
    const r = await h.exec({ op: 'tcp.close', sock: l });
    expect(r).toEqual({ resetWaiting: 1 });
    const err = await h.fails({ op: 'tcp.recv', sock: c, max: 10 });
    expect(err.code).toBe('ECONNRESET');
    await h.waitFor((e) => e.type === 'kernel.tcp' && e.sock === l && e.gone === true);
  });
});
