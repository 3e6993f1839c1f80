/**
 * The link's conditions, one definition for the CLI's flags, the lab and (later) the page's command.
 * They apply to each direction alike: a delay of 100 ms is 100 ms each way, 200 ms a round trip.
 */

export interface LinkConditions {
  /** one-way delay in ms */
  delayMs: number;
  /** the delay varies uniformly by up to ± this many ms (≤ delayMs); frames may then be reordered */
  jitterMs: number;
  /** each TCP/UDP frame is lost with this probability, in percent */
  lossPct: number;
  /** the link's rate in kbit/s (a token bucket in the link namespace); null: as fast as the forwarder goes */
  rateKbit: number | null;
}

export const NO_CONDITIONS: LinkConditions = Object.freeze({ delayMs: 0, jitterMs: 0, lossPct: 0, rateKbit: null });

/** Bounds a classroom needs: a satellite hop is ~300 ms, a 10 s delay is already absurd. */
export const CONDITION_LIMITS = {
  delayMs: { min: 0, max: 10_000 },
  lossPct: { min: 0, max: 100 },
  /** 8 kbit/s: one full frame every 1.5 s; 10 Gbit/s: no limit in practice */
  rateKbit: { min: 8, max: 10_000_000 },
} as const;

export class ConditionError extends Error {
  override name = 'ConditionError';
}

/** Checks a change to `base` and returns the whole new set; throws ConditionError saying what is wrong. */
export function applyConditions(base: LinkConditions, change: Partial<LinkConditions>): LinkConditions {
  const next: LinkConditions = { ...base, ...change };
  const { delayMs, lossPct } = CONDITION_LIMITS;
  if (!Number.isFinite(next.delayMs) || next.delayMs < delayMs.min || next.delayMs > delayMs.max) {
    throw new ConditionError(`the delay must be ${delayMs.min}–${delayMs.max} ms, not ${String(next.delayMs)}`);
  }
  if (!Number.isFinite(next.jitterMs) || next.jitterMs < 0 || next.jitterMs > next.delayMs) {
    throw new ConditionError(`the jitter must be 0 ms up to the delay (${next.delayMs} ms), not ${String(next.jitterMs)}`);
  }
  if (!Number.isFinite(next.lossPct) || next.lossPct < lossPct.min || next.lossPct > lossPct.max) {
    throw new ConditionError(`the loss must be ${lossPct.min}–${lossPct.max} %, not ${String(next.lossPct)}`);
  }
  if (next.rateKbit !== null) {
    const { min, max } = CONDITION_LIMITS.rateKbit;
    if (!Number.isInteger(next.rateKbit) || next.rateKbit < min || next.rateKbit > max) {
      throw new ConditionError(`the rate must be a whole number of kbit/s, ${min}–${max}, not ${String(next.rateKbit)}`);
    }
  }
  return next;
}

/**
 * The token bucket for a rate (tc's tbf): a burst of at least two full frames (and at least what the rate
 * sends in 10 ms, so a fast link is not held back by the kernel's timer), and a queue of about 100 ms of
 * the rate but never fewer than three full frames: a slow link holds a little, then drops (reason queue).
 */
export function tokenBucket(rateKbit: number): { burstBytes: number; limitBytes: number } {
  const bytesPerSecond = (rateKbit * 1000) / 8;
  const frame = 1514;
  return {
    burstBytes: Math.max(2 * frame, Math.ceil(bytesPerSecond / 100)),
    limitBytes: Math.max(3 * frame, Math.ceil(bytesPerSecond / 10)),
  };
}
