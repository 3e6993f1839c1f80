import { emptyModel, type Capabilities, type Layer } from '@socketscope/shared';
import type { Locale } from '../i18n/index.ts';
import type { AppStore } from './store.ts';
import type { AppState, CommandReply, ConnectionSlice, LogRow, NoteKind } from './slices.ts';
import { appendBounded, appendVisible } from './log.ts';

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
  store.setState({ layerFilter, visibleLog: s.log.filter((r) => layerFilter[r.layer]) });
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
  const row: LogRow = { n: s.nextRow, layer: 'session', note: { kind, params } };
  const log = appendBounded(s.log, [row]);
  store.setState({ log, visibleLog: appendVisible(s.visibleLog, [row], s.layerFilter, log), nextRow: s.nextRow + 1 });
}

/**
 * The agent said hello. Same session as the one we hold: resume after our last seq. A different
 * session (the agent restarted): its seqs start over, so everything we hold is dropped first.
 * Returns the `since` for the sync message.
 */
export function applyHello(
  store: AppStore,
  hello: { session: { id: string }; agentVersion: string; readOnly: boolean; capabilities: Capabilities },
): number | null {
  const s = store.getState();
  const sameSession = s.session?.id === hello.session.id;
  if (s.session && !sameSession) {
    resetModel(store);
    addNote(store, 'newSession', { id: hello.session.id });
  }
  store.setState({
    session: { id: hello.session.id, agentVersion: hello.agentVersion, readOnly: hello.readOnly },
    capabilities: hello.capabilities,
  });
  const lastSeq = store.getState().model.lastSeq;
  if (sameSession && lastSeq >= 0) addNote(store, 'resynced', { seq: lastSeq });
  return lastSeq >= 0 ? lastSeq : null;
}

export function resetModel(store: AppStore): void {
  const replies = Object.fromEntries(Object.entries(store.getState().replies).filter(([k]) => !store.getState().model.sockets[k]));
  store.setState({ model: emptyModel(), modelVersion: 0, lastData: {}, log: [], visibleLog: [], replies });
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
