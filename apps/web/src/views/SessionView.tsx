import { useT } from '../i18n/useT.ts';
import { navigate } from '../store/actions.ts';
import { appStore, useApp } from '../store/store.ts';
import { EventLog } from './EventLog.tsx';
import { ExportPcapButton, OpenButton, SaveButton } from './Files.tsx';
import { LadderPanel } from './LadderPanel.tsx';
import { Playground } from './Playground.tsx';
import { RoomSide, useRoomMode } from './RoomSide.tsx';
import { ProgramRunsPanel } from './programs/ProgramsPanel.tsx';
import { Transport } from './player/Transport.tsx';
import { SocketList } from './SocketList.tsx';
import { ViewBoundary } from './ViewBoundary.tsx';

/**
 * A session that is not a lesson: the live playground, or a recording / capture opened from a file.
 * The same views at the playback cursor (live: following the newest event unless the teacher scrubs
 * back); the playground's forms only while live.
 */
export function SessionView() {
  const t = useT();
  const live = useApp((s) => s.source.kind === 'live');
  // a read-only (shared) page only watches: no forms at all (the agent would refuse them: E_READ_ONLY)
  const canAct = useApp((s) => s.source.kind === 'live' && !(s.session?.readOnly ?? false));
  const maximized = useApp((s) => s.maximized);
  // traced programs are shown on every page, with buttons only on the teacher's (views/programs)
  const hasRuns = useApp((s) => s.model.procOrder.length > 0);
  const show = (p: 'ladder' | 'cards' | 'log') => maximized === null || maximized === p;
  // the forms, the cards and the log give way to the diagram when the room needs it (roomMode.ts)
  const mode = useRoomMode(canAct);
  const room = maximized === null && mode !== 'wide' ? mode : null;
  return (
    <main className={`session-view${canAct ? ' with-playground' : ''}${maximized ? ' one-view' : ''}${room ? ` room-${room}` : ''}`} data-testid="session-view" data-room={mode}>
      <div className="session-bar">
        <button type="button" className="link-button" data-testid="back-to-lessons" onClick={() => navigate(appStore(), { view: 'lessons' })}>{t('nav.back')}</button>
        <span className="push-right" />
        <OpenButton />
        <SaveButton />
        <ExportPcapButton />
      </div>
      <Transport live={live} />
      <div className="layout">
        {/* each view on its own: one that throws is replaced by a message, the others go on */}
        {room ? (
          <RoomSide mode={room} panels={[
            ...(canAct ? [{ id: 'play', label: t('play.title'), node: <ViewBoundary view="playground"><Playground /></ViewBoundary> }] : []),
            ...(!canAct && hasRuns ? [{ id: 'programs', label: t('prog.title'), node: <ViewBoundary view="programs"><ProgramRunsPanel /></ViewBoundary> }] : []),
            { id: 'cards', label: t('tab.cards'), node: <ViewBoundary view="cards"><SocketList /></ViewBoundary> },
            { id: 'log', label: t('tab.log'), node: <ViewBoundary view="log"><EventLog /></ViewBoundary> },
          ]} />
        ) : (
          <>
            {canAct && maximized === null ? <ViewBoundary view="playground"><Playground /></ViewBoundary> : null}
            {!canAct && hasRuns && maximized === null ? <ViewBoundary view="programs"><ProgramRunsPanel /></ViewBoundary> : null}
          </>
        )}
        {show('ladder') ? <ViewBoundary view="ladder"><LadderPanel /></ViewBoundary> : null}
        {!room && show('cards') ? <ViewBoundary view="cards"><SocketList /></ViewBoundary> : null}
        {!room && show('log') ? <ViewBoundary view="log"><EventLog /></ViewBoundary> : null}
      </div>
    </main>
  );
}
