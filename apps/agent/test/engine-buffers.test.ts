import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkEachTest, freePort, harness, sleep, type Harness, type KernelTcp } from './engine-harness.ts';

const H = '127.0.0.1';
let h: Harness;
checkEachTest(() => h);

async function connected() {
  const port = await freePort();
  const l = await h.exec({ op: 'tcp.listen', host: H, port });
  const c = await h.exec({ op: 'tcp.connect', host: H, port });
  const a = await h.exec({ op: 'tcp.accept', sock: l['sock'] as string });
  return { client: c['sock'] as string, server: a['newSock'] as string };
}

const tcpEvents = (sock: string) => h.kernel(sock).filter((e): e is KernelTcp => e.type === 'kernel.tcp');
const recvQueueIs = (sock: string, n: number) => h.waitFor((e) => e.type === 'kernel.tcp' && e.sock === sock && e.recvQueue === n);
const text = (r: Record<string, unknown>) => Buffer.from((r['data'] as { b64: string }).b64, 'base64');

describe('recv takes bytes out of the kernel receive queue, at most max per call', () => {
  it('recv(4) takes exactly 4 bytes: the kernel recvQueue drops by 4 and the rest stays there', async () => {
    h = harness();
    const { client, server } = await connected();
    await h.exec({ op: 'tcp.send', sock: client, data: { text: 'hello world, 0123456789', encoding: 'utf8' } });
    await recvQueueIs(server, 23);
    const a = await h.exec({ op: 'tcp.recv', sock: server, max: 4 });
    expect(a).toMatchObject({ len: 4, eof: false });
    expect(text(a).toString()).toBe('hell');
    await recvQueueIs(server, 19);
    const b = await h.exec({ op: 'tcp.recv', sock: server, max: 7 });
    expect(text(b).toString()).toBe('o world');
    await recvQueueIs(server, 12);
    const c = await h.exec({ op: 'tcp.recv', sock: server, max: 1024 });
    expect(text(c).toString()).toBe(', 0123456789');
    await recvQueueIs(server, 0);
    expect(h.model().sockets[server]!.bytesReceived).toBe(23);
  });

  it('a client socket reads exactly too: recv(3) leaves the rest in its kernel queue', async () => {
    h = harness();
    const { client, server } = await connected();
    await h.exec({ op: 'tcp.send', sock: server, data: { text: '0123456789', encoding: 'utf8' } });
    await recvQueueIs(client, 10);
    expect(text(await h.exec({ op: 'tcp.recv', sock: client, max: 3 })).toString()).toBe('012');
    await recvQueueIs(client, 7);
  });

  it('two sends can arrive as one recv: TCP keeps no message boundaries', async () => {
    h = harness();
    const { client, server } = await connected();
    await h.exec({ op: 'tcp.send', sock: client, data: { text: 'abc', encoding: 'utf8' } });
    await h.exec({ op: 'tcp.send', sock: client, data: { text: 'def', encoding: 'utf8' } });
    await recvQueueIs(server, 6);
    expect(text(await h.exec({ op: 'tcp.recv', sock: server, max: 1024 })).toString()).toBe('abcdef');
  });

  it('recv with nothing queued waits like a blocking recv, and gives up with EAGAIN after maxWaitMs', async () => {
    h = harness({ limits: { maxWaitMs: 300 } });
    const { client, server } = await connected();
    const waiting = h.exec({ op: 'tcp.recv', sock: server, max: 100 });
    await sleep(50);
    await h.exec({ op: 'tcp.send', sock: client, data: { text: 'late', encoding: 'utf8' } });
    expect(text(await waiting).toString()).toBe('late');
    const err = await h.fails({ op: 'tcp.recv', sock: server, max: 100 });
    expect(err.code).toBe('EAGAIN');
    expect(await h.fails({ op: 'tcp.recv', sock: server, max: 100 }).then((e) => e.code)).toBe('EAGAIN');
  });
});

describe('send copies into the kernel send buffer; a paused reader fills both buffers', () => {
  it('the reader recvQueue fills to the kernel limit, the writer sendQueue grows, send blocks; reading drains it all', async () => {
    h = harness();
    const { client, server } = await connected();
    const total = 8 << 20;
    const bulk = await h.exec({ op: 'tcp.sendBulk', sock: client, bytes: total, chunk: 65536 });
    expect(bulk).toMatchObject({ blocked: true, done: false });
    expect(h.notices(client).find((n) => n.what === 'blocked')?.detail?.['waiting']).toBeGreaterThan(0);

    // the receive buffer fills to what the kernel allows an application that does not read
    const rmemDefault = Number(readFileSync('/proc/sys/net/ipv4/tcp_rmem', 'utf8').trim().split(/\s+/)[1]);
    await h.waitFor((e) => e.type === 'kernel.tcp' && e.sock === server && e.recvQueue > rmemDefault / 4);
    await h.waitFor((e) => e.type === 'kernel.tcp' && e.sock === client && e.sendQueue > 256 * 1024);
    await sleep(300);
    const recvMax = Math.max(...tcpEvents(server).map((e) => e.recvQueue));
    const sendMax = Math.max(...tcpEvents(client).map((e) => e.sendQueue));
    console.log(`paused reader: recvQueue peaked at ${recvMax} B (tcp_rmem default ${rmemDefault}); writer sendQueue ${sendMax} B`);
    expect(recvMax).toBeLessThanOrEqual(rmemDefault);
    expect(sendMax).toBeGreaterThan(recvMax); // the rest piles up at the sender
    expect(await h.fails({ op: 'tcp.send', sock: client, data: { text: 'x', encoding: 'utf8' } }).then((e) => e.code)).toBe('E_BUSY');

    let got = 0;
    for (let i = 0; i < 4000 && got < total; i++) got += (await h.exec({ op: 'tcp.recv', sock: server, max: 1 << 20 }))['len'] as number;
    expect(got).toBe(total);
    await h.waitFor((e) => e.type === 'api.notice' && e.sock === client && e.what === 'writable');
    const sends = h.calls(client).filter((c) => c.call === 'send');
    expect(sends.reduce((n, c) => n + (c.data?.len ?? 0), 0)).toBe(total);
    await recvQueueIs(server, 0);
    await h.waitFor((e) => e.type === 'kernel.tcp' && e.sock === client && e.sendQueue === 0);
  });
});

describe('data are bytes: text is encoded', () => {
  it('gbk and utf-8 text and hex become the right bytes on the wire', async () => {
    h = harness();
    const { client, server } = await connected();
    await h.exec({ op: 'tcp.send', sock: client, data: { text: '你好', encoding: 'gbk' } });
    await h.exec({ op: 'tcp.send', sock: client, data: { text: '你好', encoding: 'utf8' } });
    await h.exec({ op: 'tcp.send', sock: client, data: { hex: '00 ff 41' } });
    expect(h.calls(client).filter((c) => c.call === 'send').map((c) => [c.args['encoding'], c.data!.len])).toEqual([['gbk', 4], ['utf8', 6], ['hex', 3]]);
    await recvQueueIs(server, 13);
    const r = await h.exec({ op: 'tcp.recv', sock: server, max: 100 });
    expect(text(r).toString('hex')).toBe('c4e3bac3e4bda0e5a5bd00ff41'); // gbk 你好, utf-8 你好, hex
  });

  it('a plain send that finds the kernel send buffer full says blocked, and writable once the reader makes room', async () => {
    h = harness();
    const { client, server } = await connected();
    let waiting = 0;
    let sends = 0;
    for (; sends < 400 && waiting === 0; sends++) {
      waiting = (await h.exec({ op: 'tcp.send', sock: client, data: { hex: 'ab'.repeat(32 * 1024) } }))['waiting'] as number;
    }
    expect(waiting).toBeGreaterThan(0);
    const blocked = h.notices(client).filter((n) => n.what === 'blocked');
    expect(blocked).toHaveLength(1);
    expect(h.events.indexOf(blocked[0]!)).toBeGreaterThan(h.events.indexOf(h.calls(client).at(-1)!)); // after the send that blocked
    const total = sends * 32 * 1024;
    let got = 0;
    for (let i = 0; i < 4000 && got < total; i++) got += (await h.exec({ op: 'tcp.recv', sock: server, max: 1 << 20 }))['len'] as number;
    expect(got).toBe(total);
    await h.waitFor((e) => e.type === 'api.notice' && e.sock === client && e.what === 'writable');
  });
});
