import { useEffect, useState } from 'react';
import { PROTOCOL_VERSION } from '@socketscope/shared';
import { retryNow } from '../app/session.ts';
import { useT } from '../i18n/useT.ts';
import type { MessageKey } from '../i18n/en.ts';
import { useApp } from '../store/store.ts';

/** Says when the agent went away (and that the page retries by itself), or why it stopped trying. */
export function ConnectionBanner() {
  const t = useT();
  const conn = useApp((s) => s.conn);
  if (conn.status === 'stopped' && conn.stop) {
    const text = conn.stop.kind === 'badToken' ? t('banner.badToken')
      : conn.stop.kind === 'badOrigin' ? t('banner.badOrigin')
      : t('banner.protocol', { page: PROTOCOL_VERSION, agent: conn.stop.agentProtocol ?? '?' });
    return (
      <div className="banner banner-stop" role="alert" data-testid="agent-stopped-banner" data-kind={conn.stop.kind}>
        <div className="banner-text"><strong aria-hidden="true">✕</strong> {text}</div>
        {conn.stop.kind === 'protocol' ? <button type="button" onClick={() => window.location.reload()}>{t('banner.reload')}</button> : null}
      </div>
    );
  }
  if (conn.status !== 'reconnecting') return null;
  // never connected: perhaps not running, perhaps a stale token (a refused upgrade is opaque to the page)
  const lost = conn.everLive;
  return (
    <div className="banner banner-lost" role="alert" data-testid={lost ? 'agent-lost-banner' : 'agent-unreachable-banner'}>
      <div className="banner-text">
        <strong><span aria-hidden="true">⚠ </span>{t(lost ? 'banner.lost.title' : 'banner.unreachable.title')}</strong>{' '}
        <Countdown attempt={conn.attempt} retryAt={conn.retryAt} body={lost ? 'banner.lost.body' : 'banner.unreachable.body'} />
      </div>
      <button type="button" onClick={() => retryNow()}>{t('banner.lost.retry')}</button>
    </div>
  );
}

function Countdown({ attempt, retryAt, body }: { attempt: number; retryAt: number | null; body: MessageKey }) {
  const t = useT();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(id);
  }, []);
  const seconds = retryAt ? Math.max(0, Math.ceil((retryAt - now) / 1000)) : 0;
  return <>{t(body, { attempt: Math.max(1, attempt), seconds })}</>;
}

/** Events missed or dropped, said once in words rather than hidden. */
export function StreamWarnings() {
  const t = useT();
  const missing = useApp((s) => s.missing);
  const bad = useApp((s) => s.badEvents);
  if (missing === 0 && bad === 0) return null;
  return (
    <div className="stream-warnings" data-testid="stream-warnings">
      {missing > 0 ? <span>⚠ {t('banner.missing', { count: missing })}</span> : null}
      {bad > 0 ? <span>⚠ {t('banner.badEvents', { count: bad })}</span> : null}
    </div>
  );
}
