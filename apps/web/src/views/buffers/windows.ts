import type { SessionEvent, SocketModel } from '@socketscope/shared';

/**
 * The last advertised windows of a connected TCP socket, read from the wire layer: what this socket
 * advertised (its free receive space) and what the peer advertised. Scans backwards at most `limit`
 * events, so it stays cheap on long sessions; null where no captured segment was found.
 */
export function windowsFromEvents(events: readonly SessionEvent[], socket: SocketModel, limit = 5000): { advertised: number | null; peerAdvertised: number | null } {
  let advertised: number | null = null;
  let peerAdvertised: number | null = null;
  if (!socket.local || !socket.remote) return { advertised, peerAdvertised };
  for (let i = events.length - 1, n = 0; i >= 0 && n < limit; i--, n++) {
    const e = events[i]!;
    if (e.type !== 'tcp.segment' || e.win === null) continue;
    if (advertised === null && e.src === socket.local && e.dst === socket.remote) advertised = e.win;
    else if (peerAdvertised === null && e.src === socket.remote && e.dst === socket.local) peerAdvertised = e.win;
    if (advertised !== null && peerAdvertised !== null) break;
  }
  return { advertised, peerAdvertised };
}
