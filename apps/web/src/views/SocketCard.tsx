import { memo, useState } from 'react';
import type { SocketModel, TextEncodingName } from '@socketscope/shared';
import { formatBytes, previewText } from '../format/bytes.ts';
import { useT } from '../i18n/useT.ts';
import type { MessageKey } from '../i18n/en.ts';
import { useApp } from '../store/store.ts';
import { AcceptQueue, PendingAccept, QueueBar, TcpStateView } from './CardParts.tsx';
import { ErrorHint, ReplyLine } from './Reply.tsx';
import { SocketActions } from './SocketActions.tsx';

/** One socket. Re-renders only when this socket's entity (or its last data / reply) is replaced. */
export const SocketCard = memo(function SocketCard({ id }: { id: string }) {
  const t = useT();
  const sock = useApp((s) => s.model.sockets[id]);
  const hideClosed = useApp((s) => s.hideClosed);
  const [encoding, setEncoding] = useState<TextEncodingName>('utf8');
  if (!sock) return null;
  const finished = sock.apiState === 'closed' || sock.gone;
  if (hideClosed && finished) return null;
  const roleText = sock.role === 'accepted' ? t('role.accepted', { parent: sock.parent ?? '?' }) : t(`role.${sock.role}` as MessageKey);
  return (
    <article
      className={`card role-${sock.role} ${finished ? 'finished' : ''}`}
      data-testid={`socket-card-${id}`}
      data-sock={id}
      data-role={sock.role}
      data-proto={sock.proto}
      aria-label={`${id} ${roleText}`}
    >
      <header className="card-head">
        <span className="sock-id">{id}</span>
        <span className={`proto proto-${sock.proto}`}>{sock.proto.toUpperCase()}</span>
        <span className="role" data-testid="sock-role">{roleText}</span>
        {finished ? <span className="badge badge-muted" data-testid="sock-closed">✕ {sock.gone ? t('card.gone') : t('card.closed')}</span> : null}
      </header>

      <dl className="addrs">
        <div><dt>{t('card.local')}</dt><dd data-testid="sock-local">{sock.local ?? '—'}</dd></div>
        <div><dt>{t('card.remote')}</dt><dd data-testid="sock-remote">{sock.remote ?? '—'}</dd></div>
      </dl>

      {sock.proto === 'tcp' ? <TcpStateView sock={sock} /> : null}
      <Queues sock={sock} />
      {sock.peerClosed ? <div className="peer-closed" data-testid="sock-peer-closed"><span aria-hidden="true">⇤ </span>{t('card.peerClosed')}</div> : null}
      <LastData id={id} encoding={encoding} />
      <CallsAndErrors sock={sock} />
      {!finished ? <SocketActions sock={sock} encoding={encoding} onEncoding={setEncoding} /> : null}
      <ReplyLine target={id} encoding={encoding} />
    </article>
  );
});

function Queues({ sock }: { sock: SocketModel }) {
  const t = useT();
  if (sock.role === 'listener') {
    return (
      <div className="queues">
        <AcceptQueue sock={sock} />
        <PendingAccept count={sock.pendingAccept} />
      </div>
    );
  }
  return (
    <div className="queues">
      {sock.proto === 'tcp' ? <QueueBar label={t('card.sendQueue')} bytes={sock.sendQueue} testId="sock-sendq" hint={t('card.queueHint')} /> : null}
      <QueueBar label={t('card.recvQueue')} bytes={sock.recvQueue} testId="sock-recvq" hint={t('card.queueHint')} />
      {sock.proto === 'udp' ? (
        <div className="queue drops" data-testid="sock-drops" data-drops={sock.drops ?? 0}>
          <span className="queue-label">{t('card.drops')}</span>
          <span className="queue-num strong">{sock.drops ?? 0}</span>
        </div>
      ) : null}
    </div>
  );
}

function LastData({ id, encoding }: { id: string; encoding: TextEncodingName }) {
  const t = useT();
  const seen = useApp((s) => s.lastData[id]);
  if (!seen) return null;
  const arrow = seen.call === 'send' || seen.call === 'sendto' ? '→' : '←';
  return (
    <div className="last-data" data-testid="sock-last-data" data-call={seen.call}>
      <span className="label">{t('card.lastData')}</span>{' '}
      <span className="call">{seen.call}()</span> {arrow}{seen.peer ? ` ${seen.peer}` : ''} {formatBytes(seen.data.len)}:{' '}
      <q className="payload">{previewText(seen.data.b64, encoding)}</q>
      {seen.data.truncated ? <span className="muted"> {t('card.truncated')}</span> : null}
    </div>
  );
}

function CallsAndErrors({ sock }: { sock: SocketModel }) {
  const t = useT();
  const last = sock.recentCalls.at(-1);
  const moved = sock.role !== 'listener'
    ? <span className="muted small moved" data-testid="sock-moved">{t('card.bytesMoved', { sent: sock.bytesSent, received: sock.bytesReceived })}</span>
    : null;
  return (
    <div className="calls">
      {last ? (
        <div data-testid="sock-last-call" className="action-row">
          <span>
          <span className="label">{t('card.lastCall')}</span>{' '}
          <span className={last.ok ? 'ok' : 'err'}>{last.ok ? '✓' : '✗'} {last.call}(){last.len !== undefined ? ` · ${formatBytes(last.len)}` : ''}{last.code ? ` · ${last.code}` : ''}</span>
          {sock.recentCalls.length > 1 ? (
            <span className="muted small"> ← {sock.recentCalls.slice(-4, -1).toReversed().map((c) => `${c.call}${c.ok ? '' : '✗'}`).join(' ← ')}</span>
          ) : null}
          </span>
          {moved}
        </div>
      ) : moved}
      {sock.lastError ? (
        <div className="last-error" data-testid="sock-last-error" data-code={sock.lastError.code}>
          <span className="label">{t('card.lastError')}</span> <strong>✗ {sock.lastError.code}</strong>
          <ErrorHint code={sock.lastError.code} fallback={sock.lastError.hint} />
        </div>
      ) : null}
    </div>
  );
}
