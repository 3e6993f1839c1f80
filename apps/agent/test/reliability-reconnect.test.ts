/**
 * A page that loses its WebSocket again and again during traffic and resumes with
 * `sync {since: lastSeq}` (PROTOCOL.md O4) holds every event exactly once, in order; where the
 * recorder no longer has what it missed, it gets an explicit snapshot + gap and the stream goes on
 * from the snapshot without a hole. CI size: 20 drops (bench/reliability.ts: 100).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fold, type Model, type SessionEvent } from '@socketscope/shared';
import { sleep, startAgentServer, StreamClient, type AgentServer } from './reliability-kit.ts';
import { missingOrDuplicate, runReconnect, startTraffic } from './reliability-reconnect.ts';

let h: AgentServer | null = null;
afterEach(async () => { await h?.close(); h = null; });

describe('reconnect during traffic', () => {
  it('resumes 20 times with sync {since} and holds every event exactly once, in order', async () => {
    h = await startAgentServer();
    const r = await runReconnect(h, { drops: 20, maxMs: 30_000 });
    console.info(`reconnect: ${r.drops} drops, ${r.cycles} traffic cycles, ${r.events} events (seq 0..${r.lastSeq}), resume p50 ${Math.round(r.resumeMs.toSorted((a, b) => a - b)[r.resumeMs.length >> 1]!)} ms`);
    expect(r.trafficFailures).toEqual([]);
    expect(r.drops).toBe(20);
    expect(r.cycles).toBeGreaterThan(20); // traffic really ran across the reconnects
    expect(r.gaps).toBe(0);
    expect(r.violations).toEqual([]);
    expect(r.events).toBe(r.lastSeq + 1);
  });

  it('gets snapshot + gap when the events it missed fell out of the ring, then the rest without a hole', async () => {
    h = await startAgentServer({ session: { ringSize: 400, snapshotEvery: 50 } });
    const page = await StreamClient.open(h.port);
    page.keepEvents = true;
    await page.sync();
    const t1 = startTraffic(h.agent, { maxCycles: 5, maxMs: 10_000 });
    await t1.finished;
    await page.until(() => page.lastSeq === h!.agent.session.lastSeq, 5000, 'first events');
    const heldBefore = page.lastSeq;
    page.drop();

    // while the page is away, far more than the ring holds happens
    const t2 = startTraffic(h.agent, { maxCycles: 60, maxMs: 20_000 });
    await t2.finished;
    expect(t2.failures).toEqual([]);
    const s = h.agent.session;
    expect(s.firstHeldSeq).toBeGreaterThan(heldBefore + 1);

    const back = await StreamClient.open(h.port);
    back.adopt(page);
    await back.sync();
    await back.until(() => back.lastSeq === s.lastSeq, 5000, 'the rest');
    expect(back.violations).toEqual([]);
    expect(back.gaps).toHaveLength(1);
    const gap = back.gaps[0]!;
    const snap = back.snapshots.at(-1)!;
    expect(gap.from).toBe(heldBefore + 1);
    expect(gap.to).toBe(snap.atSeq);
    // after the snapshot: every event once, in order, up to the end
    const after = back.kept.filter((e) => e.seq > heldBefore).map((e) => e.seq);
    expect(after[0]).toBe(snap.atSeq + 1);
    expect(missingOrDuplicate(after.map((q) => q - after[0]!), s.lastSeq - after[0]!)).toEqual([]);
    // the snapshot + the events after it fold into exactly the agent's model
    const model = back.kept.filter((e) => e.seq > snap.atSeq).reduce<Model>((m, e: SessionEvent) => fold(m, e), snap.model as Model);
    expect(withoutVersion(model)).toEqual(withoutVersion(JSON.parse(JSON.stringify(s.current())) as Model));
    await back.close();
  });

  it('a page whose session was reset while it was away starts over from seq 0', async () => {
    h = await startAgentServer();
    const page = await StreamClient.open(h.port);
    await page.sync();
    const t = startTraffic(h.agent, { maxCycles: 3, maxMs: 10_000 });
    await t.finished;
    await page.until(() => page.lastSeq === h!.agent.session.lastSeq, 5000, 'events');
    page.drop();
    await h.agent.reset();
    await startTraffic(h.agent, { maxCycles: 2, maxMs: 10_000 }).finished;
    await sleep(20);
    const back = await StreamClient.open(h.port);
    back.adopt(page);
    await back.sync();
    await back.until(() => back.lastSeq === h!.agent.session.lastSeq, 5000, 'new session');
    expect(back.sessionId).toBe(h.agent.session.id);
    expect(back.violations).toEqual([]);
    expect(missingOrDuplicate(back.seqs, h.agent.session.lastSeq)).toEqual([]);
    await back.close();
  });
});

/** version counts folds since the model began, which differs between a snapshot's copy and the live one */
function withoutVersion(m: Model): Omit<Model, 'version'> {
  const { version: _v, ...rest } = m;
  return rest;
}
