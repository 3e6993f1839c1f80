/**
 * The lab as the agent's commands (lab.up / lab.set / lab.oneshot / lab.down) and as the place a lab
 * lesson runs. Rules (tests: test/lab-agent*.test.ts, test/lab-lesson*.test.ts):
 * G1 One lab per agent. lab.up when it is up changes its conditions (as lab.set). Lab commands and a
 *    lesson's bringing up of the lab go one at a time, in the order they came.
 * G2 Every change of the link (up, conditions, down) is a `link.state` event: up, the conditions in force,
 *    the hosts' addresses and how the lab was made. A new session (session.reset) gets it again.
 * G3 Conditions are checked before anything changes (conditions.ts): E_INVALID with what is wrong. A lab
 *    that cannot be made here is E_UNAVAILABLE with why and the fix.
 * G4 Programs, the kernel probe and capture follow the lab's hosts only while something is attached (a
 *    lab lesson for its run, `run --lab`, `trace --lab`, the page's programs of G7). One attachment at a
 *    time (E_BUSY); lab.down is refused while a lesson or a run holds one.
 * G7 A page's py.run with `host` runs on that host of the lab that is up (E_INVALID when none is): the
 *    page's programs attach (probe and capture on the hosts; a py.run without host still runs here) and
 *    stay attached until a lab lesson starts, lab.down or the agent's end, which detach them first.
 * G5 close() (the agent stopping) detaches and removes the lab; the keeper covers a SIGKILL (lab.ts L3).
 * G6 One-shots belong to what is attached: attach() and detach() disarm those that have not fired, so a
 *    lesson stopped before its lost segment was sent leaves nothing armed for the next one.
 */
import path from 'node:path';
import type { CommandOf, EventInput } from '@socketscope/shared';
import type { LessonLab, LessonShot } from '@socketscope/shared/lessons/index';
import { CommandError } from '../engine/types.ts';
import { attachLab, type LabbedAgent } from './attach.ts';
import { applyConditions, ConditionError, NO_CONDITIONS, type LinkConditions } from './conditions.ts';
import { Lab, LabError, type LabOptions } from './lab.ts';
import { LAB_ADDRESSES, type HostName } from './names.ts';
import { labStatus, type LabStatus } from './status.ts';

export type LabCommand = CommandOf<'lab.up'> | CommandOf<'lab.set'> | CommandOf<'lab.oneshot'> | CommandOf<'lab.down'>;
export const LAB_OPS: ReadonlySet<string> = new Set<LabCommand['op']>(['lab.up', 'lab.set', 'lab.oneshot', 'lab.down']);

export interface LabState {
  up: boolean;
  conditions: LinkConditions;
  hosts?: { client: string; server: string };
  how?: 'root' | 'userns';
}

export interface AgentLabOptions {
  /** the agent's parts the lab moves (programs, kernel, wire) */
  agent: LabbedAgent;
  emit(e: EventInput): void;
  /** a CLOCK_MONOTONIC reading in ns → µs on the session's clock */
  tsAt(ns: number): number;
  log(line: string): void;
  /** tests: the status to act on, the lab to make */
  status?: () => LabStatus;
  makeLab?: (opts: LabOptions) => Lab;
}

/** Where a program of an attachment runs: its py.run and the file it runs. */
export type HostOf = (cmd: CommandOf<'py.run'>, file: string) => HostName | null;

/** who the page's programs' attachment is (G7) */
const PAGE_PROGRAMS = 'the page’s programs';

export interface LabAttachment {
  /** why it is attached (said in E_BUSY) */
  readonly who: string;
  /** arms a one-shot on the link (lesson steps' `link`) */
  oneshot(shot: LessonShot): Promise<void>;
  /** programs, probe and capture back on this machine; the lab stays up */
  detach(): Promise<void>;
}

/** the lab's condition change as the command gives it: only the fields it names */
function changeOf(input: CommandOf<'lab.set'>['conditions']): Partial<LinkConditions> {
  const change: Partial<LinkConditions> = {};
  if (input.delayMs !== undefined) change.delayMs = input.delayMs;
  if (input.jitterMs !== undefined) change.jitterMs = input.jitterMs;
  if (input.lossPct !== undefined) change.lossPct = input.lossPct;
  if (input.rateKbit !== undefined) change.rateKbit = input.rateKbit;
  return change;
}

/** A lesson's link, whole: what it does not name is off (a lesson never inherits the teacher's loss). */
export function lessonConditions(lab: LessonLab): LinkConditions {
  return { delayMs: lab.delayMs, jitterMs: lab.jitterMs ?? 0, lossPct: lab.lossPct ?? 0, rateKbit: lab.rateKbit ?? null };
}

/** G3: the status's reason and fix in one line */
export function unavailableMessage(st: LabStatus): string {
  return `${st.reason ?? 'the lab cannot be made on this machine'}${st.fix?.linux ? `; to fix it: ${st.fix.linux}` : ''}`;
}

function asCommandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  if (err instanceof ConditionError) return new CommandError('E_INVALID', err.message);
  if (err instanceof LabError) return new CommandError(err.code === 'E_LAB' ? 'E_UNAVAILABLE' : err.code, err.message);
  return new CommandError('E_INTERNAL', (err as Error).message);
}

export class AgentLab {
  private lab: Lab | null = null;
  private attached: LabAttachment | null = null;
  private turn: Promise<void> = Promise.resolve();
  private closing = false;

  constructor(private readonly opts: AgentLabOptions) {}

  /** the lab while it is up (tests: lab-kit's runOn and captures) */
  get current(): Lab | null {
    return this.lab?.isUp ? this.lab : null;
  }

  get isUp(): boolean {
    return this.current !== null;
  }

  state(): LabState {
    const lab = this.current;
    if (!lab) return { up: false, conditions: { ...NO_CONDITIONS } };
    const how = lab.how;
    return { up: true, conditions: lab.conditions, hosts: { ...LAB_ADDRESSES }, ...(how ? { how } : {}) };
  }

  /** The lab.* commands; rejects only with CommandError. */
  exec(cmd: LabCommand): Promise<unknown> {
    switch (cmd.op) {
      case 'lab.up': return this.up(changeOf(cmd.conditions));
      case 'lab.set': return this.set(changeOf(cmd.conditions));
      case 'lab.oneshot': return this.oneshot({ from: cmd.from, match: cmd.match, ...(cmd.proto ? { proto: cmd.proto } : {}), ...(cmd.holdMs !== undefined ? { holdMs: cmd.holdMs } : {}) });
      case 'lab.down': return this.down();
    }
  }

  /** G1: up with these conditions, or (when up) the change applied. Resolves with the state. */
  up(change: Partial<LinkConditions> = {}): Promise<LabState> {
    return this.inTurn(() => this.upNow(change));
  }

  set(change: Partial<LinkConditions>): Promise<LabState> {
    return this.inTurn(async () => {
      const lab = this.current;
      if (!lab) throw new CommandError('E_INVALID', 'the lab is not up (lab.up first)');
      applyConditions(lab.conditions, change); // G3: checked before anything changes
      await lab.set(change);
      return this.announce();
    });
  }

  /** Arms a one-shot on the link: the next matching packet from that host is lost (or held holdMs). */
  oneshot(shot: LessonShot): Promise<{ armed: LessonShot }> {
    return this.inTurn(async () => {
      const lab = this.current;
      if (!lab) throw new CommandError('E_INVALID', 'the lab is not up (lab.up first)');
      await lab.dropNext(shot);
      return { armed: shot };
    });
  }

  down(): Promise<LabState> {
    return this.inTurn(async () => {
      if (this.attached?.who === PAGE_PROGRAMS) await this.attached.detach(); // G7
      if (this.attached) throw new CommandError('E_BUSY', `${this.attached.who} is running on the lab; stop it first`);
      if (!this.lab) return this.state();
      await this.lab.down();
      this.lab = null;
      return this.announce();
    });
  }

  /** G2: say the link's state again (a new session began) */
  restate(): void {
    if (this.isUp) this.announce();
  }

  /**
   * G4: the lab up with these conditions (or set on the one up), and the agent's programs, probe and
   * capture on its hosts until detach(); resolves once capture has been moved.
   */
  attach(who: string, conditions: Partial<LinkConditions> | null, hostOf: HostOf): Promise<LabAttachment> {
    return this.inTurn(() => this.attachNow(who, conditions, hostOf));
  }

  /** G7: the lab's hosts for the page's programs (a py.run with host); resolves once they are attached. */
  forPagePrograms(): Promise<void> {
    return this.inTurn(async () => {
      if (!this.current) throw new CommandError('E_INVALID', 'the lab is not up: bring it up first (lab.up), then run the program on one of its hosts');
      if (this.attached?.who === PAGE_PROGRAMS) return;
      if (this.attached) throw new CommandError('E_BUSY', `${this.attached.who} is running on the lab; run the program when it has ended`);
      await this.attachNow(PAGE_PROGRAMS, null, (cmd) => cmd.host ?? null);
    });
  }

  private async attachNow(who: string, conditions: Partial<LinkConditions> | null, hostOf: HostOf): Promise<LabAttachment> {
    if (this.attached?.who === PAGE_PROGRAMS) await this.attached.detach(); // G7
    if (this.attached) throw new CommandError('E_BUSY', `${this.attached.who} is already running on the lab`);
    const lab = conditions === null && this.current ? this.current : (await this.upNow(conditions ?? {}), this.current!);
    await lab.clearShots(); // G6
    const moved = attachLab(this.opts.agent, lab, hostOf);
    await moved.ready;
    let detached = false;
    const attachment: LabAttachment = {
      who,
      oneshot: (shot) => this.oneshot(shot).then(() => undefined),
      detach: async () => {
        if (detached) return;
        detached = true;
        try {
          await lab.clearShots().catch((err: unknown) => this.opts.log(`lab: disarming: ${(err as Error).message}`)); // G6
          await moved.detach();
        } finally {
          if (this.attached === attachment) this.attached = null;
        }
      },
    };
    this.attached = attachment;
    return attachment;
  }

  /** G4 for a lesson with `lab`: its server listing on the server host, every other program on the client host. */
  attachLesson(id: string, lab: LessonLab, serverFile: string | undefined, link?: LinkConditions): Promise<LabAttachment> {
    return this.attach(`lesson ${id}`, link ?? lessonConditions(lab), (_cmd, file) => (serverFile !== undefined && path.basename(file) === serverFile ? 'server' : 'client'));
  }

  /** G5 */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.attached?.detach().catch((err: unknown) => this.opts.log(`lab: detaching: ${(err as Error).message}`));
    await this.turn;
    if (this.lab) {
      await this.lab.down().catch((err: unknown) => this.opts.log(`lab: removing it: ${(err as Error).message}`));
      this.lab = null;
    }
  }

  private async upNow(change: Partial<LinkConditions>): Promise<LabState> {
    if (this.closing) throw new CommandError('E_BUSY', 'the agent is shutting down');
    const lab = this.current;
    if (lab) {
      applyConditions(lab.conditions, change);
      await lab.set(change);
      return this.announce();
    }
    const wanted = applyConditions(NO_CONDITIONS, change); // G3, before anything is made
    const st = (this.opts.status ?? labStatus)();
    if (!st.available) throw new CommandError('E_UNAVAILABLE', unavailableMessage(st));
    const labOpts: LabOptions = { emit: this.opts.emit, tsAt: this.opts.tsAt, log: this.opts.log };
    const made = this.opts.makeLab?.(labOpts) ?? new Lab(labOpts);
    await made.up(wanted);
    this.lab = made;
    return this.announce();
  }

  /** G2 */
  private announce(): LabState {
    const s = this.state();
    this.opts.emit({ layer: 'session', type: 'link.state', up: s.up, conditions: { ...s.conditions }, ...(s.hosts ? { hosts: s.hosts } : {}), ...(s.how ? { how: s.how } : {}) });
    return s;
  }

  /** G1; every error a CommandError */
  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const turn = this.turn.then(fn).catch((err: unknown) => { throw asCommandError(err); });
    this.turn = turn.then(() => undefined, () => undefined);
    return turn;
  }
}
