import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useT } from '../i18n/useT.ts';
import { select } from '../store/playback.ts';
import { workAhead } from '../store/publish.ts';
import { appStore, useApp } from '../store/store.ts';
import { Ladder } from './ladder/Ladder.tsx';
import { LadderBuilder } from './ladder/layout.ts';
import { MaximizeButton } from './Panel.tsx';

/** events the ladder lays out at most: a lesson is a few hundred; a busy session shows its newest */
const LADDER_EVENTS = 1500;

const PROJECTOR_GUTTER = 190;
const PROJECTOR_LANE = 360;

/**
 * The sequence diagram at the playback cursor: the other helper's <Ladder> gets the events up to the
 * cursor (the timeline itself while following live, so it only appends) and the model folded to the
 * same point. Selecting a row here or in the event log selects the same event in both.
 */
export function LadderPanel() {
  const t = useT();
  const tl = useApp((s) => s.timeline);
  const cursor = useApp((s) => s.cursor);
  const version = useApp((s) => s.timelineVersion);
  // following, the ladder draws the head model at its own turn (store/publish.ts): the store's `model`
  // may be the cards' copy from an earlier frame; at a cursor it is the model there
  const model = useApp((s) => (s.cursor === null ? s.timeline.headModel : s.model));
  useApp((s) => (s.cursor === null ? -1 : s.modelVersion));
  const selected = useApp((s) => s.selectedSeq);
  const projector = useApp((s) => s.projector);
  // while events pour in, the rows' words wait for the stream to pause (the picture does not)
  const streaming = useApp((s) => s.streaming && s.cursor === null);
  const box = useRef<HTMLDivElement | null>(null);
  const [size, setSize] = useState({ width: 1000, height: 400 });
  const lanes = useApp((s) => s.model.socketOrder.length);

  // The newest LADDER_EVENTS events up to the cursor (following live: up to the head), so laying out
  // costs at most that many events per render however long the session and however fast it grows
  // (≈ 2.3 µs per event measured); rows further back are reached by moving the cursor there. The
  // window slides forward as events arrive (the ladder drops rows at the front and appends).
  const events = useMemo(
    () => tl.window(cursor ?? tl.last, LADDER_EVENTS),
    // version: the live array grew (or slid); a window at a fixed cursor does not change as events arrive
    [tl, cursor, cursor === null ? version : -1], // eslint-disable-line react-hooks/exhaustive-deps
  );

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

  // Under load the ladder's turn comes every third frame (store/publish.ts); laying out that many events
  // at once (≈ 5 µs each) made its frame too long, so while following, the builder takes the new events
  // after every fold and the turn only renders. The window is the same one the render asks for.
  const builder = useMemo(() => new LadderBuilder(), []);
  useEffect(() => {
    if (cursor !== null) return;
    return workAhead(() => {
      const head = appStore().getState().timeline;
      builder.update(head.window(head.last, LADDER_EVENTS), head.headModel);
    });
  }, [builder, cursor]);

  const onSelect = useCallback((seq: number) => select(appStore(), seq), []);

  // Projector sizes need ~190 px + 360 px per lane; where the panel cannot show the last lane's
  // lifeline the ladder keeps its normal sizes so every lane (client, listener, accepted socket) stays
  // in view. Shown alone (⤢) it usually has the room.
  const shown = Math.min(Math.max(lanes, 2), 4);
  const big = projector && size.width >= PROJECTOR_GUTTER + PROJECTOR_LANE * (shown - 0.5) + 100;

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
        <Ladder events={events} model={model} t={t} height={size.height} projector={big} builder={builder} words={!streaming}
          onSelect={onSelect} {...(selected !== null ? { selectedSeq: selected } : {})} />
      </div>
    </section>
  );
}
