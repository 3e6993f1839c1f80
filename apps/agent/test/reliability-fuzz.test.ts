/**
 * Fuzz (fast-check) against a real running agent over its WebSocket: every command shape, mutated valid
 * commands, random JSON, text and binary frames (reliability-fuzz.ts says what is generated and which
 * properties hold on every case). CI: 1,500 cases with a fixed seed, plus the same number with a fresh
 * seed each run (printed, so a failure can be replayed); bench/fuzz.ts runs 100,000.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startAgentServer, UNLIMITED_RATE, type AgentServer } from './reliability-kit.ts';
import { runFuzz } from './reliability-fuzz.ts';

let h: AgentServer | null = null;
afterEach(async () => { await h?.close(); h = null; });

/** blocking calls give up after 30 ms, so a case never waits the classroom's 10 s */
const fuzzAgent = () => startAgentServer({ limits: { maxWaitMs: 30 }, rate: UNLIMITED_RATE });

describe('fuzzing the agent over its WebSocket', () => {
  for (const seed of [20261123, Date.now() % 2 ** 31]) {
    it(`never crashes, answers every frame once, keeps serving, loses nothing (seed ${seed})`, async () => {
      h = await fuzzAgent();
      const r = await runFuzz(h, { numRuns: 1500, seed, maxMs: 20_000 });
      const codes = Object.entries(r.codes).toSorted((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
      console.info(`fuzz seed ${seed}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s (${Math.round(r.cases / (r.ms / 1000))}/s); ok ${r.replies.ok}, errors ${r.replies.error} (${codes}); ${r.resets} resets; ${r.events} events streamed`);
      expect(r.violations).toEqual([]);
      expect(r.cases).toBeGreaterThan(300);
      // the generator reaches real socket calls, not only refusals (~10 % succeed, ~25 % are socket errors)
      expect(r.replies.ok).toBeGreaterThan(r.cases / 20);
    }, 55_000);
  }
});
