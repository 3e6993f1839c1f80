import { dataSeen } from './pipeline.ts';
import { SPEEDS, type DataSeen } from './slices.ts';
import type { AppStore } from './store.ts';
import type { Timeline } from './timeline.ts';
import { nextStop, prevStop } from './steps.ts';

/**
 * Moving the playback cursor: the views show the model folded up to it (Timeline.modelAt: nearest
 * snapshot + fold), the log is cut there, the cards' last data is found there. `null` follows the live
 * head. Next/Previous go from stop to stop: a lesson's step ends (setStops) or, without a lesson,
 * from one event that changes the picture to the next.
 */

let stops: readonly number[] | null = null;

/** The positions Next/Previous stop at (a lesson's step ends); null: every visible event. */
export function setStops(next: readonly number[] | null): void {
  stops = next;
}

export function currentStops(): readonly number[] | null {
  return stops;
}

/** How far back a card looks for its last send/recv when the cursor moves (bounded, so seeking stays cheap). */
const LAST_DATA_SCAN = 20_000;

export function lastDataAt(tl: Timeline, upto: number): Record<string, DataSeen> {
  const out: Record<string, DataSeen> = {};
  for (let i = Math.min(upto, tl.last), n = 0; i >= 0 && n < LAST_DATA_SCAN; i--, n++) {
    const e = tl.eventAt(i)!;
    if (!e.sock || e.sock in out) continue;
    const seen = dataSeen(e);
    if (seen) out[e.sock] = seen;
  }
  return out;
}

/** Shows the session at page seq `c` (clamped to what is held); null follows the live head. */
export function seek(store: AppStore, c: number | null): void {
  const s = store.getState();
  const tl = s.timeline;
  if (c === null) {
    store.setState({ cursor: null, model: tl.headModel, modelVersion: tl.headModel.version, lastData: lastDataAt(tl, tl.last) });
    return;
  }
  const at = Math.min(Math.max(c, -1), tl.last);
  if (at === s.cursor) return;
  const model = tl.modelAt(at);
  // a selection is for looking closer at one place; moving on lets the views follow the cursor again
  store.setState({ cursor: at, model, modelVersion: model.version, lastData: lastDataAt(tl, at), selectedSeq: null });
}

function position(store: AppStore): number {
  const s = store.getState();
  return s.cursor ?? s.timeline.last;
}

/** The next position Next would go to from `from`, or null at the end. */
export function nextPosition(store: AppStore, from = position(store)): number | null {
  const tl = store.getState().timeline;
  if (stops) return nextStop(stops, from);
  for (let i = from + 1; i <= tl.last; i++) if (tl.isVisible(i)) return i;
  return null;
}

export function prevPosition(store: AppStore, from = position(store)): number | null {
  const tl = store.getState().timeline;
  if (stops) return prevStop(stops, from);
  for (let i = from - 1; i >= 0; i--) if (tl.isVisible(i)) return i;
  return from > -1 ? -1 : null;
}

/**
 * What Next does where there is nothing further to show: a live lesson runs its next step there
 * (app/lessonRun.ts sets it while one runs). null: Next stops at the end.
 */
let atEdge: (() => void) | null = null;
export function setAtEdge(fn: (() => void) | null): void {
  atEdge = fn;
}
export function hasEdgeAction(): boolean {
  return atEdge !== null;
}

export function stepNext(store: AppStore): void {
  store.setState({ playing: false });
  const to = nextPosition(store);
  if (to !== null) seek(store, to);
  else atEdge?.();
}

export function stepPrev(store: AppStore): void {
  store.setState({ playing: false });
  const to = prevPosition(store);
  if (to !== null) seek(store, to);
}

/** Back to the beginning: before the lesson's first step, or before the first event. */
export function restart(store: AppStore): void {
  store.setState({ playing: false });
  seek(store, stops?.[0] ?? -1);
}

export function setSpeed(store: AppStore, speed: number): void {
  store.setState({ speed });
}

/** One speed up or down the 0.25×–4× ladder. */
export function nudgeSpeed(store: AppStore, dir: 1 | -1): void {
  const cur = store.getState().speed;
  const i = SPEEDS.indexOf(cur as (typeof SPEEDS)[number]);
  const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (i < 0 ? 2 : i) + dir))]!;
  setSpeed(store, next);
}

export function select(store: AppStore, seq: number | null): void {
  store.setState({ selectedSeq: seq });
}

export function setSockFilter(store: AppStore, sock: string | null): void {
  const s = store.getState();
  s.log.setFilter({ layers: s.layerFilter, sock });
  store.setState({ sockFilter: sock, logVersion: s.logVersion + 1 });
}
