import type { BytesPreview, ProbeStatus, SocketError, TcpState } from '../protocol/primitives.ts';
import type { ApiCallName, TcpInfo } from '../protocol/events.ts';
import { endEpoch } from './fold-store.ts';

export { windowsOf, type Windows } from './query.ts';

export type SocketRole = 'listener' | 'client' | 'accepted' | 'udp' | 'unknown';

/** What the socket calls made of a socket (the api layer's view; the kernel's is `state`). */
export type ApiState = 'open' | 'bound' | 'listening' | 'connecting' | 'connected' | 'write-shut' | 'closed';

export interface StateChange {
  from: TcpState | null;
  to: TcpState;
  seq: number;
  ts: number;
}

export interface CallSummary {
  call: ApiCallName;
  seq: number;
  ts: number;
  ok: boolean;
  code?: string;
  /** bytes moved by send/recv/sendto/recvfrom */
  len?: number;
}

/** F16: the socket's last call that moved data, named as its BSD call (F14) */
export interface LastData {
  call: 'send' | 'recv' | 'sendto' | 'recvfrom';
  seq: number;
  data: BytesPreview;
  /** sendto/recvfrom: the other end */
  peer?: string;
}

/** F17: one chunk of data a call moved, as the buffers view draws it (sendto counts as send, recvfrom as recv) */
export interface DataChunk {
  seq: number;
  call: 'send' | 'recv';
  /** bytes the call moved; b64 is the first of them (the event's preview) */
  len: number;
  b64: string;
}

/** F19: what a successful bind() said, for the card's note on SO_REUSEADDR */
export interface BindFacts {
  seq: number;
  /** the port asked for (args.port) */
  port?: number;
  /** the agent's account of SO_REUSEADDR: asked for by the program, and actually set */
  soReuseAddr?: { requested: boolean; actual: boolean };
  /** sockets the kernel held on that address and port just before the bind, by state (counts > 0) */
  heldBy?: Partial<Record<TcpState, number>>;
  /** the agent's code for the note (REUSEADDR_FORCED_WOULD_FAIL, REUSEADDR_HELPED, LOOPBACK_IMPLICIT …) */
  noteCode?: string;
  /** the system bound it without a bind() call of the program's (a UDP sendto before any bind) */
  implicit?: boolean;
}

export interface SocketModel {
  id: string;
  /** a traced program's socket: the run that made it (ProcModel.run) */
  run?: string;
  proto: 'tcp' | 'udp';
  role: SocketRole;
  /** opened by the agent (true) or a watched program's socket seen only in the kernel/wire layers */
  owned: boolean;
  local?: string;
  remote?: string;
  conn?: string;
  /** accepted sockets: the listener they came from */
  parent?: string;
  apiState: ApiState;
  /** kernel layer: last TCP state seen in /proc */
  state?: TcpState;
  stateHistory: StateChange[];
  sendQueue: number;
  recvQueue: number;
  acceptQueue?: number;
  backlog?: number;
  drops?: number;
  info?: TcpInfo;
  /** listener: connections the agent's event loop has taken from the kernel and holds for accept() */
  pendingAccept: number;
  bytesSent: number;
  bytesReceived: number;
  /** recv() returned empty bytes, or the event loop saw the peer's FIN */
  peerClosed: boolean;
  /** the kernel no longer has this socket */
  gone: boolean;
  recentCalls: CallSummary[];
  lastError?: SocketError & { seq: number };
  /** F16 */
  lastData?: LastData;
  /** F17: the last RECENT_DATA chunks, oldest first */
  recentData?: DataChunk[];
  /** F19 */
  bind?: BindFacts;
  firstSeq: number;
  lastSeq: number;
}

export const RECENT_DATA = 8;

/** F21: the seqs of the handshake's segments (the seqs the fold was given: the page's own, on the page) */
export interface Handshake {
  syn?: number;
  synAck?: number;
  /** the client's bare ACK right after the SYN+ACK: the third step */
  ack?: number;
}

/** F24: one tcp.bundle's totals as last folded, so its next event replaces them instead of adding to them */
export interface BundleTotals {
  id: number;
  count: number;
  bytes: number;
  retransmissions: number;
}

export const BUNDLES_KEPT = 4;

export type ConnStage = 'opening' | 'open' | 'closing' | 'closed' | 'reset' | 'refused';

export interface ConnModel {
  key: string;
  proto: 'tcp' | 'udp';
  client: string;
  server: string;
  clientSock?: string;
  serverSock?: string;
  stage: ConnStage;
  segments: number;
  capturedSegments: number;
  inferredSegments: number;
  /** payload bytes seen on the wire, per direction */
  bytesC2S: number;
  bytesS2C: number;
  finC2S: boolean;
  finS2C: boolean;
  rst: boolean;
  /** initial sequence numbers, where a SYN was captured */
  isnC2S?: number;
  isnS2C?: number;
  /** F18: the last window each side advertised, in bytes, from captured segments and bundles */
  winC2S?: number;
  winS2C?: number;
  /** F24: captured segments the capture's analysis called retransmissions (segments and bundles) */
  retransmissions?: number;
  /** F21 */
  handshake?: Handshake;
  /** F24: the newest BUNDLES_KEPT bundles of this connection */
  bundles?: BundleTotals[];
  firstTs: number;
  lastTs: number;
  firstSeq: number;
  lastSeq: number;
}

export interface ScenarioProgress {
  name: string;
  step: string;
  index: number;
  status: 'start' | 'done' | 'failed';
}

/** Where a traced program is now. */
export type ProcStatus = 'running' | 'paused' | 'in-call' | 'input' | 'exited';

/** F20: a run of output from one stream (consecutive output of the same stream is one piece) */
export interface OutputPiece {
  /** the first proc.output event whose text is in this piece */
  seq: number;
  stream: 'stdout' | 'stderr' | 'stdin';
  text: string;
}

/** One run of a traced Python program (proc.* events, api events with `proc`). */
export interface ProcModel {
  run: string;
  pid: number;
  program: string;
  file: string;
  args: string[];
  python: string;
  status: ProcStatus;
  /** step mode: the program pauses before every socket call */
  step: boolean;
  /** the line of its latest call (begin or call): the lit line of its code panel */
  line?: number;
  /** the call it is paused before or waiting in (status paused / in-call) */
  pending?: { call: ApiCallName; callId?: number; seq: number; ts: number };
  /** input(): its prompt, while status is input */
  prompt?: string;
  /** the latest output, at most OUTPUT_TAIL characters (the whole output is in the events) */
  output: string;
  /**
   * F20: the output with each piece's stream, oldest first. The pieces' texts joined are the end of
   * `output`: all of it, unless more than OUTPUT_PIECES changes of stream fall within it (or the model
   * was made before pieces were kept), when the part before the first piece has no known stream.
   */
  outputPieces?: OutputPiece[];
  outputBytes: number;
  exit?: { code: number | null; signal: string | null; reason: string; exception?: { type: string; message: string; frames: { file: string; line: number; name: string }[] }; message?: string };
  firstSeq: number;
  lastSeq: number;
}

export const OUTPUT_TAIL = 8192;
export const OUTPUT_PIECES = 256;

export interface Model {
  /** bumped by every fold, so a view can tell that something changed */
  version: number;
  /** F22: bumped by every fold of an event that changes the picture (compare before and after a fold) */
  pictureVersion: number;
  /** F23: bumped whenever socketOrder, connOrder or procOrder changes (they are changed in place) */
  orderVersion: number;
  lastSeq: number;
  events: number;
  /** events known to be missing (seq gaps) */
  missing: number;
  counts: { api: number; kernel: number; wire: number; session: number };
  sockets: Record<string, SocketModel>;
  socketOrder: string[];
  conns: Record<string, ConnModel>;
  connOrder: string[];
  /** "local|remote" → socket id, so kernel and wire observations find their socket */
  byEndpoints: Record<string, string>;
  sources: { kernel?: ProbeStatus & { running: boolean }; wire?: ProbeStatus & { running: boolean; kernelDrops?: number } };
  scenario?: ScenarioProgress;
  /** traced programs, by run id, in the order they started */
  procs: Record<string, ProcModel>;
  procOrder: string[];
  /** F25: the lab link, once a link.state came (absent: loopback only) */
  link?: LinkModel;
}

/** F25: the lab link's state and what it dropped */
export interface LinkModel {
  up: boolean;
  conditions: { delayMs: number; jitterMs: number; lossPct: number; rateKbit: number | null };
  hosts?: { client: string; server: string };
  /** packets the link dropped, by reason (link.drop) */
  drops: { loss: number; oneshot: number; queue: number };
}

export function emptyModel(): Model {
  return {
    version: 0, pictureVersion: 0, orderVersion: 0, lastSeq: -1, events: 0, missing: 0,
    counts: { api: 0, kernel: 0, wire: 0, session: 0 },
    sockets: {}, socketOrder: [], conns: {}, connOrder: [], byEndpoints: {}, sources: {}, procs: {}, procOrder: [],
  };
}

/**
 * A deep copy, for snapshots: the fold updates the model it is given in place. The model is plain JSON;
 * the copy shares nothing with the original, and begins its own epoch at its first fold (F13).
 */
export function cloneModel(m: Model): Model {
  return JSON.parse(JSON.stringify(m)) as Model;
}

/**
 * A copy that shares the entities. It ends the original's epoch (F13), and the copy begins its own at its
 * first fold: from now on neither changes a socket, connection or program (or one of their lists) that the
 * other holds — each copies an entity on its next change. Fold replaces sources and scenario rather than
 * changing them. What it does write into — the model's own fields, the records sockets, conns, procs,
 * byEndpoints, counts, and the order lists it appends to in place (F23) — is copied here. So this is a
 * snapshot that later folds on either copy cannot change, at the cost of one pointer per entity instead of
 * a deep copy: on a model of 4,000 sockets and 2,000 connections (5 MB as JSON) bench/seek.ts measured
 * 0.9 MB per snapshot instead of 3.3 MB, and seeking p95 32 ms instead of 107 ms. Use it for snapshots
 * that are kept or folded on, and before holding an entity across a fold; the JSON of both is the same.
 */
export function shareModel(m: Model): Model {
  endEpoch(m);
  return {
    ...m, counts: { ...m.counts }, sockets: { ...m.sockets }, conns: { ...m.conns }, byEndpoints: { ...m.byEndpoints }, procs: { ...m.procs },
    socketOrder: m.socketOrder.slice(), connOrder: m.connOrder.slice(), procOrder: m.procOrder.slice(),
  };
}
