import { useMemo } from 'react';
import { windowsOf, type SocketModel } from '@socketscope/shared';
import { useT } from '../i18n/useT.ts';
import { appStore, useApp } from '../store/store.ts';
import { Buffers } from './buffers/Buffers.tsx';
import { MachineZoom } from './machine/MachineZoom.tsx';

/**
 * A socket card's kernel views at the cursor: the RFC 793 state machine with this socket's path, and
 * its send / receive buffers, drawn from the model alone: the fold keeps each socket's recent data
 * chunks (F17) and each connection's last advertised windows (F18), so a card reads no events.
 */
export function CardKernelViews({ sock }: { sock: SocketModel }) {
  const t = useT();
  const projector = useApp((s) => s.projector);
  // shown alone, the cards have room for the buffers' bytes (which send() wrote them: 粘包)
  const roomy = useApp((s) => s.maximized === 'cards');
  const conn = useApp((s) => (sock.conn ? s.model.conns[sock.conn] : undefined));
  const peer = useApp((s) => {
    const c = sock.conn ? s.model.conns[sock.conn] : undefined;
    const id = c ? (c.clientSock === sock.id ? c.serverSock : c.clientSock) : undefined;
    return id ? s.model.sockets[id] : undefined;
  });
  // the connection's entity changes when its windows do (F13)
  const windows = useMemo(() => (sock.proto === 'tcp' && sock.role !== 'listener' ? windowsOf(appStore().getState().model, sock) : undefined), [sock, conn]);
  const data = { mine: sock.recentData ?? [], theirs: peer?.recentData, windows };

  return (
    <div className="card-kernel">
      {sock.proto === 'tcp' ? (
        <div className="card-machine" data-testid="sock-machine">
          <MachineZoom sock={sock.id} state={sock.state} history={sock.stateHistory} t={t} projector={projector} />
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

