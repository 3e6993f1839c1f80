import { useEffect } from 'react';
import { withParam } from '../connection/url.ts';
import type { Player } from '../store/player.ts';
import { useApp } from '../store/store.ts';
import { ConnectionBanner } from '../views/Banner.tsx';
import { DropZone, FileProblem } from '../views/Files.tsx';
import { Header } from '../views/Header.tsx';
import { LessonList } from '../views/LessonList.tsx';
import { NoToken } from '../views/NoToken.tsx';
import { LessonPlayer } from '../views/player/LessonPlayer.tsx';
import { SessionView } from '../views/SessionView.tsx';
import { ViewBoundary } from '../views/ViewBoundary.tsx';
import { PlayerContext } from './playerContext.ts';

export function App({ player }: { player: Player }) {
  const locale = useApp((s) => s.locale);
  const projector = useApp((s) => s.projector);
  const route = useApp((s) => s.route);
  const noToken = useApp((s) => s.conn.status === 'no-token' && s.source.kind === 'live');

  // the document language picks the right CJK glyphs (SC vs TC) and is kept in the address for reloads
  useEffect(() => {
    document.documentElement.lang = locale;
    window.history.replaceState(null, '', withParam(window.location.href, 'lang', locale));
  }, [locale]);
  useEffect(() => {
    document.documentElement.classList.toggle('projector', projector);
    window.history.replaceState(null, '', withParam(window.location.href, 'projector', projector ? '1' : null));
  }, [projector]);

  return (
    <PlayerContext.Provider value={player}>
      <div className="app">
        <ViewBoundary view="header"><Header /></ViewBoundary>
        <ViewBoundary view="banner"><ConnectionBanner /><FileProblem /></ViewBoundary>
        {/* a view that throws leaves a message in its place, never an empty page (ViewBoundary) */}
        <ViewBoundary view="main">
          {route.view === 'lesson' ? <LessonPlayer id={route.id} />
            : route.view === 'session' ? (noToken ? <main className="lessons"><NoToken /></main> : <SessionView />)
            : <LessonList />}
        </ViewBoundary>
        <DropZone />
      </div>
    </PlayerContext.Provider>
  );
}
