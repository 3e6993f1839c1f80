import type { Layer } from '@socketscope/shared';
import type { LogFilter, LogNote, LogRow, RowMark } from './protocol.ts';
import type { Timeline } from './timeline.ts';

/**
 * The event log's rows over a timeline: every event (row = its page seq) and the notes the page adds
 * (gap, resync …) in stream order, filtered by layer and socket, cut at the playback cursor.
 *
 * Rows are numbers in typed arrays (≥ 0: an event's page seq; < 0: a note), not objects: a million
 * rows cost 8 MB, appending is O(1) and a filter change is one pass over typed arrays that unpacks
 * nothing (the timeline keeps each event's layer, socket and connection as numbers). A row object
 * (`LogRow`) is made only for the few rows a view shows. Changed in place; the store's `logVersion`
 * says when.
 */

export class LogIndex {
  private refs: Int32Array = new Int32Array(1024);
  private n = 0;
  private vis: Int32Array = new Int32Array(1024);
  private nVis = 0;
  private readonly notes: { at: number; note: LogNote }[] = [];
  private readonly marks = new Map<number, RowMark>();
  private filter: LogFilter;
  /** interned id the socket filter matches (-1: none yet), and whether it is a connection */
  private want = -1;
  private wantConn = false;

  constructor(readonly tl: Timeline, filter: LogFilter = { layers: { api: true, kernel: true, wire: true, session: true }, sock: null }) {
    this.filter = filter;
    this.resolveWant();
  }

  /** every row */
  get length(): number {
    return this.n;
  }

  /** rows that pass the filter */
  get shown(): number {
    return this.nVis;
  }

  addEvent(seq: number, mark?: RowMark): void {
    if (mark) this.marks.set(seq, mark);
    this.add(seq);
  }

  addNote(at: number, note: LogNote): void {
    this.notes.push({ at, note });
    this.add(-this.notes.length);
  }

  setFilter(filter: LogFilter): void {
    this.filter = filter;
    this.resolveWant();
    this.nVis = 0;
    for (let r = 0; r < this.n; r++) if (this.passes(this.refs[r]!)) this.pushVis(r);
  }

  /** Row r (0 = oldest) of the whole log. */
  row(r: number): LogRow | undefined {
    if (r < 0 || r >= this.n) return undefined;
    const ref = this.refs[r]!;
    if (ref < 0) {
      const note = this.notes[-ref - 1]!;
      return { n: r, at: note.at, layer: 'session', note: note.note };
    }
    const event = this.tl.eventAt(ref)!;
    const mark = this.marks.get(ref);
    return mark ? { n: r, at: ref, layer: event.layer, event, mark } : { n: r, at: ref, layer: event.layer, event };
  }

  /** The k-th row that passes the filter. */
  shownRow(k: number): LogRow | undefined {
    return k < 0 || k >= this.nVis ? undefined : this.row(this.vis[k]!);
  }

  /** How many shown rows belong at or before the cursor; all of them when following live. */
  shownUpTo(cursor: number | null): number {
    if (cursor === null) return this.nVis;
    let lo = 0;
    let hi = this.nVis;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.atOf(this.vis[mid]!) <= cursor) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** Index among the shown rows of the row showing page seq `seq`, or -1. */
  shownIndexOfSeq(seq: number): number {
    let lo = 0;
    let hi = this.nVis - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const ref = this.refs[this.vis[mid]!]!;
      const at = this.atOf(this.vis[mid]!);
      // a note carries the seq of the event before it, so at equal seq the event's row comes first
      if (at < seq) lo = mid + 1;
      else if (at > seq || ref < 0) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  /** page seqs of every row (null for a note), oldest first: for the debugging handle */
  seqs(): (number | null)[] {
    const out: (number | null)[] = [];
    for (let r = 0; r < this.n; r++) out.push(this.refs[r]! >= 0 ? this.refs[r]! : null);
    return out;
  }

  private atOf(r: number): number {
    const ref = this.refs[r]!;
    return ref >= 0 ? ref : this.notes[-ref - 1]!.at;
  }

  private add(ref: number): void {
    if (this.n === this.refs.length) this.refs = grow(this.refs);
    const r = this.n++;
    this.refs[r] = ref;
    if (this.passes(ref)) this.pushVis(r);
  }

  private pushVis(r: number): void {
    if (this.nVis === this.vis.length) this.vis = grow(this.vis);
    this.vis[this.nVis++] = r;
  }

  private resolveWant(): void {
    const sock = this.filter.sock;
    this.wantConn = sock !== null && sock.startsWith('conn:');
    this.want = sock === null ? -1 : this.tl.columns.idOf(this.wantConn ? sock.slice(5) : sock);
  }

  private passes(ref: number): boolean {
    const f = this.filter;
    if (ref < 0) return f.layers.session && f.sock === null;
    const cols = this.tl.columns;
    if (!f.layers[cols.layerAt(ref)]) return false;
    if (f.sock === null) return true;
    // the filter may name a socket no event carried yet when it was set
    if (this.want < 0) this.resolveWant();
    if (this.want < 0) return false;
    return (this.wantConn ? cols.connIdAt(ref) : cols.sockIdAt(ref)) === this.want;
  }
}

function grow(a: Int32Array): Int32Array {
  const g = new Int32Array(a.length * 2);
  g.set(a);
  return g;
}

/** Whether a row passes the filters (one row at a time; LogIndex does this over numbers). */
export function rowPasses(r: LogRow, layers: Record<Layer, boolean>, sock: string | null): boolean {
  if (!layers[r.layer]) return false;
  if (sock === null) return true;
  const e = r.event;
  if (!e) return false;
  return sock.startsWith('conn:') ? e.conn === sock.slice(5) : e.sock === sock;
}
