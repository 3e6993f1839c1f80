/**
 * A browser that stops reading (PROTOCOL.md O2, O3, O5), beyond server-slow-client.test.ts (which proves
 * the merging itself): the agent's memory for that client stays bounded however much happens meanwhile,
 * lifecycle events still all arrive, and a client that falls out of the recorder's ring is closed with
 * 4008 and resumes with snapshot + gap.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, type EventInput } from '@socketscope/shared';
import { sleep, startAgentServer, StreamClient, type AgentServer } from './reliability-kit.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.external + m.arrayBuffers) / 2 ** 20;
}

const RING = 40_000;
const HIGH_WATER = 64 * 1024;
const PAD = 'x'.repeat(1000);

let h: AgentServer;
beforeAll(async () => { h = await startAgentServer({ session: { ringSize: RING }, outbound: { highWater: HIGH_WATER } }); });
afterAll(async () => { await h.close(); });

/** Emits `n` events in rounds: padded lifecycle notices and kernel queue samples (which may be merged). */
async function burst(n: number, lifecycle: number[]): Promise<void> {
  const s = h.agent.session;
  for (let i = 0; i < n; i++) {
    if (i % 4 === 0) {
      const sample: EventInput = { layer: 'kernel', type: 'kernel.tcp', local: '127.0.0.1:40000', remote: '127.0.0.1:40001', state: 'ESTABLISHED', sendQueue: i, recvQueue: 0 };
      s.emit(sample);
    } else {
      lifecycle.push(s.emit({ layer: 'api', type: 'api.notice', sock: 'sx', what: 'writable', detail: { pad: PAD, i } }).seq);
    }
    if (i % 500 === 499) await sleep(2); // let the outbound run, as a real event loop would
  }
  await sleep(100);
}

describe('a browser that stops reading', () => {
  it('costs the agent bounded memory, still gets every lifecycle event, and resumes after 4008 with snapshot + gap', async () => {
    const lifecycle: number[] = [];
    // the ring full of ~1 KB events: what the recorder holds anyway, with no client at all
    await burst(RING + 2000, lifecycle);
    const base = heapMb();

    const page = await StreamClient.open(h.port, { keepSeqs: true });
    await page.sync(20_000);
    const tcp = page.tcp!;
    tcp.pause(); // the page is busy: kernel buffers fill, then the agent's socket buffer reaches highWater
    const from = h.agent.session.lastSeq + 1;
    const mergedBefore = page.merged; // the history it was sent may have had samples merged too
    const lifeFrom = lifecycle.length;
    await burst(RING - 2000, lifecycle); // ~40 MB of events, all still inside the ring
    const held = heapMb() - base;
    console.info(`slow browser: +${held.toFixed(1)} MB held for a stalled client while ${RING - 2000} events (~${((RING - 2000) * 1.1 / 1024).toFixed(0)} MB) went by`);
    // highWater + one batch (≤ 2000 events ≈ 2.2 MB, as a string and as bytes) + the ring's churn;
    // unbounded it would be everything the kernel's buffers (~10 MB) could not take: ~30 MB
    expect(held).toBeLessThan(10);

    tcp.resume();
    const last = h.agent.session.lastSeq;
    await page.until(() => page.lastSeq >= last, 20_000, `seq ${last}`);
    expect(page.violations).toEqual([]);
    const have = new Set(page.seqs);
    const lost = lifecycle.slice(lifeFrom).filter((q) => !have.has(q));
    expect(lost).toEqual([]); // lifecycle events are never dropped
    const merged = page.merged - mergedBefore;
    expect(merged).toBeGreaterThan(0); // kernel samples were merged, and the stream said so
    expect(page.seqs.filter((q) => q >= from).length + merged).toBe(last - from + 1);

    // now it stalls for longer than the ring holds: the agent closes it (O5) rather than buffer more
    tcp.pause();
    const before = heapMb();
    // twice the ring: more than the kernel's socket buffers (~10 MB on loopback) and the ring together
    await burst(2 * RING, lifecycle);
    const held2 = heapMb() - before;
    tcp.resume();
    await page.until(() => page.closed !== null, 20_000, 'the agent to close the slow client');
    expect(page.closed!.code).toBe(CloseCode.tooSlow);
    expect(held2).toBeLessThan(10);

    const back = await StreamClient.open(h.port);
    back.adopt(page);
    await back.sync(20_000);
    await back.until(() => back.lastSeq >= h.agent.session.lastSeq, 20_000, 'the rest');
    expect(back.violations).toEqual([]);
    expect(back.snapshots.length).toBeGreaterThan(0);
    expect(back.gaps.at(-1)!.to).toBe(back.snapshots.at(-1)!.atSeq);
    await back.close();
  }, 60_000);
});
