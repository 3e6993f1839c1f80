import type { SocketModel, TcpState } from '@socketscope/shared';
import { formatBytes, queueFill } from '../format/bytes.ts';
import { statePath, stateTone } from '../format/states.ts';
import { useT } from '../i18n/useT.ts';
import type { MessageKey } from '../i18n/en.ts';

/** The TCP state in words, large, with the path taken and the usual road ahead as a strip of chips. */
export function TcpStateView({ sock }: { sock: SocketModel }) {
  const t = useT();
  if (!sock.state) {
    return (
      <div className="tcp-state none" data-testid="sock-state" data-state="">
        <span className="label">{t('card.tcpState')}</span>
        <span className="muted">{t('card.noKernelState', { apiState: t(`api.${sock.apiState}` as MessageKey) })}</span>
      </div>
    );
  }
  const steps = statePath(sock.stateHistory, sock.state);
  return (
    <div className="tcp-state" data-testid="sock-state" data-state={sock.state}>
      <div className="state-line">
        <span className="label">{t('card.tcpState')}</span>
        <span className={`state-name tone-${stateTone(sock.state)}`} data-testid="sock-state-name">{sock.state}</span>
        <span className="state-hint">{t(`state.${sock.state}` as MessageKey)}</span>
      </div>
      <ol className="state-strip" aria-label={t('card.tcpState')}>
        {steps.map((s, i) => (
          <li key={`${s.state}-${i}`} className={`chip ${s.kind} tone-${stateTone(s.state as TcpState)}`} aria-current={s.kind === 'current' ? 'step' : undefined}>
            {s.kind === 'past' ? <span aria-hidden="true">✓ </span> : s.kind === 'current' ? <span aria-hidden="true">▶ </span> : null}
            {s.state}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** Bytes waiting in a kernel queue: the number, and a bar on a log scale so a 5-byte greeting shows. */
export function QueueBar({ label, bytes, testId, hint }: { label: string; bytes: number; testId: string; hint?: string }) {
  const fill = queueFill(bytes);
  return (
    <div className="queue" data-testid={testId} data-bytes={bytes} title={hint}>
      <span className="queue-label">{label}</span>
      <span className="bar" role="meter" aria-label={label} aria-valuemin={0} aria-valuenow={bytes} aria-valuetext={formatBytes(bytes)}>
        <span className={`fill ${bytes > 0 ? 'nonzero' : ''}`} style={{ width: `${(fill * 100).toFixed(1)}%` }} />
      </span>
      <span className="queue-num">{formatBytes(bytes)}</span>
    </div>
  );
}

/** A listener's accept queue against its backlog: a linear bar, since both are small counts. */
export function AcceptQueue({ sock }: { sock: SocketModel }) {
  const t = useT();
  const q = sock.acceptQueue ?? 0;
  const backlog = sock.backlog ?? 0;
  const fill = backlog > 0 ? Math.min(1, q / backlog) : q > 0 ? 1 : 0;
  return (
    <div className="queue accept" data-testid="sock-accept" data-queue={q} data-backlog={backlog} title={t('card.acceptHint')}>
      <span className="queue-label">{t('card.acceptQueue')}</span>
      <span className="bar" role="meter" aria-label={t('card.acceptQueue')} aria-valuemin={0} aria-valuemax={backlog} aria-valuenow={q}>
        <span className={`fill ${q > 0 ? 'nonzero' : ''} ${q >= backlog && backlog > 0 ? 'full' : ''}`} style={{ width: `${(fill * 100).toFixed(1)}%` }} />
      </span>
      <span className="queue-num">{q} / {sock.backlog ?? '?'}</span>
    </div>
  );
}

/** Connections held for accept(), one mark each (up to 12, then a number). */
export function PendingAccept({ count }: { count: number }) {
  const t = useT();
  const shown = Math.min(count, 12);
  return (
    <div className="pending" data-testid="sock-pending" data-count={count} title={t('card.pendingHint')}>
      <span className="queue-label">{t('card.pending')}</span>
      <span className="dots" aria-hidden="true">{'◆'.repeat(shown)}{count > shown ? ` +${count - shown}` : ''}{count === 0 ? '—' : ''}</span>
      <span className="queue-num">{count}</span>
    </div>
  );
}
