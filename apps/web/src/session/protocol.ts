import type {
  Capabilities, ClassPollInput, CommandInput, ConnModel, Layer, Model, PollState, ProcModel, ScenarioStepEvent, SessionEvent, ShareInfo, SocketError, SocketModel,
} from '@socketscope/shared';
import type { LadderFrame } from '../views/ladder/frame.ts';
import type { PaintView } from '../views/ladder/paint.ts';
import type { MessageKey } from '../i18n/en.ts';
import type { Locale } from '../i18n/index.ts';

/**
 * What the page and its session worker say to each other (session.worker.ts ↔ link.ts). The worker owns the
 * session: the connection to the agent (or an opened file), validation, the fold, the history and its
 * snapshots, and the layout of what the views show. The page renders what it is sent.
 *
 * - The page tells the worker what it looks at (`view`: the cursor, the ladder's and the log's rows in
 *   view) whenever that changes; it sticks until the next one. The ladder's picture is painted in the
 *   worker (`paint`: the canvas's size, scroll position, colours and type), and a diff carries it as a bitmap.
 * - The worker posts one `diff` per frame at most, and the next only after the page has applied the last
 *   (`ack`): a page that falls behind gets fewer, bigger diffs, never a queue.
 * - Everything else is a request with an id (`cmd` to the agent, `query` to the worker) and one answer.
 */

// ── rows of the event log ───────────────────────────────────────────────────────────────────────
export type NoteKind = 'gap' | 'snapshot' | 'merged' | 'resynced' | 'newSession';
export type LogNote = { kind: NoteKind; params: Record<string, string | number> };
/** What the session learnt about a row from the rows before it (the describer sees one row at a time). */
export type RowMark = 'hs3';

/**
 * One row of the event log: an event, or a note the page's session adds (gap, resync …). n is the row's
 * place in the log; `at` is the playback position it belongs to (the event's page seq; for a note, the
 * last event before it).
 */
export type LogRow =
  | { n: number; at: number; layer: Layer; event: SessionEvent; note?: undefined; mark?: RowMark }
  | { n: number; at: number; layer: 'session'; event?: undefined; note: LogNote; mark?: undefined };

export interface LogFilter {
  layers: Record<Layer, boolean>;
  /** a socket id, or "conn:<client>server>" for a connection; null: everything */
  sock: string | null;
}

// ── what the page looks at ──────────────────────────────────────────────────────────────────────
export interface RowsInView {
  /** the view shows the newest rows (first is then ignored) */
  follow: boolean;
  first: number;
  count: number;
}

export interface ViewRequest {
  /** the page seq the views show; null: the live head */
  cursor: number | null;
  selected: number | null;
  /** null: no ladder on screen */
  ladder: (RowsInView & { expanded: number[] }) | null;
  /** null: no event log on screen */
  log: (RowsInView & { filter: LogFilter }) | null;
}

/** What the worker paints the ladder's picture for (the page's canvas); null: no canvas on screen. */
export type LadderPaint = PaintView & { locale: Locale };

/** The ladder's picture for the rows of the same diff, painted at content position (x0, y0). */
export interface LadderPicture {
  bitmap: ImageBitmap;
  x0: number;
  y0: number;
}

// ── the diff ────────────────────────────────────────────────────────────────────────────────────
/** Entities that changed since the last diff (null: removed), and the model's own fields when they changed. */
export interface ModelPatch {
  /** the page must drop what it holds and take this as the whole model */
  whole: boolean;
  sockets: Record<string, SocketModel | null>;
  conns: Record<string, ConnModel | null>;
  procs: Record<string, ProcModel | null>;
  byEndpoints: Record<string, string | null>;
  fields: Partial<Pick<Model, 'version' | 'pictureVersion' | 'orderVersion' | 'lastSeq' | 'events' | 'missing' | 'counts' | 'sources' | 'scenario' | 'link' | 'socketOrder' | 'connOrder' | 'procOrder'>>;
}

export interface LogWindow {
  /** rows at or before the cursor that pass the filter */
  count: number;
  /** rows that pass the filter */
  shown: number;
  /** every row */
  total: number;
  /** shown-row index of rows[0] */
  first: number;
  rows: LogRow[];
  /** shown-row index of the page's selected event, -1: not shown */
  selIndex: number;
}

export interface Diff {
  n: number;
  /** the session was replaced (a snapshot, a new session, a file): drop what the page holds */
  reset: boolean;
  /** the last page seq held (-1: none) */
  head: number;
  /** real time (µs since the session began) of the event at the view position, for the scrubber */
  posTime: number | null;
  model?: ModelPatch;
  ladder?: LadderFrame;
  log?: LogWindow;
  /** the ladder's picture, when it changed (the rows, the selection, the scroll position or the look) */
  picture?: LadderPicture;
  /** the lesson step markers (scenario.step events, page seqs) added since the last diff (all, on reset) */
  steps?: ScenarioStepEvent[];
  /** totals since the session began */
  missing: number;
  bad: number;
}

// ── the connection, as the worker reports it ────────────────────────────────────────────────────
export type ConnStatus = 'no-token' | 'connecting' | 'syncing' | 'live' | 'reconnecting' | 'stopped';
export type StopKind = 'badToken' | 'badOrigin' | 'protocol';
export interface ConnReport {
  status: ConnStatus;
  attempt: number;
  retryAt: number | null;
  stop?: { kind: StopKind; agentProtocol?: number };
}
export interface SessionInfo {
  id: string;
  agentVersion: string;
  readOnly: boolean;
  startedAt?: string;
}

export type CommandReply = { ok: true; result: unknown } | { ok: false; error: SocketError };

export type SourceInfo =
  | { kind: 'live' }
  | { kind: 'file'; name: string; format: 'session' | 'pcap' | 'pcapng'; events: number; lesson?: string };

export interface LoadProblem {
  file: string;
  key: MessageKey;
  params: Record<string, string | number>;
}

// ── queries the worker answers ──────────────────────────────────────────────────────────────────
export type Query =
  | { q: 'event'; seq: number }
  /** the next (dir 1) or previous (dir −1) position after `from` whose event changes the picture, or null */
  | { q: 'step'; from: number; dir: 1 | -1 }
  /** positions in (from, to] whose events change the picture (at most 5,000) */
  | { q: 'visible'; from: number; to: number }
  /** the session as a recording file's text */
  | { q: 'recording'; savedAt: string; app: string; lesson?: string }
  | { q: 'pcap'; startUs?: number }
  | { q: 'stats' };

export interface Stats {
  lastSeq: number;
  events: number;
  logRows: number;
  seqs: number[];
  pageSeqs: (number | null)[];
  badEvents: number;
  stored: { packedBytes: number; objectChunks: number; cachedChunks: number };
  overflow: number;
}

export type Answer =
  | { q: 'event'; event: SessionEvent | null }
  | { q: 'step'; at: number | null }
  | { q: 'visible'; at: number[] }
  | { q: 'recording'; name: string; text: string }
  /** unexpanded: packets the agent summarised that it could not give back (counted, not in the file) */
  | { q: 'pcap'; bytes: Uint8Array | null; packets: number; inferred: number; skipped: number; unexpanded: number }
  | { q: 'stats'; stats: Stats };

// ── the messages ────────────────────────────────────────────────────────────────────────────────
export type ToWorker =
  | { t: 'connect'; url: string }
  | { t: 'open'; name: string; bytes: Uint8Array }
  | { t: 'view'; view: ViewRequest }
  | { t: 'paint'; paint: LadderPaint | null }
  | { t: 'ack'; n: number }
  | { t: 'cmd'; id: number; cmd: CommandInput }
  /** a student's answer or the teacher's question to the class; answered with `reply` */
  | { t: 'poll'; id: number; msg: ClassPollInput }
  | { t: 'query'; id: number; query: Query }
  | { t: 'retry' }
  | { t: 'drop' }
  | { t: 'stop' };

export type FromWorker =
  | { t: 'diff'; diff: Diff }
  | { t: 'conn'; conn: ConnReport }
  | { t: 'hello'; session: SessionInfo; capabilities: Capabilities; share: ShareInfo | null; newSession: boolean }
  | { t: 'viewers'; count: number }
  /** while sharing: the question put to the class now (views/predict) */
  | { t: 'poll'; poll: PollState | null }
  | { t: 'opened'; ok: true; source: SourceInfo }
  | { t: 'opened'; ok: false; problem: LoadProblem }
  | { t: 'reply'; id: number; reply: CommandReply }
  | { t: 'answer'; id: number; answer: Answer }
  | { t: 'warn'; text: string };
