import type { Model, SocketModel } from './model.ts';

/** The last advertised TCP windows around a socket, in bytes; null where no captured segment told. */
export interface Windows {
  /** what this socket advertised (its free receive space) */
  advertised: number | null;
  /** what the peer advertised */
  peerAdvertised: number | null;
}

/**
 * F18: a connected TCP socket's windows, from the model alone (O(1)): its connection keeps the last window
 * each direction advertised, so no view scans events for them. The connection is the socket's own, else
 * the one between its two endpoints in either direction (a watched socket whose conn was never told).
 */
export function windowsOf(model: Model, sock: SocketModel): Windows {
  const none: Windows = { advertised: null, peerAdvertised: null };
  if (sock.proto !== 'tcp' || !sock.local || !sock.remote) return none;
  const c = (sock.conn !== undefined ? model.conns[sock.conn] : undefined)
    ?? model.conns[`${sock.local}>${sock.remote}`] ?? model.conns[`${sock.remote}>${sock.local}`];
  if (!c || c.proto !== 'tcp') return none;
  const isClient = c.client === sock.local && c.server === sock.remote;
  const isServer = c.server === sock.local && c.client === sock.remote;
  if (!isClient && !isServer) return none;
  const mine = isClient ? c.winC2S : c.winS2C;
  const theirs = isClient ? c.winS2C : c.winC2S;
  return { advertised: mine ?? null, peerAdvertised: theirs ?? null };
}
