import { lanesFit, readableWidth } from './ladder/geometry.ts';

/**
 * How the playground (or a recording) lays out its views, so the diagram keeps every lane in view at a
 * size the room reads (issue: the playground at 1280×720 in projector mode left the diagram 470 px
 * between the forms and the cards, and its lanes were cut):
 *
 * R1  wide: the forms, the diagram, the cards over the log, side by side — only without projector mode,
 *     and only while the diagram's lanes fit its third of the width (geometry.ts G1).
 * R2  side: the forms, the cards and the log share one column by tabs; the diagram has the rest. Projector
 *     mode starts here, and keeps it while each lane has readableWidth (its smallest projector type).
 * R3  rail: the diagram needs the whole width; the tabs stand on a narrow rail and open over the diagram.
 *
 * The widths are estimates from the viewport (the grids in room.css and classroom.css), not
 * measurements: measuring would make the choice depend on itself.
 */
export type RoomMode = 'wide' | 'side' | 'rail';

/** The root font size styles.css gives the page at this width (its clamp()s). */
export function rootFontPx(width: number, projector: boolean): number {
  return projector ? Math.min(28, Math.max(17, width * 0.0125 + 3)) : Math.min(17, Math.max(13, width * 0.0082 + 3));
}

/** a panel's borders and the diagram's reserved scrollbar */
const CHROME_PX = 22;

export function ladderWidthIn(mode: RoomMode, width: number, projector: boolean, withPlayground: boolean): number {
  const rem = rootFontPx(width, projector);
  const inner = width - 1.2 * rem; // the session view's padding
  if (mode === 'wide') {
    const fixed = withPlayground ? 17 * rem + 0.6 * rem : 0;
    return ((inner - fixed - 0.6 * rem) * 1.1) / 2.1 - CHROME_PX;
  }
  if (mode === 'side') return ((inner - 0.6 * rem) * 1.38) / 2 - CHROME_PX;
  return inner - 3 * rem - 0.6 * rem - CHROME_PX;
}

export function roomMode(o: { width: number; projector: boolean; lanes: number; withPlayground: boolean }): RoomMode {
  const { width, projector, lanes, withPlayground } = o;
  const at = (mode: RoomMode) => ladderWidthIn(mode, width, projector, withPlayground);
  if (projector) return at('side') >= readableWidth(lanes, true) ? 'side' : 'rail';
  if (lanesFit(at('wide'), lanes, false)) return 'wide';
  return lanesFit(at('side'), lanes, false) ? 'side' : 'rail';
}
