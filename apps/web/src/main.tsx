import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { currentClient, startSession } from './app/session.ts';
import { readPageParams } from './connection/url.ts';
import { pickLocale } from './i18n/index.ts';
import { setConn } from './store/actions.ts';
import { initAppStore } from './store/store.ts';
import './views/styles.css';

const params = readPageParams(window.location.search);
const store = initAppStore({ locale: pickLocale(params.lang, navigator.languages ?? []), projector: params.projector });

if (params.token) startSession(store, params.token);
else setConn(store, { status: 'no-token' });

/**
 * A small handle for people debugging a classroom machine from the console (and for the e2e test of
 * reconnect-and-resync): drop the connection as a network failure would, and read what the store holds.
 * It exposes nothing the page itself cannot already do.
 */
(window as unknown as { socketscope: unknown }).socketscope = {
  dropConnection: () => currentClient()?.dropConnection(),
  stats: () => {
    const s = store.getState();
    return { status: s.conn.status, lastSeq: s.model.lastSeq, events: s.model.events, logRows: s.log.length, seqs: s.log.map((r) => r.event?.seq ?? null), badEvents: s.badEvents };
  },
};

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
