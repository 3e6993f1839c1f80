/**
 * A browser that stops reading (PROTOCOL.md O2, O3, O5), beyond server-slow-client.test.ts (which proves
 * the merging itself): the agent's memory for that client stays bounded however much happens meanwhile,
 * lifecycle events still all arrive, and a client that falls out of the recorder's ring is closed with
 * 4008 and resumes with snapshot + gap.
 *
 * Why each stalled page is a fresh connection that syncs without history: what a stalled page's kernel
 * socket buffers absorb is not a constant. The receive buffer grows (autotuning) with how fast the page
 * has read so far, up to net.ipv4.tcp_rmem's maximum (32 MB on recent kernels, plus up to 4 MB of
 * send buffer). A page that had just read 40 MB of history stalled with 4 to 11 MB in flight from one
 * run to the next; near the maximum, a stall of twice the ring (80,000 events, ~70 MB) no longer pushes
 * the page's next event out of the ring (the kernel takes ~34 MB, the ring keeps the next 40,000): no
 * 4008, and the test waits out its 20 s bound. A connection that has read nothing keeps the initial
 * receive buffer (tcp_rmem's default, 128 KB), so the kernel holds the same ~4 MB for it every run.
 */
import { readFileSync } from 'node:fs';
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

/**
 * A page that holds every event up to now (as one that reconnects does), syncs (no history: its socket
 * has read next to nothing, so the kernel's buffers for it stay at their initial sizes) and stops reading.
 */
async function stalledPage(): Promise<StreamClient> {
  const page = await StreamClient.open(h.port, { keepSeqs: true });
  await page.until(() => page.hellos > 0, 20_000, 'hello');
  page.lastSeq = h.agent.session.lastSeq;
  await page.sync(20_000);
  page.tcp!.pause();
  return page;
}

/** Bytes the kernel holds for the page's connection: the page's receive queue + the agent's send queue. */
function kernelHeld(page: StreamClient): number {
  const port = page.tcp!.localPort!;
  let held = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const local = Number.parseInt(f[1]!.split(':')[1]!, 16);
    const remote = Number.parseInt(f[2]!.split(':')[1]!, 16);
    const [tx, rx] = f[4]!.split(':').map((x) => Number.parseInt(x, 16));
    if (local === port) held += rx!; // the page's receive queue
    if (remote === port) held += tx!; // the agent's send queue towards it
  }
  return held;
}

describe('a browser that stops reading', () => {
  it('costs the agent bounded memory, still gets every lifecycle event, and resumes after 4008 with snapshot + gap', async () => {
    const lifecycle: number[] = [];
    // the ring full of ~1 KB events: what the recorder holds anyway, with no client at all
    await burst(RING + 2000, lifecycle);
    const base = heapMb();

    // the page is busy: kernel buffers fill, then the agent's socket buffer reaches highWater
    const page = await stalledPage();
    const tcp = page.tcp!;
    const from = h.agent.session.lastSeq + 1;
    const mergedBefore = page.merged;
    const lifeFrom = lifecycle.length;
    await burst(RING - 2000, lifecycle); // ~32 MB of events, all still inside the ring
    const inKernel = kernelHeld(page);
    const held = heapMb() - base;
    console.info(`slow browser: +${held.toFixed(1)} MB held for a stalled client while ${RING - 2000} events (~${((RING - 2000) * 0.86 / 1024).toFixed(0)} MB) went by; the kernel held ${(inKernel / 2 ** 20).toFixed(1)} MB for it`);
    // highWater + one batch (≤ 2000 events ≈ 2.2 MB, as a string and as bytes) + the ring's churn;
    // unbounded it would be everything the kernel's buffers (~4 MB for this page) could not take: ~28 MB
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

    await page.close();

    // now a page stalls for longer than the ring holds: the agent closes it (O5) rather than buffer more.
    // A new connection: the one above read ~33 MB on resuming and its receive buffer grew with it.
    const stalled = await stalledPage();
    const before = heapMb();
    // twice the ring: more than the ring and this page's kernel buffers (initial sizes, a few MB) together
    await burst(2 * RING, lifecycle);
    const inKernel2 = kernelHeld(stalled);
    const held2 = heapMb() - before;
    stalled.tcp!.resume();
    await stalled.until(() => stalled.closed !== null, 20_000, `the agent to close the slow client (the kernel held ${(inKernel2 / 2 ** 20).toFixed(1)} MB for it)`);
    expect(stalled.closed!.code).toBe(CloseCode.tooSlow);
    expect(held2).toBeLessThan(10);

    const back = await StreamClient.open(h.port);
    back.adopt(stalled);
    await back.sync(20_000);
    await back.until(() => back.lastSeq >= h.agent.session.lastSeq, 20_000, 'the rest');
    expect(back.violations).toEqual([]);
    expect(back.snapshots.length).toBeGreaterThan(0);
    expect(back.gaps.at(-1)!.to).toBe(back.snapshots.at(-1)!.atSeq);
    await back.close();
  }, 60_000);
});
