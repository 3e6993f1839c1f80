import { LESSONS } from '@socketscope/shared/lessons/index';
import { useT } from '../i18n/useT.ts';
import { navigate } from '../store/actions.ts';
import { appStore, useApp } from '../store/store.ts';
import './player/player.css';
import { openShipped } from '../app/lessonRun.ts';
import { OpenButton } from './Files.tsx';
import { cannotRun, hasShipped, useCannotRun } from './player/shipped.ts';
import { NoToken } from './NoToken.tsx';

/**
 * The page opens here: the course's eight lessons in teaching order, each with its title and what it
 * makes visible, in the chosen language; then the playground and "open a recording". Without a token
 * the lessons can still be read and a recording opened; the start-up help says how to get the link.
 * Where the lessons cannot run here (no agent, no Python, not Linux) the list says what is missing and
 * each lesson opens the recording the page ships of it, labelled as one.
 */
export function LessonList() {
  const t = useT();
  const locale = useApp((s) => s.locale);
  const noToken = useApp((s) => s.conn.status === 'no-token');
  const store = appStore();
  const why = useCannotRun(null);
  const open = (id: string) => {
    const c = cannotRun(store.getState(), id);
    if (c && hasShipped(id)) void openShipped(store, id);
    else navigate(store, { view: 'lesson', id });
  };
  return (
    <main className="lessons" data-testid="lesson-list">
      <div className="lessons-head">
        <h2>{t('lessons.title')}</h2>
        <p data-testid="lessons-intro">{why ? t('lessons.introRecorded') : t('lessons.intro')}</p>
        {noToken ? <p className="badge badge-warn" data-testid="lessons-no-agent">⚠ {t('lessons.noAgent')}</p> : null}
        {why ? (
          <div className="badge badge-warn lessons-why" data-testid="lessons-cannot-run" data-why={why.key} role="status">
            {why.key === 'noAgent' ? null : <span><span aria-hidden="true">⚠ </span>{t(`shipped.why.${why.key}`)}{why.detail ? <span className="small"> ({why.detail})</span> : null}</span>}
            <span>{t('shipped.instead')}</span>
          </div>
        ) : null}
      </div>
      <ol className="lesson-cards-grid">
        {LESSONS.map((l, i) => (
          <li key={l.id}>
            <a className="lesson-card" data-testid={`lesson-${l.id}`} href={`?lesson=${l.id}`}
              data-opens={why && hasShipped(l.id) ? 'recording' : 'lesson'} onClick={(e) => { e.preventDefault(); open(l.id); }}>
              <span className="lesson-num" aria-hidden="true">{i + 1}</span>
              <span className="lesson-body">
                <strong className="lesson-name">{l.title[locale]}</strong>
                <span className="lesson-meta">{t('lessons.meta', { proto: l.proto.toUpperCase(), ports: l.ports.join(', '), steps: l.steps.length })}</span>
                <span className="lesson-summary">{l.summary[locale]}</span>
                {why && hasShipped(l.id) ? <span className="shipped-tag" data-testid="lesson-shipped"><span aria-hidden="true">⏺ </span>{t('shipped.card')}</span> : null}
              </span>
            </a>
          </li>
        ))}
      </ol>
      <div className="lessons-more">
        <section className="panel more-card" data-testid="playground-card">
          <h3>{t('nav.playground')}</h3>
          <p>{t('lessons.playground.body')}</p>
          <button type="button" className="primary" data-testid="open-playground" disabled={noToken}
            onClick={() => navigate(store, { view: 'session' })}>{t('lessons.playground.open')}</button>
        </section>
        <section className="panel more-card" data-testid="recording-card">
          <h3>{t('lessons.recording.title')}</h3>
          <p>{t('lessons.recording.body')}</p>
          <OpenButton primary />
          <span className="muted small"> {t('open.drop')}</span>
        </section>
      </div>
      {noToken ? <NoToken /> : null}
    </main>
  );
}
