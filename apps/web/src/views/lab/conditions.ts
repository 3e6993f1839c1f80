import type { LinkConditionsInput } from '@socketscope/shared';

/**
 * The LabPanel's fields as a lab.up / lab.set's conditions. Numbers only as typed: the agent checks the
 * bounds (the shared schema, lab/conditions.ts) and its refusal is shown as it says it. An empty delay,
 * jitter or loss is 0; an empty rate is no rate limit (null).
 */
export interface LabFields { delay: string; jitter: string; loss: string; rate: string }

export function conditionsOf(f: LabFields): LinkConditionsInput {
  return {
    delayMs: numberOr0(f.delay),
    jitterMs: numberOr0(f.jitter),
    lossPct: numberOr0(f.loss),
    rateKbit: f.rate.trim() === '' ? null : Number(f.rate.trim()),
  };
}

function numberOr0(v: string): number {
  const s = v.trim();
  return s === '' ? 0 : Number(s);
}

/** The fields for the conditions a link has (the model's), so the form starts where the link is. */
export function fieldsOf(c: { delayMs: number; jitterMs: number; lossPct: number; rateKbit: number | null } | undefined): LabFields {
  if (!c) return { delay: '100', jitter: '0', loss: '0', rate: '' };
  return { delay: String(c.delayMs), jitter: String(c.jitterMs), loss: String(c.lossPct), rate: c.rateKbit === null ? '' : String(c.rateKbit) };
}
