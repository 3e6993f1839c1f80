import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, ServerMessage } from '@socketscope/shared';
import { questionById } from '@socketscope/shared/lessons/questions';
import { Inbox } from './server-helpers.ts';
import { FULL, live, send, SHARE_HOST, startSec, until, VIEWER, type SecHarness } from './share-harness.ts';

/**
 * The class poll over real WebSockets on loopback (rules AN1–AN8 in src/server/answers/class-poll.ts,
 * routed by connection.ts AN1). Students reach the share listener on 127.0.0.2 (a loopback address that
 * stands in for the classroom LAN address) from source addresses of their own in 127.0.1.0/24, so each
 * counts as its own machine, as a class's devices do.
 */
let h: SecHarness;
beforeAll(async () => {
  h = await startSec({ share: { host: SHARE_HOST, viewerToken: VIEWER }, classPoll: { perAddress: 3 } });
});
afterAll(async () => { await h.close(); });

const Q = 'tcp-hello/syn-reply';
let nextMachine = 1;

interface Page { ws: WebSocket; inbox: Inbox }

/** A student's page: connects from its own loopback source address, syncs. */
async function student(localAddress = `127.0.1.${nextMachine++}`): Promise<Page> {
  const ws = new WebSocket(`ws://${SHARE_HOST}:${h.port}/ws?token=${VIEWER}`, { origin: `http://${SHARE_HOST}:${h.port}`, localAddress, perMessageDeflate: false });
  const inbox = new Inbox(ws);
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  await inbox.next((m) => m.t === 'hello');
  ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
  await inbox.next((m) => m.t === 'synced');
  return { ws, inbox };
}

let ids = 0;
function ask(p: Page, act: unknown): Promise<any> {
  const id = `p${++ids}`;
  p.ws.send(JSON.stringify({ t: 'poll', id, act }));
  return p.inbox.reply(id);
}
function answer(p: Page, poll: string, choice: number, who = `student-${ids + 1}-x`): Promise<any> {
  const id = `a${++ids}`;
  p.ws.send(JSON.stringify({ t: 'answer', id, poll, choice, student: who }));
  return p.inbox.reply(id);
}
const lastPoll = (p: Page) => p.inbox.all.filter((m) => m.t === 'poll').at(-1)?.poll;

describe('a question put to the class', () => {
  it('AN6 + AN7: the teacher opens one; every page is told after its hello, students without counts; the teacher sees each answer', async () => {
    const t = await live(h.port);
    const early = await student();
    const opened = await ask(t, { op: 'open', question: Q });
    expect(opened.ok).toBe(true);
    const poll = opened.result.poll;
    expect(poll).toMatchObject({ question: Q, choices: questionById(Q)!.choices.length, phase: 'open', counts: [0, 0, 0, 0], answered: 0 });
    const seen = await early.inbox.next((m) => m.t === 'poll' && m.poll?.id === poll.id);
    expect(seen.poll.counts).toBeUndefined();
    expect(ServerMessage.safeParse(seen).success).toBe(true);
    // a page that comes later is told right after its hello
    const late = await student();
    expect(late.inbox.all.findIndex((m) => m.t === 'poll')).toBeGreaterThan(late.inbox.all.findIndex((m) => m.t === 'hello'));
    expect(lastPoll(late)).toMatchObject({ id: poll.id, phase: 'open' });

    expect(await answer(early, poll.id, 0)).toMatchObject({ ok: true, result: { poll: poll.id, choice: 0 } });
    expect(await answer(late, poll.id, 3)).toMatchObject({ ok: true });
    await until(() => lastPoll(t)?.answered === 2);
    expect(lastPoll(t).counts).toEqual([1, 0, 0, 1]);
    // students never learn the counts before the reveal, nor anyone's id
    expect(early.inbox.all.filter((m) => m.t === 'poll').every((m) => m.poll === null || m.poll.counts === undefined)).toBe(true);
    expect(JSON.stringify(t.inbox.all)).not.toContain('student-');

    expect((await ask(t, { op: 'close' })).result.poll.phase).toBe('closed');
    expect(await answer(await student(), poll.id, 1)).toMatchObject({ ok: false, error: { code: 'E_NO_QUESTION' } });
    const revealed = await ask(t, { op: 'reveal', correct: 0, seen: 'SYN+ACK' });
    expect(revealed.result.poll).toMatchObject({ phase: 'revealed', correct: 0, seen: 'SYN+ACK', counts: [1, 0, 0, 1] });
    const told = await late.inbox.next((m) => m.t === 'poll' && m.poll?.phase === 'revealed');
    expect(told.poll).toMatchObject({ correct: 0, seen: 'SYN+ACK', counts: [1, 0, 0, 1], answered: 2 });

    expect((await ask(t, { op: 'end' })).result.poll).toBeNull();
    await early.inbox.next((m) => m.t === 'poll' && m.poll === null && early.inbox.all.some((x) => x.t === 'poll' && x.poll?.phase === 'revealed'));
    for (const p of [t, early, late]) p.ws.close();
  });

  it('AN6: only a question the lessons define, with its own number of choices; a reveal names one of them', async () => {
    const t = await live(h.port);
    expect(await ask(t, { op: 'open', question: 'tcp-hello/no-such-question' })).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    expect(await ask(t, { op: 'open', question: Q, choices: 8 })).toMatchObject({ ok: true, result: { poll: { choices: 4 } } });
    expect(await ask(t, { op: 'reveal', correct: 4, seen: 'x' })).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    expect(await ask(t, { op: 'shuffle' })).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    await ask(t, { op: 'end' });
    t.ws.close();
  });
});

describe('a student’s answer (AN2–AN5)', () => {
  it('AN2: counts only for the open question and a choice it has; a malformed one is refused by the schema', async () => {
    const t = await live(h.port);
    const s = await student();
    const poll = (await ask(t, { op: 'open', question: Q })).result.poll;
    expect(await answer(s, 'old-question', 0)).toMatchObject({ ok: false, error: { code: 'E_NO_QUESTION' } });
    expect(await answer(s, poll.id, 4)).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    for (const bad of [
      { t: 'answer', id: 'b1', poll: poll.id, choice: 9, student: 'abcdefgh' },
      { t: 'answer', id: 'b2', poll: poll.id, choice: 1, student: 'short' },
      { t: 'answer', id: 'b3', poll: poll.id, choice: 1.5, student: 'abcdefgh' },
      { t: 'answer', id: 'b4', poll: poll.id, choice: 1, student: '../../etc/passwd' },
      { t: 'answer', id: 'b5', poll: 'x'.repeat(33), choice: 1, student: 'abcdefgh' },
    ]) {
      s.ws.send(JSON.stringify(bad));
      expect(await s.inbox.reply(bad.id), JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    }
    await new Promise((r) => setTimeout(r, 250)); // past the rate bucket's refill
    expect(lastPoll(t).answered).toBe(0);
    await ask(t, { op: 'end' });
    t.ws.close();
    s.ws.close();
  });

  it('AN3: one answer per student: a second from the page, or from a reload with the same id, is refused and the first stands', async () => {
    const t = await live(h.port);
    const poll = (await ask(t, { op: 'open', question: Q })).result.poll;
    const s = await student();
    expect(await answer(s, poll.id, 1, 'tab-one-id')).toMatchObject({ ok: true });
    expect(await answer(s, poll.id, 2, 'tab-two-id')).toMatchObject({ ok: false, error: { code: 'E_ANSWERED' } });
    s.ws.close();
    const reloaded = await student();
    expect(await answer(reloaded, poll.id, 3, 'tab-one-id')).toMatchObject({ ok: false, error: { code: 'E_ANSWERED' } });
    await until(() => lastPoll(t)?.answered === 1);
    await new Promise((r) => setTimeout(r, 150));
    expect(lastPoll(t).counts).toEqual([0, 1, 0, 0]);
    await ask(t, { op: 'end' });
    t.ws.close();
    reloaded.ws.close();
  });

  it('AN4: one machine answers at most perAddress times per question, however many pages it opens', async () => {
    const t = await live(h.port);
    const poll = (await ask(t, { op: 'open', question: Q })).result.poll;
    const one = '127.0.2.1';
    const pages = await Promise.all([0, 1, 2, 3, 4].map(() => student(one)));
    const replies = [];
    for (const [i, p] of pages.entries()) replies.push(await answer(p, poll.id, 0, `same-machine-${i}`));
    expect(replies.filter((r) => r.ok)).toHaveLength(3);
    expect(replies.slice(3)).toMatchObject([{ ok: false, error: { code: 'E_LIMIT' } }, { ok: false, error: { code: 'E_LIMIT' } }]);
    // another machine is not held back by it
    expect(await answer(await student('127.0.2.2'), poll.id, 0)).toMatchObject({ ok: true });
    await until(() => lastPoll(t)?.answered === 4);
    await ask(t, { op: 'end' });
    t.ws.close();
    for (const p of pages) p.ws.close();
  });

  it('AN5: a page sending answers fast is refused past 4 at once, and nothing changes', async () => {
    const t = await live(h.port);
    const poll = (await ask(t, { op: 'open', question: Q })).result.poll;
    const s = await student();
    const ids5 = [1, 2, 3, 4, 5].map((i) => `fast-${i}`);
    for (const id of ids5) s.ws.send(JSON.stringify({ t: 'answer', id, poll: 'not-this-one', choice: 0, student: 'fast-student' }));
    const replies = await Promise.all(ids5.map((id) => s.inbox.reply(id)));
    expect(replies.slice(0, 4).every((r) => r.error.code === 'E_NO_QUESTION')).toBe(true);
    expect(replies[4]).toMatchObject({ ok: false, error: { code: 'E_LIMIT' } });
    expect(await answer(s, poll.id, 0, 'fast-student')).toMatchObject({ ok: false, error: { code: 'E_LIMIT' } });
    // refusals are debt (rate.ts): after six takes from a bucket of four at 1/s, three seconds pay it back
    await new Promise((r) => setTimeout(r, 3100));
    expect(await answer(s, poll.id, 0, 'fast-student')).toMatchObject({ ok: true });
    await ask(t, { op: 'end' });
    t.ws.close();
    s.ws.close();
  });
});

describe('what a student’s page may send (AN1, AN6, P7)', () => {
  it('anything but an answer is refused, reaches nothing of the agent, and the agent keeps serving the class', async () => {
    const t = await live(h.port);
    const s = await student();
    const before = h.agent.session.lastSeq;
    const sessionId = h.agent.session.id;
    const poll = (await ask(t, { op: 'open', question: Q })).result.poll;
    expect(await ask(s, { op: 'open', question: Q })).toMatchObject({ ok: false, error: { code: 'E_READ_ONLY' } });
    expect(await ask(s, { op: 'reveal', correct: 3, seen: 'RST' })).toMatchObject({ ok: false, error: { code: 'E_READ_ONLY' } });
    expect(await ask(s, { op: 'end' })).toMatchObject({ ok: false, error: { code: 'E_READ_ONLY' } });
    expect(await s.inbox.reply(send(s.ws, { op: 'tcp.listen', host: '127.0.0.1', port: 0 }))).toMatchObject({ ok: false, error: { code: 'E_READ_ONLY' } });
    expect(await s.inbox.reply(send(s.ws, { op: 'scenario.run', name: 'tcp-hello' }))).toMatchObject({ ok: false, error: { code: 'E_READ_ONLY' } });
    s.ws.send(JSON.stringify({ t: 'events', id: 'e1', events: [] }));
    expect(await s.inbox.reply('e1')).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    s.ws.send('not json');
    expect((await s.inbox.next((m) => m.t === 'reply' && m.re === '' && m.error?.message === 'message is not JSON')).ok).toBe(false);
    // a teacher cannot answer (AN6), and a question stays the teacher's
    expect(await answer(t, poll.id, 0)).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    expect(lastPoll(t)).toMatchObject({ id: poll.id, phase: 'open', answered: 0 });
    // nothing of it reached the session, the engine or the programs (AN1)
    expect(h.agent.session.lastSeq).toBe(before);
    expect(h.agent.session.id).toBe(sessionId);
    expect(h.agent.engine.tracked()).toHaveLength(0);
    expect(h.agent.programs?.running() ?? []).toHaveLength(0);
    // and the agent goes on: the student still answers and still sees the teacher's calls
    expect(await answer(s, poll.id, 0)).toMatchObject({ ok: true });
    const r = await t.inbox.reply(send(t.ws, { op: 'tcp.listen', host: '127.0.0.1', port: 0 }));
    expect(r.ok).toBe(true);
    await until(() => s.inbox.events().find((e) => e.type === 'api.call' && e.call === 'listen' && e.sock === r.result.sock));
    expect(s.inbox.events().some((e) => JSON.stringify(e).includes('answer'))).toBe(false);
    expect(await t.inbox.reply(send(t.ws, { op: 'tcp.close', sock: r.result.sock }))).toMatchObject({ ok: true });
    await ask(t, { op: 'end' });
    t.ws.close();
    s.ws.close();
  });

  it('AN7: thirty answers at once reach the teacher as a few coalesced messages with the exact counts', async () => {
    const t = await live(h.port);
    const pages = await Promise.all(Array.from({ length: 30 }, () => student()));
    const poll = (await ask(t, { op: 'open', question: Q })).result.poll;
    await Promise.all(pages.map((p) => p.inbox.next((m) => m.t === 'poll' && m.poll?.id === poll.id)));
    const from = t.inbox.all.length;
    const replies = await Promise.all(pages.map((p, i) => answer(p, poll.id, i % 4)));
    expect(replies.every((r) => r.ok)).toBe(true);
    await until(() => lastPoll(t)?.answered === 30);
    await new Promise((r) => setTimeout(r, 250));
    const told = t.inbox.all.slice(from).filter((m) => m.t === 'poll');
    expect(told.length).toBeLessThanOrEqual(6);
    expect(told.at(-1).poll.counts).toEqual([8, 8, 7, 7]);
    await ask(t, { op: 'end' });
    t.ws.close();
    for (const p of pages) p.ws.close();
  });
});

describe('what the poll holds (AN8)', () => {
  it('AN8: at most maxAnswers per question; a new question forgets the old one’s answers and answerers', async () => {
    const small = await startSec({ share: { host: SHARE_HOST, viewerToken: VIEWER }, classPoll: { maxAnswers: 2 } });
    const saved = h;
    h = small;
    try {
      const t = await live(small.port);
      const first = (await ask(t, { op: 'open', question: Q })).result.poll;
      const pages = await Promise.all([0, 1, 2].map(() => student()));
      const replies = [];
      for (const p of pages) replies.push(await answer(p, first.id, 1, `cap-${replies.length}-student`));
      expect(replies.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'ok', 'E_LIMIT']);
      const second = (await ask(t, { op: 'open', question: 'tcp-refused/syn-reply' })).result.poll;
      expect(second).toMatchObject({ counts: [0, 0, 0, 0], answered: 0 });
      expect(await answer(pages[0]!, first.id, 1, 'cap-0-student')).toMatchObject({ ok: false, error: { code: 'E_NO_QUESTION' } });
      expect(await answer(pages[0]!, second.id, 1, 'cap-0-student')).toMatchObject({ ok: true });
      t.ws.close();
      for (const p of pages) p.ws.close();
    } finally {
      h = saved;
      await small.close();
    }
  });
});

describe('without sharing', () => {
  it('AN1: there is no class to ask: poll and answer messages get E_UNAVAILABLE', async () => {
    const solo = await startSec();
    try {
      const t = await live(solo.port, { token: FULL });
      const id = 'solo-1';
      t.ws.send(JSON.stringify({ t: 'poll', id, act: { op: 'open', question: Q } }));
      expect(await t.inbox.reply(id)).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE' } });
      expect(t.inbox.all.some((m) => m.t === 'poll')).toBe(false);
      t.ws.close();
    } finally {
      await solo.close();
    }
  });
});
