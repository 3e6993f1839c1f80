import { startTransition, useEffect, useLayoutEffect, useReducer, useRef } from 'react';
import { flushSync } from 'react-dom';
import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  createConnectionSlice, createLogSlice, createModelSlice, createPlaybackSlice, createRepliesSlice, createSourceSlice, createUiSlice,
  type AppState, type SourceSlice, type UiSlice,
} from './slices.ts';
import { LogIndex } from './log.ts';

export type AppStore = StoreApi<AppState>;

/** ONE store built from the typed slices. Tests make their own; the page uses `appStore`. */
export type StoreInit = Partial<UiSlice> & Partial<Pick<SourceSlice, 'route'>>;

export function createAppStore(init: StoreInit = {}): AppStore {
  const store = createStore<AppState>()((...a) => ({
    ...createModelSlice(...a),
    ...createLogSlice(...a),
    ...createConnectionSlice(...a),
    ...createUiSlice(init)(...a),
    ...createRepliesSlice(...a),
    ...createPlaybackSlice(...a),
    ...createSourceSlice(init)(...a),
  }));
  store.setState({ log: new LogIndex(store.getState().timeline) });
  return store;
}

let pageStore: AppStore | null = null;

/** The page's store; created on first use with the initial UI settings from the URL. */
export function initAppStore(init: StoreInit): AppStore {
  pageStore = createAppStore(init);
  return pageStore;
}

export function appStore(): AppStore {
  if (!pageStore) pageStore = createAppStore();
  return pageStore;
}

/** true while the pipeline publishes a busy flush: the views' re-render is a transition */
let background = false;
/** when a busy flush was last published, and how long after it the stream counts as quiet again */
let lastBusy = -Infinity;
const QUIET_AFTER_MS = 250;

/**
 * Publishes what a pipeline flush changed. A busy flush (events pouring in) is rendered as a React
 * transition: React renders it in slices that yield every few ms, so a frame is never blocked by the
 * views' render, and a newer flush's data is simply picked up by the render in progress. A quiet flush
 * (a few events: someone is watching one thing happen) renders before this frame is painted, so a new
 * event is on screen at once. Everything else (clicks, keys, the scrubber, connection state) changes
 * the store directly and renders urgently, as before.
 */
export function publishToViews(store: AppStore, patch: Partial<AppState>, busy: boolean): void {
  const now = performance.now();
  if (busy) lastBusy = now;
  // a small flush in the middle of a busy stream (a batch's tail) must not interrupt the render in
  // progress: an urgent render would start it over, and under a steady stream it would never finish
  else if (now - lastBusy > QUIET_AFTER_MS) {
    flushSync(() => store.setState(patch));
    return;
  }
  background = true;
  try {
    store.setState(patch);
  } finally {
    background = false;
  }
}

/**
 * Narrow selectors only: `useApp((s) => s.model.sockets[id])` re-renders when that socket is replaced.
 *
 * Not zustand's useStore: that is React's useSyncExternalStore, which always renders synchronously
 * (it cannot be a transition), so every flush under load would block a frame with the whole session
 * view's render. Here a component reads the store when it renders and re-renders when its selection
 * changes: urgently for ordinary changes, as a transition for a busy pipeline flush (publishToViews).
 * The store's objects are replaced, never changed, where views compare them (entities, arrays); the
 * timeline and log grow in place and are read at render, so a render shows what has happened by then.
 */
export function useApp<T>(selector: (s: AppState) => T): T {
  const store = appStore();
  const value = selector(store.getState());
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  /** what the committed render selected, and how */
  const shown = useRef({ selector, value });
  useLayoutEffect(() => {
    shown.current = { selector, value };
  });
  useEffect(() => {
    const check = (): void => {
      const { selector: sel, value: was } = shown.current;
      if (Object.is(sel(store.getState()), was)) return;
      if (background) startTransition(rerender);
      else rerender();
    };
    const off = store.subscribe(check);
    check(); // it may have changed between the render and now
    return off;
  }, [store]);
  return value;
}
