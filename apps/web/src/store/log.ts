import type { Layer } from '@socketscope/shared';
import { LOG_CAP, type LogRow } from './slices.ts';

/** Appends rows to a bounded log, returning a new array (views compare by identity). */
export function appendBounded(log: LogRow[], rows: LogRow[], cap = LOG_CAP): LogRow[] {
  if (rows.length === 0) return log;
  const next = log.length + rows.length > cap ? log.slice(Math.max(0, log.length + rows.length - cap)) : log.slice();
  for (const r of rows.length > cap ? rows.slice(rows.length - cap) : rows) next.push(r);
  return next;
}

/** The visible rows after appending: new rows that pass the filter, minus rows that fell off the log. */
export function appendVisible(visible: LogRow[], rows: LogRow[], filter: Record<Layer, boolean>, log: LogRow[]): LogRow[] {
  const oldest = log[0]?.n ?? 0;
  const passing = rows.filter((r) => filter[r.layer] && r.n >= oldest);
  let start = 0;
  while (start < visible.length && visible[start]!.n < oldest) start++;
  if (passing.length === 0 && start === 0) return visible;
  const next = start > 0 ? visible.slice(start) : visible.slice();
  for (const r of passing) next.push(r);
  return next;
}
