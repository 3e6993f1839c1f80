import type { Layer } from '@socketscope/shared';
import { LOG_CAP, type LogRow } from './slices.ts';

/** The event log's rows: appended per flush, filtered by layer and socket, cut at the playback cursor. */

export function rowPasses(r: LogRow, layers: Record<Layer, boolean>, sock: string | null): boolean {
  if (!layers[r.layer]) return false;
  if (sock === null) return true;
  const e = r.event;
  if (!e) return false;
  return sock.startsWith('conn:') ? e.conn === sock.slice(5) : e.sock === sock;
}

/** Appends rows to the log, returning a new array (views compare by identity). */
export function appendBounded(log: LogRow[], rows: LogRow[], cap = LOG_CAP): LogRow[] {
  if (rows.length === 0) return log;
  const next = log.length + rows.length > cap ? log.slice(Math.max(0, log.length + rows.length - cap)) : log.slice();
  for (const r of rows.length > cap ? rows.slice(rows.length - cap) : rows) next.push(r);
  return next;
}

/** The visible rows after appending: new rows that pass the filters, minus rows that fell off the log. */
export function appendVisible(visible: LogRow[], rows: LogRow[], layers: Record<Layer, boolean>, sock: string | null, log: LogRow[]): LogRow[] {
  const oldest = log[0]?.n ?? 0;
  const passing = rows.filter((r) => r.n >= oldest && rowPasses(r, layers, sock));
  let start = 0;
  while (start < visible.length && visible[start]!.n < oldest) start++;
  if (passing.length === 0 && start === 0) return visible;
  const next = start > 0 ? visible.slice(start) : visible.slice();
  for (const r of passing) next.push(r);
  return next;
}

export function filterRows(log: readonly LogRow[], layers: Record<Layer, boolean>, sock: string | null): LogRow[] {
  return log.filter((r) => rowPasses(r, layers, sock));
}

/** How many of `rows` (ordered by `at`) belong at or before the cursor; all of them when following live. */
export function rowsUpTo(rows: readonly LogRow[], cursor: number | null): number {
  if (cursor === null) return rows.length;
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid]!.at <= cursor) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Index in `rows` of the row showing page seq `seq`, or -1. */
export function rowOfSeq(rows: readonly LogRow[], seq: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = rows[mid]!;
    // a note carries the seq of the event before it, so at equal seq the event's row comes first
    if (r.at < seq) lo = mid + 1;
    else if (r.at > seq || !r.event) hi = mid - 1;
    else return mid;
  }
  return -1;
}
