import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { installRoomKeys } from './app/keys.ts';
import { bindRoute, routeFromSearch } from './app/route.ts';
import { startSession, startWorker } from './app/session.ts';
import { currentLink } from './session/link.ts';
import { readPageParams, tokenForTab, withoutToken } from './connection/url.ts';
import { pickLocale } from './i18n/index.ts';
import { setConn } from './store/actions.ts';
import { Player } from './store/player.ts';
import { initAppStore } from './store/store.ts';
import './views/styles.css';
import './views/classroom.css';
import './views/room.css';

const params = readPageParams(window.location.search);
// the token leaves the address bar at once (projector, history, bookmarks); this tab keeps it for a reload
const token = tokenForTab(window.location.search, sessionStorageOrNull());
if (params.token) window.history.replaceState(window.history.state, '', withoutToken(window.location.href));
const store = initAppStore({
  locale: pickLocale(params.lang, navigator.languages ?? []),
  projector: params.projector,
  route: routeFromSearch(window.location.search),
});
const player = new Player(store);
player.attach();
bindRoute(store);
installRoomKeys(store, player);

startWorker(store);
if (token) startSession(store, token);
else setConn(store, { status: 'no-token' });

/**
 * A small handle for people debugging a classroom machine from the console (and for the e2e test of
 * reconnect-and-resync): drop the connection as a network failure would, and read what the store holds.
 * `lastSeq` and `seqs` are the agent's numbers (what a resync resumes after); `pageSeqs` the page's
 * playback order. It exposes nothing the page itself cannot already do.
 */
(window as unknown as { socketscope: unknown }).socketscope = {
  dropConnection: () => currentLink()?.drop(),
  /** what the session worker holds (a promise: the worker answers) */
  stats: async () => {
    const s = store.getState();
    const w = currentLink() ? (await currentLink()!.query({ q: 'stats' })).stats : null;
    return { ...w, status: s.conn.status, badEvents: s.badEvents, cursor: s.cursor };
  },
};

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App player={player} />
  </StrictMode>,
);

function sessionStorageOrNull(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
