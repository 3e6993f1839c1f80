import type { SessionEvent } from '../protocol/events.ts';
import type { ConnModel, Model, ProcModel, SocketModel } from './model.ts';

/**
 * How fold stores what it made, in O(1) (F13, F23): an entity is replaced, never changed; an id new to
 * its record is appended to its order list in place, and orderVersion says so.
 *
 * Ids come from events, which a crafted file can fill with any string: records are read with their own
 * properties only ("constructor" is not a socket) and "__proto__" is stored as a plain key, so no id can
 * reach a prototype.
 */
export function own<T>(rec: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

/** "__proto__" as a plain key (the stores below write every other key directly: one call site per record keeps them fast) */
function defineOwn(rec: object, key: string, value: unknown): void {
  Object.defineProperty(rec, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A new list: `list` with `item` appended, its oldest dropped beyond `max` (one allocation). */
export function appendBounded<T>(list: readonly T[], item: T, max: number): T[] {
  const out = list.length >= max ? list.slice(list.length - max + 1) : list.slice();
  out.push(item);
  return out;
}

export function newSocket(id: string, proto: 'tcp' | 'udp', owned: boolean, seq: number): SocketModel {
  return {
    id, proto, role: proto === 'udp' ? 'udp' : 'unknown', owned, apiState: 'open', stateHistory: [],
    sendQueue: 0, recvQueue: 0, pendingAccept: 0, bytesSent: 0, bytesReceived: 0, peerClosed: false,
    gone: false, recentCalls: [], firstSeq: seq, lastSeq: seq,
  };
}

export function newConn(key: string, proto: 'tcp' | 'udp', client: string, server: string, e: SessionEvent): ConnModel {
  return {
    key, proto, client, server, stage: 'opening', segments: 0, capturedSegments: 0, inferredSegments: 0,
    bytesC2S: 0, bytesS2C: 0, finC2S: false, finS2C: false, rst: false,
    firstTs: e.ts, lastTs: e.ts, firstSeq: e.seq, lastSeq: e.seq,
  };
}

export function put(model: Model, s: SocketModel): void {
  if (!Object.hasOwn(model.sockets, s.id)) {
    model.socketOrder.push(s.id);
    model.orderVersion++;
  }
  if (s.id === '__proto__') defineOwn(model.sockets, s.id, s); else model.sockets[s.id] = s;
  // an endpoints key holds a '|', so it is never "__proto__"
  if (s.local) model.byEndpoints[`${s.local}|${s.remote ?? ''}`] = s.id;
}

export function putConn(model: Model, c: ConnModel): void {
  if (!Object.hasOwn(model.conns, c.key)) {
    model.connOrder.push(c.key);
    model.orderVersion++;
  }
  if (c.key === '__proto__') defineOwn(model.conns, c.key, c); else model.conns[c.key] = c;
}

export function putProc(model: Model, p: ProcModel): void {
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
