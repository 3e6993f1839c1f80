import type { StateChange, TcpState } from '@socketscope/shared';

/**
 * The RFC 793 TCP state diagram (as Stevens draws it), laid out for a projector: the client's path
 * (active open/close) runs down the right and left edges solid, the server's dashed, CLOSED appears
 * twice (start at the top, end at the bottom right) so no edge has to climb back across the picture.
 *
 * M1  Every kernel state has a node: CLOSE → CLOSED, NEW_SYN_RECV → SYN_RECV (Linux's names).
 * M2  The current state is one node; CLOSED after TIME_WAIT/LAST_ACK (or after any other state) is the
 *     bottom CLOSED, a fresh socket's CLOSED the top one.
 * M3  Visited edges are the history's transitions that the diagram draws; a transition it does not
 *     draw (e.g. ESTABLISHED → CLOSED on RST) is reported as off-diagram, never silently dropped.
 */

export type NodeId =
  | 'CLOSED' | 'LISTEN' | 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT1' | 'FIN_WAIT2'
  | 'CLOSING' | 'TIME_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK' | 'CLOSED_END';

export interface MachineNode {
  id: NodeId;
  /** the state name written on the node */
  state: TcpState;
  x: number;
  y: number;
  w: number;
  h: number;
}

export type PathKind = 'client' | 'server' | 'other';

export interface MachineEdge {
  id: string;
  from: NodeId;
  to: NodeId;
  kind: PathKind;
  /** locale key of the label ("rcv SYN / snd SYN,ACK") */
  label: string;
  d: string;
  /** label anchor point and alignment */
  lx: number;
  ly: number;
  anchor: 'start' | 'middle' | 'end';
  /** point and angle of the arrow head, for markers drawn without orient support */
  endX: number;
  endY: number;
}

export const VIEW_W = 1100;
export const VIEW_H = 910;
const NW = 210;
const NH = 52;

const NODE_POS: Record<NodeId, [number, number]> = {
  CLOSED: [560, 50],
  LISTEN: [260, 165],
  SYN_RECV: [175, 335],
  SYN_SENT: [950, 335],
  ESTABLISHED: [560, 460],
  FIN_WAIT1: [175, 590],
  CLOSE_WAIT: [950, 590],
  FIN_WAIT2: [175, 740],
  CLOSING: [560, 640],
  LAST_ACK: [950, 740],
  TIME_WAIT: [560, 850],
  CLOSED_END: [950, 850],
};

export const NODES: readonly MachineNode[] = (Object.keys(NODE_POS) as NodeId[]).map((id) => ({
  id, state: id === 'CLOSED_END' ? 'CLOSED' : id, x: NODE_POS[id][0], y: NODE_POS[id][1], w: NW, h: NH,
}));

const byId = new Map(NODES.map((n) => [n.id, n]));

/** Where the segment from a node's centre toward (tx, ty) leaves its box. */
function boxPoint(n: MachineNode, tx: number, ty: number): [number, number] {
  const dx = tx - n.x;
  const dy = ty - n.y;
  if (dx === 0 && dy === 0) return [n.x, n.y];
  const sx = dx === 0 ? Infinity : n.w / 2 / Math.abs(dx);
  const sy = dy === 0 ? Infinity : n.h / 2 / Math.abs(dy);
  const s = Math.min(sx, sy);
  return [n.x + dx * s, n.y + dy * s];
}

interface EdgeSpec {
  from: NodeId;
  to: NodeId;
  kind: PathKind;
  /** control point of a quadratic curve; straight when absent */
  via?: [number, number];
  label: [number, number, 'start' | 'middle' | 'end'];
}

const SPECS: EdgeSpec[] = [
  { from: 'CLOSED', to: 'LISTEN', kind: 'server', via: [330, 60], label: [285, 95, 'end'] },
  { from: 'LISTEN', to: 'CLOSED', kind: 'other', via: [470, 150], label: [430, 150, 'start'] },
  { from: 'CLOSED', to: 'SYN_SENT', kind: 'client', via: [950, 55], label: [800, 120, 'start'] },
  { from: 'SYN_SENT', to: 'CLOSED', kind: 'other', via: [740, 215], label: [745, 238, 'end'] },
  { from: 'LISTEN', to: 'SYN_RECV', kind: 'server', label: [218, 275, 'start'] },
  { from: 'SYN_SENT', to: 'SYN_RECV', kind: 'other', label: [560, 322, 'middle'] },
  { from: 'SYN_RECV', to: 'ESTABLISHED', kind: 'server', label: [330, 442, 'end'] },
  { from: 'SYN_SENT', to: 'ESTABLISHED', kind: 'client', label: [790, 442, 'start'] },
  { from: 'ESTABLISHED', to: 'FIN_WAIT1', kind: 'client', label: [300, 505, 'end'] },
  { from: 'ESTABLISHED', to: 'CLOSE_WAIT', kind: 'server', label: [820, 505, 'start'] },
  { from: 'FIN_WAIT1', to: 'FIN_WAIT2', kind: 'client', label: [163, 672, 'end'] },
  { from: 'FIN_WAIT1', to: 'CLOSING', kind: 'other', label: [398, 598, 'middle'] },
  { from: 'FIN_WAIT1', to: 'TIME_WAIT', kind: 'other', via: [420, 700], label: [414, 792, 'middle'] },
  { from: 'FIN_WAIT2', to: 'TIME_WAIT', kind: 'client', via: [160, 850], label: [250, 895, 'middle'] },
  { from: 'CLOSING', to: 'TIME_WAIT', kind: 'other', label: [572, 762, 'start'] },
  { from: 'CLOSE_WAIT', to: 'LAST_ACK', kind: 'server', label: [938, 672, 'end'] },
  { from: 'LAST_ACK', to: 'CLOSED_END', kind: 'server', label: [938, 802, 'end'] },
  { from: 'TIME_WAIT', to: 'CLOSED_END', kind: 'client', label: [755, 838, 'middle'] },
];

export const EDGES: readonly MachineEdge[] = SPECS.map((s) => {
  const a = byId.get(s.from)!;
  const b = byId.get(s.to)!;
  const [cx, cy] = s.via ?? [(a.x + b.x) / 2, (a.y + b.y) / 2];
  const [x1, y1] = boxPoint(a, cx, cy);
  const [x2, y2] = boxPoint(b, cx, cy);
  const d = s.via ? `M${x1.toFixed(1)},${y1.toFixed(1)} Q${cx},${cy} ${x2.toFixed(1)},${y2.toFixed(1)}` : `M${x1.toFixed(1)},${y1.toFixed(1)} L${x2.toFixed(1)},${y2.toFixed(1)}`;
  return {
    id: `${s.from}>${s.to}`, from: s.from, to: s.to, kind: s.kind, label: `machine.tr.${s.from}.${s.to}`, d,
    lx: s.label[0], ly: s.label[1], anchor: s.label[2], endX: x2, endY: y2,
  };
});

/** M1: Linux's names for the diagram's states. */
export function normalizeState(s: TcpState): Exclude<TcpState, 'CLOSE' | 'NEW_SYN_RECV'> {
  if (s === 'CLOSE') return 'CLOSED';
  if (s === 'NEW_SYN_RECV') return 'SYN_RECV';
  return s;
}

const LATE = new Set<TcpState>(['TIME_WAIT', 'LAST_ACK', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSING', 'CLOSE_WAIT', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV']);

function nodeFor(state: TcpState, from: TcpState | null): NodeId {
  const s = normalizeState(state);
  if (s !== 'CLOSED') return s;
  // M2: a socket that was somewhere ends in the bottom CLOSED; a fresh one starts in the top one
  return from !== null && LATE.has(normalizeState(from)) ? 'CLOSED_END' : 'CLOSED';
}

export interface MachineView {
  current?: NodeId;
  visitedNodes: ReadonlySet<NodeId>;
  visitedEdges: ReadonlySet<string>;
  /** the newest transition, drawn animated; off-diagram when the diagram has no such edge */
  last?: { edge?: string; from?: NodeId; to: NodeId; seq: number; offDiagram: boolean };
  /** transitions the diagram does not draw (M3), oldest first */
  offDiagram: { from: NodeId; to: NodeId; seq: number }[];
}

const edgeIds = new Set(EDGES.map((e) => e.id));

/** Which node is lit and which path is emphasised, from the socket's state and history. */
export function machineView(state: TcpState | undefined, history: readonly StateChange[]): MachineView {
  const visitedNodes = new Set<NodeId>();
  const visitedEdges = new Set<string>();
  const offDiagram: MachineView['offDiagram'] = [];
  let last: MachineView['last'];
  for (const h of history) {
    const to = nodeFor(h.to, h.from);
    visitedNodes.add(to);
    if (h.from === null) {
      last = { to, seq: h.seq, offDiagram: false };
      continue;
    }
    const fromNode = nodeFor(h.from, null);
    visitedNodes.add(fromNode);
    const id = `${fromNode}>${to}`;
    const known = edgeIds.has(id);
    if (known) visitedEdges.add(id); else offDiagram.push({ from: fromNode, to, seq: h.seq });
    last = { ...(known ? { edge: id } : {}), from: fromNode, to, seq: h.seq, offDiagram: !known };
  }
  const lastTo = history.at(-1);
  let current: NodeId | undefined;
  if (state !== undefined) {
    current = lastTo && normalizeState(lastTo.to) === normalizeState(state) ? nodeFor(lastTo.to, lastTo.from) : nodeFor(state, null);
    visitedNodes.add(current);
  }
  return { ...(current ? { current } : {}), visitedNodes, visitedEdges, ...(last ? { last } : {}), offDiagram };
}

export function nodeById(id: NodeId): MachineNode {
  return byId.get(id)!;
}
