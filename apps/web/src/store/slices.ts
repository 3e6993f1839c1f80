import type { StateCreator } from 'zustand';
import { emptyModel, type BytesPreview, type Capabilities, type Layer, type Model, type SessionEvent, type SocketError } from '@socketscope/shared';
import type { Locale } from '../i18n/index.ts';
import type { MessageKey } from '../i18n/en.ts';

/**
 * The page's one store is made of these typed slices (zustand's slices pattern). Slices hold state
 * only; the actions that change it are plain functions in actions.ts and pipeline.ts.
 */
export type AppState = ModelSlice & LogSlice & ConnectionSlice & UiSlice & RepliesSlice;
export type AppSlice<T> = StateCreator<AppState, [], [], T>;

// ── model ────────────────────────────────────────────────────────────────────────────────────────
/** What a socket's last data-moving call carried, so its card can show the text. */
export interface DataSeen {
  call: 'send' | 'recv' | 'sendto' | 'recvfrom';
  seq: number;
  data: BytesPreview;
  /** sendto/recvfrom: the other end */
  peer?: string;
}

export interface ModelSlice {
  /**
   * Folded in place by shared `fold` (which replaces every entity it changes), so this reference
   * stays the same between flushes; select entities by id (`s.model.sockets[id]`), and use
   * `modelVersion` to learn that something changed.
   */
  model: Model;
  modelVersion: number;
  lastData: Record<string, DataSeen>;
  /** events that failed validation and were dropped */
  badEvents: number;
}
export const createModelSlice: AppSlice<ModelSlice> = () => ({ model: emptyModel(), modelVersion: 0, lastData: {}, badEvents: 0 });

// ── event log ────────────────────────────────────────────────────────────────────────────────────
export type NoteKind = 'gap' | 'snapshot' | 'merged' | 'resynced' | 'newSession';
export const NOTE_KEYS: Record<NoteKind, MessageKey> = {
  gap: 'note.gap', snapshot: 'note.snapshot', merged: 'note.merged', resynced: 'note.resynced', newSession: 'note.newSession',
};

/** One row of the event log: an event, or a note the page itself adds (gap, resync …). n orders rows. */
export type LogRow =
  | { n: number; layer: Layer; event: SessionEvent; note?: undefined; mark?: RowMark }
  | { n: number; layer: 'session'; event?: undefined; note: { kind: NoteKind; params: Record<string, string | number> }; mark?: undefined };

/** What the pipeline learnt about a row from the rows before it (the describer sees one row at a time). */
export type RowMark = 'hs3';

export const LAYERS = ['api', 'kernel', 'wire', 'session'] as const satisfies readonly Layer[];
export const LOG_CAP = 5000;

export interface LogSlice {
  /** the newest LOG_CAP rows, oldest first; replaced (never mutated) on change */
  log: LogRow[];
  /** log filtered by layerFilter, kept up to date by the actions so views only render it */
  visibleLog: LogRow[];
  layerFilter: Record<Layer, boolean>;
  nextRow: number;
}
export const createLogSlice: AppSlice<LogSlice> = () => ({
  log: [], visibleLog: [], layerFilter: { api: true, kernel: true, wire: true, session: true }, nextRow: 0,
});

// ── connection ───────────────────────────────────────────────────────────────────────────────────
export type ConnStatus = 'no-token' | 'connecting' | 'syncing' | 'live' | 'reconnecting' | 'stopped';
export type StopKind = 'badToken' | 'badOrigin' | 'protocol';

export interface ConnectionSlice {
  conn: {
    status: ConnStatus;
    /** reconnect attempt number (1 = first retry) */
    attempt: number;
    /** Date.now() of the next reconnect attempt */
    retryAt: number | null;
    /** once live, a later disconnect is "the agent went away" */
    everLive: boolean;
    stop?: { kind: StopKind; agentProtocol?: number };
  };
  session: { id: string; agentVersion: string; readOnly: boolean } | null;
  capabilities: Capabilities | null;
}
export const createConnectionSlice: AppSlice<ConnectionSlice> = () => ({
  conn: { status: 'connecting', attempt: 0, retryAt: null, everLive: false },
  session: null,
  capabilities: null,
});

// ── ui ───────────────────────────────────────────────────────────────────────────────────────────
export interface UiSlice {
  locale: Locale;
  projector: boolean;
  hideClosed: boolean;
}
export const createUiSlice = (init: Partial<UiSlice>): AppSlice<UiSlice> => () => ({
  locale: init.locale ?? 'en', projector: init.projector ?? false, hideClosed: init.hideClosed ?? false,
});

// ── command replies ──────────────────────────────────────────────────────────────────────────────
export type CommandReply = { ok: true; result: unknown } | { ok: false; error: SocketError };

export interface ReplyEntry {
  op: string;
  pending: boolean;
  reply?: CommandReply;
  /** request counter, so a late reply never overwrites a newer request's */
  req: number;
}
export interface RepliesSlice {
  /** last reply per place it was asked from: a playground form ('listen', 'connect', 'udp.bind') or a socket id */
  replies: Record<string, ReplyEntry>;
}
export const createRepliesSlice: AppSlice<RepliesSlice> = () => ({ replies: {} });
