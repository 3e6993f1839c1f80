import type { SessionEvent } from '../protocol/events.ts';
import type { ConnModel, Model, ProcModel, SocketModel } from './model.ts';

/**
 * How fold stores what it made, in O(1) (F13, F23).
 *
 * F13 by epochs ("transients"): a model's epoch runs from its first fold until shareModel or foldAll
 * ends it. An entity fold made or copied in the current epoch is the model's alone, and so are its small
 * lists (recentCalls, recentData, stateHistory, bundles, outputPieces): fold changes them in place.
 * Anything older may be held elsewhere (a snapshot, a diff already handed out), so fold copies it once,
 * with its lists, and the copy is the epoch's. Who holds an entity across a fold takes a snapshot first
 * (shareModel), and what it holds never changes; after a snapshot, the next change to an entity gives a
 * new object, which is how the page's session worker finds what changed.
 * The mark is a Symbol-keyed, non-enumerable property of the entity: JSON, structuredClone, spread,
 * Object.keys and test equality ignore it, so a copy made any of those ways is copied on its first change.
 * The lists carry no mark (marking costs ~10× a copy of a list of 8): an entity's copy copies them.
 *
 * An id new to its record is appended to its order list in place, and orderVersion says so (F23).
 *
 * Ids come from events, which a crafted file can fill with any string: records are read with their own
 * properties only ("constructor" is not a socket) and "__proto__" is stored as a plain key, so no id can
 * reach a prototype.
 */

const EPOCH: unique symbol = Symbol('fold epoch');
type Marked = { [EPOCH]?: number };
/** epochs are numbered across every model of this thread, so no two models ever share one */
let lastEpoch = 0;

function mark(x: object, epoch: number): void {
  Object.defineProperty(x, EPOCH, { value: epoch, writable: true, configurable: true, enumerable: false });
}

/** The model's epoch; a model without one (new, parsed, cloned, spread) begins one and owns nothing yet. */
export function epochOf(model: Model): number {
  const e = (model as Marked)[EPOCH];
  if (e !== undefined) return e;
  const next = ++lastEpoch;
  mark(model, next);
  return next;
}

/** Ends the model's epoch: everything it holds now may be shared, and is copied on its next change. */
export function endEpoch(model: Model): void {
  mark(model, ++lastEpoch);
}

const isMine = (x: object, epoch: number): boolean => (x as Marked)[EPOCH] === epoch;

/** The socket itself when this epoch made it, else a copy this epoch owns, with copies of its lists. */
export function writableSocket(s: SocketModel, epoch: number): SocketModel {
  if (isMine(s, epoch)) return s;
  const c = { ...s, recentCalls: s.recentCalls.slice(), stateHistory: s.stateHistory.slice() };
  if (s.recentData) c.recentData = s.recentData.slice();
  mark(c, epoch);
  return c;
}

/** The connection itself when this epoch made it, else a copy this epoch owns (with a copy of its bundles). */
export function writableConn(c: ConnModel, epoch: number): ConnModel {
  if (isMine(c, epoch)) return c;
  const copy = { ...c };
  if (c.bundles) copy.bundles = c.bundles.slice();
  mark(copy, epoch);
  return copy;
}

/** The program itself when this epoch made it, else a copy this epoch owns (with a copy of its outputPieces). */
export function writableProc(p: ProcModel, epoch: number): ProcModel {
  if (isMine(p, epoch)) return p;
  const copy = { ...p };
  if (p.outputPieces) copy.outputPieces = p.outputPieces.slice();
  mark(copy, epoch);
  return copy;
}

/** A new entity, owned by this epoch (its lists are new too). */
export function made<T extends object>(x: T, epoch: number): T {
  mark(x, epoch);
  return x;
}

/** Appends to a list of an entity this epoch owns, dropping its oldest beyond `max`. */
export function pushBounded<T>(list: T[], item: T, max: number): T[] {
  // shift, not splice: no array of the removed to allocate (these lists hold at most a few dozen)
  while (list.length >= max) list.shift();
  list.push(item);
  return list;
}

export function own<T>(rec: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

/** "__proto__" as a plain key (the stores below write every other key directly: one call site per record keeps them fast) */
function defineOwn(rec: object, key: string, value: unknown): void {
  Object.defineProperty(rec, key, { value, writable: true, enumerable: true, configurable: true });
}

export function newSocket(id: string, proto: 'tcp' | 'udp', owned: boolean, seq: number, epoch: number): SocketModel {
  return made({
    id, proto, role: proto === 'udp' ? 'udp' : 'unknown', owned, apiState: 'open', stateHistory: [],
    sendQueue: 0, recvQueue: 0, pendingAccept: 0, bytesSent: 0, bytesReceived: 0, peerClosed: false,
    gone: false, recentCalls: [], firstSeq: seq, lastSeq: seq,
  }, epoch);
}

export function newConn(key: string, proto: 'tcp' | 'udp', client: string, server: string, e: SessionEvent, epoch: number): ConnModel {
  return made({
    key, proto, client, server, stage: 'opening', segments: 0, capturedSegments: 0, inferredSegments: 0,
    bytesC2S: 0, bytesS2C: 0, finC2S: false, finS2C: false, rst: false,
    firstTs: e.ts, lastTs: e.ts, firstSeq: e.seq, lastSeq: e.seq,
  }, epoch);
}

/** A socket's byEndpoints key and the addresses it was made of (kept beside the socket, unseen like its epoch). */
const ENDPOINTS: unique symbol = Symbol('endpoints key');
type EndpointsKey = { local: string; remote: string | undefined; key: string };

/** "local|remote", made once per pair of addresses rather than once per event (it is hashed at every store). */
function endpointsKey(s: SocketModel & { [ENDPOINTS]?: EndpointsKey }, local: string): string {
  const k = s[ENDPOINTS];
  if (k !== undefined && k.local === local && k.remote === s.remote) return k.key;
  const key = `${local}|${s.remote ?? ''}`;
  Object.defineProperty(s, ENDPOINTS, { value: { local, remote: s.remote, key }, writable: true, configurable: true, enumerable: false });
  return key;
}

/**
 * Stores a socket fold changed: `was` is what the record held before (undefined: none). A socket changed
 * in place (s === was) is stored already. Its endpoints point to it after every change, as the last socket
 * seen with those addresses.
 */
export function put(model: Model, s: SocketModel, was: SocketModel | undefined): void {
  if (s !== was) {
    if (!Object.hasOwn(model.sockets, s.id)) {
      model.socketOrder.push(s.id);
      model.orderVersion++;
    }
    if (s.id === '__proto__') defineOwn(model.sockets, s.id, s); else model.sockets[s.id] = s;
  }
  // an endpoints key holds a '|', so it is never "__proto__"
  if (s.local) model.byEndpoints[endpointsKey(s, s.local)] = s.id;
}

/** Stores a connection fold changed (`was`: what the record held before; undefined for a new key). */
export function putConn(model: Model, c: ConnModel, was: ConnModel | undefined): void {
  if (c === was) return;
  if (!Object.hasOwn(model.conns, c.key)) {
    model.connOrder.push(c.key);
    model.orderVersion++;
  }
  if (c.key === '__proto__') defineOwn(model.conns, c.key, c); else model.conns[c.key] = c;
}

/** Stores a program fold changed (`was`: what the record held before; undefined for a new run). */
export function putProc(model: Model, p: ProcModel, was: ProcModel | undefined): void {
  if (p === was) return;
  if (!Object.hasOwn(model.procs, p.run)) {
    model.procOrder.push(p.run);
    model.orderVersion++;
  }
  if (p.run === '__proto__') defineOwn(model.procs, p.run, p); else model.procs[p.run] = p;
}

/** Takes a socket out of the model (F5). The one it removes was most likely added last: searched from the end. */
export function dropSocket(model: Model, id: string): void {
  delete model.sockets[id];
  const i = model.socketOrder.lastIndexOf(id);
  if (i >= 0) model.socketOrder.splice(i, 1);
  model.orderVersion++;
}
