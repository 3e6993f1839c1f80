import type { Model, TcpState } from '@socketscope/shared';
import { parseEndpoint } from '@socketscope/shared';
import type { LaneRole, LaneView } from './types.ts';

/**
 * Lifelines of the ladder. A lane is one socket; the same socket may first be seen by its packets
 * (endpoint pair), later by its agent socket id (api events arrive when a call completes, after the
 * SYN it caused). Every identity gets a key — "sock:s2", "ep:local|remote", "listen:local",
 * "udp:local" — and keys that turn out to name one socket are merged (union-find), so rows drawn
 * before the merge land on the merged lane without being touched again.
 */

interface LaneRec {
  parent: number;
  sock?: string;
  hint: LaneRole;
  proto?: 'tcp' | 'udp';
  endpoint?: string;
  peer?: string;
  firstIdx: number;
  lastIdx: number;
  synack: boolean;
  refused: boolean;
  /** UDP: whether its first datagram was sent (left side) or received (right side) */
  udpFirst?: 'send' | 'recv';
  /** last TCP state seen from the kernel, for state rows */
  state?: TcpState;
  drops?: number;
}

/**
 * A socket the fold knows only from the kernel (a connection in the accept queue, a watched program's):
 * its id is made of its addresses ("w:local|remote") until a call names it (accept() returns it).
 */
export function isPlaceholder(sock: string): boolean {
  return sock.startsWith('w:');
}

const ROLE_RANK: Record<LaneRole, number> = { listener: 4, accepted: 4, client: 4, udp: 3, endpoint: 1, unknown: 0 };

export class LaneRegistry {
  private recs: LaneRec[] = [];
  private byKey = new Map<string, number>();

  get size(): number {
    return this.recs.length;
  }

  find(lane: number): number {
    let r = lane;
    while (this.recs[r]!.parent !== r) r = this.recs[r]!.parent;
    // path compression keeps later lookups O(1)
    let x = lane;
    while (this.recs[x]!.parent !== r) {
      const next = this.recs[x]!.parent;
      this.recs[x]!.parent = r;
      x = next;
    }
    return r;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The lane for a key, created with `init` when the key is new. Always the canonical lane. */
  lane(key: string, init: Partial<LaneRec> & { hint: LaneRole }): number {
    const known = this.byKey.get(key);
    if (known !== undefined) return this.find(known);
    const id = this.recs.length;
    this.recs.push({ parent: id, firstIdx: -1, lastIdx: -1, synack: false, refused: false, ...init });
    this.byKey.set(key, id);
    return id;
  }

  rec(lane: number): LaneRec {
    return this.recs[this.find(lane)]!;
  }

  /** Declares two lanes one socket. The older lane survives so rows keep their left-to-right order. */
  union(a: number, b: number): number {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return ra;
    const [keep, gone] = ra < rb ? [ra, rb] : [rb, ra];
    const k = this.recs[keep]!;
    const g = this.recs[gone]!;
    g.parent = keep;
    // the program's socket wins over the kernel's placeholder for it (the fold renames one into the other)
    if (!k.sock || (isPlaceholder(k.sock) && g.sock && !isPlaceholder(g.sock))) k.sock = g.sock;
    if (ROLE_RANK[g.hint] > ROLE_RANK[k.hint]) k.hint = g.hint;
    k.proto ??= g.proto;
    k.endpoint ??= g.endpoint;
    k.peer ??= g.peer;
    if (g.firstIdx >= 0 && (k.firstIdx < 0 || g.firstIdx < k.firstIdx)) k.firstIdx = g.firstIdx;
    k.lastIdx = Math.max(k.lastIdx, g.lastIdx);
    k.synack ||= g.synack;
    k.refused ||= g.refused;
    k.udpFirst ??= g.udpFirst;
    k.state ??= g.state;
    k.drops ??= g.drops;
    return keep;
  }

  /** Marks that lane as carrying a row at event index idx. */
  touch(lane: number, idx: number): void {
    const r = this.rec(lane);
    if (r.firstIdx < 0) r.firstIdx = idx;
    if (idx > r.lastIdx) r.lastIdx = idx;
  }

  /** Canonical lanes that carry rows, in column order: clients left, listener, accepted sockets right. */
  views(model: Model, rowOfIdx: (idx: number) => number, base = 0): { lanes: LaneView[]; columns: Int32Array } {
    const roots: number[] = [];
    // a lane whose rows all left a sliding window is not drawn
    for (let i = 0; i < this.recs.length; i++) if (this.recs[i]!.parent === i && this.recs[i]!.firstIdx >= 0 && this.recs[i]!.lastIdx >= base) roots.push(i);
    const lanes = roots.map((id): LaneView => {
      const r = this.recs[id]!;
      const s = r.sock ? model.sockets[r.sock] : undefined;
      const role: LaneRole = s && s.role !== 'unknown' ? s.role : r.hint;
      const view: LaneView = {
        id, column: 0, role, synthetic: !s,
        ended: s ? s.gone || (s.apiState === 'closed' && (s.state === undefined || s.state === 'CLOSE' || s.state === 'CLOSED')) : false,
        firstRow: rowOfIdx(Math.max(r.firstIdx, base)),
        lastRow: rowOfIdx(r.lastIdx),
      };
      const proto = s?.proto ?? r.proto;
      if (proto) view.proto = proto;
      if (r.sock) view.sock = r.sock;
      if (s?.parent) view.parent = s.parent;
      const endpoint = s?.local ?? r.endpoint;
      if (endpoint) view.endpoint = endpoint;
      const peer = s?.remote ?? r.peer;
      // a UDP socket's last sender is not a peer; only connected TCP sockets have one
      if (peer && role !== 'listener' && proto !== 'udp') view.peer = peer;
      const state = s?.state ?? r.state;
      if (state) view.state = state;
      if (!s && role === 'listener') view.listenerEvidence = r.synack ? 'synack' : r.refused ? 'refused' : 'synack';
      return view;
    });
    const order = lanes
      .map((v, i) => ({ v, side: sideOf(this.recs[v.id]!, v.role), first: this.recs[v.id]!.firstIdx, i }))
      .toSorted((a, b) => a.side - b.side || a.first - b.first || a.i - b.i);
    const columns = new Int32Array(this.recs.length).fill(-1);
    order.forEach((o, col) => {
      o.v.column = col;
      columns[o.v.id] = col;
    });
    return { lanes: order.map((o) => o.v), columns };
  }
}

/** Listening sockets by port, so a SYN to 127.0.0.1:8888 finds a listener bound to 0.0.0.0:8888. */
export type ListenerIndex = Map<number, { sock: string; local: string; firstSeq: number; wildcard: boolean }[]>;

/** L3: clients left, listeners in the middle, accepted sockets right; a UDP receiver right of its sender. */
function sideOf(r: LaneRec, role: LaneRole): number {
  switch (role) {
    case 'client': return 0;
    case 'listener': return 1;
    case 'accepted': return 2;
    case 'udp': return r.udpFirst === 'recv' ? 2 : 0;
    default: return r.hint === 'client' ? 0 : r.hint === 'listener' ? 1 : 2;
  }
}

export const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);
const WILDCARD = WILDCARD_HOSTS;

export function listenersByPort(model: Model): ListenerIndex {
  const out: ListenerIndex = new Map();
  for (const id of model.socketOrder) {
    const s = model.sockets[id];
    if (!s || s.proto !== 'tcp' || s.role !== 'listener' || !s.local) continue;
    const ep = parseEndpoint(s.local);
    if (!ep) continue;
    const list = out.get(ep.port) ?? [];
    list.push({ sock: id, local: s.local, firstSeq: s.firstSeq, wildcard: WILDCARD.has(ep.host) });
    out.set(ep.port, list);
  }
  return out;
}

/**
 * The listener a SYN to `server` reached at event `seq`: the newest one created before it, so a
 * restarted server (lesson tcp-teardown) gets its own lane and the old one keeps the old SYNs.
 */
export function findListener(index: ListenerIndex, server: string, seq: number): string | undefined {
  const ep = parseEndpoint(server);
  if (!ep) return undefined;
  const list = index.get(ep.port);
  if (!list) return undefined;
  let best: { sock: string; firstSeq: number } | undefined;
  for (const l of list) {
    if (l.firstSeq > seq || !(l.local === server || l.wildcard)) continue;
    if (!best || l.firstSeq > best.firstSeq) best = l;
  }
  return best?.sock;
}
