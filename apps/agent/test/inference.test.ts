/**
 * Wire inference with capture off, on real loopback sockets through the engine, the kernel probe and
 * the session: every wire event is inferred, marked, carries no invented numbers, and shows only what
 * happened (I1–I4 in wire/inference.ts).
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { UdpDatagramEvent } from '@socketscope/shared';
import { freePort } from './engine-harness.ts';
import { brief, helloExchange, sleep, wireHarness, type Seg, type WireHarness } from './wire-harness.ts';

function expectHonest(s: Seg): void {
  expect(s.inferred).toBe(true);
  expect(s.inferredFrom?.length ?? 0).toBeGreaterThan(5);
  expect([s.seqNo, s.ackNo, s.relSeq, s.relAck, s.win]).toEqual([null, null, null, null, null]);
  expect(s.options).toEqual({});
}

describe('inference (capture off)', () => {
  let h: WireHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('infers the hello exchange: handshake, one data segment each way with its ACK, four-way teardown', async () => {
    h = await wireHarness({ capture: 'off' });
    const run = await helloExchange(h, await freePort());
    await sleep(150); // the kernel probe reports TIME_WAIT; it must add nothing
    const segs = h.segments(run.conn);
    segs.forEach(expectHonest);
    const client = run.conn.split('>')[0]!;
    expect(segs.map((s) => brief(s, client).replace(/ -\/-/, ''))).toEqual([
      'C>S SYN len 0', 'S>C ACK+SYN len 0', 'C>S ACK len 0',
      'C>S ACK+PSH len 12', 'S>C ACK len 0',
      'S>C ACK+PSH len 11', 'C>S ACK len 0',
      'C>S ACK+FIN len 0', 'S>C ACK len 0',
      'S>C ACK+FIN len 0', 'C>S ACK len 0',
    ]);
    expect(Buffer.from(segs[3]!.bytes, 'base64').toString()).toBe('hello server');
    // the sender's socket is named
    expect(segs[3]!.sock).toBe(run.client);
    expect(segs[5]!.sock).toBe(run.server);
    expect(h.events.some((e) => (e.type === 'tcp.segment' || e.type === 'udp.datagram') && !e.inferred)).toBe(false);
  });

  it('infers SYN answered by RST for a refused connect, and nothing else', async () => {
    h = await wireHarness({ capture: 'off' });
    const port = await freePort();
    await expect(h.exec({ op: 'tcp.connect', host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const segs = h.segments();
    expect(segs.map((s) => `${s.src}>${s.dst} ${s.flags.join('+')}`)).toEqual([
      `127.0.0.1:0>127.0.0.1:${port} SYN`, `127.0.0.1:${port}>127.0.0.1:0 ACK+RST`,
    ]);
    segs.forEach(expectHonest);
    expect(segs[0]!.inferredFrom).toMatch(/ECONNREFUSED/);
  });

  it('infers nothing for a call that failed', async () => {
    h = await wireHarness({ capture: 'off' });
    const port = await freePort();
    const l = await h.exec({ op: 'tcp.listen', port });
    const c = await h.exec({ op: 'tcp.connect', port });
    await h.exec({ op: 'tcp.accept', sock: String(l['sock']) });
    await h.exec({ op: 'tcp.shutdown', sock: String(c['sock']) });
    const before = h.segments().length;
    await expect(h.exec({ op: 'tcp.send', sock: String(c['sock']), data: { text: 'too late' } })).rejects.toMatchObject({ code: 'EPIPE' });
    await sleep(100);
    expect(h.segments().slice(before)).toEqual([]);
  });

  it('infers RST for an abortive close, and RST (not FIN) for close() with unread bytes, as Linux sends', async () => {
    h = await wireHarness({ capture: 'off' });
    const port = await freePort();
    const l = String((await h.exec({ op: 'tcp.listen', port }))['sock']);
    const c1 = await h.exec({ op: 'tcp.connect', port });
    const a1 = await h.exec({ op: 'tcp.accept', sock: l });
    await h.exec({ op: 'tcp.abort', sock: String(c1['sock']) });
    const conn1 = `${String(c1['local'])}>${String(c1['remote'])}`;
    expect(h.segments(conn1).at(-1)!.flags).toEqual(['ACK', 'RST']);
    expect(h.segments(conn1).at(-1)!.src).toBe(String(c1['local']));

    const c2 = await h.exec({ op: 'tcp.connect', port });
    const a2 = await h.exec({ op: 'tcp.accept', sock: l });
    await h.exec({ op: 'tcp.send', sock: String(c2['sock']), data: { text: 'unread' } });
    await h.exec({ op: 'tcp.close', sock: String(a2['newSock']) }); // never read it
    const conn2 = `${String(c2['local'])}>${String(c2['remote'])}`;
    const last = h.segments(conn2).at(-1)!;
    expect(last.flags).toEqual(['ACK', 'RST']);
    expect(last.src).toBe(String(c2['remote']));
    expect(last.inferredFrom).toMatch(/unread/);
    expect(h.segments(conn2).some((s) => s.flags.includes('FIN'))).toBe(false);
    await h.exec({ op: 'tcp.close', sock: String(a1['newSock']) }).catch(() => {});
  });

  it('infers a datagram per sendto, and one per recvfrom from a sender the agent did not see', async () => {
    h = await wireHarness({ capture: 'off' });
    const port = await freePort();
    const srv = String((await h.exec({ op: 'udp.bind', port }))['sock']);
    const cli = String((await h.exec({ op: 'udp.socket' }))['sock']);
    await h.exec({ op: 'udp.sendto', sock: cli, port, data: { text: 'ping' } });
    await h.exec({ op: 'udp.recvfrom', sock: srv });
    const foreign = dgram.createSocket('udp4');
    await new Promise<void>((r) => foreign.send(Buffer.from('from elsewhere'), port, '127.0.0.1', () => r()));
    const fromPort = foreign.address().port;
    await h.exec({ op: 'udp.recvfrom', sock: srv });
    foreign.close();
    const d = h.events.filter((e): e is UdpDatagramEvent => e.type === 'udp.datagram');
    expect(d.map((x) => [x.dst, x.len, x.inferred])).toEqual([[`127.0.0.1:${port}`, 4, true], [`127.0.0.1:${port}`, 14, true]]);
    expect(d[0]!.src).toMatch(/^127\.0\.0\.1:\d+$/); // the wildcard-bound sender shows its loopback source
    expect(d[1]!.src).toBe(`127.0.0.1:${fromPort}`);
    expect(d[1]!.inferredFrom).toMatch(/recvfrom/);
  });

  it('puts every byte on the wire exactly once when a paused reader fills the window, and the FIN after them', async () => {
    h = await wireHarness({ capture: 'off' });
    const port = await freePort();
    const l = String((await h.exec({ op: 'tcp.listen', port }))['sock']);
    const c = await h.exec({ op: 'tcp.connect', port });
    const a = String((await h.exec({ op: 'tcp.accept', sock: l }))['newSock']);
    const cs = String(c['sock']);
    const conn = `${String(c['local'])}>${String(c['remote'])}`;
    let sent = 0;
    // fill: the reader does not read; send until the engine says the kernel's buffer is full
    for (let i = 0; i < 200; i++) {
      const r = await h.exec({ op: 'tcp.send', sock: cs, data: { hex: 'ab'.repeat(32 * 1024) } });
      sent += 32 * 1024;
      if ((r['waiting'] as number) > 0) break;
      await sleep(2);
    }
    await sleep(100); // the kernel probe sees the full send queue
    const closed = await h.exec({ op: 'tcp.close', sock: cs });
    // bytes still queued in the agent at close die with it (the engine reports at most that many)
    const discarded = (closed['discarded'] as number | undefined) ?? 0;
    let read = 0;
    for (let i = 0; i < 2000; i++) {
      const r = await h.exec({ op: 'tcp.recv', sock: a, max: 65536 });
      if (r['eof']) break;
      read += r['len'] as number;
    }
    expect(read).toBeGreaterThanOrEqual(sent - discarded);
    expect(read).toBeLessThanOrEqual(sent);
    await sleep(200);
    const client = conn.split('>')[0]!;
    const c2s = h.segments(conn).filter((s) => s.src === client);
    c2s.forEach(expectHonest);
    expect(c2s.reduce((n, s) => n + s.len, 0)).toBe(read);
    const fin = c2s.findIndex((s) => s.flags.includes('FIN'));
    expect(fin).toBeGreaterThan(0);
    expect(c2s.slice(fin + 1).every((s) => s.len === 0)).toBe(true);
  }, 20_000);
});
