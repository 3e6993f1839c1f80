/**
 * The lab's command-line flags, for `run` and `trace`: `--lab [--delay MS] [--jitter MS] [--loss PCT]
 * [--rate KBIT]`. Checked here once (conditions.ts holds the bounds); the CLI turns a LabFlagError into its
 * usage error (exit 2). A condition without --lab is an error rather than a silent no-op: the teacher asked
 * for a slow link and must not get loopback believing it is one.
 */
import { applyConditions, ConditionError, NO_CONDITIONS, type LinkConditions } from './conditions.ts';
import type { LabStatus } from './status.ts';

export interface LabFlagValues {
  lab?: unknown;
  delay?: unknown;
  jitter?: unknown;
  loss?: unknown;
  rate?: unknown;
}

export class LabFlagError extends Error {
  override name = 'LabFlagError';
}

const CONDITION_FLAGS = { delay: 'MS', jitter: 'MS', loss: 'PCT', rate: 'KBIT' } as const;
type ConditionFlag = keyof typeof CONDITION_FLAGS;

/** the flags' help lines, for cac */
export const LAB_FLAG_HELP: [string, string][] = [
  ['--lab', 'Run on the lab network: two hosts joined by a link with Ethernet\'s MTU (needs root or user namespaces)'],
  ['--delay <ms>', 'With --lab: the link\'s delay each way, in ms (0–10000)'],
  ['--jitter <ms>', 'With --lab: the delay varies by up to ± this many ms (may reorder packets)'],
  ['--loss <pct>', 'With --lab: the share of packets the link loses, in % (0–100)'],
  ['--rate <kbit>', 'With --lab: the link\'s rate in kbit/s (8–10000000)'],
];

function number(flag: ConditionFlag, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new LabFlagError(`--${flag} needs a number (${CONDITION_FLAGS[flag]}), not "${v === true ? '' : String(v)}"`);
  return n;
}

/** null without --lab; the link's conditions with it. Throws LabFlagError saying what is wrong. */
export function labFromFlags(f: LabFlagValues): LinkConditions | null {
  const given = (Object.keys(CONDITION_FLAGS) as ConditionFlag[]).filter((k) => f[k] !== undefined);
  if (f.lab === undefined || f.lab === false) {
    if (given.length) throw new LabFlagError(`--${given[0]} sets the lab's link: add --lab`);
    return null;
  }
  if (f.lab !== true) throw new LabFlagError('--lab takes no value (the link is set with --delay, --jitter, --loss and --rate)');
  const change: Partial<LinkConditions> = {};
  if (f.delay !== undefined) change.delayMs = number('delay', f.delay);
  if (f.jitter !== undefined) change.jitterMs = number('jitter', f.jitter);
  if (f.loss !== undefined) change.lossPct = number('loss', f.loss);
  if (f.rate !== undefined) change.rateKbit = number('rate', f.rate);
  try {
    return applyConditions(NO_CONDITIONS, change);
  } catch (e) {
    if (e instanceof ConditionError) throw new LabFlagError(e.message);
    throw e;
  }
}

/**
 * `trace` reads its own arguments (options, then programs, whose arguments are theirs): the lab's flags are
 * taken out of the options before the first program (`--delay 100` or `--delay=100`); the rest is left
 * for trace, in order.
 */
export function takeLabFlags(argv: readonly string[]): { flags: LabFlagValues; rest: string[] } {
  const flags: LabFlagValues = {};
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('--'); i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = (eq > 0 ? a.slice(2, eq) : a.slice(2)) as ConditionFlag | 'lab';
    if (name === 'lab') {
      flags.lab = eq > 0 ? a.slice(eq + 1) : true;
    } else if (name in CONDITION_FLAGS) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new LabFlagError(`--${name} needs a value (${CONDITION_FLAGS[name]})`);
      flags[name] = v;
    } else {
      rest.push(a);
      // trace's own options that take a value: keep the value with its option
      if (eq < 0 && ['--capture', '--timeout', '--idle'].includes(a) && i + 1 < argv.length) rest.push(argv[++i]!);
    }
  }
  return { flags, rest: [...rest, ...argv.slice(i)] };
}

/** The one line the CLI prints when the lab cannot be made here: why, and what to do. */
export function labUnavailable(st: LabStatus): string {
  return `--lab: ${st.reason ?? 'the lab cannot be made on this machine'}${st.fix?.linux ? `; to fix it: ${st.fix.linux}` : ''}`;
}
