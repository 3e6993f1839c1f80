import { useEffect } from 'react';
import { withParam } from '../connection/url.ts';
import { useApp } from '../store/store.ts';
import { ConnectionBanner } from '../views/Banner.tsx';
import { EventLog } from '../views/EventLog.tsx';
import { Header } from '../views/Header.tsx';
import { NoToken } from '../views/NoToken.tsx';
import { Playground } from '../views/Playground.tsx';
import { SocketList } from '../views/SocketList.tsx';

export function App() {
  const locale = useApp((s) => s.locale);
  const projector = useApp((s) => s.projector);
  const noToken = useApp((s) => s.conn.status === 'no-token');

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
    <div className="app">
      <Header />
      <ConnectionBanner />
      {noToken ? <NoToken /> : (
        <main className="layout">
          <Playground />
          <SocketList />
          <EventLog />
        </main>
      )}
    </div>
  );
}
