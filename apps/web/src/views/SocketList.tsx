import { useT } from '../i18n/useT.ts';
import { setHideClosed } from '../store/actions.ts';
import { appStore, useApp } from '../store/store.ts';
import { MaximizeButton } from './Panel.tsx';
import { SocketCard } from './SocketCard.tsx';

const PAUSE_OFF_SCREEN_OVER = 24;

export function SocketList() {
  const t = useT();
  const order = useApp((s) => s.model.socketOrder);
  const hideClosed = useApp((s) => s.hideClosed);
  // with many cards, the ones out of view stop re-rendering until scrolled back (SocketCard)
  const paused = order.length > PAUSE_OFF_SCREEN_OVER;
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
        {order.map((id) => <SocketCard key={id} id={id} pauseOffScreen={paused} />)}
      </div>
    </section>
  );
}
