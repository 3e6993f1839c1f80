import { useT } from '../i18n/useT.ts';
import { setHideClosed } from '../store/actions.ts';
import { appStore, useApp } from '../store/store.ts';
import { MaximizeButton } from './Panel.tsx';
import { SocketCard } from './SocketCard.tsx';

export function SocketList() {
  const t = useT();
  const order = useApp((s) => s.model.socketOrder);
  const hideClosed = useApp((s) => s.hideClosed);
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
      <div className="cards" data-testid="socket-cards">
        {order.map((id) => <SocketCard key={id} id={id} />)}
      </div>
    </section>
  );
}
