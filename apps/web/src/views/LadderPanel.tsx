import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { SessionEvent } from '@socketscope/shared';
import { useT } from '../i18n/useT.ts';
import { currentLink, ladderPicture, setLadderView } from '../session/link.ts';
import { select } from '../store/playback.ts';
import { appStore, useApp } from '../store/store.ts';
import { layoutOf } from './ladder/frame.ts';
import { Ladder, type LadderView } from './ladder/Ladder.tsx';
import { MaximizeButton } from './Panel.tsx';

/**
 * The sequence diagram at the playback cursor. The session worker lays it out (session/core.ts) and
 * sends the rows in view; this panel tells it which rows those are and draws them. Selecting a row here
 * or in the event log selects the same event in both.
 */
export function LadderPanel() {
  const t = useT();
  const frame = useApp((s) => s.ladder);
  const selected = useApp((s) => s.selectedSeq);
  const cursor = useApp((s) => s.cursor);
  const projector = useApp((s) => s.projector);
  const box = useRef<HTMLDivElement | null>(null);
  const [size, setSize] = useState({ width: 1000, height: 400 });
  const layout = useMemo(() => layoutOf(frame), [frame]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setSize((p) => {
      const next = { width: Math.floor(el.clientWidth), height: Math.max(160, Math.floor(el.clientHeight)) };
      return p.width === next.width && p.height === next.height ? p : next;
    });
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    measure();
    return () => ro.disconnect();
  }, []);

  // no ladder on screen: the worker stops laying one out
  useEffect(() => () => { setLadderView(null); ladderPicture.close(); }, []);
  const onView = useCallback((v: LadderView) => setLadderView(v), []);
  const onSelect = useCallback((seq: number) => select(appStore(), seq), []);

  // the selected event, for the details panel: asked of the worker (it holds the events)
  const [detail, setDetail] = useState<SessionEvent | undefined>(undefined);
  useEffect(() => {
    if (selected === null) { setDetail(undefined); return; }
    let gone = false;
    void currentLink()?.query({ q: 'event', seq: selected }).then((a) => { if (!gone) setDetail(a.event ?? undefined); });
    return () => { gone = true; };
  }, [selected]);

  // projector type shrinks where the lanes need the width: every lane stays in view (ladder/geometry.ts G1, G2)
  const big = projector;

  // Stepping or playing: the newest row must be in view. The ladder follows new rows only while its
  // own "follow" is on, and it can lose that without anyone scrolling (its content grows a scrollbar),
  // so the panel brings the end into view itself whenever the cursor moves or the panel is resized
  // (projector mode, a view shown alone), unless an event is selected.
  useEffect(() => {
    if (cursor === null || selected !== null) return;
    // two frames: the ladder lays out again (row height, lanes) in the frame after a resize
    let id = requestAnimationFrame(() => {
      id = requestAnimationFrame(() => {
        const el = box.current?.querySelector<HTMLElement>('.ll-scroll');
        if (el) el.scrollTop = el.scrollHeight;
      });
    });
    return () => cancelAnimationFrame(id);
  }, [cursor, selected, size.width, size.height, big]);

  return (
    <section className="panel ladder-panel" data-testid="ladder-panel" aria-label={t('ladder.title')}>
      <MaximizeButton panel="ladder" />
      <div className="ladder-box" ref={box}>
        <Ladder layout={layout} detail={detail} onView={onView} t={t} height={size.height} projector={big} remote={ladderPicture}
          onSelect={onSelect} {...(selected !== null ? { selectedSeq: selected } : {})} />
      </div>
    </section>
  );
}
