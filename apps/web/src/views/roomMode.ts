import { lanesFit, readableWidth } from './ladder/geometry.ts';

/**
 * How the playground (or a recording) lays out its views, so the diagram keeps every lane in view at a
 * size the room reads (issue: the playground at 1280×720 in projector mode left the diagram 470 px
 * between the forms and the cards, and its lanes were cut):
 *
 * R1  wide: the forms, the diagram, the cards over the log, side by side — without projector mode, on a
 *     desktop's width (≥ WIDE_MIN_PX): the page as it always was, every form and card in view at once.
 *     The diagram's lanes share its third of the width (geometry.ts G1): five sockets at 1280 px (four
 *     beside traced programs' code); more scroll sideways there — projector mode is the room's.
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
/** the narrowest window that keeps the three columns without projector mode (a 4:3 room's 1024 px does not) */
const WIDE_MIN_PX = 1200;

/** `programs`: the playground shows traced programs' runs, and its column grows to a share (programs.css) */
export function ladderWidthIn(mode: RoomMode, width: number, projector: boolean, withPlayground: boolean, programs = false): number {
  const rem = rootFontPx(width, projector);
  const inner = width - 1.2 * rem; // the session view's padding
  if (mode === 'wide') {
    if (withPlayground && programs) return ((inner - 1.2 * rem) * 1.1) / (1 + 1.1 + 0.85) - CHROME_PX;
    const fixed = withPlayground ? 17 * rem + 0.6 * rem : 0;
    return ((inner - fixed - 0.6 * rem) * 1.1) / 2.1 - CHROME_PX;
  }
  if (mode === 'side') return ((inner - 0.6 * rem) * 1.38) / 2 - CHROME_PX;
  return inner - 3 * rem - 0.6 * rem - CHROME_PX;
}

export function roomMode(o: { width: number; projector: boolean; lanes: number; withPlayground: boolean; programs?: boolean }): RoomMode {
  const { width, projector, lanes, withPlayground } = o;
  const at = (mode: RoomMode) => ladderWidthIn(mode, width, projector, withPlayground, o.programs ?? false);
  if (projector) return at('side') >= readableWidth(lanes, true) ? 'side' : 'rail';
  if (width >= WIDE_MIN_PX) return 'wide';
  return lanesFit(at('side'), lanes, false) ? 'side' : 'rail';
}
