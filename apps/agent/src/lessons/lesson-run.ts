/**
 * A lesson, run as its real Python programs (packages/shared lessons: one definition each; nothing here
 * knows one lesson from another). Rules (tests: test/lesson-run.test.ts):
 * L1 Each listing is written out as the file a student would save (comments in the run's language, the
 *    code lines identical in every language; the tutorial port moved where asked) and run by the
 *    program runner under the tracer, in step mode: every socket call waits in the tracer until released.
 * L2 The plan: step by step, for each run the step names (in the lesson's run order), the runner releases
 *    the run's next call while that call is on one of the step's lines for the run, and stops when the run
 *    waits before a call of a later step, is blocked inside a call (accept() with nobody connecting yet)
 *    or has ended (a connect() in progress is waited for: only the network frees it, and a lost SYN is
 *    resent after a second; on the lab any call is given a round trip more before it counts as blocked:
 *    blockedMsOf). A call on a line no step names is released as it comes. A run starts at its first step.
 *    A step may give its runs' order (step.order: who closes first); else the lesson's run order. The runs
 *    are gone through again until a whole pass releases nothing: a run blocked in a call that a later run
 *    freed (recvfrom() before the peer's sendto()) goes on to its next call of the same step.
 * L3 Every step is framed by scenario.step start and done (failed: the plan could not go on — a program
 *    did not start, or did not reach its next call in STEP_TIMEOUT_MS). A program's own error (EADDRINUSE,
 *    ECONNREFUSED) is part of the lesson, not a failed step.
 * L4 Before a step is done, the kernel layer has looked at the sockets after the step's calls (the probe's
 *    settled(), bounded by SETTLE_MS), and in a recorded run the kernel and the wire have gone quiet
 *    (QUIET_MS; on the lab two round trips more: quietMsOf): what the step teaches is in the kernel layer
 *    before the next step.
 * L5 Live: the first step runs at once, each next one when next() is called. Recorded: every step runs
 *    as soon as the one before is done. Either way, after the last step the programs run freely to their
 *    end (bounded by FINISH_MS; a server still waiting in a loop is then stopped) and their files are
 *    removed.
 * L6 Lab lessons: a step's `link` one-shots are armed on the lab's link (deps.oneshot) before any of the
 *    step's calls is released, live and recorded alike. A step with shots and no lab fails (E_UNAVAILABLE):
 *    the step would teach a loss that does not happen.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventInput } from '@socketscope/shared';
import { listingText, type Lesson, type LessonLang, type LessonRun, type LessonShot, type LessonStep } from '@socketscope/shared/lessons/index';
import { CommandError } from '../engine/types.ts';
import type { Programs } from '../python/programs.ts';
import type { PythonRun } from '../python/run.ts';

export const STEP_TIMEOUT_MS = 10_000;
export const SETTLE_MS = 500;
export const FINISH_MS = 5_000;
/**
 * L4, recorded: a step is done once the kernel and the wire have been quiet for QUIET_MS (at most
 * QUIET_MAX_MS): a paused reader's buffer fills over several delayed-ACK rounds, and its zero window is
 * announced by the answer to the sender's first window probe, ~200 ms after the last data. Live, the
 * teacher's pause between steps gives the kernel that time.
 */
export const QUIET_MS = 300;
export const QUIET_MAX_MS = 3_000;
/** calls no other program frees: a step waits for them to return (L2) */
const NETWORK_CALLS = new Set(['connect', 'connect_ex', 'create_connection']);
/** ...until this long before the step's deadline, then counts them as blocked */
const CONNECT_SLACK_MS = 2_000;
/** a run inside a call for this long is waiting on another program (on loopback) */
const BLOCKED_MS = 30;
/**
 * On the lab a lost segment is resent by a timer (Linux's tail-loss probe after ~2 RTT, the RTO after ≥ 200 ms
 * + RTT): silence on the wire for QUIET_MS is not yet the end of a step. Two round trips more.
 */
export function quietMsOf(lesson: Lesson): number {
  if (!lesson.lab) return QUIET_MS;
  return QUIET_MS + 4 * (lesson.lab.delayMs + (lesson.lab.jitterMs ?? 0));
}

/**
 * On the lab a call may wait for the network first: an accept() for the handshake's last ACK, a recv() for
 * data still on the link. It counts as waiting on another program only after a round trip (and jitter) more.
 */
export function blockedMsOf(lesson: Lesson): number {
  if (!lesson.lab) return BLOCKED_MS;
  return BLOCKED_MS + 2 * (lesson.lab.delayMs + (lesson.lab.jitterMs ?? 0)) + 20;
}
const TICK_MS = 5;

export interface LessonResult {
  scenario: string;
  ok: boolean;
  steps: number;
  failedStep?: string;
  error?: { code: string; message: string };
}

export interface LessonDeps {
  programs: Programs;
  emit(e: EventInput): void;
  /** the kernel probe's K7, when there is a probe */
  settled?: () => Promise<void>;
  /** resolves once no kernel or wire event has come for `ms` (at most `maxMs`) */
  quiet?: (ms: number, maxMs: number) => Promise<void>;
  /** L6: arms a one-shot on the lab's link (lab lessons only); resolves once the link has it */
  oneshot?: (shot: LessonShot) => Promise<void>;
  log(line: string): void;
}

export interface LessonOptions {
  /** move the lesson's first port here */
  port?: number;
  lang?: LessonLang;
  live?: boolean;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LessonRunner {
  private readonly runs = new Map<string, PythonRun>();
  private readonly dir: string;
  private readonly files = new Map<string, string>();
  /** per run: every line some step names (a paused call elsewhere is released as it comes) */
  private readonly planned = new Map<string, Set<number>>();
  private nextStep = 0;
  /** when the last call was released (Date.now()) */
  private lastGo = 0;
  private waiting: (() => void) | null = null;
  /** live: steps the teacher has let run (the first runs at once; each next() lets one more) */
  private allowed = 1;
  private stopped = false;
  private ended = false;
  /** blockedMsOf(lesson) */
  private readonly blockedMs: number;
  readonly done: Promise<LessonResult>;

  constructor(private readonly lesson: Lesson, private readonly deps: LessonDeps, private readonly opts: LessonOptions = {}) {
    this.blockedMs = blockedMsOf(lesson);
    this.dir = mkdtempSync(path.join(os.tmpdir(), `socketscope-${lesson.id}-`));
    const from = lesson.ports[0];
    const moved = opts.port !== undefined && from !== undefined ? { from, to: opts.port } : undefined;
    for (const kind of ['server', 'client'] as const) {
      const l = lesson.listings[kind];
      if (!l) continue;
      const file = path.join(this.dir, l.file);
      writeFileSync(file, listingText(l, opts.lang ?? 'zh-CN', moved), { mode: 0o600 });
      this.files.set(kind, file);
    }
    for (const step of lesson.steps) {
      for (const [run, lines] of Object.entries(step.lines)) {
        const set = this.planned.get(run) ?? new Set<number>();
        for (const n of lines ?? []) set.add(n);
        this.planned.set(run, set);
      }
    }
    opts.signal?.addEventListener('abort', () => { void this.stop(); }, { once: true });
    this.done = this.play().finally(() => { this.ended = true; });
  }

  get live(): boolean { return this.opts.live === true; }
  get id(): string { return this.lesson.id; }
  /** index of the step next() would run; lesson.steps.length when all have run */
  get position(): number { return this.nextStep; }

  /**
   * L5: live, runs the next step; resolves with the number of steps done once it is (or the lesson ended).
   * A next() that comes while a step still runs (a quick → after the lesson started) lets the step after it
   * run as soon as it ends, and resolves when that one is done: no press is lost.
   */
  next(): Promise<number> {
    this.allowed = Math.min(this.allowed + 1, this.lesson.steps.length);
    const target = this.allowed;
    const go = this.waiting;
    this.waiting = null;
    go?.();
    return new Promise((resolve) => {
      const check = () => {
        if (this.nextStep >= target || this.ended) resolve(this.nextStep);
        else setTimeout(check, TICK_MS);
      };
      check();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    void this.next();
    await Promise.all([...this.runs.values()].map((r) => r.stop('stopped')));
  }

  private async play(): Promise<LessonResult> {
    const result: LessonResult = { scenario: this.lesson.id, ok: true, steps: 0 };
    try {
      for (const [index, step] of this.lesson.steps.entries()) {
        while (this.live && index >= this.allowed && !this.stopped) await new Promise<void>((resolve) => { this.waiting = resolve; });
        if (this.stopped) throw new CommandError('E_ABORTED', 'the lesson was stopped');
        this.emitStep(index, step, 'start');
        try {
          await this.arm(step);
          await this.runStep(step);
          await this.settle();
        } catch (err) {
          this.emitStep(index, step, 'failed');
          throw Object.assign(err as Error, { step: step.id });
        }
        this.emitStep(index, step, 'done');
        this.nextStep = index + 1;
        result.steps++;
      }
      await this.finish();
    } catch (err) {
      result.ok = false;
      result.failedStep = (err as { step?: string }).step ?? this.lesson.steps[this.nextStep]?.id ?? 'end';
      result.error = { code: (err as { code?: string }).code ?? 'E_INTERNAL', message: (err as Error).message };
      await Promise.all([...this.runs.values()].map((r) => r.stop('stopped')));
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
    return result;
  }

  private emitStep(index: number, step: LessonStep, status: 'start' | 'done' | 'failed'): void {
    this.deps.emit({ layer: 'session', type: 'scenario.step', scenario: this.lesson.id, step: step.id, index, role: step.role, status });
  }

  /** L6 */
  private async arm(step: LessonStep): Promise<void> {
    if (!step.link?.length) return;
    const oneshot = this.deps.oneshot;
    if (!oneshot) throw new CommandError('E_UNAVAILABLE', `${this.lesson.id}: step ${step.id} arms the lab's link, and the lesson is not running on the lab`);
    for (const shot of step.link) await oneshot(shot);
  }

  /** L2 */
  private async runStep(step: LessonStep): Promise<void> {
    const byId = new Map(this.lesson.runs.map((r) => [r.id, r]));
    const order = step.order ? step.order.map((id) => byId.get(id)).filter((r) => r !== undefined) : this.lesson.runs;
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    // A run left blocked in a call (a server's recvfrom()) may be freed by a later run of the same step (the
    // client's sendto()) and then wait before another of this step's calls: go round again until a whole
    // pass releases nothing, so a step never ends with one of its own calls still held.
    for (let progressed = true; progressed;) {
      progressed = false;
      for (const spec of order) {
        const lines = step.lines[spec.id];
        if (!lines || lines.length === 0) continue;
        const run = await this.started(spec);
        const here = new Set(lines);
        const planned = this.planned.get(spec.id) ?? here;
        for (;;) {
          const at = await this.settleRun(run, deadline, step);
          if (at === null) break; // blocked in a call, or ended
          if (here.has(at.line) || !planned.has(at.line)) {
            run.go();
            this.lastGo = Date.now();
            progressed = true;
            await this.released(run, at.key, deadline, step);
            continue;
          }
          break; // waiting before a later step's call
        }
      }
    }
  }

  private async started(spec: LessonRun): Promise<PythonRun> {
    const known = this.runs.get(spec.id);
    if (known) return known;
    const file = this.files.get(spec.listing);
    if (!file) throw new CommandError('E_INTERNAL', `${this.lesson.id}: run ${spec.id} names a listing the lesson does not have`);
    const r = await this.deps.programs.start({ op: 'py.run', path: file, args: [...(spec.args ?? [])], step: true });
    const run = this.deps.programs.get(r.run);
    this.runs.set(spec.id, run);
    return run;
  }

  /** Until the run waits before a call (its line), is blocked in one or has ended (null). */
  private async settleRun(run: PythonRun, deadline: number, step: LessonStep): Promise<{ key: string; line: number } | null> {
    for (;;) {
      if (this.stopped) throw new CommandError('E_ABORTED', 'the lesson was stopped');
      if (run.exited) return null;
      const at = run.pausedAt();
      if (at) return at;
      // blocked: in a call for BLOCKED_MS, and nothing was released for as long (the tracer's word that a
      // call another run just freed has returned is a few ms behind)
      // ...except a connect(): only the network frees it (a lost SYN is resent after the kernel's 1 s
      // timeout on the lab), so the step waits for it, short of the step's deadline
      if (run.blocked(this.blockedMs) && Date.now() - this.lastGo >= this.blockedMs) {
        if (!run.inCalls().some((c) => NETWORK_CALLS.has(c)) || Date.now() > deadline - CONNECT_SLACK_MS) return null;
      }
      if (Date.now() > deadline) throw new CommandError('ETIMEDOUT', `${this.lesson.id}: step ${step.id}: ${run.run} did not reach its next socket call in ${STEP_TIMEOUT_MS / 1000} s`);
      await sleep(TICK_MS);
    }
  }

  /** After go: until the released call (`key`) is no longer the one paused. */
  private async released(run: PythonRun, key: string, deadline: number, step: LessonStep): Promise<void> {
    while (run.pausedAt()?.key === key && !run.exited && !this.stopped) {
      if (Date.now() > deadline) throw new CommandError('ETIMEDOUT', `${this.lesson.id}: step ${step.id}: ${run.run} did not take its go`);
      await sleep(1);
    }
  }

  /** L4 */
  private async settle(): Promise<void> {
    if (this.deps.settled) await Promise.race([this.deps.settled(), sleep(SETTLE_MS)]);
    if (this.deps.quiet && !this.live) await this.deps.quiet(quietMsOf(this.lesson), QUIET_MAX_MS);
  }

  /** L5: the programs run freely to their end; a server still waiting in its loop is stopped. */
  private async finish(): Promise<void> {
    for (const run of this.runs.values()) {
      if (!run.exited) run.setStep(false);
      if (run.pausedAt()) run.go();
    }
    const deadline = Date.now() + FINISH_MS;
    const runs = [...this.runs.values()];
    while (runs.some((r) => !r.exited && !r.blocked(this.blockedMs * 10)) && Date.now() < deadline && !this.stopped) await sleep(TICK_MS);
    await Promise.all(runs.filter((r) => !r.exited).map((r) => r.stop('stopped')));
    // on the lab the last FIN may still be on the link: the states it causes (TIME_WAIT) come a round trip later
    if (this.lesson.lab) await sleep(this.blockedMs);
    await this.settle();
  }
}
