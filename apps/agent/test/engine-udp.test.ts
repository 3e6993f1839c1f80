import { describe, expect, it } from 'vitest';
import { checkEachTest, freePort, harness, type Harness, type KernelUdp } from './engine-harness.ts';

const H = '127.0.0.1';
let h: Harness;
checkEachTest(() => h);

const udpEvents = (sock: string) => h.kernel(sock).filter((e): e is KernelUdp => e.type === 'kernel.udp');
const text = (r: Record<string, unknown>) => Buffer.from((r['data'] as { b64: string }).b64, 'base64').toString();

describe('udp: connectionless datagrams', () => {
  it('sendto names the target, recvfrom reports the sender, and datagram boundaries are kept', async () => {
    h = harness();
    const port = await freePort();
    const server = await h.exec({ op: 'udp.bind', host: H, port });
    expect(h.calls(server['sock'] as string).map((c) => c.call)).toEqual(['socket', 'bind']);
    const client = (await h.exec({ op: 'udp.socket' }))['sock'] as string;
    await h.exec({ op: 'udp.sendto', sock: client, host: H, port, data: { text: 'abc', encoding: 'utf8' } });
    await h.exec({ op: 'udp.sendto', sock: client, host: H, port, data: { text: 'defg', encoding: 'utf8' } });
    const sendto = h.calls(client).find((c) => c.call === 'sendto')!;
    expect(sendto).toMatchObject({ proto: 'udp', remote: `${H}:${port}`, data: { len: 3 } });
    const clientEp = h.calls(client).filter((c) => c.call === 'sendto').at(-1)!.result as { from: string };

    const a = await h.exec({ op: 'udp.recvfrom', sock: server['sock'] as string, max: 1024 });
    const b = await h.exec({ op: 'udp.recvfrom', sock: server['sock'] as string, max: 1024 });
    expect([text(a), text(b)]).toEqual(['abc', 'defg']); // two datagrams, two reads: never merged
    expect(a['from']).toMatch(/:\d+$/);
    expect(clientEp.from).toBe(h.model().sockets[client]!.local); // the implicit bind gave the client an address
    expect(h.calls(server['sock'] as string).at(-1)).toMatchObject({ call: 'recvfrom', remote: a['from'] });
  });

  it('a datagram longer than max is cut and the rest of it is gone, like recvfrom(2)', async () => {
    h = harness();
    const port = await freePort();
    const s = (await h.exec({ op: 'udp.bind', host: H, port }))['sock'] as string;
    const c = (await h.exec({ op: 'udp.socket' }))['sock'] as string;
    await h.exec({ op: 'udp.sendto', sock: c, host: H, port, data: { text: 'hello world', encoding: 'utf8' } });
    await h.exec({ op: 'udp.sendto', sock: c, host: H, port, data: { text: 'next', encoding: 'utf8' } });
    const r = await h.exec({ op: 'udp.recvfrom', sock: s, max: 5 });
    expect(r).toMatchObject({ len: 5, datagramLen: 11, truncated: true });
    expect(text(r)).toBe('hello');
    expect(text(await h.exec({ op: 'udp.recvfrom', sock: s, max: 5 }))).toBe('next');
  });

  it('a flooded receiver keeps datagrams in the kernel until recvfrom; its buffer fills and the kernel drop counter rises', async () => {
    h = harness();
    const port = await freePort();
    const bound = await h.exec({ op: 'udp.bind', host: H, port, recvBufferSize: 4096 });
    const s = bound['sock'] as string;
    expect(bound['recvBuffer']).toMatchObject({ requested: 4096 });
    expect(h.calls(s).map((c) => c.call)).toEqual(['socket', 'bind', 'setsockopt']);
    const c = (await h.exec({ op: 'udp.socket' }))['sock'] as string;
    const flood = 200;
    for (let i = 0; i < flood; i++) await h.exec({ op: 'udp.sendto', sock: c, host: H, port, data: { hex: 'ab'.repeat(100) } });
    const full = await h.waitFor((e): e is KernelUdp => e.type === 'kernel.udp' && e.sock === s && e.drops > 0);
    await h.waitFor((e) => e.type === 'kernel.udp' && e.sock === s && e.drops + 1 >= flood - 64); // settle
    const last = udpEvents(s).at(-1)!;
    console.log(`udp flood: ${flood} sent, kernel holds ${last.recvQueue} B, drops ${last.drops}`);
    expect(full.recvQueue).toBeGreaterThan(0);
    expect(last.drops).toBeGreaterThan(flood / 2);
    expect(h.model().sockets[s]!.drops).toBe(last.drops);

    // one recvfrom takes exactly one datagram out of the kernel queue
    const before = last.recvQueue;
    await h.exec({ op: 'udp.recvfrom', sock: s, max: 1024 });
    const after = await h.waitFor((e): e is KernelUdp => e.type === 'kernel.udp' && e.sock === s && e.recvQueue < before);
    const perDatagram = before - after.recvQueue;
    expect(perDatagram).toBeGreaterThan(100); // one datagram's memory (payload + overhead), not everything
    expect(after.recvQueue).toBeGreaterThan(0);
  });

  it('recvfrom on a socket with no address is EINVAL; with nothing queued it waits, then EAGAIN', async () => {
    h = harness({ limits: { maxWaitMs: 200 } });
    const c = (await h.exec({ op: 'udp.socket' }))['sock'] as string;
    expect((await h.fails({ op: 'udp.recvfrom', sock: c, max: 10 })).code).toBe('EINVAL');
    const s = (await h.exec({ op: 'udp.bind', host: H, port: await freePort() }))['sock'] as string;
    expect((await h.fails({ op: 'udp.recvfrom', sock: s, max: 10 })).code).toBe('EAGAIN');
    await h.exec({ op: 'udp.close', sock: s });
    expect((await h.fails({ op: 'udp.recvfrom', sock: s, max: 10 })).code).toBe('EBADF');
  });

  it('works over IPv6 loopback too', async () => {
    h = harness();
    const port = await freePort('::1');
    const s = (await h.exec({ op: 'udp.bind', host: '::1', port }))['sock'] as string;
    const c = (await h.exec({ op: 'udp.socket', family: 'ipv6' }))['sock'] as string;
    await h.exec({ op: 'udp.sendto', sock: c, host: '::1', port, data: { text: 'v6', encoding: 'utf8' } });
    const r = await h.exec({ op: 'udp.recvfrom', sock: s, max: 10 });
    expect(text(r)).toBe('v6');
    expect(r['from']).toMatch(/^\[::1\]:\d+$/);
    await h.waitFor((e) => e.type === 'kernel.udp' && e.sock === s && e.local === `[::1]:${port}`);
  });
});
