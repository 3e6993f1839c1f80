import { useEffect, useState } from 'react';
import { useT } from '../i18n/useT.ts';
import { setHideClosed } from '../store/actions.ts';
import { appStore, useApp } from '../store/store.ts';
import { MaximizeButton } from './Panel.tsx';
import { SocketCard } from './SocketCard.tsx';
import { LinkStrip } from './lab/LinkStrip.tsx';

const PAUSE_OFF_SCREEN_OVER = 24;
/** new cards mounted per animation frame at most */
const CARDS_PER_FRAME = 8;

/**
 * How many of `total` cards to render: those rendered in the last frame and at most `step` more, so a
 * card or a few new ones are in this very render (event → pixel), and a burst of new sockets (a
 * stream's first second opens 90, a loaded recording hundreds) comes in over a few frames, in order,
 * instead of 90–130 ms of React render, style and layout in one turn for cards mostly below the fold.
 * The count in the header is the whole count at once.
 */
function useGradual(total: number, step: number): number {
  const [mounted, setMounted] = useState(0);
  const shown = Math.min(total, mounted + step);
  useEffect(() => {
    if (shown === mounted) return;
    const id = requestAnimationFrame(() => setMounted(shown));
    return () => cancelAnimationFrame(id);
  }, [shown, mounted]);
  return shown;
}

export function SocketList() {
  const t = useT();
  const order = useApp((s) => s.model.socketOrder);
  const hideClosed = useApp((s) => s.hideClosed);
  // with many cards, the ones out of view stop re-rendering until scrolled back (SocketCard)
  const paused = order.length > PAUSE_OFF_SCREEN_OVER;
  const shown = useGradual(order.length, CARDS_PER_FRAME);
  return (
    <section className="panel cards-panel" aria-labelledby="cards-title">
      <div className="panel-head">
        <h2 id="cards-title">{t('cards.title')}</h2>
        <span className="muted">{t('cards.count', { count: order.length })}</span>
        <label className="check push-right">
          <input type="checkbox" data-testid="hide-closed" checked={hideClosed} onChange={(e) => setHideClosed(appStore(), e.target.checked)} /> {t('cards.hideClosed')}
        </label>
        <MaximizeButton panel="cards" />
      </div>
      <LinkStrip />
      {order.length === 0 ? <p className="empty" data-testid="cards-empty">{t('cards.empty')}</p> : null}
      <div className={`cards${paused ? ' paused' : ''}`} data-testid="socket-cards">
        {order.slice(0, shown).map((id) => <SocketCard key={id} id={id} pauseOffScreen={paused} />)}
      </div>
    </section>
  );
}
