import type { StateCreator } from 'zustand';
import { emptyModel, type Capabilities, type Layer, type Model, type ScenarioStepEvent, type ShareInfo, type SocketError } from '@socketscope/shared';
import type { Locale } from '../i18n/index.ts';
import type { MessageKey } from '../i18n/en.ts';
import type { CommandReply, ConnStatus, LoadProblem, LogWindow, NoteKind, SourceInfo, StopKind } from '../session/protocol.ts';
import { EMPTY_FRAME, type LadderFrame } from '../views/ladder/frame.ts';

export type { CommandReply, ConnStatus, LoadProblem, LogRow, NoteKind, RowMark, StopKind } from '../session/protocol.ts';

/**
 * The page's one store is made of these typed slices (zustand's slices pattern). Slices hold state
 * only; the actions that change it are plain functions in actions.ts, and the session worker's diffs
 * (session/link.ts), which the page applies with one setState each.
 */
export type AppState = ModelSlice & LogSlice & ConnectionSlice & UiSlice & RepliesSlice & PlaybackSlice & SourceSlice;
export type AppSlice<T> = StateCreator<AppState, [], [], T>;

// ── the session as the page shows it (from the session worker's diffs) ───────────────────────────
export interface ModelSlice {
  /**
   * The model at the playback cursor (the live head when following), made from the worker's diffs: every
   * entity the fold replaced arrives as a new object, so select entities by id (`s.model.sockets[id]`).
   */
  model: Model;
  modelVersion: number;
  /** the ladder's rows in view and what they refer to */
  ladder: LadderFrame;
  /** the event log's rows in view, and its counts */
  log: LogWindow;
  /** the lesson step markers of the session (scenario.step events, page seqs), in order */
  steps: ScenarioStepEvent[];
  /** events that failed validation and were dropped */
  badEvents: number;
  /** agent events known to be missing (gaps in the agent's seq) */
  missing: number;
}
export const EMPTY_LOG: LogWindow = { count: 0, shown: 0, total: 0, first: 0, rows: [], selIndex: -1 };
export const createModelSlice: AppSlice<ModelSlice> = () => ({
  model: emptyModel(), modelVersion: 0, ladder: EMPTY_FRAME, log: EMPTY_LOG, steps: [], badEvents: 0, missing: 0,
});

export const NOTE_KEYS: Record<NoteKind, MessageKey> = {
  gap: 'note.gap', snapshot: 'note.snapshot', merged: 'note.merged', resynced: 'note.resynced', newSession: 'note.newSession',
};

export const LAYERS = ['api', 'kernel', 'wire', 'session'] as const satisfies readonly Layer[];

export interface LogSlice {
  layerFilter: Record<Layer, boolean>;
  /** a socket id, or "conn:<client>server>" for a connection; null: everything */
  sockFilter: string | null;
}
export const createLogSlice: AppSlice<LogSlice> = () => ({
  layerFilter: { api: true, kernel: true, wire: true, session: true }, sockFilter: null,
});

// ── connection ───────────────────────────────────────────────────────────────────────────────────

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
  /** real time (µs since the session began) of the event at the cursor, for the scrubber */
  posTime: number | null;
}
export const createPlaybackSlice: AppSlice<PlaybackSlice> = () => ({
  cursor: null, headSeq: -1, playing: false, speed: 1, selectedSeq: null, posTime: null,
});

// ── where the session comes from, and which screen shows it ──────────────────────────────────────
export type Route = { view: 'lessons' } | { view: 'lesson'; id: string } | { view: 'session' };

export type SessionSource = SourceInfo;

export interface LessonRunState {
  lesson: string;
  status: 'resetting' | 'running' | 'done' | 'failed';
  error?: SocketError;
  /** the port the agent was asked to use, when not the tutorial's */
  port?: number;
  /** live: the programs wait before each step's calls until the teacher asks for the next step */
  live?: boolean;
  /** live: the agent said the programs wait: → runs the next step */
  ready?: boolean;
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
