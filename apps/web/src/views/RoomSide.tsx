import { useEffect, useState, type ReactNode } from 'react';
import { useT } from '../i18n/useT.ts';
import { useApp } from '../store/store.ts';
import { roomMode, type RoomMode } from './roomMode.ts';

export interface SidePanel {
  id: string;
  label: string;
  node: ReactNode;
}

function useViewportWidth(): number {
  const [w, setW] = useState(() => window.innerWidth);
  useEffect(() => {
    const on = () => setW(window.innerWidth);
    window.addEventListener('resize', on);
    return () => window.removeEventListener('resize', on);
  }, []);
  return w;
}

/** The session view's room mode (roomMode.ts R1–R3) for this window, mode and diagram. */
export function useRoomMode(withPlayground: boolean): RoomMode {
  const width = useViewportWidth();
  const projector = useApp((s) => s.projector);
  const lanes = useApp((s) => s.ladder.lanes.length);
  const programs = useApp((s) => s.model.procOrder.length > 0);
  return roomMode({ width, projector, lanes, withPlayground, programs });
}

/**
 * The views beside the diagram, one at a time by tabs (R2), or on a rail whose tab opens the view over
 * the diagram until it is closed (R3). Every view stays mounted, the others hidden: a form half filled
 * in, a reply, the log's place are there when its tab comes back.
 */
export function RoomSide({ mode, panels }: { mode: 'side' | 'rail'; panels: readonly SidePanel[] }) {
  const t = useT();
  const [tab, setTab] = useState(panels[0]?.id ?? '');
  const [open, setOpen] = useState(false);
  const current = panels.some((p) => p.id === tab) ? tab : panels[0]?.id ?? '';
  const shown = mode === 'side' || open;
  const label = panels.find((p) => p.id === current)?.label;
  // one tree in both modes, so switching keeps every view's state (only classes and the head change)
  return (
    <div className={`room-side room-side-${mode}`} data-testid="room-side" data-mode={mode}>
      <div className="room-tabs" role="tablist" aria-label={t('room.views')}>
        {panels.map((p) => (
          <button key={p.id} type="button" role="tab" data-testid={`room-tab-${p.id}`} aria-selected={shown && p.id === current}
            onClick={() => {
              if (mode === 'rail') setOpen(!(open && p.id === current));
              setTab(p.id);
            }}>
            {p.label}
          </button>
        ))}
      </div>
      <div className="room-pane" data-testid="room-pane" hidden={!shown} onKeyDown={(e) => { if (mode === 'rail' && e.key === 'Escape') setOpen(false); }}>
        {mode === 'rail' ? (
          <div className="room-drawer-head">
            <strong>{label}</strong>
            <span className="push-right" />
            <button type="button" data-testid="room-drawer-close" onClick={() => setOpen(false)}>✕ {t('room.close')}</button>
          </div>
        ) : null}
        {panels.map((p) => (
          <div key={p.id} className="room-side-body" data-testid={`room-body-${p.id}`} hidden={p.id !== current} role="tabpanel">
            {p.node}
          </div>
        ))}
      </div>
    </div>
  );
}
