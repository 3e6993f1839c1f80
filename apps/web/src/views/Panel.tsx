import { useT } from '../i18n/useT.ts';
import { setMaximized } from '../store/actions.ts';
import type { PanelId } from '../store/slices.ts';
import { appStore, useApp } from '../store/store.ts';

/** Shows one view alone, filling the page (and back): each view is useful on its own on a projector. */
export function MaximizeButton({ panel }: { panel: PanelId }) {
  const t = useT();
  const maximized = useApp((s) => s.maximized === panel);
  return (
    <button type="button" className="maximize" data-testid={`maximize-${panel}`} aria-pressed={maximized}
      title={t(maximized ? 'panel.restore' : 'panel.maximize')} aria-label={t(maximized ? 'panel.restore' : 'panel.maximize')}
      onClick={() => setMaximized(appStore(), maximized ? null : panel)}>
      <span aria-hidden="true">{maximized ? '⤡' : '⤢'}</span>
    </button>
  );
}
