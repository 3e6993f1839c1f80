import { shareModel } from '@socketscope/shared';
import type { AppStore } from './store.ts';
import type { AppState, DataSeen } from './slices.ts';
import type { LogIndex } from './log.ts';
import type { Timeline } from './timeline.ts';

/**
 * How folded events reach React: the pipeline folds every frame, and this decides which views are told.
 *
 * Quiet (a few events now and then: a lesson, the playground by hand) everything is published with one
 * setState in the flush that folded it, so an event is on screen in the next frame.
 *
 * Under load (a flush folded many events, or more are waiting) the views are refreshed IN TURN, one
 * group per frame: the socket cards (the model), then the ladder and the scrubber (the timeline), then
 * the event log. Refreshing all of them together after a frame's events costs several frames of React
 * render, style, layout (text shaping: ~30 µs per new text node on this class of machine) and paint;
 * one group at a time fits in a frame (docs/PERFORMANCE.md), and the frames between turns do the
 * folding. Each view is then about 100 ms behind the fold where turns fit their frame, more where they
 * overrun it (TURN_BACKOFF spaces them by what the last one cost), and it is still drawn from real
 * events: nothing is skipped, only shown a little later.
 *
 * For the cards to wait their turn, what they read must not change under them: under load the store's
 * `model` is a copy of the head model (shareModel: the entity maps copied, entities shared, as fold
 * replaces an entity instead of changing it) taken at the cards' turn. The ladder reads the head model
 * itself while following (LadderPanel), at its own turn.
 */

/**
 * Work a view does ahead of its turn, after the fold of every busy flush: the ladder lays out the new
 * events there (LadderPanel), so that at its turn it only renders. Its time counts against the flush's
 * fold budget (`aheadPerEvent`). Returns the unregister function.
 */
const ahead = new Set<() => void>();
export function workAhead(fn: () => void): () => void {
  ahead.add(fn);
  return () => { ahead.delete(fn); };
}

export type Group = 'model' | 'timeline' | 'log';
const GROUPS: readonly Group[] = ['model', 'timeline', 'log'];

/** a flush that folds this many events (or leaves some waiting) is busy */
export const BUSY_FOLDS = 32;
/** after a busy flush the stream counts as busy this long (a stream's quieter frames stay staggered) */
export const BUSY_HOLD_MS = 250;
/**
 * Under load, one group per this many ms: every other frame at 60 Hz is a turn, the ones between only
 * fold (a turn's frame folds little: TURN_FOLD_MS in pipeline.ts), so each view is refreshed about ten
 * times a second while events pour in.
 */
export const TURN_MS = 30;
/** one display interval at 60 Hz */
export const FRAME_MS = 1000 / 60;
/**
 * A turn whose frame ran over one display interval pushes the next turn back by this many times the
 * overrun (at most MAX_TURN_GAP_MS after it). A view's refresh costs what it costs (React, style,
 * layout, paint of new text); on a slow or busy machine, or with cold code at the start of a stream,
 * one turn can take 40–70 ms. Spacing the turns by what the last one cost keeps the share of frames
 * that are dropped bounded (here about a quarter of an overrun's time), where a fixed pace would drop
 * a frame at every turn. The views then lag the fold a little more, never skip what happened.
 */
export const TURN_BACKOFF = 3;
export const MAX_TURN_GAP_MS = 400;

/** What one flush changed. */
export interface FlushChanges {
  tl: Timeline;
  log: LogIndex;
  /** rows added to the log */
  added: number;
  /** per socket, the last data-moving call folded (a whole new map), or null if none */
  lastData: Record<string, DataSeen> | null;
  /** the timeline was replaced (an agent snapshot) */
  replaced: boolean;
  /** agent seqs found missing, events dropped as invalid, since the last flush */
  missing: number;
  bad: number;
}

export class Publisher {
  private readonly dirty: Record<Group, boolean> = { model: false, timeline: false, log: false };
  private lastData: Record<string, DataSeen> | null = null;
  private missing = 0;
  private bad = 0;
  private busyUntil = -Infinity;
  /** under load, the next turn is not before this */
  private nextTurn = -Infinity;
  /** when the last turn was published, until the next flush has seen how long its frame took */
  private turnAt: number | null = null;
  private turn = 0;
  /** the timer that ends `streaming` once busyUntil has passed with no busy flush since */
  private quiet: ReturnType<typeof setTimeout> | null = null;
  /** `streaming: true` goes with the next publish (one store update per frame) */
  private streamingDue = false;

  constructor(private readonly store: AppStore, private readonly now: () => number = () => performance.now()) {}

  /** Something folded is not shown yet (the pipeline asks for another frame). */
  get behind(): boolean {
    return this.dirty.model || this.dirty.timeline || this.dirty.log || this.missing > 0 || this.bad > 0;
  }

  /** Under load, whether this frame is a view's turn (then the pipeline folds little before it). */
  turnDue(now: number): boolean {
    return now < this.busyUntil && now >= this.nextTurn && (this.dirty.model || this.dirty.timeline || this.dirty.log);
  }

  /** The lastData the next fold should extend: what is waiting to be shown, else what the store shows. */
  currentLastData(): Record<string, DataSeen> {
    return this.lastData ?? this.store.getState().lastData;
  }

  /**
   * Takes a flush's changes and publishes what is due: all of it when quiet, forced or replaced; under
   * load (`busy`: this flush folded many or left some waiting) one group per TURN_MS.
   */
  commit(ch: FlushChanges, now: number, opts: { busy: boolean; force: boolean }): void {
    if (this.turnAt !== null) {
      // the first flush after a turn: the time since is that turn's frame (the pipeline asks for the
      // next frame while any view is behind)
      const overrun = Math.max(0, now - this.turnAt - FRAME_MS);
      this.nextTurn = this.turnAt + Math.min(MAX_TURN_GAP_MS, TURN_MS + TURN_BACKOFF * overrun);
      this.turnAt = null;
    }
    if (ch.added > 0 || ch.replaced) this.dirty.model = this.dirty.timeline = this.dirty.log = true;
    if (ch.lastData || ch.replaced) this.lastData = ch.lastData;
    this.missing += ch.missing;
    this.bad += ch.bad;
    if (opts.busy) {
      this.busyUntil = now + BUSY_HOLD_MS;
      this.streamingUntilQuiet();
    }
    if (ch.added > 0 && now < this.busyUntil) this.runAhead(ch.added);
    const s = this.store.getState();
    if (ch.replaced || opts.force || now >= this.busyUntil) {
      this.publish(s, ch, GROUPS, ch.replaced, false);
      return;
    }
    if (now < this.nextTurn) return;
    for (let k = 0; k < GROUPS.length; k++) {
      const g = GROUPS[(this.turn + k) % GROUPS.length]!;
      if (!this.dirty[g]) continue;
      this.turn = (this.turn + k + 1) % GROUPS.length;
      this.nextTurn = now + TURN_MS;
      this.turnAt = now;
      this.publish(s, ch, [g], false, true);
      return;
    }
    if (this.missing > 0 || this.bad > 0) this.publish(s, ch, [], false, true);
  }

  /**
   * ms of views' work ahead (workAhead) per event folded, as last measured (smoothed): the fold counts it
   * against its own budget, so that fold and work ahead together fit the flush's time. Cold code at the
   * start of a stream makes it several times what it is later; the fold takes fewer events then.
   */
  aheadPerEvent = 0;

  private runAhead(events: number): void {
    if (ahead.size === 0) {
      this.aheadPerEvent = 0;
      return;
    }
    const t0 = this.now();
    for (const fn of ahead) fn();
    const per = (this.now() - t0) / events;
    this.aheadPerEvent = this.aheadPerEvent === 0 ? per : 0.7 * this.aheadPerEvent + 0.3 * per;
  }

  /**
   * `streaming` in the store: set by a busy flush (with its publish), cleared by a timer once the hold
   * has passed (when a stream stops, no flush comes to notice it).
   */
  private streamingUntilQuiet(): void {
    if (!this.store.getState().streaming) this.streamingDue = true;
    if (this.quiet !== null) return;
    const check = (): void => {
      const left = this.busyUntil - this.now();
      if (left > 0) {
        this.quiet = setTimeout(check, left + 10);
        return;
      }
      this.quiet = null;
      this.streamingDue = false;
      if (this.store.getState().streaming) this.store.setState({ streaming: false });
    };
    this.quiet = setTimeout(check, BUSY_HOLD_MS + 10);
  }

  /** Forget what waits (the session changed under us). */
  clear(): void {
    if (this.quiet !== null) clearTimeout(this.quiet);
    this.quiet = null;
    this.streamingDue = false;
    if (this.store.getState().streaming) this.store.setState({ streaming: false });
    this.dirty.model = this.dirty.timeline = this.dirty.log = false;
    this.lastData = null;
    this.missing = 0;
    this.bad = 0;
    this.busyUntil = -Infinity;
    this.nextTurn = -Infinity;
    this.turnAt = null;
  }

  private publish(s: AppState, ch: FlushChanges, groups: readonly Group[], replaced: boolean, loaded: boolean): void {
    const patch: Partial<AppState> = {};
    const follow = s.cursor === null;
    if (replaced) {
      patch.timeline = ch.tl;
      patch.log = ch.log;
      if (!follow) patch.cursor = null;
    }
    for (const g of groups) {
      if (!this.dirty[g]) continue;
      this.dirty[g] = false;
      if (g === 'log') patch.logVersion = s.logVersion + 1;
      else if (g === 'timeline') {
        patch.headSeq = ch.tl.last;
        patch.timelineVersion = s.timelineVersion + 1;
      } else if (follow || replaced) {
        const head = ch.tl.headModel;
        patch.model = loaded ? shareModel(head) : head;
        patch.modelVersion = head.version;
        if (this.lastData) patch.lastData = this.lastData;
        else if (replaced) patch.lastData = {};
        this.lastData = null;
      }
    }
    if (this.streamingDue) {
      this.streamingDue = false;
      if (!s.streaming) patch.streaming = true;
    }
    if (this.missing > 0) {
      patch.missing = s.missing + this.missing;
      this.missing = 0;
    }
    if (this.bad > 0) {
      patch.badEvents = s.badEvents + this.bad;
      this.bad = 0;
    }
    if (Object.keys(patch).length > 0) this.store.setState(patch);
  }
}
