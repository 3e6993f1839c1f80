import type { StateCreator } from 'zustand';
import { emptyModel, type BytesPreview, type Capabilities, type Layer, type Model, type SessionEvent, type ShareInfo, type SocketError } from '@socketscope/shared';
import type { Locale } from '../i18n/index.ts';
import type { MessageKey } from '../i18n/en.ts';
import { LogIndex } from './log.ts';
import { Timeline } from './timeline.ts';

/**
 * The page's one store is made of these typed slices (zustand's slices pattern). Slices hold state
 * only; the actions that change it are plain functions in actions.ts and pipeline.ts.
 */
export type AppState = ModelSlice & LogSlice & ConnectionSlice & UiSlice & RepliesSlice & PlaybackSlice & SourceSlice;
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
   * The model at the playback cursor (the live head when following). Folded in place by shared `fold`
   * (which replaces every entity it changes), so this reference stays the same while stepping forward;
   * select entities by id (`s.model.sockets[id]`), and use `modelVersion` to learn that something changed.
   */
  model: Model;
  modelVersion: number;
  /** per socket, its last data-moving call at the cursor */
  lastData: Record<string, DataSeen>;
  /** events that failed validation and were dropped */
  badEvents: number;
  /** agent events known to be missing (gaps in the agent's seq) */
  missing: number;
  /** every event of the session in playback order, the head model and its snapshots (not reactive: see timelineVersion) */
  timeline: Timeline;
  /**
   * Events are pouring in (the views are refreshed in turn, store/publish.ts); false again once the
   * stream has been quiet for a moment. Views may leave out what nobody can read at that rate.
   */
  streaming: boolean;
}
export const createModelSlice: AppSlice<ModelSlice> = () => ({ model: emptyModel(), modelVersion: 0, lastData: {}, badEvents: 0, missing: 0, timeline: new Timeline(), streaming: false });

// ── event log ────────────────────────────────────────────────────────────────────────────────────
export type NoteKind = 'gap' | 'snapshot' | 'merged' | 'resynced' | 'newSession';
export const NOTE_KEYS: Record<NoteKind, MessageKey> = {
  gap: 'note.gap', snapshot: 'note.snapshot', merged: 'note.merged', resynced: 'note.resynced', newSession: 'note.newSession',
};

/**
 * One row of the event log, made on demand by LogIndex for the rows a view shows: an event, or a note
 * the page itself adds (gap, resync …). n is the row's place in the log; `at` is the playback position
 * it belongs to (the event's page seq; for a note, the last event before it).
 */
export type LogRow =
  | { n: number; at: number; layer: Layer; event: SessionEvent; note?: undefined; mark?: RowMark }
  | { n: number; at: number; layer: 'session'; event?: undefined; note: { kind: NoteKind; params: Record<string, string | number> }; mark?: undefined };

/** What the pipeline learnt about a row from the rows before it (the describer sees one row at a time). */
export type RowMark = 'hs3';

export const LAYERS = ['api', 'kernel', 'wire', 'session'] as const satisfies readonly Layer[];

export interface LogSlice {
  /** every row of the timeline's log and the ones that pass layerFilter and sockFilter; changed in place (see logVersion) */
  log: LogIndex;
  /** bumped whenever rows are added or the filter changes */
  logVersion: number;
  layerFilter: Record<Layer, boolean>;
  /** a socket id, or "conn:<client>server>" for a connection; null: everything */
  sockFilter: string | null;
}
/** the store replaces this log with one over its own timeline as soon as it is made (store.ts) */
export const createLogSlice: AppSlice<LogSlice> = () => ({
  log: new LogIndex(new Timeline()), logVersion: 0, layerFilter: { api: true, kernel: true, wire: true, session: true }, sockFilter: null,
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
  session: { id: string; agentVersion: string; readOnly: boolean; /** ISO time the agent's session began */ startedAt?: string } | null;
  capabilities: Capabilities | null;
  /** teacher's page while the agent shares: the students' read-only link and how many watch (views/share) */
  share: ShareInfo | null;
}
export const createConnectionSlice: AppSlice<ConnectionSlice> = () => ({
  conn: { status: 'connecting', attempt: 0, retryAt: null, everLive: false },
  session: null,
  capabilities: null,
  share: null,
});

// ── ui ───────────────────────────────────────────────────────────────────────────────────────────
export type PanelId = 'ladder' | 'code' | 'cards' | 'log';
export type LessonTab = 'code' | 'cards' | 'log';

export interface UiSlice {
  locale: Locale;
  projector: boolean;
  hideClosed: boolean;
  /** one view shown alone, filling the page (each view is useful on its own on a projector) */
  maximized: PanelId | null;
  /** the lesson player's tabbed panel: the socket cards, the event log (and the code in projector mode) */
  lessonTab: LessonTab;
}
export const createUiSlice = (init: Partial<UiSlice>): AppSlice<UiSlice> => () => ({
  locale: init.locale ?? 'en', projector: init.projector ?? false, hideClosed: init.hideClosed ?? false,
  maximized: null, lessonTab: 'code',
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

// ── playback ─────────────────────────────────────────────────────────────────────────────────────
export const SPEEDS = [0.25, 0.5, 1, 2, 4] as const;

export interface PlaybackSlice {
  /** the page seq the views show; null: follow the newest event (live) */
  cursor: number | null;
  /** the last page seq held (-1: none) */
  headSeq: number;
  playing: boolean;
  /** playback speed, one of SPEEDS; the animation clock is the page's, real timestamps stay as recorded */
  speed: number;
  /** the event selected in the ladder or the log */
  selectedSeq: number | null;
  /** bumped when the timeline grows or is replaced */
  timelineVersion: number;
}
export const createPlaybackSlice: AppSlice<PlaybackSlice> = () => ({
  cursor: null, headSeq: -1, playing: false, speed: 1, selectedSeq: null, timelineVersion: 0,
});

// ── where the session comes from, and which screen shows it ──────────────────────────────────────
export type Route = { view: 'lessons' } | { view: 'lesson'; id: string } | { view: 'session' };

export type SessionSource =
  | { kind: 'live' }
  | { kind: 'file'; name: string; format: 'session' | 'pcap' | 'pcapng'; events: number; lesson?: string };

export interface LoadProblem {
  file: string;
  key: MessageKey;
  params: Record<string, string | number>;
}

export interface LessonRunState {
  lesson: string;
  status: 'resetting' | 'running' | 'done' | 'failed';
  error?: SocketError;
  /** the port the agent was asked to use, when not the tutorial's */
  port?: number;
  /** live: the programs wait before each step's calls until the teacher asks for the next step */
  live?: boolean;
  /** live: a lesson.next is on its way (the step runs now) */
  stepping?: boolean;
}

export interface SourceSlice {
  route: Route;
  source: SessionSource;
  /** the last file that could not be opened, and why (nothing was changed) */
  loadProblem: LoadProblem | null;
  /** a file being read */
  loading: string | null;
  lessonRun: LessonRunState | null;
}
export const createSourceSlice = (init: Partial<SourceSlice>): AppSlice<SourceSlice> => () => ({
  route: init.route ?? { view: 'lessons' }, source: { kind: 'live' }, loadProblem: null, loading: null, lessonRun: null,
});
