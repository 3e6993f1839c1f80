import type { Capabilities, Layer, ShareInfo } from '@socketscope/shared';
import type { Locale } from '../i18n/index.ts';
import type { AppStore } from './store.ts';
import type { AppState, CommandReply, ConnectionSlice, LessonTab, PanelId, Route } from './slices.ts';
import { setStops } from './playback.ts';

/** Plain action functions over a store (zustand's "no store actions" style): views and the connection call these. */

export function setLocale(store: AppStore, locale: Locale): void {
  store.setState({ locale });
}

export function setProjector(store: AppStore, projector: boolean): void {
  store.setState({ projector });
}

export function setHideClosed(store: AppStore, hideClosed: boolean): void {
  store.setState({ hideClosed });
}

/** The event log's layer filter (the session worker filters; session/link.ts tells it). */
export function setLayerShown(store: AppStore, layer: Layer, shown: boolean): void {
  store.setState({ layerFilter: { ...store.getState().layerFilter, [layer]: shown } });
}

export function setMaximized(store: AppStore, panel: PanelId | null): void {
  store.setState({ maximized: panel });
}

export function setLessonTab(store: AppStore, tab: LessonTab): void {
  store.setState({ lessonTab: tab });
}

/** Shows another screen; the address follows (app/route.ts keeps them in step). */
export function navigate(store: AppStore, route: Route): void {
  setStops(null);
  store.setState({ route, playing: false, maximized: null, selectedSeq: null });
}

export function setConn(store: AppStore, patch: Partial<ConnectionSlice['conn']>): void {
  const conn = { ...store.getState().conn, ...patch };
  if (patch.status && patch.status !== 'stopped' && !('stop' in patch)) delete conn.stop;
  if (patch.status === 'live') conn.everLive = true;
  store.setState({ conn });
}

/**
 * The agent said hello (the session worker already decided what to resume: the same session resumes
 * after the last event it holds; a different one starts over, and the page drops what it showed).
 */
export function applyHello(
  store: AppStore,
  hello: { session: { id: string; agentVersion: string; readOnly: boolean; startedAt?: string }; capabilities: Capabilities; share: ShareInfo | null; newSession: boolean },
): void {
  if (hello.newSession) resetView(store);
  store.setState({ session: hello.session, capabilities: hello.capabilities, share: hello.share });
}

/** While sharing, the agent says how many read-only pages are watching (teacher's page only). */
export function setViewers(store: AppStore, count: number): void {
  const share = store.getState().share;
  if (share) store.setState({ share: { ...share, viewers: count } });
}

/** What the page showed of a session that is gone (a new session, a file): the worker sends the new one. */
export function resetView(store: AppStore): void {
  const s = store.getState();
  const replies = Object.fromEntries(Object.entries(s.replies).filter(([k]) => !s.model.sockets[k]));
  store.setState({ replies, cursor: null, playing: false, selectedSeq: null, sockFilter: null });
}

export function startReply(store: AppStore, target: string, op: string): number {
  const prev = store.getState().replies[target];
  const req = (prev?.req ?? 0) + 1;
  store.setState({ replies: { ...store.getState().replies, [target]: { op, pending: true, req } } });
  return req;
}

export function finishReply(store: AppStore, target: string, req: number, reply: CommandReply): void {
  const prev = store.getState().replies[target];
  if (!prev || prev.req !== req) return; // a newer request owns this slot
  store.setState({ replies: { ...store.getState().replies, [target]: { ...prev, pending: false, reply } } });
}

export type { AppState };
