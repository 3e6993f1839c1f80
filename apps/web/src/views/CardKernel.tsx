import { useMemo } from 'react';
import type { SocketModel } from '@socketscope/shared';
import type { Timeline } from '../store/timeline.ts';
import { useT } from '../i18n/useT.ts';
import { useApp } from '../store/store.ts';
import { Buffers } from './buffers/Buffers.tsx';
import type { BufferChunk } from './buffers/layout.ts';
import { windowsFromEvents } from './buffers/windows.ts';
import { StateMachine } from './machine/StateMachine.tsx';

/**
 * A socket card's kernel views at the cursor: the RFC 793 state machine with this socket's path, and
 * its send / receive buffers (the other helper's components, fed from the model and the events up to
 * the cursor). Scans are bounded, so a card costs the same late in a long session.
 */
const CHUNK_SCAN = 5000;

/** This socket's recent send()/recv() chunks up to event `upto`, oldest first (at most `max`). */
export function recentChunks(tl: Timeline, upto: number, sock: string, max = 32): BufferChunk[] {
  const out: BufferChunk[] = [];
  for (let i = Math.min(upto, tl.last), n = 0; i >= 0 && n < CHUNK_SCAN && out.length < max; i--, n++) {
    const e = tl.eventAt(i)!;
    if (e.type !== 'api.call' || e.sock !== sock || e.error || !e.data) continue;
    const call = e.call === 'send' || e.call === 'sendto' ? 'send' : e.call === 'recv' || e.call === 'recvfrom' ? 'recv' : null;
    if (call) out.push({ seq: e.seq, call, len: e.data.len, b64: e.data.b64 });
  }
  return out.toReversed();
}

export function CardKernelViews({ sock }: { sock: SocketModel }) {
  const t = useT();
  const projector = useApp((s) => s.projector);
  // shown alone, the cards have room for the buffers' bytes (which send() wrote them: 粘包)
  const roomy = useApp((s) => s.maximized === 'cards');
  const tl = useApp((s) => s.timeline);
  // following (cursor null) the scans run when this socket, its peer or its connection changed, not at
  // every event of the session: what they find (calls, segments' windows) replaces one of those entities
  const cursor = useApp((s) => s.cursor);
  const conn = useApp((s) => (sock.conn ? s.model.conns[sock.conn] : undefined));
  const peer = useApp((s) => {
    const c = sock.conn ? s.model.conns[sock.conn] : undefined;
    const id = c ? (c.clientSock === sock.id ? c.serverSock : c.clientSock) : undefined;
    return id ? s.model.sockets[id] : undefined;
  });
  const data = useMemo(() => {
    const at = cursor ?? tl.last;
    const mine = recentChunks(tl, at, sock.id);
    const theirs = peer ? recentChunks(tl, at, peer.id) : undefined;
    const windows = sock.proto === 'tcp' && sock.role !== 'listener' ? windowsFromEvents(tl.window(at, CHUNK_SCAN), sock) : undefined;
    return { mine, theirs, windows };
  }, [tl, cursor, sock, peer, conn]); // eslint-disable-line react-hooks/exhaustive-deps -- conn: see above

  return (
    <div className="card-kernel">
      {sock.proto === 'tcp' ? (
        <div className="card-machine" data-testid="sock-machine">
          <StateMachine state={sock.state} history={sock.stateHistory} t={t} compact projector={projector} />
        </div>
      ) : null}
      <div className="card-buffers" data-testid="sock-buffers">
        <Buffers socket={sock} recentData={data.mine} t={t} projector={projector} compact={!roomy}
          {...(peer ? { peer: { socket: peer, recentData: data.theirs ?? [] } } : {})}
          {...(data.windows ? { windows: data.windows } : {})} />
      </div>
    </div>
  );
}
