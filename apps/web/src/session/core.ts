import { shareModel, type Model, type ScenarioStepEvent, type SessionEvent } from '@socketscope/shared';
import { LadderBuilder } from '../views/ladder/layout.ts';
import { EMPTY_FRAME, frameOf, type LadderFrame } from '../views/ladder/frame.ts';
import { LogIndex } from './log.ts';
import { happenedAt, WireSkew } from './placement.ts';
import type { LadderLayout } from '../views/ladder/types.ts';
import type { Diff, LadderPaint, LogFilter, LogNote, LogWindow, ModelPatch, RowMark, ViewRequest } from './protocol.ts';
import { Timeline } from './timeline.ts';

/**
 * The session, as the session worker holds it (session.worker.ts runs it; tests run it directly).
 *
 * One event's path: `agentEvents` (already validated by the connection) → de-duplicated by the agent's
 * seq (a resync resends) → numbered with the page's seq in the order heard → appended to the timeline
 * (which folds it into the head model with the shared `fold`, keeps it packed for later and snapshots
 * the model now and then) and to the event log's index → placed in the ladder's live window by the time
 * it happened (a captured packet that arrived late goes in among the rows already drawn) → `diff()`
 * turns what changed into one message for the page: the entities the fold replaced, the ladder's rows
 * in view, the log's rows in view, new lesson step markers, counts. Nothing waits and nothing is
 * computed twice: the page renders the diff. The ladder's picture of the same rows is painted by the
 * worker (`takePicture`, session/picture.ts) and goes in the same diff.
 */

/** events the ladder lays out at most: a lesson is a few hundred; a busy session shows its newest */
export const LADDER_EVENTS = 1500;

const NO_VIEW: ViewRequest = { cursor: null, selected: null, ladder: null, log: null };

export class SessionCore {
  tl = new Timeline();
  log = new LogIndex(this.tl);
  /** the agent's seq of the last event received in this session: a resync resumes after it */
  agentLastSeq = -1;
  private missing = 0;
  private bad = 0;
  private view: ViewRequest = NO_VIEW;
  private n = 0;
  private resetDue = true;
  private changed = true;
  private readonly skew = new WireSkew();

  // what the page has
  private sentModel: Model | null = null;
  private sentModelOf: Model | null = null;
  private sentModelVersion = -1;
  private stepsSent = 0;
  private sentLadder = '';
  private sentLog = '';
  private logVersion = 0;

  // the ladder: the newest events heard, in the order they happened, and the builder laying them out
  private live: { e: SessionEvent; at: number }[] = [];
  private builder = new LadderBuilder();
  private builderFor: string | null = null;
  private cursorWindow: { at: number; events: SessionEvent[] } | null = null;
  // the ladder's picture: what the page's canvas shows, the layout the last frame came from, and whether
  // either changed since the last picture
  private paint: LadderPaint | null = null;
  private layoutNow: LadderLayout | null = null;
  private pictureDue = false;

  /** Events from the agent, validated, in stream order; `bad`: how many the connection dropped as invalid. */
  agentEvents(events: readonly SessionEvent[], bad = 0): void {
    this.bad += bad;
    for (const e of events) {
      if (e.seq <= this.agentLastSeq) continue; // already have it (resync resends)
      if (this.agentLastSeq >= 0 && e.seq > this.agentLastSeq + 1) this.missing += e.seq - this.agentLastSeq - 1;
      this.agentLastSeq = e.seq;
      this.append(e);
    }
    if (events.length > 0 || bad > 0) this.changed = true;
  }

  /** Events of an opened file, validated, in the order they were recorded. */
  fileEvents(events: readonly SessionEvent[]): void {
    for (const e of events) this.append(e);
    this.changed = true;
  }

  get badCount(): number {
    return this.bad;
  }

  countBad(n: number): void {
    this.bad += n;
    this.changed = true;
  }

  /** A row the session adds to the log (gap, resync …), after everything received so far. */
  note(note: LogNote): void {
    this.log.addNote(this.tl.last, note);
    this.logVersion++;
    this.changed = true;
  }

  /** The agent's model at its seq atSeq replaces ours: the page joined late, or fell too far behind. */
  snapshot(atSeq: number, model: Model, notes: LogNote[] = []): void {
    this.start(model);
    this.agentLastSeq = Math.max(this.agentLastSeq, atSeq);
    for (const n of notes) this.log.addNote(-1, n);
    this.note({ kind: 'snapshot', params: { seq: atSeq } });
  }

  /** Starts over (a new session, a file): everything held is dropped; `base` is the model it starts from. */
  start(base?: Model): void {
    this.tl = new Timeline(base);
    this.log = new LogIndex(this.tl, this.view.log?.filter);
    this.agentLastSeq = -1;
    this.missing = 0;
    this.bad = 0;
    this.live = [];
    this.builder = new LadderBuilder();
    this.builderFor = null;
    this.cursorWindow = null;
    this.resetDue = true;
    this.changed = true;
  }

  /** What the page looks at now (sticks until the next call). */
  setView(view: ViewRequest): void {
    if (view.log && JSON.stringify(view.log.filter) !== JSON.stringify(this.view.log?.filter ?? null)) this.setFilter(view.log.filter);
    if (view.cursor !== this.view.cursor) this.cursorWindow = null;
    this.view = view;
    this.changed = true;
  }

  /** The page's canvas: its size, scroll position and look (null: none on screen). */
  setPaint(paint: LadderPaint | null): void {
    this.paint = paint;
    this.pictureDue = paint !== null;
    this.changed = true;
  }

  /**
   * What the ladder's picture must show, once after each change of the rows laid out, the selection or the
   * page's canvas (null: nothing to paint). Called right after `diff()`: the picture goes with its rows.
   */
  takePicture(): { layout: LadderLayout; paint: LadderPaint; selected: number | null } | null {
    if (!this.pictureDue || !this.paint || !this.layoutNow) return null;
    this.pictureDue = false;
    return { layout: this.layoutNow, paint: this.paint, selected: this.view.selected };
  }

  get dirty(): boolean {
    return this.changed;
  }

  /** One diff for the page with everything that changed since the last one, or null when nothing did. */
  diff(): Diff | null {
    if (!this.changed) return null;
    this.changed = false;
    const reset = this.resetDue;
    this.resetDue = false;
    if (reset) {
      this.sentModel = null;
      this.sentModelOf = null;
      this.stepsSent = 0;
      this.sentLadder = '';
      this.sentLog = '';
    }
    const tl = this.tl;
    const cursor = this.view.cursor === null ? null : Math.min(Math.max(this.view.cursor, -1), tl.last);
    const model = cursor === null ? tl.headModel : tl.modelAt(cursor);
    const at = cursor ?? tl.last;
    const posEvent = at >= 0 ? tl.eventAt(at) : undefined;
    const d: Diff = {
      n: ++this.n, reset, head: tl.last, posTime: posEvent ? happenedAt(posEvent, this.skew.skew) : null,
      missing: this.missing, bad: this.bad,
    };
    const patch = this.modelPatch(model);
    if (patch) d.model = patch;
    if (tl.markers.length > this.stepsSent) {
      d.steps = tl.markers.slice(this.stepsSent).map((i) => tl.eventAt(i) as ScenarioStepEvent);
      this.stepsSent = tl.markers.length;
    }
    const ladder = this.ladderFrame(model, cursor);
    if (ladder) d.ladder = ladder;
    const log = this.logWindow(cursor);
    if (log) d.log = log;
    return d;
  }

  /** The next (dir 1) or previous (−1) position from `from` whose event changes the picture; −1 is "before the first". */
  step(from: number, dir: 1 | -1): number | null {
    const tl = this.tl;
    if (dir === 1) {
      for (let i = from + 1; i <= tl.last; i++) if (tl.isVisible(i)) return i;
      return null;
    }
    for (let i = Math.min(from, tl.last + 1) - 1; i >= 0; i--) if (tl.isVisible(i)) return i;
    return from > -1 ? -1 : null;
  }

  /** Positions in (from, to] whose events change the picture, at most `max`. */
  visible(from: number, to: number, max = 5000): number[] {
    const out: number[] = [];
    for (let i = Math.max(0, from + 1); i <= Math.min(to, this.tl.last) && out.length < max; i++) if (this.tl.isVisible(i)) out.push(i);
    return out;
  }

  private append(ev: SessionEvent): void {
    const agentSeq = ev.seq;
    const e = { ...ev, seq: this.tl.nextSeq } as SessionEvent;
    this.tl.append(e, agentSeq);
    // F21: the fold knows the handshake's third step (the client's bare ACK after the SYN+ACK)
    const conn = e.type === 'tcp.segment' && e.conn ? this.tl.headModel.conns[e.conn] : undefined;
    const mark: RowMark | undefined = conn?.handshake?.ack === e.seq ? 'hs3' : undefined;
    this.skew.observe(e);
    if (e.seq !== this.tl.last) return; // past the timeline's bound: folded, not kept
    this.log.addEvent(e.seq, mark);
    this.logVersion++;
    this.place(e);
  }

  /** The ladder's live window: by the time each event happened; a late one goes among those before it. */
  private place(e: SessionEvent): void {
    const live = this.live;
    const at = happenedAt(e, this.skew.skew);
    let k = live.length;
    // late captured packets are at most a few hundred ms late: a short scan from the end
    while (k > 0 && live[k - 1]!.at > at) k--;
    if (k === live.length) live.push({ e, at });
    else live.splice(k, 0, { e, at });
    if (live.length > 2 * LADDER_EVENTS) this.live = live.slice(-LADDER_EVENTS);
  }

  private setFilter(filter: LogFilter): void {
    this.log.setFilter(filter);
    this.logVersion++;
  }

  private modelPatch(model: Model): ModelPatch | null {
    const prev = this.sentModel;
    if (prev && this.sentModelOf === model && this.sentModelVersion === model.version) return null;
    this.sentModelOf = model;
    this.sentModelVersion = model.version;
    // shareModel copies the order lists (F23: the fold appends to them in place)
    this.sentModel = shareModel(model);
    const fields: ModelPatch['fields'] = {
      version: model.version, lastSeq: model.lastSeq, events: model.events, missing: model.missing, counts: { ...model.counts },
      pictureVersion: model.pictureVersion, orderVersion: model.orderVersion,
    };
    if (!prev || prev.sources !== model.sources) fields.sources = model.sources;
    if (!prev || prev.scenario !== model.scenario) { if (model.scenario) fields.scenario = model.scenario; }
    if (!prev || prev.link !== model.link) { if (model.link) fields.link = model.link; } // F25: the lab link strip (views/lab)
    // F23: the lists are compared only when orderVersion says they moved
    const moved = (a: readonly string[] | undefined, b: readonly string[]) => !prev || (prev.orderVersion !== model.orderVersion && !sameList(a!, b));
    if (moved(prev?.socketOrder, model.socketOrder)) fields.socketOrder = this.sentModel.socketOrder;
    if (moved(prev?.connOrder, model.connOrder)) fields.connOrder = this.sentModel.connOrder;
    if (moved(prev?.procOrder, model.procOrder)) fields.procOrder = this.sentModel.procOrder;
    return {
      whole: prev === null,
      sockets: changedIn(prev?.sockets, model.sockets),
      conns: changedIn(prev?.conns, model.conns),
      procs: changedIn(prev?.procs, model.procs),
      byEndpoints: changedIn(prev?.byEndpoints, model.byEndpoints),
      fields,
    };
  }

  /** The events the ladder lays out: the live window, or the newest LADDER_EVENTS up to the cursor in happened order. */
  private ladderEvents(cursor: number | null): { key: string; events: SessionEvent[] } {
    if (cursor === null) return { key: 'live', events: this.live.slice(-LADDER_EVENTS).map((x) => x.e) };
    if (this.cursorWindow?.at !== cursor) {
      const skew = this.skew.skew;
      const list: { e: SessionEvent; at: number }[] = [];
      for (let i = Math.max(0, cursor - LADDER_EVENTS + 1); i <= cursor; i++) {
        const e = this.tl.eventAt(i)!;
        list.push({ e, at: happenedAt(e, skew) });
      }
      // stable: equal times keep the order heard
      this.cursorWindow = { at: cursor, events: list.toSorted((a, b) => a.at - b.at).map((x) => x.e) };
    }
    return { key: `c${cursor}`, events: this.cursorWindow.events };
  }

  private ladderFrame(model: Model, cursor: number | null): LadderFrame | null {
    const v = this.view.ladder;
    if (!v) return null;
    const { key, events } = this.ladderEvents(cursor);
    if (this.builderFor !== null && this.builderFor !== key && (this.builderFor === 'live') !== (key === 'live')) this.builder = new LadderBuilder();
    this.builderFor = key;
    this.builder.update(events, model);
    const sent = `${this.builder.version}|${model.version}|${key}|${JSON.stringify(v)}|${this.view.selected}`;
    if (sent === this.sentLadder) return null;
    this.sentLadder = sent;
    this.pictureDue = this.paint !== null;
    this.layoutNow = null;
    if (events.length === 0) return EMPTY_FRAME;
    const layout = this.builder.snapshot(model, new Set(v.expanded));
    this.layoutNow = layout;
    const first = v.follow ? layout.rows.length - v.count : v.first;
    return frameOf(layout, first, v.count, this.view.selected);
  }

  private logWindow(cursor: number | null): LogWindow | null {
    const v = this.view.log;
    if (!v) return null;
    const log = this.log;
    const count = log.shownUpTo(cursor);
    const first = v.follow ? Math.max(0, count - v.count) : Math.max(0, Math.min(v.first, count - 1));
    const sent = `${this.logVersion}|${cursor}|${count}|${first}|${v.count}|${this.view.selected}`;
    if (sent === this.sentLog) return null;
    this.sentLog = sent;
    const rows = [];
    for (let k = first; k < Math.min(count, first + v.count); k++) rows.push(log.shownRow(k)!);
    const sel = this.view.selected;
    const selIndex = sel === null ? -1 : log.shownIndexOfSeq(sel);
    return { count, shown: log.shown, total: log.length, first, rows, selIndex: selIndex < count ? selIndex : -1 };
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Entries of `now` that are not the same object in `before`, and keys `before` had that `now` lacks (null). */
function changedIn<T>(before: Record<string, T> | undefined, now: Record<string, T>): Record<string, T | null> {
  const out: Record<string, T | null> = {};
  if (!before) return { ...now };
  for (const k in now) if (before[k] !== now[k]) out[k] = now[k]!;
  for (const k in before) if (!(k in now)) out[k] = null;
  return out;
}
