/**
 * A lesson with `lab` (agent.ts runLesson, lab/agent-lab.ts G4, lessons/lesson-run.ts L6): the lab comes
 * up with the lesson's link (or takes it on, when up), the server listing runs on the server host and the
 * client on the client host, a step's `link` one-shot is armed before its calls so the step's first data
 * segment is lost and retransmitted within the step; afterwards the lab stays up and a lesson without `lab`
 * runs on loopback. No lab lesson is in the course yet, so the lesson is defined here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import type { Lesson, ListingLine, Text } from '@socketscope/shared/lessons/index';
import { createAgent, type Agent } from '../src/agent.ts';
import { LAB_SKIP, namespacesOf, warnIfSkipped } from './lab-kit.ts';
import { PY } from './python-kit.ts';

warnIfSkipped('lab-lesson (a lesson with lab: its one-shot lost and retransmitted in its step)');
if (!PY.available) console.warn('SKIPPED lab-lesson\'s "shots without a lab" check: no python3');

const text = (en: string): Text => ({ 'zh-CN': en, 'zh-TW': en, en });
const code = (...lines: string[]): ListingLine[] => lines.map((l) => ({ kind: 'code', code: l }));

/** server lines: 2 socket, 3 setsockopt, 4 bind, 5 listen, 6 accept, 9 recv; client: 2 socket, 3 connect, 4–6 send, 7 close */
function labLesson(link: boolean): Lesson {
  return {
    id: 'lab-test', title: text('lab test'), summary: text('a data segment lost on a 50 ms link'), proto: 'tcp', ports: [9310], facts: [],
    listings: {
      server: {
        file: 'lab_test_server.py',
        lines: code(
          'import socket', 's = socket.socket()', 's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)', "s.bind(('10.77.0.2', 9310))", 's.listen(1)',
          'c, _ = s.accept()', 'n = 0', 'while n < 600:', '    d = c.recv(4096)', '    if not d:', '        break', '    n += len(d)',
          "print('got', n, flush=True)", 'c.close()', 's.close()',
        ),
      },
      client: {
        file: 'lab_test_client.py',
        lines: code('import socket', 'c = socket.socket()', "c.connect(('10.77.0.2', 9310))", "c.send(b'x' * 200)", "c.send(b'y' * 200)", "c.send(b'z' * 200)", 'c.close()'),
      },
    },
    runs: [{ id: 'server', listing: 'server' }, { id: 'client', listing: 'client' }],
    steps: [
      { id: 'listen', role: 'server', lines: { server: [2, 3, 4, 5] }, explain: text('listen') },
      { id: 'connect', role: 'both', lines: { client: [2, 3], server: [6] }, explain: text('connect') },
      { id: 'send', role: 'client', lines: { client: [4, 5, 6] }, explain: text('the first is lost'), ...(link ? { link: [{ from: 'client', match: 'data' }] } : {}) },
      { id: 'recv', role: 'server', lines: { server: [9, 13] }, explain: text('all 600 bytes, in order') },
      { id: 'close', role: 'both', lines: { client: [7], server: [14, 15] }, explain: text('close') },
    ],
    lab: { delayMs: 50 },
  };
}

/** the events of one step of the lesson: from its scenario.step start to its done */
function stepEvents(events: SessionEvent[], step: string): SessionEvent[] {
  const start = events.findIndex((e) => e.type === 'scenario.step' && e.step === step && e.status === 'start');
  const done = events.findIndex((e) => e.type === 'scenario.step' && e.step === step && e.status === 'done');
  expect(start, `step ${step} started`).toBeGreaterThanOrEqual(0);
  expect(done, `step ${step} done`).toBeGreaterThan(start);
  return events.slice(start, done + 1);
}

describe.skipIf(LAB_SKIP !== null)('a lesson on the lab', () => {
  let agent: Agent;
  const events: SessionEvent[] = [];

  beforeAll(() => {
    agent = createAgent({ log: () => {} });
    agent.session.subscribe((e) => events.push(e));
    agent.start();
  });
  afterAll(async () => {
    await agent?.stop();
    expect(namespacesOf(process.pid)).toEqual([]);
  }, 30_000);

  it('takes the lesson\'s link on the lab that is up, runs on both hosts, and loses and retransmits the step\'s segment', async () => {
    await agent.exec({ op: 'lab.up', conditions: { delayMs: 5, lossPct: 1 } });
    const from = events.length;
    const t0 = performance.now();
    const r = await agent.runLesson(labLesson(true));
    console.log(`lab-lesson: the lesson ran in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(r, JSON.stringify(r.error)).toMatchObject({ ok: true, steps: 5 });
    const ev = events.slice(from);
    // the lesson's link, whole: its 50 ms, and no loss left over from the teacher's 1 %
    expect(ev.find((e) => e.type === 'link.state')).toMatchObject({ up: true, conditions: { delayMs: 50, jitterMs: 0, lossPct: 0, rateKbit: null } });
    const calls = ev.filter((e) => e.type === 'api.call');
    expect(calls.find((e) => e.call === 'bind')?.local).toBe('10.77.0.2:9310');
    expect(calls.find((e) => e.call === 'connect')?.local).toMatch(/^10\.77\.0\.1:\d+$/);

    const send = stepEvents(ev, 'send');
    const drop = send.find((e) => e.type === 'link.drop');
    expect(drop, 'the one-shot drop in the step').toMatchObject({ reason: 'oneshot', proto: 'tcp', len: 200, dst: '10.77.0.2:9310' });
    if (drop?.type !== 'link.drop') throw new Error('unreachable');
    // armed before the step's calls: the step's first data segment (the first send()) is the one lost
    const firstData = send.find((e) => e.type === 'tcp.segment' && e.len > 0 && e.src === drop.src);
    expect(firstData?.type === 'tcp.segment' && firstData.seqNo).toBe(drop.seqNo);
    const retrans = send.find((e) => e.type === 'tcp.segment' && e.seqNo === drop.seqNo && e.analysis?.includes('retransmission'));
    expect(retrans, `a retransmission of seq ${drop.seqNo} within the step`).toBeTruthy();
    if (retrans?.type === 'tcp.segment') console.log(`lab-lesson: retransmitted ${((retrans.wireTs! - drop.wireTs) / 1000).toFixed(1)} ms after the drop`);
    // the application saw all 600 bytes
    expect(ev.some((e) => e.type === 'proc.output' && /got 600/.test(e.text))).toBe(true);
    expect(ev.filter((e) => e.type === 'proc.exit').map((e) => e.type === 'proc.exit' && e.code)).toEqual([0, 0]);
    // the lab stays up, detached: a lab command that needs nothing attached works
    expect(agent.lab.isUp).toBe(true);
    const again = await agent.lab.attach('check', null, () => 'client');
    await again.detach();
  }, 90_000);

  it('a lesson without lab runs on loopback while the lab is up', async () => {
    const from = events.length;
    const r = await agent.runScenario('tcp-hello', 0);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const bind = events.slice(from).find((e) => e.type === 'api.call' && e.call === 'bind');
    expect(bind?.type === 'api.call' && bind.local).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(events.slice(from).some((e) => e.type === 'link.state' || e.type === 'link.drop')).toBe(false);
    expect(agent.lab.isUp).toBe(true);
  }, 60_000);
});

describe.skipIf(!PY.available)('a step with link shots and no lab', () => {
  it('fails the step (E_UNAVAILABLE) instead of teaching a loss that does not happen', async () => {
    const { LessonRunner } = await import('../src/lessons/lesson-run.ts');
    const agent = createAgent({ capture: 'off', tracepoints: false, log: () => {} });
    try {
      const lesson = labLesson(true);
      const runner = new LessonRunner({ ...lesson, steps: lesson.steps.slice(2) }, { programs: agent.programs!, emit: () => {}, log: () => {} });
      const r = await runner.done;
      expect(r).toMatchObject({ ok: false, failedStep: 'send', error: { code: 'E_UNAVAILABLE' } });
      expect(r.error?.message).toMatch(/not running on the lab/);
    } finally {
      await agent.stop();
    }
  }, 30_000);
});
