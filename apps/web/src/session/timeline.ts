import { cloneModel, emptyModel, fold, shareModel, type Model, type SessionEvent } from '@socketscope/shared';
import { EventStore, type EventStoreOptions } from './events.ts';

/**
 * Everything the page knows of a session, in playback order, and the model at any point of it.
 *
 * - Event i has page seq i: the page's own numbering in happened order (see reorder.ts). The agent's
 *   numbers are kept beside them (events.ts), so `agentEvents()` gives what a saved file holds: the
 *   agent's events as they arrived, and no second copy of the events is kept for it.
 * - Events are stored compactly (events.ts): the newest as objects, older ones packed and unpacked
 *   on demand. `eventAt(i)` reads any of them; `window(end, n)` gives n of them up to `end` (the same
 *   objects while they stay unpacked, so the ladder can lay out a sliding window incrementally).
 * - The head model is folded once per event as events arrive (O(1) each, shared `fold`).
 * - Every SNAPSHOT_EVERY events a snapshot of the head is kept with shareModel (after it, fold
 *   copies an entity before changing it: F13), so the model at any cursor is at most SNAPSHOT_EVERY folds
 *   away: seeking back copies the nearest snapshot and folds forward; stepping forward folds on from
 *   where the cursor model already is.
 * - Bounded: past MAX_EVENTS the head still folds (the cards stay right) but events are not kept for
 *   playback, and `overflow` counts them so the page can say so.
 */
export const SNAPSHOT_EVERY = 4096;
export const MAX_EVENTS = 1_000_000;

export class Timeline {
  /** the model the timeline started from (an agent snapshot for a page that joined late), or null */
  base: Model | null = null;
  overflow = 0;
  /** indices of the scenario.step events, so lesson steps are found without scanning everything */
  readonly markers: number[] = [];
  private readonly store: EventStore;
  private head: Model;
  private snaps: { at: number; model: Model }[];
  private cur: { at: number; model: Model } | null = null;
  /** per event: does it change the picture (ladder row, card)? Playback spends time only on those. */
  private visible: Uint8Array = new Uint8Array(1024);

  constructor(base?: Model, private readonly snapshotEvery = SNAPSHOT_EVERY, private readonly maxEvents = MAX_EVENTS, storeOptions: EventStoreOptions = {}) {
    if (base) {
      this.base = cloneModel(base);
      // page numbering starts at 0 on top of the agent's model
      this.base.lastSeq = -1;
    }
    this.head = this.base ? cloneModel(this.base) : emptyModel();
    this.snaps = [{ at: -1, model: this.base ? cloneModel(this.base) : emptyModel() }];
    this.store = new EventStore(storeOptions);
  }

  get length(): number {
    return this.store.length;
  }

  get last(): number {
    return this.store.length - 1;
  }

  get nextSeq(): number {
    return this.store.length;
  }

  get headModel(): Model {
    return this.head;
  }

  /** The event with page seq i, or undefined. */
  eventAt(i: number): SessionEvent | undefined {
    return this.store.at(i);
  }

  /** Events (end − n, end], oldest first. */
  window(end: number, n: number): SessionEvent[] {
    const to = Math.min(end, this.last);
    const out: SessionEvent[] = [];
    for (let i = Math.max(0, to - n + 1); i <= to; i++) out.push(this.store.at(i)!);
    return out;
  }

  /** per-event columns (layer, socket, connection) for filters that must not unpack anything */
  get columns(): EventStore {
    return this.store;
  }

  /**
   * Appends an event already numbered with nextSeq. `agentSeq`: its seq in the agent's stream (default:
   * the same); `origWireTs`: its capture time as the agent sent it, when the page shows a corrected one.
   */
  append(e: SessionEvent, agentSeq = e.seq, origWireTs?: number): void {
    if (this.store.length >= this.maxEvents) {
      this.overflow++;
      // keep the head right; its seq must still rise for fold
      fold(this.head, { ...e, seq: this.head.lastSeq + 1 });
      return;
    }
    const picture = this.head.pictureVersion;
    fold(this.head, e);
    const i = this.store.length;
    this.store.push(e, agentSeq, origWireTs);
    if (i >= this.visible.length) {
      const grown = new Uint8Array(this.visible.length * 2);
      grown.set(this.visible);
      this.visible = grown;
    }
    // F22: the fold says whether the event changed the picture
    this.visible[i] = this.head.pictureVersion !== picture ? 1 : 0;
    if (e.type === 'scenario.step') this.markers.push(i);
    if ((i + 1) % this.snapshotEvery === 0) this.snaps.push({ at: i, model: shareModel(this.head) });
  }

  isVisible(i: number): boolean {
    return this.visible[i] === 1;
  }

  /** The agent's seq of the last event held, or -1. */
  get lastAgentSeq(): number {
    return this.store.length > 0 ? this.store.agentSeqAt(this.store.length - 1) : -1;
  }

  /** The agent's seqs of every event held, in the order the agent sent them. */
  agentSeqs(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.store.length; i++) out.push(this.store.agentSeqAt(i));
    return out.toSorted((a, b) => a - b);
  }

  /** The agent's events exactly as they arrived (its seqs, its capture times, its order): what "save" writes. */
  agentEvents(): SessionEvent[] {
    const out: SessionEvent[] = [];
    for (let i = 0; i < this.store.length; i++) out.push(this.store.agentEventAt(i));
    // page order is happened order; the agent's is its seq (stable: equal seqs keep page order)
    return out.toSorted((a, b) => a.seq - b.seq);
  }

  /**
   * The model after folding events 0..c (c = -1: before the first event). With `shareHead` the live
   * head itself is returned for the last position (it keeps folding as events arrive: what "follow
   * live" wants); without it a cursor model is returned that stays where it was put.
   */
  modelAt(c: number, shareHead = false): Model {
    const at = Math.min(Math.max(c, -1), this.last);
    if (at === this.last && shareHead) return this.head;
    const cur = this.cur;
    if (cur && cur.at <= at && at - cur.at <= this.snapshotEvery) {
      this.foldTo(cur, at);
      return cur.model;
    }
    const k = Math.min(Math.floor((at + 1) / this.snapshotEvery), this.snaps.length - 1);
    const snap = this.snaps[k]!;
    const next = { at: snap.at, model: shareModel(snap.model) };
    this.foldTo(next, at);
    this.cur = next;
    return next.model;
  }

  private foldTo(cur: { at: number; model: Model }, at: number): void {
    for (let i = cur.at + 1; i <= at; i++) fold(cur.model, this.store.at(i)!);
    cur.at = at;
  }
}
