import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import {
  createConnectionSlice, createLogSlice, createModelSlice, createPlaybackSlice, createRepliesSlice, createSourceSlice, createUiSlice,
  type AppState, type SourceSlice, type UiSlice,
} from './slices.ts';

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

/** Narrow selectors only: `useApp((s) => s.model.sockets[id])` re-renders when that socket is replaced. */
export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(appStore(), selector);
}
