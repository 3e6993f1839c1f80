import { useEffect, useState } from 'react';
import { useT } from '../i18n/useT.ts';
import { setHideClosed } from '../store/actions.ts';
import { appStore, useApp } from '../store/store.ts';
import { MaximizeButton } from './Panel.tsx';
import { SocketCard } from './SocketCard.tsx';

const PAUSE_OFF_SCREEN_OVER = 24;
/** new cards mounted per animation frame at most */
const CARDS_PER_FRAME = 8;

/**
 * How many of `total` cards to render: every card rendered before, and at most `step` more each frame.
 * A burst of new sockets (a stream's first second opens 90, a loaded recording hundreds) used to mount
 * every card in one turn: 90–130 ms of React render, style and layout with cold code, for cards that
 * are mostly below the fold. They now come in over a few frames, in order; the count in the header is
 * the whole count at once.
 */
function useGradual(total: number, step: number): number {
  const [shown, setShown] = useState(() => Math.min(total, step));
  useEffect(() => {
    if (shown > total) setShown(total); // a new session: its burst comes in gradually too
    if (shown >= total) return;
    const id = requestAnimationFrame(() => setShown((n) => Math.min(total, n + step)));
    return () => cancelAnimationFrame(id);
  }, [shown, total, step]);
  return Math.min(shown, total);
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
      {order.length === 0 ? <p className="empty" data-testid="cards-empty">{t('cards.empty')}</p> : null}
      <div className={`cards${paused ? ' paused' : ''}`} data-testid="socket-cards">
        {order.slice(0, shown).map((id) => <SocketCard key={id} id={id} pauseOffScreen={paused} />)}
      </div>
    </section>
  );
}
