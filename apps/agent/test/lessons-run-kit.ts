/**
 * Running a lesson through the agent in tests and reading what it showed: the events of one run, which
 * lesson run (server, client, restart…) each program was, the step each call was made in, and the kernel
 * and wire facts of one connection.
 */
import type { SessionEvent } from '@socketscope/shared';
import { lessonById, type Lesson } from '@socketscope/shared/lessons/index';
import type { RunResult } from '../src/agent.ts';
import { freePort, lab } from './python-kit.ts';

export type Ev<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>;

export interface LessonRecord {
  lesson: Lesson;
  port: number;
  result: RunResult;
  events: SessionEvent[];
  /** capture really ran (else wire facts are inferred or missing and are not asserted) */
  wire: boolean;
  /** lesson run id → the agent's run id (p1, p2…) */
  procOf: Map<string, string>;
  calls(run?: string): Ev<'api.call'>[];
  /** the step index each api.call was made in (where its call began; -1: before the first step, steps.length: after the last) */
  stepOfCall: Map<Ev<'api.call'>, number>;
  /** seq of a step's start / done event */
  stepSeq(stepId: string, status: 'start' | 'done'): number;
  tcp(pred: (k: Ev<'kernel.tcp'>) => boolean): Ev<'kernel.tcp'>[];
  segments(src: string, dst: string): Ev<'tcp.segment'>[];
  output(run: string): string;
}

/** Runs the lesson to its end (record mode) on a free port and returns what the agent emitted. */
export async function recordLesson(id: string): Promise<LessonRecord> {
  const lesson = lessonById(id)!;
  const port = await freePort();
  const l = lab({ capture: 'auto' });
  let result: RunResult;
  try {
    result = await l.agent.runScenario(id, port);
    // the agent stops the programs that outlive the last step; let their last events in
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await l.stop();
  }
  return read(lesson, port, result, [...l.events]);
}

export function read(lesson: Lesson, port: number, result: RunResult, events: SessionEvent[]): LessonRecord {
  const of = <T extends SessionEvent['type']>(type: T) => events.filter((e): e is Ev<T> => e.type === type);
  const wire = of('source.status').some((e) => e.source === 'wire' && e.status.running);
  // runs start in lesson.runs order (lessons.test.ts: runs are listed in the order their first steps come)
  const procOf = new Map<string, string>();
  of('proc.start').forEach((p, i) => { const r = lesson.runs[i]; if (r) procOf.set(r.id, p.proc.run); });
  const steps = of('scenario.step');
  const stepAt = (seq: number): number => {
    let at = -1;
    for (const s of steps) if (s.seq <= seq && s.status === 'start') at = s.index;
    const done = steps.filter((s) => s.status === 'done' && s.index === lesson.steps.length - 1)[0];
    return done && seq > done.seq ? lesson.steps.length : at;
  };
  // a call that blocked began in one step and may end in a later one: it belongs where it began
  const began = new Map<string, number>();
  for (const b of of('api.begin')) if (!b.paused && b.proc && b.callId !== undefined) began.set(`${b.proc.run}|${b.callId}`, b.seq);
  const stepOfCall = new Map<Ev<'api.call'>, number>();
  for (const c of of('api.call')) {
    const b = c.proc && c.callId !== undefined ? began.get(`${c.proc.run}|${c.callId}`) : undefined;
    stepOfCall.set(c, stepAt(b ?? c.seq));
  }
  return {
    lesson, port, result, events, wire, procOf, stepOfCall,
    calls: (run) => of('api.call').filter((c) => run === undefined || c.proc?.run === procOf.get(run)),
    stepSeq: (stepId, status) => steps.find((s) => s.step === stepId && s.status === status)?.seq ?? -1,
    tcp: (pred) => of('kernel.tcp').filter(pred),
    segments: (src, dst) => of('tcp.segment').filter((s) => s.src === src && s.dst === dst),
    output: (run) => of('proc.output').filter((o) => o.run === procOf.get(run) && o.stream === 'stdout').map((o) => o.text ?? '').join(''),
  };
}

/** Lines a run's steps name: a call on any other line is released as it comes (lesson-run L2). */
export function plannedLines(lesson: Lesson, run: string): Set<number> {
  return new Set(lesson.steps.flatMap((s) => [...(s.lines[run] ?? [])]));
}

export const b64 = (s: string) => Buffer.from(s).toString('base64');
