import { useEffect, useRef, useState, type ReactElement } from 'react';
import { createPortal } from 'react-dom';
import type { StateChange, TcpState } from '@socketscope/shared';
import { StateMachine } from './StateMachine.tsx';

export interface MachineZoomProps {
  /** the socket's id, for the enlarged view's title */
  sock: string;
  state?: TcpState | undefined;
  history: readonly StateChange[];
  t: (key: string, vars?: Record<string, string | number>) => string;
  projector?: boolean;
}

/**
 * A socket card's state machine: small in the card (a thumbnail of where the socket is), and on demand
 * (a click on it, or its ⤢ button) the whole RFC 793 diagram over the page, as large as the window
 * allows, with its labels, legend and the socket's history — readable from the back of a room. It
 * follows the cursor while open (the presenter's → steps and it moves); Esc, ✕ or a click outside
 * closes it.
 */
export function MachineZoom(p: MachineZoomProps): ReactElement {
  const { t } = p;
  const [open, setOpen] = useState(false);
  const close = useRef<HTMLButtonElement | null>(null);
  const opener = useRef<HTMLButtonElement | null>(null);

  useEffect(() => {
    if (!open) return;
    close.current?.focus();
    const onKey = (ev: KeyboardEvent) => {
      if (ev.key === 'Escape') { setOpen(false); ev.preventDefault(); }
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      opener.current?.focus({ preventScroll: true });
    };
  }, [open]);

  const title = t('machine.enlarge');
  return (
    <>
      <div className="sm-thumb" onClick={() => setOpen(true)}>
        <StateMachine {...(p.state ? { state: p.state } : {})} history={p.history} t={t} compact projector={p.projector ?? false} />
        <button type="button" ref={opener} className="sm-enlarge" data-testid="machine-enlarge" title={title} aria-label={title}
          onClick={(e) => { e.stopPropagation(); setOpen(true); }}>
          <span aria-hidden="true">⤢</span>
        </button>
      </div>
      {open ? createPortal(
        <div className="sm-zoom" data-testid="machine-zoom" role="dialog" aria-modal="true" aria-label={`${t('machine.title')} · ${t('machine.of', { sock: p.sock })}`}
          onClick={(e) => { if (e.target === e.currentTarget) setOpen(false); }}>
          <div className="sm-zoom-box">
            <div className="sm-zoom-head">
              <strong>{t('machine.of', { sock: p.sock })}</strong>
              <button type="button" ref={close} data-testid="machine-zoom-close" onClick={() => setOpen(false)}>✕ {t('machine.close')}</button>
            </div>
            <StateMachine {...(p.state ? { state: p.state } : {})} history={p.history} t={t} projector />
          </div>
        </div>,
        document.body,
      ) : null}
    </>
  );
}
