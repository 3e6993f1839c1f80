import type { Capabilities, Layer, ShareInfo } from '@socketscope/shared';
import type { Locale } from '../i18n/index.ts';
import type { AppStore } from './store.ts';
import type { AppState, CommandReply, ConnectionSlice, LessonTab, NoteKind, PanelId, Route } from './slices.ts';
import { LogIndex } from './log.ts';
import { setStops } from './playback.ts';
import { Timeline } from './timeline.ts';

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

export function setLayerShown(store: AppStore, layer: Layer, shown: boolean): void {
  const s = store.getState();
  const layerFilter = { ...s.layerFilter, [layer]: shown };
  s.log.setFilter({ layers: layerFilter, sock: s.sockFilter });
  store.setState({ layerFilter, logVersion: s.logVersion + 1 });
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

/** A log row the page adds itself (gap, snapshot, resync …), shown in the session layer. */
export function addNote(store: AppStore, kind: NoteKind, params: Record<string, string | number>): void {
  const s = store.getState();
  s.log.addNote(s.timeline.last, { kind, params });
  store.setState({ logVersion: s.logVersion + 1 });
}

/**
 * The agent said hello. Same session as the one we hold: resume after the last agent seq received
 * (`agentLastSeq`). A different session (the agent restarted, or a lesson reset it): its seqs start
 * over, so everything we hold is dropped first. Returns the `since` for the sync message.
 */
export function applyHello(
  store: AppStore,
  hello: { session: { id: string; startedAt?: string }; agentVersion: string; readOnly: boolean; capabilities: Capabilities; share?: ShareInfo | undefined },
  agentLastSeq: number,
): number | null {
  const s = store.getState();
  const sameSession = s.session?.id === hello.session.id;
  if (s.session && !sameSession) {
    resetModel(store);
    addNote(store, 'newSession', { id: hello.session.id });
  }
  store.setState({
    session: { id: hello.session.id, agentVersion: hello.agentVersion, readOnly: hello.readOnly, ...(hello.session.startedAt ? { startedAt: hello.session.startedAt } : {}) },
    capabilities: hello.capabilities,
    share: hello.share ?? null,
  });
  const since = sameSession ? agentLastSeq : -1;
  if (sameSession && since >= 0) addNote(store, 'resynced', { seq: since });
  return since >= 0 ? since : null;
}

/** While sharing, the agent says how many read-only pages are watching (teacher's page only). */
export function setViewers(store: AppStore, count: number): void {
  const share = store.getState().share;
  if (share) store.setState({ share: { ...share, viewers: count } });
}

/** Starts over with an empty timeline (a new session, a file about to be loaded). */
export function resetModel(store: AppStore): void {
  const s = store.getState();
  const replies = Object.fromEntries(Object.entries(s.replies).filter(([k]) => !s.model.sockets[k]));
  const timeline = new Timeline();
  store.setState({
    timeline, model: timeline.headModel, modelVersion: 0, lastData: {}, replies, missing: 0,
    log: new LogIndex(timeline, { layers: s.layerFilter, sock: null }), logVersion: s.logVersion + 1,
    cursor: null, headSeq: -1, playing: false, selectedSeq: null, timelineVersion: s.timelineVersion + 1, sockFilter: null,
  });
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
