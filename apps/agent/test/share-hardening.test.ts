/**
 * Issue 16, item 7, on the real server: payload bytes are hidden from read-only pages by default while
 * sharing and only the teacher's page can show them (connection.ts P11, viewer-pool.ts V7); one address
 * cannot fill the share listener with idle connections (server.ts N7). The share address is 127.0.0.2,
 * a loopback address standing in for the LAN one; the "other machines" are other loopback addresses.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, live, send, SHARE_HOST, startSec, until, VIEWER, type SecHarness } from './share-harness.ts';

const onShare = { addr: SHARE_HOST, token: VIEWER };
const SECRET = 'password=hunter2';
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Every payload string a page was sent: api data previews and wire bytes. */
function payloads(all: any[]): string[] {
  return all.filter((m) => m.t === 'events').flatMap((m) => m.events)
    .flatMap((e: any) => [e.data?.b64, e.bytes].filter((x): x is string => typeof x === 'string' && x !== ''));
}

describe('payload bytes and read-only pages (P11, V7)', () => {
  let h: SecHarness;
  beforeAll(async () => { h = await startSec({ share: { host: SHARE_HOST, viewerToken: VIEWER } }); });
  afterAll(async () => { await h.close(); });

  it('hidden from read-only pages by default: a viewer sees that a send of 16 bytes happened, never its bytes; the teacher sees them', async () => {
    const teacher = await live(h.port);
    const viewer = await live(h.port, onShare);
    const l = await teacher.inbox.reply(send(teacher.ws, { op: 'tcp.listen', port: 0 }));
    const port = Number(String(l.result.local).split(':').pop());
    const c = await teacher.inbox.reply(send(teacher.ws, { op: 'tcp.connect', port }));
    await teacher.inbox.reply(send(teacher.ws, { op: 'tcp.send', sock: c.result.sock, data: { text: SECRET } }));
    await until(() => viewer.inbox.all.some((m) => m.t === 'events' && m.events.some((e: any) => e.call === 'send')));
    await new Promise((r) => setTimeout(r, 200)); // the inferred segment too
    const sendSeen = viewer.inbox.all.filter((m) => m.t === 'events').flatMap((m) => m.events).find((e: any) => e.call === 'send');
    expect(sendSeen.data).toEqual({ len: 16, b64: '', truncated: true });
    expect(payloads(viewer.inbox.all)).toEqual([]);
    expect(payloads(teacher.inbox.all)).toContain(b64(SECRET));
    teacher.ws.close();
    viewer.ws.close();
  });

  it('only the teacher can switch: share.payloads from a viewer is E_READ_ONLY; the teacher’s shows the bytes from the next event on, and hides them again', async () => {
    const teacher = await live(h.port);
    const viewer = await live(h.port, onShare);
    const ask = async (ws: typeof teacher.ws, inbox: typeof teacher.inbox, cmd: object) => inbox.reply(send(ws, cmd));
    expect((await ask(viewer.ws, viewer.inbox, { op: 'share.payloads', hide: false })).error.code).toBe('E_READ_ONLY');
    expect((await ask(teacher.ws, teacher.inbox, { op: 'share.payloads' })).result).toEqual({ hidden: true });
    expect((await ask(teacher.ws, teacher.inbox, { op: 'share.payloads', hide: false })).result).toEqual({ hidden: false });
    const u = await ask(teacher.ws, teacher.inbox, { op: 'udp.bind', port: 0 });
    const port = Number(String(u.result.local).split(':').pop());
    await ask(teacher.ws, teacher.inbox, { op: 'udp.sendto', sock: u.result.sock, port, data: { text: 'shown' } });
    await until(() => payloads(viewer.inbox.all).includes(b64('shown')));
    expect((await ask(teacher.ws, teacher.inbox, { op: 'share.payloads', hide: true })).result).toEqual({ hidden: true });
    await ask(teacher.ws, teacher.inbox, { op: 'udp.sendto', sock: u.result.sock, port, data: { text: 'hidden again' } });
    await until(() => viewer.inbox.all.some((m) => m.t === 'events' && m.events.some((e: any) => e.call === 'sendto' && e.data?.len === 12)));
    expect(payloads(viewer.inbox.all)).not.toContain(b64('hidden again'));
    expect(h.logs.some((l) => /payload bytes are now hidden/.test(l))).toBe(true);
    await ask(teacher.ws, teacher.inbox, { op: 'share.payloads', hide: true });
    teacher.ws.close();
    viewer.ws.close();
  });

  it('without sharing there is nothing to hide: share.payloads is E_UNAVAILABLE', async () => {
    const plain = await startSec();
    try {
      const t = await live(plain.port);
      expect((await t.inbox.reply(send(t.ws, { op: 'share.payloads' }))).error.code).toBe('E_UNAVAILABLE');
      t.ws.close();
    } finally {
      await plain.close();
    }
  });

  it('--share with hidePayloads: false starts with payloads shown', async () => {
    const s = await startSec({ share: { host: SHARE_HOST, viewerToken: VIEWER, hidePayloads: false } });
    try {
      const t = await live(s.port);
      expect((await t.inbox.reply(send(t.ws, { op: 'share.payloads' }))).result).toEqual({ hidden: false });
      t.ws.close();
    } finally {
      await s.close();
    }
  });
});

describe('one address cannot fill the share listener (N7)', () => {
  it('140 idle connections from one machine leave the class’s places free: its 17th and later are closed at once, and a student from another address loads the page without waiting', async () => {
    const s = await startSec({ share: { host: SHARE_HOST, viewerToken: VIEWER } });
    const held: net.Socket[] = [];
    try {
      const fates = await Promise.all(Array.from({ length: 140 }, () => new Promise<'open' | 'closed'>((resolve) => {
        const c = net.connect({ port: s.port, host: SHARE_HOST, localAddress: '127.0.0.9' });
        held.push(c);
        c.on('error', () => {});
        c.once('close', () => resolve('closed'));
        setTimeout(() => resolve('open'), 1500);
      })));
      expect(fates.filter((f) => f === 'open')).toHaveLength(16);
      // a student on another machine (another loopback address), with the headers timeout of 10 s still running
      const t0 = Date.now();
      const page = await new Promise<number>((resolve, reject) => {
        const c = net.connect({ port: s.port, host: SHARE_HOST, localAddress: '127.0.0.10' }, () => {
          c.write(`GET / HTTP/1.1\r\nHost: ${SHARE_HOST}:${s.port}\r\nConnection: close\r\n\r\n`);
        });
        let data = '';
        c.on('data', (d) => { data += d.toString('latin1'); });
        c.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
        c.on('error', reject);
        c.setTimeout(5000, () => c.destroy(new Error('the student waited 5 s')));
      });
      expect(page).toBe(200);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(s.logs.filter((l) => l.includes('refused connections from 127.0.0.9'))).toHaveLength(1);
      // and the loopback listener never was affected
      expect((await get(s.port, '/', {})).status).toBe(200);
    } finally {
      for (const c of held) c.destroy();
      await s.close();
    }
  }, 30_000);
});
