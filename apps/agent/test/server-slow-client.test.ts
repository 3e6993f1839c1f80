import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type EventInput } from '@socketscope/shared';
import { connect, inboxOf, startHarness, tcpSocketOf, type Harness } from './server-helpers.ts';

let h: Harness;
// a ring that holds the whole burst (100,400 events): this is about merging, not about falling out of the ring
beforeAll(async () => { h = await startHarness({ outbound: { highWater: 64 * 1024 }, session: { ringSize: 200_000 } }); });
afterAll(async () => { await h.close(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sample = (state: string, q: number): EventInput => ({ layer: 'kernel', type: 'kernel.tcp', local: '127.0.0.1:40000', remote: '127.0.0.1:40001', state: state as 'ESTABLISHED', sendQueue: q, recvQueue: q });

describe('a browser that stops reading (O2, O3) over a real WebSocket', () => {
  it('gets kernel samples merged, every lifecycle event and state change, and a merged notice', async () => {
    const ws = await connect(h.port);
    const c = inboxOf(ws);
    ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
    await c.next((m) => m.t === 'synced');
    const tcpSocket = tcpSocketOf(ws);
    tcpSocket.pause(); // the page is busy: the kernel buffers fill, then ws's bufferedAmount grows

    const s = h.agent.session;
    const lifecycle: number[] = [];
    const states = ['ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT'] as const;
    const pad = 'x'.repeat(200);
    let rounds = 0;
    for (const st of states) {
      lifecycle.push(s.emit(sample(st, 0)).seq);
      for (let r = 0; r < 25; r++, rounds++) {
        for (let i = 1; i <= 1000; i++) s.emit(sample(st, i));
        lifecycle.push(s.emit({ layer: 'api', type: 'api.notice', sock: 'sx', what: 'writable', detail: { pad, r } }).seq);
        await sleep(4);
      }
    }
    expect(rounds).toBe(100);
    const last = s.lastSeq;
    tcpSocket.resume();
    await c.next((m) => m.t === 'events' && m.events.some((e: any) => e.seq === last), 15_000);

    const got = c.events();
    const seqs = got.map((e) => e.seq);
    expect(seqs).toEqual(seqs.toSorted((a, b) => a - b));
    const have = new Set(seqs);
    for (const q of lifecycle) expect(have.has(q)).toBe(true);
    const merged = c.all.filter((m) => m.t === 'merged');
    const mergedCount = merged.reduce((n, m) => n + m.count, 0);
    expect(mergedCount).toBeGreaterThan(1000);
    expect(got.length + mergedCount).toBe(last + 1);
    expect(got.filter((e) => e.type === 'kernel.tcp').at(-1)).toMatchObject({ state: 'TIME_WAIT', recvQueue: 1000 });
    console.info(`slow client: ${last + 1} events, ${got.length} sent, ${mergedCount} samples merged in ${merged.length} notices`);
    ws.close();
  });
});
