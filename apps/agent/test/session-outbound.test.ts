import { describe, expect, it } from 'vitest';
import { CloseCode, type EventInput, type SessionEvent } from '@socketscope/shared';
import { Session } from '../src/session/session.ts';
import { Outbound, type Transport } from '../src/session/outbound.ts';

/** A socket whose buffered amount the test controls: what a browser that stopped reading looks like. */
class SlowSocket implements Transport {
  bufferedAmount = 0;
  readyState = 1;
  sent: any[] = [];
  closedWith: { code: number; reason: string } | null = null;
  send(data: string): void { this.sent.push(JSON.parse(data)); }
  close(code: number, reason: string): void { this.closedWith = { code, reason }; this.readyState = 3; }
  events(): SessionEvent[] { return this.sent.filter((m) => m.t === 'events').flatMap((m) => m.events); }
}

const tcp = (state: string, recvQueue: number): EventInput => ({ layer: 'kernel', type: 'kernel.tcp', local: '127.0.0.1:5000', remote: '127.0.0.1:6000', state: state as 'ESTABLISHED', sendQueue: 0, recvQueue });
const udp = (drops: number): EventInput => ({ layer: 'kernel', type: 'kernel.udp', local: '127.0.0.1:9998', sendQueue: 0, recvQueue: drops * 10, drops });
const api = (i: number): EventInput => ({ layer: 'api', type: 'api.call', sock: 's1', call: 'recv', args: { i }, durationUs: 1, proto: 'tcp' });
const wire = (): EventInput => ({ layer: 'wire', type: 'tcp.segment', src: '127.0.0.1:6000', dst: '127.0.0.1:5000', flags: ['ACK'], seqNo: null, ackNo: null, win: null, len: 0, inferred: true, options: {}, bytes: '' });

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('Outbound stream', () => {
  it('sends history after since, then synced, then live events in batches, in seq order', async () => {
    const s = new Session();
    for (let i = 0; i < 10; i++) s.emit(api(i));
    const sock = new SlowSocket();
    const out = new Outbound(s, sock, { frameMs: 5 });
    out.sync(3);
    expect(sock.events().map((e) => e.seq)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(sock.sent.at(-1)).toEqual({ t: 'synced', lastSeq: 9 });
    for (let i = 0; i < 5; i++) s.emit(api(i));
    expect(sock.events().length).toBe(6); // batched, not sent per event
    await tick();
    expect(sock.events().map((e) => e.seq)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(sock.sent.filter((m) => m.t === 'events').length).toBe(2);
    out.dispose();
  });

  it('a client resyncing after its resume point fell out of the ring gets snapshot, gap, then the rest', () => {
    const s = new Session({ ringSize: 50, snapshotEvery: 10 });
    for (let i = 0; i < 200; i++) s.emit(api(i));
    const sock = new SlowSocket();
    const out = new Outbound(s, sock);
    out.sync(5);
    expect(sock.sent[0].t).toBe('snapshot');
    expect(sock.sent[1]).toMatchObject({ t: 'gap', from: 6, to: sock.sent[0].atSeq });
    const seqs = sock.events().map((e) => e.seq);
    expect(seqs[0]).toBe(sock.sent[0].atSeq + 1);
    expect(seqs.at(-1)).toBe(199);
    expect(sock.sent.at(-1)).toEqual({ t: 'synced', lastSeq: 199 });
    out.dispose();
  });

  it('a client that falls behind gets kernel samples merged latest-wins, with every state change and lifecycle event kept', async () => {
    const s = new Session();
    const sock = new SlowSocket();
    const out = new Outbound(s, sock, { frameMs: 2, highWater: 1000 });
    out.sync(-1);
    sock.bufferedAmount = 1_000_000; // the browser stopped reading
    const states = ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT'];
    const lifecycle: number[] = [];
    const stateChanges: number[] = [];
    for (const st of states) {
      stateChanges.push(s.emit(tcp(st, 0)).seq);
      for (let i = 1; i <= 50; i++) {
        s.emit(tcp(st, i)); // samples: same state, queue changing
        s.emit(udp(i));
        if (i % 10 === 0) { lifecycle.push(s.emit(api(i)).seq); lifecycle.push(s.emit(wire()).seq); }
      }
    }
    await tick(20);
    expect(sock.events()).toEqual([]); // nothing sent while behind
    sock.bufferedAmount = 0;
    await tick(30);
    const got = sock.events();
    const seqs = got.map((e) => e.seq);
    // order kept
    expect(seqs.toSorted((a, b) => a - b)).toEqual(seqs);
    // never dropped: api, wire, and each state change
    for (const q of [...lifecycle, ...stateChanges]) expect(seqs).toContain(q);
    // the latest sample of each key survives
    const tcpLast = got.filter((e) => e.type === 'kernel.tcp').at(-1)!;
    expect(tcpLast).toMatchObject({ state: 'TIME_WAIT', recvQueue: 50 });
    expect(got.filter((e) => e.type === 'kernel.udp').at(-1)).toMatchObject({ drops: 50 });
    // and merging happened, and the stream said so
    const merged = sock.sent.filter((m) => m.t === 'merged');
    const mergedCount = merged.reduce((n, m) => n + m.count, 0);
    expect(mergedCount).toBeGreaterThan(400);
    expect(seqs.length + mergedCount).toBe(s.lastSeq + 1);
    expect(merged[0].sinceSeq).toBeGreaterThan(0);
    out.dispose();
  });

  it('a client that is keeping up gets every sample unmerged', async () => {
    const s = new Session();
    const sock = new SlowSocket();
    const out = new Outbound(s, sock, { frameMs: 2 });
    out.sync(null);
    for (let i = 0; i < 100; i++) s.emit(tcp('ESTABLISHED', i));
    await tick();
    expect(sock.events().length).toBe(100);
    expect(sock.sent.some((m) => m.t === 'merged')).toBe(false);
    out.dispose();
  });

  it('a client so slow the ring overwrote its unsent events is closed as too slow, with a reason', async () => {
    const s = new Session({ ringSize: 100 });
    const sock = new SlowSocket();
    const out = new Outbound(s, sock, { frameMs: 2, highWater: 10 });
    out.sync(null);
    sock.bufferedAmount = 100;
    for (let i = 0; i < 300; i++) s.emit(api(i));
    sock.bufferedAmount = 0;
    await tick();
    expect(sock.closedWith?.code).toBe(CloseCode.tooSlow);
    expect(sock.closedWith?.reason).toMatch(/too slow.*resync/);
    expect(Buffer.byteLength(sock.closedWith!.reason)).toBeLessThanOrEqual(123);
  });

  it('a control message is sent after the events already waiting', () => {
    const s = new Session();
    const sock = new SlowSocket();
    const out = new Outbound(s, sock, { frameMs: 1000 });
    out.sync(null);
    s.emit(api(0));
    out.control({ t: 'reply', re: 'c1', ok: true, result: null });
    expect(sock.sent.map((m) => m.t)).toEqual(['synced', 'events', 'reply']);
    out.dispose();
  });

  it('restart stops the stream until the client syncs with the new session', async () => {
    const s = new Session();
    const sock = new SlowSocket();
    const out = new Outbound(s, sock, { frameMs: 2 });
    out.sync(null);
    s.reset();
    out.restart();
    s.emit(api(0));
    await tick();
    expect(sock.events()).toEqual([]);
    out.sync(-1);
    expect(sock.events().map((e) => e.seq)).toEqual([0]);
    out.dispose();
  });
});
