/**
 * The generic lesson runner (lessons/lesson-run.ts L1–L5) on a small lesson made here: real Python
 * programs on loopback, stepped by their lines. The course's own lessons are tested in lessons-run.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import type { Lesson } from '@socketscope/shared/lessons/index';
import { code, defineLesson, listing, note, t } from '../../../packages/shared/src/lessons/build.ts';
import { LessonRunner } from '../src/lessons/lesson-run.ts';
import { freePort, lab, PY, type Lab } from './python-kit.ts';

const labs: Lab[] = [];
afterEach(async () => { await Promise.all(labs.splice(0).map((l) => l.stop())); });

const say = t('zh', 'zh', 'en');

function tinyLesson(port: number): Lesson {
  return defineLesson({
    id: 'tiny', title: say, summary: say, proto: 'tcp', ports: [port], facts: [],
    listings: {
      server: listing('server.py', [
        code('import socket'),
        note(0, '监听', '監聽', 'listen'),
        code('s = socket.socket()', 'listen'),
        code(`s.bind(('127.0.0.1', ${port}))`, 'listen'),
        code('s.listen(1)', 'listen'),
        code('s.settimeout(None)'),
        code('while True:'),
        code('    c, a = s.accept()', 'accept'),
        code('    c.send(c.recv(10).upper())', 'echo'),
        code('    c.close()', 'echo'),
      ]),
      client: listing('client.py', [
        code('import socket'),
        code('c = socket.socket()', 'connect'),
        code(`c.connect(('127.0.0.1', ${port}))`, 'connect'),
        code("c.send(b'hi')", 'send'),
        code('print(c.recv(10))', 'recv'),
        code('c.close()', 'recv'),
      ]),
    },
    steps: [
      { id: 'listen', role: 'server', server: ['listen'], explain: say },
      { id: 'connect', role: 'client', client: ['connect'], explain: say },
      { id: 'accept', role: 'server', server: ['accept'], explain: say },
      { id: 'send', role: 'client', client: ['send'], explain: say },
      { id: 'echo', role: 'server', server: ['echo'], explain: say },
      { id: 'recv', role: 'client', client: ['recv'], explain: say },
    ],
  });
}

function runner(l: Lab, lesson: Lesson, live: boolean): LessonRunner {
  const kernel = l.agent.kernel;
  return new LessonRunner(lesson, {
    programs: l.agent.programs!, emit: (e) => l.agent.session.emit(e), log: () => {},
    ...(kernel?.settled ? { settled: () => kernel.settled!() } : {}),
  }, { live });
}

type Call = Extract<SessionEvent, { type: 'api.call' }>;

describe.skipIf(!PY.available)('the lesson runner', () => {
  it('L2/L3: each step makes exactly the calls on its lines, between its start and done; unplanned lines run as they come', async () => {
    const l = lab();
    labs.push(l);
    const lesson = tinyLesson(await freePort());
    const result = await runner(l, lesson, false).done;
    expect(result).toMatchObject({ ok: true, steps: 6 });
    const steps = l.events.filter((e): e is Extract<SessionEvent, { type: 'scenario.step' }> => e.type === 'scenario.step');
    expect(steps.map((e) => `${e.step}:${e.status}`)).toEqual(lesson.steps.flatMap((s) => [`${s.id}:start`, `${s.id}:done`]));
    for (const step of lesson.steps) {
      const start = steps.find((e) => e.step === step.id && e.status === 'start')!.seq;
      const done = steps.find((e) => e.step === step.id && e.status === 'done')!.seq;
      const made = l.events.filter((e): e is Call => e.type === 'api.call' && e.seq > start && e.seq < done && e.call !== 'settimeout');
      const starts = l.events.filter((e) => e.type === 'proc.start');
      const runOf = (c: Call) => (c.proc?.run === (starts[0] as Extract<SessionEvent, { type: 'proc.start' }>).proc.run ? 'server' : 'client');
      expect(made.length, step.id).toBeGreaterThan(0);
      for (const c of made) expect(step.lines[runOf(c)], `${step.id}: ${c.call} on line ${c.src?.line}`).toContain(c.src?.line);
    }
    // the unplanned settimeout (line 6) ran without a step of its own, inside the accept step's run-up
    expect(l.events.some((e) => e.type === 'api.call' && e.call === 'settimeout' && e.src?.line === 6)).toBe(true);
    expect(l.events.some((e) => e.type === 'proc.output' && e.text === "b'HI'\n")).toBe(true);
  });

  it('L5 live: nothing happens between steps until next(); the server still in its loop is stopped at the end', async () => {
    const l = lab();
    labs.push(l);
    const lesson = tinyLesson(await freePort());
    const r = runner(l, lesson, true);
    await l.waitFor((e) => e.type === 'scenario.step' && e.step === 'listen' && e.status === 'done');
    const before = l.events.length;
    await new Promise((res) => setTimeout(res, 300));
    expect(l.events.slice(before).filter((e) => e.layer === 'api' && e.type === 'api.call')).toEqual([]);
    for (let i = 1; i < lesson.steps.length; i++) expect(await r.next()).toBe(i + 1);
    const result = await r.done;
    expect(result.ok).toBe(true);
    const exits = l.events.filter((e): e is Extract<SessionEvent, { type: 'proc.exit' }> => e.type === 'proc.exit');
    expect(exits.map((e) => e.reason).toSorted()).toEqual(['exited', 'stopped']);
  });

  it('L5 live: a next() that comes while the first step still runs is not lost: the second step runs right after it', async () => {
    const l = lab();
    labs.push(l);
    const lesson = tinyLesson(await freePort());
    const r = runner(l, lesson, true);
    // at once, before the first step is done (a teacher's quick → after pressing Run)
    expect(await r.next()).toBe(2);
    const steps = l.events.filter((e): e is Extract<SessionEvent, { type: 'scenario.step' }> => e.type === 'scenario.step');
    expect(steps.map((e) => `${e.step}:${e.status}`)).toEqual(['listen:start', 'listen:done', 'connect:start', 'connect:done']);
    await r.stop();
    await r.done;
  });

  it('L3: a program that cannot start fails its step, and the lesson says which', async () => {
    const l = lab({ python: { available: true, path: '/nonexistent/python3', version: '3.12.0' } });
    labs.push(l);
    const result = await runner(l, tinyLesson(await freePort()), false).done;
    expect(result).toMatchObject({ ok: false, failedStep: 'listen' });
    expect(l.events.some((e) => e.type === 'scenario.step' && e.step === 'listen' && e.status === 'failed')).toBe(true);
  });
});
