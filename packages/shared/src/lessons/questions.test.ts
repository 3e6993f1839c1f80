import { describe, expect, it } from 'vitest';
import { parseEvent } from '../protocol/messages.ts';
import type { SessionEvent } from '../protocol/events.ts';
import { LESSON_LANGS, LESSONS, lessonById } from './index.ts';
import { eventsOfStep, MAX_CHOICES, questionBefore, questionById, QUESTIONS, questionsOf, type Question } from './questions.ts';

/**
 * The questions against the recordings the page ships (apps/web/recordings, made by
 * scripts/record-lessons.mjs from real runs): each verdict, read from the events of its step, names the
 * choice the run made true — and names another one when the events say otherwise, so no answer is
 * written into a question.
 */
interface ReadFile { (p: string, enc: 'utf8'): string }
const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; cwd(): string } };
const fs = host.process?.getBuiltinModule?.('node:fs') as { readFileSync: ReadFile } | undefined;
const readFileSync: ReadFile = (p, enc) => {
  if (!fs) throw new Error('this test reads the recordings with Node');
  return fs.readFileSync(p, enc);
};
/** vitest runs from the repository's root (vitest.config.ts) */
const RECORDINGS = `${host.process!.cwd()}/apps/web/recordings`;

function recording(lesson: string): SessionEvent[] {
  const lines = readFileSync(`${RECORDINGS}/${lesson}.jsonl`, 'utf8').split('\n').filter((l) => l.trim() !== '');
  return lines.slice(1).map((l) => {
    const p = parseEvent(JSON.parse(l));
    if (!p.ok) throw new Error(`${lesson}: ${p.error}`);
    return p.event;
  });
}

function stepOf(q: Question): SessionEvent[] {
  const ev = eventsOfStep(recording(q.lesson), q.lesson, q.step);
  if (!ev) throw new Error(`${q.id}: the recording has no step ${q.step}`);
  return ev;
}

/** What each shipped recording really did at the asked step (read off the recordings by hand). */
const EXPECTED: Record<string, { correct: number; seen: string | RegExp }> = {
  'tcp-hello/syn-reply': { correct: 0, seen: 'SYN+ACK' },
  'tcp-hello/recv-bytes': { correct: 1, seen: 'recv(1024) → 5' },
  'tcp-hello/time-wait': { correct: 0, seen: 'client TIME_WAIT' },
  'tcp-handshake/segments': { correct: 2, seen: 'SYN, SYN+ACK, ACK' },
  'tcp-handshake/accept-wire': { correct: 2, seen: '—' },
  'tcp-teardown/recv-after-fin': { correct: 0, seen: 'recv() → 3, 0' },
  'tcp-teardown/time-wait': { correct: 1, seen: 'server TIME_WAIT' },
  'tcp-teardown/bind-again': { correct: 1, seen: 'EADDRINUSE' },
  'tcp-refused/syn-reply': { correct: 1, seen: 'RST+ACK' },
  'tcp-refused/close-wire': { correct: 0, seen: '—' },
  'tcp-buffers/sendall': { correct: 1, seen: 'win 0, sendall() …' },
  'tcp-buffers/first-recv': { correct: 0, seen: 'recv(65536) → 65536' },
  'tcp-stream/one-recv': { correct: 1, seen: "b'helloworld'" },
  'tcp-stream/recv4-calls': { correct: 2, seen: '4 + 4 + 2' },
  'tcp-echo/b-connects': { correct: 0, seen: 'connect() → ok' },
  'tcp-echo/recv-after-close': { correct: 0, seen: 'recv(1024) → 0' },
  'tcp-echo/b-waiting-bytes': { correct: 0, seen: 'recv(1024) → 12' },
  'udp-echo/first-sendto': { correct: 1, seen: 'UDP 5 B' },
  'udp-echo/boundaries': { correct: 0, seen: 'recvfrom(1024) → 3' },
  'udp-echo/survivors': { correct: 1, seen: /^\d \/ 200$/ },
};

/** lab lessons whose questions are not written yet (questions-data.ts) */
const LAB_WITHOUT_QUESTIONS = ['tcp-loss', 'udp-loss', 'tcp-delayed', 'tcp-slow-link'];

describe('questions for the class', () => {
  it('every lesson has at least one (the lab lessons named below: none yet); each belongs to a step of its lesson, one per step, with a unique lesson/name id', () => {
    for (const l of LESSONS) if (!LAB_WITHOUT_QUESTIONS.includes(l.id)) expect(questionsOf(l.id).length, l.id).toBeGreaterThan(0);
    // said, not skipped in silence; the list shrinks as the lab lessons get their questions (and must)
    expect(LESSONS.filter((l) => questionsOf(l.id).length === 0).map((l) => l.id)).toEqual(LAB_WITHOUT_QUESTIONS);
    (globalThis as { console?: { warn(s: string): void } }).console?.warn(`lessons without questions for the class yet (lab lessons): ${LAB_WITHOUT_QUESTIONS.join(', ')}`);
    const ids = QUESTIONS.map((q) => q.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const q of QUESTIONS) {
      expect(q.id.startsWith(`${q.lesson}/`), q.id).toBe(true);
      expect(q.id.length).toBeLessThanOrEqual(96);
      expect(lessonById(q.lesson)?.steps.some((s) => s.id === q.step), q.id).toBe(true);
      expect(questionBefore(q.lesson, q.step)).toBe(q);
      expect(questionById(q.id)).toBe(q);
    }
    const steps = QUESTIONS.map((q) => `${q.lesson}|${q.step}`);
    expect(new Set(steps).size).toBe(steps.length);
  });

  it('are asked in the three languages, with 2 to MAX_CHOICES choices, none empty, Chinese in the Chinese questions', () => {
    for (const q of QUESTIONS) {
      expect(q.choices.length, q.id).toBeGreaterThanOrEqual(2);
      expect(q.choices.length, q.id).toBeLessThanOrEqual(MAX_CHOICES);
      for (const lang of LESSON_LANGS) {
        expect(q.ask[lang].trim(), `${q.id} ${lang}`).not.toBe('');
        for (const c of q.choices) expect(c[lang].trim(), `${q.id} ${lang}`).not.toBe('');
        expect(new Set(q.choices.map((c) => c[lang])).size, `${q.id} ${lang}: choices differ`).toBe(q.choices.length);
      }
      expect(q.ask['zh-CN']).toMatch(/[\u4e00-\u9fff]/);
      expect(q.ask['zh-TW']).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('every question has its expected answer written here, and no other', () => {
    expect(Object.keys(EXPECTED).toSorted()).toEqual(QUESTIONS.map((q) => q.id).toSorted());
  });

  for (const q of QUESTIONS) {
    it(`${q.id}: the shipped recording's step answers it (${EXPECTED[q.id]?.correct})`, () => {
      const v = q.verdict(stepOf(q));
      const want = EXPECTED[q.id]!;
      expect(v.correct).toBe(want.correct);
      if (typeof want.seen === 'string') expect(v.seen).toBe(want.seen);
      else expect(v.seen).toMatch(want.seen);
      expect(v.seen.length).toBeLessThanOrEqual(80);
    });

    it(`${q.id}: with none of the step's events, the verdict claims nothing it did not see`, () => {
      const v = q.verdict([]);
      // the only choices an empty step can make true are the ones that say "nothing happened"
      expect(v.seen.length).toBeGreaterThan(0);
      if (v.correct !== null) expect(q.choices[v.correct]!.en).toMatch(/nothing|none|neither|waits/);
    });
  }
});

const step = (id: string) => stepOf(questionById(id)!);
const verdict = (id: string, ev: SessionEvent[]) => questionById(id)!.verdict(ev);

describe('the answer is read from the run, not written into the question', () => {

  it('a SYN answered by RST instead of SYN+ACK makes RST the answer; no answer at all makes it "nothing"', () => {
    const ev = step('tcp-hello/syn-reply');
    const rst = ev.map((e) => (e.type === 'tcp.segment' && e.flags.includes('SYN') && e.flags.includes('ACK') ? { ...e, flags: ['RST', 'ACK'] as typeof e.flags } : e));
    expect(verdict('tcp-hello/syn-reply', rst)).toEqual({ correct: 3, seen: 'RST+ACK' });
    const syn = ev.find((e) => e.type === 'tcp.segment' && e.flags.length === 1)!;
    expect(verdict('tcp-hello/syn-reply', [syn])).toEqual({ correct: 2, seen: '—' });
  });

  it('recv() returning another count moves the answer, and a count no choice has is said as it is', () => {
    const ev = step('tcp-hello/recv-bytes');
    const withLen = (n: number) => ev.map((e) => (e.type === 'api.call' && e.call === 'recv' ? { ...e, result: n, data: { len: n, b64: '', truncated: n > 0 } } : e));
    expect(verdict('tcp-hello/recv-bytes', withLen(1024)).correct).toBe(0);
    expect(verdict('tcp-hello/recv-bytes', withLen(0)).correct).toBe(2);
    expect(verdict('tcp-hello/recv-bytes', withLen(3))).toEqual({ correct: null, seen: 'recv(1024) → 3' });
  });

  it('a recv() that began and did not return is "it waits"', () => {
    const ev = step('tcp-hello/recv-bytes');
    const call = ev.find((e) => e.type === 'api.call' && e.call === 'recv')!;
    if (call.type !== 'api.call') throw new Error('not a call');
    const begin: SessionEvent = { v: 1, seq: call.seq, ts: call.ts, layer: 'api', type: 'api.begin', call: 'recv', args: call.args, ...(call.proc ? { proc: call.proc } : {}), ...(call.callId !== undefined ? { callId: call.callId } : {}) };
    expect(verdict('tcp-hello/recv-bytes', ev.map((e) => (e === call ? begin : e))).correct).toBe(3);
  });

  it('bind() that succeeds (SO_REUSEADDR, or no TIME_WAIT left) makes "it succeeds" the answer', () => {
    const ev = step('tcp-teardown/bind-again').map((e) => {
      if (e.type !== 'api.call' || e.call !== 'bind') return e;
      const { error: _, ...ok } = e;
      return ok;
    });
    expect(verdict('tcp-teardown/bind-again', ev)).toEqual({ correct: 0, seen: 'bind() → ok' });
  });

  it('the survivors of the UDP flood are counted from the recvfrom() calls that returned data', () => {
    const ev = step('udp-echo/survivors');
    const ok = ev.filter((e) => e.type === 'api.call' && e.call === 'recvfrom' && !e.error);
    const many = [...ev, ...Array.from({ length: 199 }, () => ok[0]!)];
    expect(verdict('udp-echo/survivors', many).correct).toBe(0);
  });
});
