/**
 * The CLI on the lab (cli.ts C6): `run --lab`, `trace --lab`, and a lab lesson's `run`. Every refusal is a
 * LabFlagError, which the CLI turns into its usage error (exit 2) saying why and how to fix it.
 */
import path from 'node:path';
import { lessonById, type Lesson } from '@socketscope/shared/lessons/index';
import type { Agent } from '../agent.ts';
import type { TraceIo } from '../python/trace-command.ts';
import type { HostOf, LabAttachment } from './agent-lab.ts';
import type { LinkConditions } from './conditions.ts';
import { labFromFlags, LabFlagError, labUnavailable, type LabFlagValues } from './flags.ts';
import { labStatus } from './status.ts';

/** `--lab [--delay MS] [--jitter MS] [--loss PCT] [--rate KBIT]` checked, and the lab's availability with it */
export function labOption(flags: LabFlagValues): LinkConditions | null {
  const conditions = labFromFlags(flags);
  if (!conditions) return null;
  const st = labStatus();
  if (!st.available) throw new LabFlagError(labUnavailable(st));
  return conditions;
}

/** a lab lesson runs on the lab with or without --lab: it needs a lab that can be made here */
export function lessonNeedsLab(lesson: Lesson, conditions: LinkConditions | null): void {
  const st = labStatus();
  if (lesson.lab && !conditions && !st.available) throw new LabFlagError(`${lesson.id} runs on the lab network: ${labUnavailable(st).replace(/^--lab: /, '')}`);
}

/**
 * `run --lab` (a lesson without its own `lab`): the agent's lab up with the flags' conditions and the
 * agent attached to it (agent-lab.ts G4): the lesson's server listing runs on the server host, every other
 * program on the client host. The agent's stop() removes the lab.
 */
export function runLab(agent: Agent, name: string, conditions: LinkConditions, log: (line: string) => void): Promise<LabAttachment> {
  const serverFile = lessonById(name)?.listings.server?.file;
  return attachOrStop(agent, `run ${name} --lab`, conditions, (_cmd, file) => (serverFile !== undefined && path.basename(file) === serverFile ? 'server' : 'client'), log);
}

/**
 * `trace --lab`: with several programs (--then) the first runs on the server host and the others on the
 * client host; a single program runs on the client host. Their '127.0.0.1' is the server host (attach.ts A1).
 */
export function traceLab(conditions: LinkConditions, log: (line: string) => void): NonNullable<TraceIo['lab']> {
  return {
    async attach(agent, files) {
      let n = 0;
      await attachOrStop(agent, 'trace --lab', conditions, () => (files.length > 1 && n++ === 0 ? 'server' : 'client'), log);
    },
  };
}

async function attachOrStop(agent: Agent, who: string, conditions: LinkConditions, hostOf: HostOf, log: (line: string) => void): Promise<LabAttachment> {
  let attached: LabAttachment;
  try {
    attached = await agent.lab.attach(who, conditions, hostOf);
  } catch (e) {
    await agent.stop();
    throw new LabFlagError(`--lab: ${(e as Error).message}`);
  }
  const s = agent.lab.state();
  const c = s.conditions;
  log(`lab up (${s.how ?? '?'}): client ${s.hosts?.client ?? '?'}, server ${s.hosts?.server ?? '?'}; delay ${c.delayMs} ms, loss ${c.lossPct} %${c.rateKbit ? `, rate ${c.rateKbit} kbit/s` : ''}`);
  return attached;
}
