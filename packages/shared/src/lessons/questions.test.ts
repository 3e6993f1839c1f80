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
  // the lab lessons (both hosts captured, the link's drops reported)
  'tcp-loss/recv-after-loss': { correct: 0, seen: 'recv() → 8000; no gap: True' },
  'tcp-loss/who-resends': { correct: 0, seen: /^retransmission \+\d+ ms$/ },
  'udp-loss/order-45': { correct: 1, seen: '5, 4' },
  'udp-loss/after-lost': { correct: 0, seen: "b'datagram 3'" },
  'tcp-delayed/syn-lost': { correct: 0, seen: /^connect\(\) → ok after 1\.\d\d s$/ },
  'tcp-delayed/ack-rtt': { correct: 0, seen: /^ACK \+2\d\d ms$/ },
  'tcp-slow-link/connect-time': { correct: 0, seen: /^connect\(\) \d\d ms$/ },
  'tcp-slow-link/sendall': { correct: 1, seen: /^sendall\(\) [1-3]\.\d\d s$/ },
};

describe('questions for the class', () => {
  it('every lesson has at least one (the lab lessons two); each belongs to a step of its lesson, one per step, with a unique lesson/name id', () => {
    for (const l of LESSONS) expect(questionsOf(l.id).length, l.id).toBeGreaterThan(0);
    for (const l of LESSONS.filter((x) => x.lab)) expect(questionsOf(l.id).length, l.id).toBe(2);
    expect(LESSONS.filter((l) => l.lab).map((l) => l.id).toSorted()).toEqual(['tcp-delayed', 'tcp-loss', 'tcp-slow-link', 'udp-loss']);
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

/** The lab lessons' steps, changed the way another run could have gone: the verdict follows the events. */
const isCall = (e: SessionEvent, call: string): e is Extract<SessionEvent, { type: 'api.call' }> => e.type === 'api.call' && e.call === call;
const resent = (e: SessionEvent) => e.type === 'tcp.segment' && e.len > 0 && e.analysis?.includes('retransmission') === true;
const arrivedAtServer = (e: SessionEvent) => e.type === 'tcp.segment' && e.host === 'server' && e.len > 0;
const serverDatagram = (e: SessionEvent) => (e.type === 'udp.datagram' && e.host === 'server' ? e : undefined);

describe('the lab questions read the run too', () => {

  it('tcp-loss: recv() bytes from after the gap make that the answer; a failed check, a gap; an error, an error; without the check, the bytes decide', () => {
    const id = 'tcp-loss/recv-after-loss';
    const ev = step(id);
    // what the server host's capture saw first: the segment after the lost one (relSeq 1449)
    const later = ev.find((e) => e.type === 'tcp.segment' && e.host === 'server' && e.relSeq === 1449);
    if (later?.type !== 'tcp.segment') throw new Error('no segment after the gap');
    const early = ev.map((e) => (isCall(e, 'recv') ? { ...e, data: { len: 8000, b64: later.bytes, truncated: true } } : e)).filter((e) => e.type !== 'proc.output');
    expect(verdict(id, early).correct).toBe(2);
    const failed = ev.map((e) => (e.type === 'proc.output' ? { ...e, text: e.text.replace('True', 'False') } : e));
    expect(verdict(id, failed)).toEqual({ correct: 1, seen: 'recv() → 8000; no gap: False' });
    const reset = ev.map((e) => (isCall(e, 'recv') ? { ...e, result: undefined, data: undefined, error: { code: 'ECONNRESET', message: 'reset' } } : e));
    expect(verdict(id, reset)).toEqual({ correct: 3, seen: 'ECONNRESET' });
    const unchecked = ev.filter((e) => e.type !== 'proc.output');
    expect(verdict(id, unchecked)).toEqual({ correct: 0, seen: 'recv() → 8000' });
    expect(verdict(id, unchecked.filter((e) => !isCall(e, 'sendall'))).correct).toBeNull();
  });

  it('tcp-loss: without the client host’s retransmission nobody resent the bytes, or (had they arrived anyway) the link did; no drop, no answer', () => {
    const id = 'tcp-loss/who-resends';
    const ev = step(id);
    expect(ev.some(resent)).toBe(true);
    expect(verdict(id, ev.filter((e) => !resent(e) && !arrivedAtServer(e)))).toEqual({ correct: 3, seen: 'lost, not resent' });
    expect(verdict(id, ev.filter((e) => !resent(e)))).toEqual({ correct: 2, seen: 'arrived, not resent' });
    expect(verdict(id, ev.filter((e) => e.type !== 'link.drop'))).toEqual({ correct: null, seen: 'no loss' });
  });

  it('udp-loss: 4 reaching the server host before 5 makes "in order" the answer; 4 missing is "4 is lost" only when the link dropped one', () => {
    const id = 'udp-loss/order-45';
    const ev = step(id);
    const arrivals = ev.map(serverDatagram).filter((e) => e !== undefined);
    expect(arrivals.length).toBe(2);
    const [first, second] = [arrivals[0]!, arrivals[1]!];
    const swapped = ev.map((e) => (e === first ? { ...e, wireTs: second.wireTs! + 1 } : e));
    expect(verdict(id, swapped)).toEqual({ correct: 0, seen: '4, 5' });
    const no4 = ev.filter((e) => e !== second);
    expect(verdict(id, no4)).toEqual({ correct: null, seen: '5' });
    const drop: SessionEvent = { v: 1, seq: second.seq, ts: second.ts, layer: 'wire', type: 'link.drop', src: second.src, dst: second.dst, proto: 'udp', len: second.len, reason: 'oneshot', wireTs: second.wireTs! };
    expect(verdict(id, [...no4, drop])).toEqual({ correct: 2, seen: '5 (4 lost)' });
  });

  it('udp-loss: the next recvfrom() returning datagram 2, an error, or nothing moves the answer', () => {
    const id = 'udp-loss/after-lost';
    const ev = step(id);
    const second = ev.filter((e) => isCall(e, 'recvfrom'))[1]!;
    if (second.type !== 'api.call') throw new Error('not a call');
    const two = { len: 10, b64: 'ZGF0YWdyYW0gMg==', truncated: false };
    expect(verdict(id, ev.map((e) => (e === second ? { ...second, data: two } : e)))).toEqual({ correct: 1, seen: "b'datagram 2'" });
    expect(verdict(id, ev.map((e) => (e === second ? { ...second, data: undefined, result: undefined, error: { code: 'ECONNREFUSED', message: 'refused' } } : e))).correct).toBe(2);
    // the second recvfrom() began and never returned: everything after it, gone
    const begin: SessionEvent = { v: 1, seq: second.seq, ts: second.ts, layer: 'api', type: 'api.begin', call: 'recvfrom', args: second.args, ...(second.proc ? { proc: second.proc } : {}), ...(second.callId !== undefined ? { callId: second.callId } : {}) };
    const waiting = [...ev.slice(0, ev.indexOf(second)).filter((e) => !(e.type === 'api.begin' && e.callId === second.callId)), begin];
    expect(verdict(id, waiting)).toEqual({ correct: 3, seen: 'recvfrom() …' });
  });

  it('tcp-delayed: connect() that returned after one round trip, or failed at once, moves the answer; the ACK’s delay decides the second', () => {
    const all = step('tcp-delayed/syn-lost');
    const real = all.find((e) => isCall(e, 'connect'))!;
    if (real.type !== 'api.call') throw new Error('not a call');
    const ev = all.filter((e) => e !== real);
    const connect = (durationUs: number, error?: { code: string; message: string }): SessionEvent => ({ ...real, ts: real.ts - real.durationUs + durationUs, durationUs, ...(error ? { error } : {}) });
    expect(verdict('tcp-delayed/syn-lost', ev).correct).toBe(0); // still waiting
    expect(verdict('tcp-delayed/syn-lost', [...ev, connect(210_000)])).toEqual({ correct: 2, seen: 'connect() → ok after 0.21 s' });
    expect(verdict('tcp-delayed/syn-lost', [...ev, connect(1_230_000)]).correct).toBe(0);
    expect(verdict('tcp-delayed/syn-lost', [...ev, connect(3_000, { code: 'ECONNREFUSED', message: 'refused' })]).correct).toBe(1);

    const id = 'tcp-delayed/ack-rtt';
    const send = step(id);
    const data = send.find((e) => e.type === 'tcp.segment' && e.host !== 'server' && e.len > 0)!;
    if (data.type !== 'tcp.segment') throw new Error('not a segment');
    const ackAt = (us: number) => send.map((e) => (e.type === 'tcp.segment' && e.src === data.dst ? { ...e, wireTs: data.wireTs! + us } : e));
    expect(verdict(id, ackAt(100_000)).correct).toBe(1);
    expect(verdict(id, ackAt(1_000)).correct).toBe(2);
    expect(verdict(id, ackAt(1_100_000)).correct).toBe(3);
    expect(verdict(id, send.filter((e) => !(e.type === 'tcp.segment' && e.src === data.dst)))).toEqual({ correct: null, seen: 'no ACK' });
  });

  it('tcp-slow-link: connect()’s and sendall()’s durations decide; a zero window blames the reader; a sendall() still waiting blocks', () => {
    const withDuration = (id: string, call: string, us: number) => step(id).map((e) => (isCall(e, call) ? { ...e, durationUs: us } : e));
    expect(verdict('tcp-slow-link/connect-time', withDuration('tcp-slow-link/connect-time', 'connect', 2_100_000))).toEqual({ correct: 2, seen: 'connect() 2100 ms' });
    expect(verdict('tcp-slow-link/connect-time', withDuration('tcp-slow-link/connect-time', 'connect', 210_000)).correct).toBe(1);
    const id = 'tcp-slow-link/sendall';
    expect(verdict(id, withDuration(id, 'sendall', 40_000))).toEqual({ correct: 0, seen: 'sendall() 0.04 s' });
    const ev = step(id);
    const ack = ev.find((e) => e.type === 'tcp.segment' && e.host === 'server' && e.len === 0 && !e.flags.includes('SYN'))!;
    expect(verdict(id, ev.map((e) => (e === ack ? { ...e, win: 0 } : e))).correct).toBe(2);
    expect(verdict(id, ev.filter((e) => !isCall(e, 'sendall')))).toEqual({ correct: 1, seen: 'sendall() …' });
  });
});
