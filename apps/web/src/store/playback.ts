import { currentLink } from '../session/link.ts';
import { SPEEDS } from './slices.ts';
import type { AppStore } from './store.ts';
import { nextStop, prevStop } from './steps.ts';

/**
 * Moving the playback cursor: the session worker sends the model folded up to it, the ladder's and the
 * log's rows there (session/core.ts). `null` follows the live head. Next/Previous go from stop to stop:
 * a lesson's step ends (setStops) or, without a lesson, from one event that changes the picture to the
 * next (the worker knows which).
 */

let stops: readonly number[] | null = null;

/** The positions Next/Previous stop at (a lesson's step ends); null: every visible event. */
export function setStops(next: readonly number[] | null): void {
  stops = next;
}

export function currentStops(): readonly number[] | null {
  return stops;
}

/** Shows the session at page seq `c` (clamped to what is held); null follows the live head. */
export function seek(store: AppStore, c: number | null): void {
  const s = store.getState();
  if (c === null) {
    if (s.cursor !== null) store.setState({ cursor: null });
    return;
  }
  const at = Math.min(Math.max(c, -1), s.headSeq);
  if (at === s.cursor) return;
  // a selection is for looking closer at one place; moving on lets the views follow the cursor again
  store.setState({ cursor: at, selectedSeq: null });
}

function position(store: AppStore): number {
  const s = store.getState();
  return s.cursor ?? s.headSeq;
}

/** Whether Next has somewhere to go (in a lesson, a later step end; else a later event). */
export function hasNext(store: AppStore): boolean {
  const from = position(store);
  return stops ? nextStop(stops, from) !== null : from < store.getState().headSeq;
}

export function hasPrev(store: AppStore): boolean {
  const from = position(store);
  return stops ? prevStepEnd(stops, from) !== null : from > -1;
}

/**
 * Previous in a lesson: the end of the step before the one shown. Past the last step's end (what the
 * programs did after it, while a live lesson waits at its edge) the step shown is still the last one.
 */
function prevStepEnd(ends: readonly number[], from: number): number | null {
  const last = ends.at(-1);
  return prevStop(ends, last !== undefined && from > last ? last : from);
}

/** The next position Next would go to from `from`, or null at the end. */
export async function nextPosition(store: AppStore, from = position(store)): Promise<number | null> {
  if (stops) return nextStop(stops, from);
  const link = currentLink();
  return link ? (await link.query({ q: 'step', from, dir: 1 })).at : null;
}

export async function prevPosition(store: AppStore, from = position(store)): Promise<number | null> {
  if (stops) return prevStepEnd(stops, from);
  const link = currentLink();
  return link ? (await link.query({ q: 'step', from, dir: -1 })).at : null;
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

export async function stepNext(store: AppStore): Promise<void> {
  store.setState({ playing: false });
  const to = await nextPosition(store);
  if (to !== null) seek(store, to);
  else atEdge?.();
}

export async function stepPrev(store: AppStore): Promise<void> {
  store.setState({ playing: false });
  const to = await prevPosition(store);
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
  store.setState({ sockFilter: sock });
}
