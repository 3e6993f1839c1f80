import type { ApiCallName, ApiNoticeEvent, LinkDropEvent, SocketRole, TcpState } from '@socketscope/shared';

/**
 * What layoutLadder() hands the renderer. Rows are pure data (no translated text): format.ts turns
 * them into words with the page's t(), so the layout is testable in node and locale-free.
 */

export type LaneRole = SocketRole | 'endpoint';

export interface LaneView {
  /** canonical lane number; rows refer to lanes through `LadderLayout.columnOf` */
  id: number;
  column: number;
  role: LaneRole;
  proto?: 'tcp' | 'udp';
  /** agent socket id, when the lane is one of the agent's (or a watched) socket */
  sock?: string;
  /** listening socket the accepted socket came from */
  parent?: string;
  /** local endpoint ("127.0.0.1:8888") */
  endpoint?: string;
  /** the other end, for connected sockets */
  peer?: string;
  /** no socket is known for this lane: it was drawn from packet endpoints alone (watch / pcap import) */
  synthetic: boolean;
  /** a synthetic listener: proven by the SYN+ACK it sent, or nobody listening (only RSTs) */
  listenerEvidence?: 'synack' | 'refused';
  /** current kernel state of the socket, as the model knows it */
  state?: TcpState;
  /** the lifeline ends (socket gone from the kernel / closed) instead of running on to the bottom */
  ended: boolean;
  firstRow: number;
  lastRow: number;
}

interface RowBase {
  /** index of the (first) event in the events array */
  idx: number;
  /** the event's session seq: what selection and onSelect use */
  seq: number;
  /** µs since the session started (wire events: capture time where known) */
  ts: number;
}

export interface ArrowRow extends RowBase {
  kind: 'arrow';
  proto: 'tcp' | 'udp';
  from: number;
  to: number;
  /** "SYN+ACK", "PSH+ACK", "FIN+ACK"; empty for UDP */
  flags: string;
  hasAck: boolean;
  relSeq: number | null;
  relAck: number | null;
  len: number;
  win: number | null;
  inferred: boolean;
  analysis: readonly string[];
  /** µs since the previous wire event; null for the first */
  dt: number | null;
  /** base64 of the first payload bytes */
  bytes: string;
  /** set on rows that are members of an expanded bundle */
  bundle?: number;
  /**
   * The lab (both hosts captured, rule L8): which capture of the packet this row is. A departure's arrow
   * runs down to its arrival's row (or to its drop's ✕); an arrival without a departure starts at the
   * link's middle. Absent on loopback.
   */
  leg?: 'depart' | 'arrive' | undefined;
  /** event index of the other end of this packet's arrow: a departure's arrival or drop, an arrival's or a drop's departure */
  pairIdx?: number;
  /** µs the link took: arrival's capture − departure's (on both rows once paired) */
  delay?: number;
  /** the link dropped it (link.drop; and the departure a drop was matched to): drawn to the link's middle, ending in ✕ */
  lost?: LinkDropEvent['reason'];
}

export interface BundleRow extends RowBase {
  kind: 'bundle';
  /** the bundle's id: the seq of its first segment (stable while it grows) */
  id: number;
  from: number;
  to: number;
  /** data segments (sender → receiver) and pure ACKs (receiver → sender) inside */
  segments: number;
  acks: number;
  bytes: number;
  inferred: boolean;
  firstIdx: number;
  lastIdx: number;
  lastSeq: number;
  lastTs: number;
  /** endpoint that sent the data (the ACKs come back from the other end) */
  sender: string;
  expanded: boolean;
}

export type MarkInfo =
  | {
      kind: 'call';
      call: ApiCallName;
      ok: boolean;
      code?: string;
      /** short argument text: "1024", ":8888", "b'hi'" preview, backlog */
      arg?: string;
      /** send/recv/sendto/recvfrom byte count */
      bytes?: number;
      /** accept(): the new socket */
      newSock?: string;
      /** recvfrom(): sender */
      from?: string;
      /** payload preview (base64) for send/recv */
      data?: string;
      durationUs: number;
    }
  | { kind: 'notice'; what: ApiNoticeEvent['what']; code?: string }
  | { kind: 'drops'; added: number; total: number };

export interface MarkRow extends RowBase {
  kind: 'mark';
  lane: number;
  mark: MarkInfo;
  /** index of the first event at or after the call started (ts − durationUs): the activation bar's top */
  startIdx: number;
}

export interface StateRow extends RowBase {
  kind: 'state';
  lane: number;
  from: TcpState | null;
  to: TcpState;
}

export interface NoteRow extends RowBase {
  kind: 'note';
  source: 'kernel' | 'wire';
  available: boolean;
  running: boolean;
  reason?: string;
}

export type LadderRow = ArrowRow | BundleRow | MarkRow | StateRow | NoteRow;

export interface StateBand {
  lane: number;
  state: TcpState;
  fromRow: number;
  /** exclusive; the lane's last row + 1 (or Infinity while it runs on) for the current state */
  toRow: number;
}

/** A span of rows the course names: 三次握手 (SYN…ACK) or 四次挥手 (first FIN…last ACK). */
export interface PhaseSpan {
  kind: 'handshake' | 'teardown';
  conn: string;
  fromRow: number;
  /** inclusive */
  toRow: number;
}

export interface LadderLayout {
  lanes: readonly LaneView[];
  phases: readonly PhaseSpan[];
  /** lane number in a row → column (0 = leftmost) */
  columnOf: (lane: number) => number;
  rows: readonly LadderRow[];
  bands: readonly StateBand[];
  /** row showing event index idx (a bundle row for its members) */
  rowOfIdx: (idx: number) => number;
  /** row showing the event with this seq, or -1 */
  rowOfSeq: (seq: number) => number;
  /** events processed */
  events: number;
}

export interface LadderOptions {
  /** data segments in a run before it collapses into a bundle (default 8) */
  bundleMin?: number;
  /** bundle ids (first segment's seq) shown expanded */
  expanded?: ReadonlySet<number>;
}
