import { useEffect, useRef, type ReactNode } from 'react';
import { useT } from '../../i18n/useT.ts';
import { setLessonTab } from '../../store/actions.ts';
import type { LessonTab } from '../../store/slices.ts';
import type { AppState } from '../../store/slices.ts';
import { appStore, useApp } from '../../store/store.ts';
import { EventLog } from '../EventLog.tsx';
import { MaximizeButton } from '../Panel.tsx';
import { SocketCard } from '../SocketCard.tsx';
import { LinkStrip } from '../lab/LinkStrip.tsx';

const TAB_KEY = { code: 'tab.code', cards: 'tab.cards', log: 'tab.log' } as const;

/**
 * The lesson player's tabbed panel: the socket cards (state machine, buffers) or the event log, and in
 * projector mode (where large type leaves room for fewer views) the code as a third tab.
 */
export function LowerPanel({ code, since }: { code?: ReactNode; since?: number | undefined }) {
  const t = useT();
  const tabs: readonly LessonTab[] = code ? ['code', 'cards', 'log'] : ['cards', 'log'];
  const tab = useApp((s) => {
    const want = s.maximized === 'log' || s.maximized === 'cards' || s.maximized === 'code' ? s.maximized : s.lessonTab;
    return tabs.includes(want) ? want : tabs[0]!;
  });
  return (
    <section className="panel lower-panel" data-testid="lower-panel">
      <div className="tabs" role="tablist">
        {tabs.map((k) => (
          <button key={k} type="button" role="tab" data-testid={`tab-${k}`} aria-selected={tab === k} className={tab === k ? 'on' : ''}
            onClick={() => setLessonTab(appStore(), k)}>
            {tab === k ? <span aria-hidden="true">▾ </span> : null}{t(TAB_KEY[k])}
          </button>
        ))}
        <span className="push-right" />
        <MaximizeButton panel={tab} />
      </div>
      {tab === 'code' ? code : tab === 'cards' ? <LessonCards since={since} /> : <EventLog embedded />}
    </section>
  );
}

/**
 * The sockets at the cursor; the ones the current step changed are marked and scrolled into view.
 * Shown alone (a focus view), those come first.
 */
function LessonCards({ since }: { since: number | undefined }) {
  const t = useT();
  const alone = useApp((s) => s.maximized === 'cards');
  const order = useApp(useShallowOrder(alone, since));
  const box = useRef<HTMLDivElement | null>(null);
  // in the small panel, bring the first card the step changed into view (shown alone, all are in view)
  useEffect(() => {
    if (alone) box.current?.scrollTo(0, 0);
    else box.current?.querySelector('.card.touched')?.scrollIntoView({ block: 'nearest' });
  }, [since, alone]);
  return (
    <div className="lesson-cards" data-testid="socket-cards" ref={box}>
      <LinkStrip />
      {order.length === 0 ? <p className="empty">{t('cards.emptyLesson')}</p> : null}
      {order.map((id) => <SocketCard key={id} id={id} rich since={since} />)}
    </div>
  );
}

/** Socket ids in model order, or (touched first) for the focus view; the same array while nothing changes. */
function useShallowOrder(touchedFirst: boolean, since: number | undefined): (s: AppState) => readonly string[] {
  const last = useRef<readonly string[]>([]);
  return (s) => {
    const order = s.model.socketOrder;
    const next = !touchedFirst || since === undefined ? order : [
      ...order.filter((id) => (s.model.sockets[id]?.lastSeq ?? -1) >= since),
      ...order.filter((id) => (s.model.sockets[id]?.lastSeq ?? -1) < since),
    ];
    if (next.length === last.current.length && next.every((id, i) => id === last.current[i])) return last.current;
    last.current = next;
    return next;
  };
}
