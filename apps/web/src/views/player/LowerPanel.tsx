import { useT } from '../../i18n/useT.ts';
import { setLessonTab } from '../../store/actions.ts';
import { appStore, useApp } from '../../store/store.ts';
import { EventLog } from '../EventLog.tsx';
import { MaximizeButton } from '../Panel.tsx';
import { SocketCard } from '../SocketCard.tsx';

/** The lesson player's lower panel: the socket cards (state machine, buffers) or the event log. */
export function LowerPanel() {
  const t = useT();
  const tab = useApp((s) => (s.maximized === 'log' ? 'log' : s.maximized === 'cards' ? 'cards' : s.lessonTab));
  return (
    <section className="panel lower-panel" data-testid="lower-panel">
      <div className="tabs" role="tablist">
        {(['cards', 'log'] as const).map((k) => (
          <button key={k} type="button" role="tab" data-testid={`tab-${k}`} aria-selected={tab === k} className={tab === k ? 'on' : ''}
            onClick={() => setLessonTab(appStore(), k)}>
            {tab === k ? <span aria-hidden="true">▾ </span> : null}{t(k === 'cards' ? 'tab.cards' : 'tab.log')}
          </button>
        ))}
        <span className="push-right" />
        <MaximizeButton panel={tab} />
      </div>
      {tab === 'cards' ? <LessonCards /> : <EventLog embedded />}
    </section>
  );
}

function LessonCards() {
  const t = useT();
  const order = useApp((s) => s.model.socketOrder);
  return (
    <div className="lesson-cards" data-testid="socket-cards">
      {order.length === 0 ? <p className="empty">{t('cards.empty')}</p> : null}
      {order.map((id) => <SocketCard key={id} id={id} rich />)}
    </div>
  );
}
