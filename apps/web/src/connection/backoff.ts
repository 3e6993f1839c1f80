/**
 * Reconnect delays: doubling from baseMs up to maxMs, with ±20 % jitter so several open pages do not
 * knock on a restarted agent at the same instant. attempt 1 is the first retry.
 */
export function backoffDelay(attempt: number, baseMs = 500, maxMs = 5000, random: () => number = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}
