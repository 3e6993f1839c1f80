import { useEffect, useRef, useState } from 'react';
import { useT } from '../../i18n/useT.ts';
import { useApp } from '../../store/store.ts';
import { PayloadSwitch } from './PayloadSwitch.tsx';
import { qrPath, viewerLink } from './qr.ts';
import './share.css';

/**
 * Sharing with the class, on the teacher's page only: the agent sends the viewer link (in hello) and
 * the viewer count (`viewers`) to the full-token page alone, so a read-only page never has anything to
 * show here. A badge says how many are watching; opening it shows the link and a large QR code of it
 * (drawn in the page: no network), for the projector. Beside it, always in view, the switch that hides
 * payload bytes from the students' pages (PayloadSwitch).
 */
export function ShareStatus() {
  const t = useT();
  const share = useApp((s) => s.share);
  const locale = useApp((s) => s.locale);
  const [open, setOpen] = useState(false);
  if (!share) return null;
  const link = viewerLink(share.viewerUrl, locale);
  // the switch after the share badge, not inside it: if the header wraps, the badge (and the dialog
  // anchored to its right edge) stays where it was
  return (
    <>
      <div className="share">
        <button
          type="button"
          className="badge share-badge"
          data-testid="share-toggle"
          data-viewers={share.viewers}
          aria-expanded={open}
          aria-haspopup="dialog"
          onClick={() => setOpen(!open)}
        >
          <span aria-hidden="true">◉</span> {t('share.watching', { count: share.viewers })}
        </button>
        {open ? <ShareDialog link={link} viewers={share.viewers} onClose={() => setOpen(false)} /> : null}
      </div>
      <PayloadSwitch />
    </>
  );
}

function ShareDialog({ link, viewers, onClose }: { link: string; viewers: number; onClose: () => void }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') onClose(); };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  const copy = () => {
    void navigator.clipboard?.writeText(link).then(() => setCopied(true), () => setCopied(false));
  };
  return (
    <div className="share-dialog" role="dialog" aria-modal="false" aria-labelledby="share-title" data-testid="share-dialog">
      <div className="share-head">
        <h2 id="share-title">{t('share.title')}</h2>
        <button type="button" ref={closeRef} onClick={onClose} data-testid="share-close">{t('share.close')}</button>
      </div>
      <p>{t('share.scan')}</p>
      <QrCode text={link} label={t('share.qrLabel')} />
      <p className="share-link-row">
        <code className="share-link" data-testid="share-link">{link}</code>
        <button type="button" onClick={copy} data-testid="share-copy">{copied ? t('share.copied') : t('share.copy')}</button>
      </p>
      <p className="share-count" data-testid="share-count">{t('share.watching', { count: viewers })}</p>
      <p className="muted small">{t('share.note')}</p>
    </div>
  );
}

function QrCode({ text, label }: { text: string; label: string }) {
  const { size, path } = qrPath(text);
  return (
    <svg className="share-qr" data-testid="share-qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#ffffff" />
      <path d={path} fill="#000000" />
    </svg>
  );
}
