/**
 * Issue 16, item 1: students who stop reading must not take the teacher's session down. The real agent
 * (its own process, with the heap cap it ships with: apps/agent/bin/node-flags.mjs) shares a session of
 * tens of thousands of events; 100 read-only pages on the share address sync and stop reading (TCP
 * window closed); the session goes on past where they stopped; they read again. Throughout, the teacher
 * makes a call every 100 ms. Rules: server.ts N9, session/viewer-pool.ts V1–V5, V7.
 */
import { describe, expect, it } from 'vitest';
import { AGENT_HEAP_MB } from '../bin/node-flags.mjs';
import { pct, runStalled } from './stalled-kit.ts';

describe('100 read-only pages that stop reading', () => {
  it('N9/V1–V5: the agent stays under its heap cap, answers the teacher within 1 s throughout, and every page that resumes gets snapshot + gap and the rest', async () => {
    const r = await runStalled({ viewers: 100, bytesBefore: 1 << 20, bytesDuring: 1 << 19, stallMs: 3000 });
    const summary = `events ${r.eventsBefore} → ${r.eventsAfter}; heap peak ${r.heap?.peakMb.toFixed(0)} MB of ${r.heap?.limitMb.toFixed(0)}; `
      + `longest agent turn ${r.heap?.loopMaxMs.toFixed(0)} ms; teacher replies ${r.replyMs.length}, p95 ${pct(r.replyMs, 95).toFixed(0)} ms, `
      + `max ${Math.max(...r.replyMs).toFixed(0)} ms; caught up ${r.caughtUp}, with snapshot + gap ${r.withSnapshotAndGap}; ${r.seconds.toFixed(0)} s`;
    console.info(`stalled viewers: ${summary}`);
    expect(r.died, 'the agent died').toBeUndefined();
    expect(r.alive).toBe(true);
    expect(r.eventsBefore).toBeGreaterThan(60_000);
    expect(r.heap).not.toBeNull();
    expect(r.heap!.peakMb).toBeLessThan(AGENT_HEAP_MB);
    expect(r.failedReplies).toEqual([]);
    expect(r.replyMs.length).toBeGreaterThan(30);
    expect(Math.max(...r.replyMs)).toBeLessThan(1000);
    expect(r.closedViewers).toEqual([]);
    expect(r.violations).toEqual([]);
    expect(r.teacherViolations).toEqual([]);
    expect(r.caughtUp).toBe(100);
    expect(r.withSnapshotAndGap).toBe(100);
    // N9: payload bytes are hidden from read-only pages unless the teacher shows them (item 7)
    expect(r.payloadChars).toBe(0);
  }, 180_000);
});
