import { describe, expect, it } from 'vitest';
import { createEngine } from '../src/engine/index.ts';
import { CommandError, type EngineCommand } from '../src/engine/types.ts';
import { checkEachTest, freePort, harness, type Harness } from './engine-harness.ts';

const H = '127.0.0.1';
let h: Harness;
checkEachTest(() => h);

describe('targets outside loopback need --allow-remote', () => {
  it('refuses connect, listen, udp bind and sendto to non-loopback hosts with E_TARGET, before any packet', async () => {
    h = harness();
    // 192.0.2.0/24 is TEST-NET-1 (documentation only); nothing is sent because the check comes first
    expect((await h.fails({ op: 'tcp.connect', host: '192.0.2.1', port: 80 })).code).toBe('E_TARGET');
    expect((await h.fails({ op: 'tcp.listen', host: '0.0.0.0', port: 0 })).code).toBe('E_TARGET');
    expect((await h.fails({ op: 'udp.bind', host: '::', port: 0 })).code).toBe('E_TARGET');
    expect((await h.fails({ op: 'tcp.connect', host: 'example.com', port: 80 })).code).toBe('E_TARGET');
    const u = (await h.exec({ op: 'udp.socket' }))['sock'] as string;
    expect((await h.fails({ op: 'udp.sendto', sock: u, host: '192.0.2.1', port: 9, data: { text: 'x', encoding: 'utf8' } })).code).toBe('E_TARGET');
    expect(h.engine.tracked().map((t) => t.sock)).toEqual([u]); // no socket was made for the refused calls
    const refused = h.calls().filter((c) => c.error?.code === 'E_TARGET');
    expect(refused).toHaveLength(5);
    expect(refused[0]!.error!.hint).toMatch(/allow-remote/);
  });

  it('allows localhost and ::1', async () => {
    h = harness();
    const port = await freePort('::1');
    const l = await h.exec({ op: 'tcp.listen', host: '::1', port });
    expect(l['local']).toBe(`[::1]:${port}`);
    const c = await h.exec({ op: 'tcp.connect', host: '::1', port });
    expect(c['remote']).toBe(`[::1]:${port}`);
    await h.state(c['sock'] as string, ['ESTABLISHED']);
  });
});

describe('bad socket ids and wrong kinds are clear errors, as events and rejections', () => {
  it('an unknown id is E_NO_SOCKET in an event that names no socket (the model grows no phantom socket)', async () => {
    h = harness();
    const err = await h.fails({ op: 'tcp.recv', sock: 's99', max: 10 });
    expect(err).toBeInstanceOf(CommandError);
    expect(err.code).toBe('E_NO_SOCKET');
    const ev = h.calls().at(-1)!;
    expect(ev).toMatchObject({ call: 'recv', error: { code: 'E_NO_SOCKET' }, args: { sock: 's99' } });
    expect(ev.sock).toBeUndefined();
    expect(h.model().sockets['s99']).toBeUndefined();
    for (const op of ['tcp.close', 'tcp.abort', 'tcp.shutdown', 'tcp.accept', 'udp.close'] as const) {
      expect((await h.fails({ op, sock: 'nope' })).code).toBe('E_NO_SOCKET');
    }
  });

  it('tcp calls on a UDP socket and udp calls on a TCP socket are E_WRONG_KIND; data calls on a listener get Linux errnos', async () => {
    h = harness();
    const port = await freePort();
    const u = (await h.exec({ op: 'udp.socket' }))['sock'] as string;
    const l = (await h.exec({ op: 'tcp.listen', host: H, port }))['sock'] as string;
    expect((await h.fails({ op: 'tcp.send', sock: u, data: { text: 'x', encoding: 'utf8' } })).code).toBe('E_WRONG_KIND');
    expect((await h.fails({ op: 'tcp.accept', sock: u })).code).toBe('E_WRONG_KIND');
    expect((await h.fails({ op: 'tcp.close', sock: u })).code).toBe('E_WRONG_KIND');
    expect((await h.fails({ op: 'udp.recvfrom', sock: l, max: 5 })).code).toBe('E_WRONG_KIND');
    expect((await h.fails({ op: 'udp.close', sock: l })).code).toBe('E_WRONG_KIND');
    expect((await h.fails({ op: 'tcp.send', sock: l, data: { text: 'x', encoding: 'utf8' } })).code).toBe('EPIPE');
    expect((await h.fails({ op: 'tcp.recv', sock: l, max: 5 })).code).toBe('ENOTCONN');
    const c = (await h.exec({ op: 'tcp.connect', host: H, port }))['sock'] as string;
    expect((await h.fails({ op: 'tcp.accept', sock: c })).code).toBe('EINVAL');
    await h.exec({ op: 'tcp.shutdown', sock: c });
    expect((await h.fails({ op: 'tcp.send', sock: c, data: { text: 'x', encoding: 'utf8' } })).code).toBe('EPIPE');
    await h.exec({ op: 'tcp.close', sock: c });
    expect((await h.fails({ op: 'tcp.close', sock: c })).code).toBe('EBADF');
    expect(h.calls().filter((e) => e.error).length).toBe(10); // one event per failed call
  });

  it('an invalid command is rejected with E_INVALID and changes nothing', async () => {
    h = harness();
    const bad = [{ op: 'tcp.listen', port: 70000 }, { op: 'tcp.recv', sock: '' }, { op: 'scenario.run', name: 'x' }, { op: 'nope' }, null, 'x'];
    for (const cmd of bad) {
      const err = await h.engine.exec(cmd as unknown as EngineCommand).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(CommandError);
      expect((err as CommandError).code).toBe('E_INVALID');
    }
    expect(h.events).toHaveLength(0);
    expect(h.engine.tracked()).toHaveLength(0);
  });
});

describe('limits', () => {
  it('maxSockets, maxListeners and maxBytesPerCommand are E_LIMIT with a clear message', async () => {
    h = harness({ limits: { maxSockets: 3, maxListeners: 1, maxBytesPerCommand: 8 } });
    const port = await freePort();
    const l = (await h.exec({ op: 'tcp.listen', host: H, port }))['sock'] as string;
    const second = await h.fails({ op: 'tcp.listen', host: H, port: await freePort() });
    expect(second).toMatchObject({ code: 'E_LIMIT', message: expect.stringContaining('listening sockets') });
    const c = (await h.exec({ op: 'tcp.connect', host: H, port }))['sock'] as string;
    await h.waitFor((e) => e.type === 'api.notice' && e.what === 'incoming'); // a held connection holds a descriptor too
    const third = await h.fails({ op: 'udp.socket' });
    expect(third).toMatchObject({ code: 'E_LIMIT', message: expect.stringContaining('3 open sockets') });
    const big = await h.fails({ op: 'tcp.send', sock: c, data: { text: '123456789', encoding: 'utf8' } });
    expect(big).toMatchObject({ code: 'E_LIMIT', message: expect.stringContaining('at most 8 bytes') });
    await h.exec({ op: 'tcp.close', sock: l });
    await h.exec({ op: 'udp.socket' }); // room again
  });
});

describe('nothing crashes the process', () => {
  it('an emit that throws does not break socket calls', async () => {
    let calls = 0;
    const engine = createEngine({ emit: () => { calls++; throw new Error('session bug'); }, allowRemote: false });
    h = harness(); // for the afterEach bookkeeping
    const port = await freePort();
    const r = (await engine.exec({ op: 'tcp.listen', host: H, port, backlog: 1, reuseAddr: false })) as { sock: string };
    expect(r.sock).toBe('s1');
    const err = await engine.exec({ op: 'tcp.connect', host: H, port: await freePort() }).catch((e: unknown) => e);
    expect((err as CommandError).code).toBe('ECONNREFUSED');
    expect(calls).toBeGreaterThan(3);
    await engine.closeAll();
  });

  it('closeAll closes every socket, wakes blocked calls with EBADF and forgets them', async () => {
    h = harness({ limits: { maxWaitMs: 5000 } });
    const port = await freePort();
    const l = (await h.exec({ op: 'tcp.listen', host: H, port }))['sock'] as string;
    const blocked = h.fails({ op: 'tcp.accept', sock: l });
    const u = (await h.exec({ op: 'udp.bind', host: H, port: await freePort() }))['sock'] as string;
    const blockedUdp = h.fails({ op: 'udp.recvfrom', sock: u, max: 10 });
    await h.engine.closeAll();
    expect((await blocked).code).toBe('EBADF');
    expect((await blockedUdp).code).toBe('EBADF');
    expect(h.engine.tracked()).toEqual([]);
    await h.exec({ op: 'tcp.listen', host: H, port }); // the port is free again
  });
});
