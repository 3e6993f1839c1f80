import type { ProbeStatus } from '@socketscope/shared';
import { LOCALES, MESSAGES, type Locale } from '../i18n/index.ts';
import { useT } from '../i18n/useT.ts';
import { navigate, setLocale, setProjector } from '../store/actions.ts';
import { appStore, useApp } from '../store/store.ts';
import type { MessageKey } from '../i18n/en.ts';
import type { ConnStatus } from '../store/slices.ts';
import { tokenForTab } from '../connection/url.ts';
import { ShareStatus } from './share/SharePanel.tsx';

const STATUS_TEXT: Record<ConnStatus, MessageKey> = {
  'no-token': 'conn.noToken', connecting: 'conn.connecting', syncing: 'conn.syncing',
  live: 'conn.live', reconnecting: 'conn.reconnecting', stopped: 'conn.stopped',
};
/** a shape per status, so it is not carried by colour alone */
const STATUS_ICON: Record<ConnStatus, string> = {
  'no-token': '⚠', connecting: '…', syncing: '⇅', live: '●', reconnecting: '↻', stopped: '✕',
};

export function Header() {
  const t = useT();
  const status = useApp((s) => s.conn.status);
  const session = useApp((s) => s.session);
  const locale = useApp((s) => s.locale);
  const projector = useApp((s) => s.projector);
  const source = useApp((s) => s.source);
  const route = useApp((s) => s.route.view);
  return (
    <header className="header">
      <div className="brand">
        <h1><a href="?" className="home" data-testid="home" onClick={(e) => { e.preventDefault(); navigate(appStore(), { view: 'lessons' }); }}>{t('app.title')}</a></h1>
        <span className="tagline">{t('app.tagline')}</span>
      </div>
      <nav className="nav" aria-label={t('nav.lessons')}>
        <button type="button" className={`nav-link${route === 'lessons' || route === 'lesson' ? ' on' : ''}`} data-testid="nav-lessons"
          aria-current={route === 'lessons' ? 'page' : undefined} onClick={() => navigate(appStore(), { view: 'lessons' })}>{t('nav.lessons')}</button>
        {source.kind === 'live' ? (
          <button type="button" className={`nav-link${route === 'session' ? ' on' : ''}`} data-testid="nav-playground" disabled={status === 'no-token'}
            aria-current={route === 'session' ? 'page' : undefined} onClick={() => navigate(appStore(), { view: 'session' })}>{t('nav.playground')}</button>
        ) : null}
      </nav>
      {source.kind === 'file' ? (
        <span className="status status-file" data-testid="source-file" data-format={source.format}>
          <span aria-hidden="true">▤</span> {t(source.format === 'session' ? 'source.file' : 'source.capture')}: <span className="mono">{source.name}</span>
          {hasToken() ? <> · <a href={window.location.href} data-testid="back-to-live">{t('source.backToLive')}</a></> : null}
        </span>
      ) : (
        <span className={`status status-${status}`} data-testid="conn-status" data-status={status} role="status">
          <span aria-hidden="true">{STATUS_ICON[status]}</span> {t(STATUS_TEXT[status])}
          {session && status === 'live' ? <span className="muted"> · {t('header.session', { id: session.id.slice(0, 8) })}</span> : null}
        </span>
      )}
      {session?.readOnly ? <span className="badge badge-warn" data-testid="read-only">{t('header.readOnly')}</span> : null}
      {source.kind === 'live' ? <Capabilities /> : <span className="caps" />}
      <ShareStatus />
      <div className="header-controls">
        <label className="lang">
          <span>{t('header.language')}</span>
          <select data-testid="lang-select" aria-label={t('header.language')} value={locale} onChange={(e) => setLocale(appStore(), e.target.value as Locale)}>
            {LOCALES.map((l) => <option key={l} value={l}>{MESSAGES[l]['lang.name']}</option>)}
          </select>
        </label>
        <button
          type="button"
          className={`toggle ${projector ? 'on' : ''}`}
          aria-pressed={projector}
          data-testid="projector-toggle"
          title={t('header.projectorHint')}
          onClick={() => setProjector(appStore(), !projector)}
        >
          <span aria-hidden="true">{projector ? '☑' : '☐'}</span> {t('header.projector')}
        </button>
      </div>
    </header>
  );
}

/** This tab has the agent's token: in the address, or kept from when the address had it (url.ts tokenForTab). */
function hasToken(): boolean {
  try {
    return tokenForTab(window.location.search, window.sessionStorage) !== null;
  } catch {
    return new URLSearchParams(window.location.search).has('token');
  }
}

function Capabilities() {
  const t = useT();
  const caps = useApp((s) => s.capabilities);
  const kernelLive = useApp((s) => s.model.sources.kernel);
  const wireLive = useApp((s) => s.model.sources.wire);
  if (!caps) return null;
  return (
    <div className="caps" data-testid="capabilities">
      <CapBadge testId="cap-kernel" label={t('caps.kernel')} status={kernelLive ?? caps.kernel} />
      <CapBadge testId="cap-wire" label={t('caps.wire')} status={wireLive ?? caps.wire} offNote={t('caps.inferred')} />
      <KernelSourceLabel />
      <CapBadge testId="cap-tcpinfo" label={t('caps.tcpInfo')} status={caps.tcpInfo} />
      {caps.remoteTargets ? <span className="badge badge-warn" data-testid="remote-warning" title={t('caps.remoteHint')}>⚠ {t('caps.remote')}</span> : null}
    </div>
  );
}

/**
 * Which kernel source is active, so a teacher knows whether a missing SYN_SENT means anything: exact
 * (the kernel's tracepoints) or sampled every N ms (/proc). A live source.status of the kernel source
 * that no longer names bpftrace means the tracepoints stopped and sampling took over.
 */
function KernelSourceLabel() {
  const t = useT();
  const ks = useApp((s) => s.capabilities?.kernelSource);
  const live = useApp((s) => s.model.sources.kernel);
  if (!ks) return null;
  const exact = ks.active === 'tracepoints' && !(live && !(live.tool ?? '').includes('bpftrace'));
  const why = live?.reason ?? ks.tracepoints.reason ?? '';
  const params = { ms: ks.intervalMs, why };
  return (
    <span
      className={`badge cap ${exact ? 'cap-on' : 'cap-off'}`}
      data-testid="kernel-source"
      data-exact={exact}
      title={exact ? t('ksrc.exactHint') : t('ksrc.sampledHint', params)}
    >
      {exact ? t('ksrc.exact') : t('ksrc.sampled', params)}
    </span>
  );
}

/** A capability: on/off as a mark and a word; when off, why and how to fix it on a click. */
function CapBadge({ label, status, offNote, testId }: { label: string; status: ProbeStatus; offNote?: string; testId: string }) {
  const t = useT();
  const on = status.available;
  const summary = (
    <>
      <span aria-hidden="true">{on ? '✓' : '✗'}</span> {label}: <strong>{t(on ? 'caps.on' : 'caps.off')}</strong>
      {status.tool ? <span className="muted tool"> ({status.tool})</span> : null}
    </>
  );
  if (on || (!status.reason && !status.fix)) {
    return <span className={`badge cap ${on ? 'cap-on' : 'cap-off'}`} data-testid={testId} data-available={on} title={status.tool}>{summary}</span>;
  }
  return (
    <details className="badge cap cap-off" data-testid={testId} data-available={on}>
      <summary>{summary}</summary>
      <div className="cap-details">
        {offNote ? <p><strong>{offNote}</strong></p> : null}
        {status.reason ? <p><strong>{t('caps.why')}:</strong> {status.reason}</p> : null}
        {status.fix?.linux ? <p><strong>{t('caps.fix')}:</strong> <code>{status.fix.linux}</code></p> : null}
        {status.fix?.macos ? <p><strong>{t('caps.fix')} (macOS):</strong> <code>{status.fix.macos}</code></p> : null}
      </div>
    </details>
  );
}
