import type { TcpState } from '@socketscope/shared';

/** Sizes of the ladder for normal and projector mode; everything the SVG draws is derived from these. */
export interface Metrics {
  rowH: number;
  font: number;
  small: number;
  gutter: number;
  laneW: number;
  headerH: number;
  stroke: number;
}

export const ROW_MIN = 24;
export const ROW_MAX = 120;

/** Rows tall enough for a label, the arrow and its second line (rowLines) at the type's size, and no taller. */
export function defaultRowHeight(projector: boolean): number {
  return projector ? 60 : 46;
}

/** The time column: the row's time (up to "12.345678 s" at 0.85 em) and the 三次握手 bracket with its name. */
export function gutterFor(font: number): number {
  return Math.round(font * 7.8);
}

/** Type sizes: the page's, and the projector's (the back of a room), which gives way down to PROJECTOR_MIN_FONT. */
export const FONT = 13;
export const PROJECTOR_FONT = 20;
export const PROJECTOR_MIN_FONT = 15;
/** a lane this many ems wide holds an arrow's flags and numbers between two neighbours */
const ROOMY_LANE_EM = 12.5;
/** narrower than this many ems, lanes stop shrinking and the diagram scrolls sideways (many sockets) */
const MIN_LANE_EM = 6.2;

/**
 * G1  Every lane is in view: the lanes share the width left of the time column, whatever it is, until a
 *     lane would be narrower than MIN_LANE_EM ems (then the diagram scrolls sideways).
 * G2  Projector type is PROJECTOR_FONT where each lane has ROOMY_LANE_EM ems; where it has less, the type
 *     (and the time column with it) shrinks to fit, down to PROJECTOR_MIN_FONT — the lanes stay in view.
 */
export function metrics(projector: boolean, rowH: number, width: number, lanes: number): Metrics {
  const n = Math.max(1, lanes);
  let font = projector ? PROJECTOR_FONT : FONT;
  if (projector) {
    // the size at which n roomy lanes and the time column fill the width exactly
    const fit = width / (n * ROOMY_LANE_EM + 7.8);
    font = Math.max(PROJECTOR_MIN_FONT, Math.min(PROJECTOR_FONT, Math.floor(fit)));
  }
  const gutter = gutterFor(font);
  const laneW = Math.max(font * MIN_LANE_EM, (width - gutter) / n);
  const small = projector ? Math.round(font * 0.8) : 11;
  return { rowH, font, small, gutter, laneW, headerH: projector ? 124 : 72, stroke: projector ? 2.5 : 1.5 };
}

/** Whether `lanes` lanes fit `width` without scrolling sideways (G1). */
export function lanesFit(width: number, lanes: number, projector: boolean): boolean {
  const m = metrics(projector, 46, width, lanes);
  return contentWidth(m, lanes) <= width + 0.5;
}

/** The width a ladder of `lanes` lanes needs to draw them at a readable size (projector: its smallest type). */
export function readableWidth(lanes: number, projector: boolean): number {
  const font = projector ? PROJECTOR_MIN_FONT : FONT;
  return gutterFor(font) + Math.max(1, lanes) * font * 10;
}

export function laneX(m: Metrics, column: number): number {
  return m.gutter + m.laneW * (column + 0.5);
}

/** Width of the whole diagram: the time gutter and every lane. */
export function contentWidth(m: Metrics, lanes: number): number {
  return m.gutter + m.laneW * Math.max(1, lanes);
}

/** Whether a row shows the selected event (a bundle shows every segment it holds). */
export function rowSelected(row: { kind: string; seq: number; lastSeq?: number }, sel: number | undefined): boolean {
  return sel !== undefined && (row.seq === sel || (row.kind === 'bundle' && row.lastSeq !== undefined && sel >= row.seq && sel <= row.lastSeq));
}

/** Estimated rendered width of text, for pill and badge boxes (CJK glyphs are about one em wide). */
export function textWidth(text: string, px: number, mono = false): number {
  let em = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    // CJK, and symbols such as ▶ → ✗, are about one em wide; capitals wider than lower case
    em += c >= 0x2000 ? 1 : mono ? 0.6 : c >= 0x41 && c <= 0x5a ? 0.66 : 0.55;
  }
  return em * px;
}

/** What is drawn inside one row: label baseline above the arrow, the arrow, a small second line. */
export function rowLines(m: Metrics): { label: number; y1: number; y2: number; second: number | null; mid: number } {
  const label = Math.round(Math.min(m.rowH * 0.42, 4 + m.font));
  const y1 = label + Math.max(3, m.font * 0.3);
  const y2 = y1 + Math.max(3, m.rowH * 0.14);
  const second = y2 + m.small + 3 <= m.rowH - 1 ? y2 + m.small + 2 : null;
  return { label, y1, y2, second, mid: m.rowH / 2 };
}

/** State families: colour is a second cue only; the state's name is always written. */
export function stateFamily(state: TcpState): 'listen' | 'opening' | 'open' | 'closing' | 'waiting' | 'closed' {
  switch (state) {
    case 'LISTEN': return 'listen';
    case 'SYN_SENT': case 'SYN_RECV': case 'NEW_SYN_RECV': return 'opening';
    case 'ESTABLISHED': return 'open';
    case 'FIN_WAIT1': case 'FIN_WAIT2': case 'CLOSE_WAIT': case 'LAST_ACK': case 'CLOSING': return 'closing';
    case 'TIME_WAIT': return 'waiting';
    default: return 'closed';
  }
}

/** Arrow kinds for styling: handshake, data, teardown, reset, plain ACK, UDP. */
export function arrowKind(flags: string, proto: 'tcp' | 'udp', len: number): 'syn' | 'data' | 'fin' | 'rst' | 'ack' | 'udp' {
  if (proto === 'udp') return 'udp';
  if (flags.includes('RST')) return 'rst';
  if (flags.includes('SYN')) return 'syn';
  if (flags.includes('FIN')) return 'fin';
  return len > 0 ? 'data' : 'ack';
}

/**
 * The centre of a label of half-length `half` on a bracket from y0 to y1: the middle of the bracket's
 * part within the view [v0, v1], kept inside the bracket when the bracket is long enough.
 */
export function stickyCentre(y0: number, y1: number, v0: number, v1: number, half: number): number {
  const mid = (Math.max(y0, v0) + Math.min(y1, v1)) / 2;
  if (y1 - y0 <= 2 * half) return (y0 + y1) / 2;
  return Math.min(y1 - half, Math.max(y0 + half, mid));
}

/** browsers cap an element's height (~33 M px in Chromium); beyond this the scrollbar maps proportionally */
export const MAX_SCROLL_PX = 15_000_000;

/** Content px per scrolled px: 1 unless the rows are taller than MAX_SCROLL_PX. */
export function scrollScale(total: number): number {
  return total > MAX_SCROLL_PX ? total / MAX_SCROLL_PX : 1;
}

/** Where the view is, as the ladder's box knows it (what the picture's top is computed from). */
export interface ViewBox {
  /** following the newest rows (no selection) */
  following: boolean;
  /** the rows' part of the view, and the whole box, header included (CSS px) */
  viewH: number;
  boxH: number;
  headerH: number;
  /** the box's vertical scroll position (CSS px) */
  scrollY: number;
}

/**
 * G3  The content pixel row at the top of the picture. Following, the box does not scroll: the newest
 *     row ends at the view's bottom (once the rows fill it). Otherwise it is the box's scroll position.
 *     The Ladder places its words with this and the painter (here or in the session worker) the picture,
 *     so the two agree for the same rows.
 */
export function pictureTop(rows: number, rowH: number, v: ViewBox): number {
  const total = rows * rowH;
  const scale = scrollScale(total);
  const still = v.following && total / scale > v.viewH;
  if (!still) return v.scrollY * scale;
  return Math.max(0, v.headerH + Math.max(v.viewH, total / scale) - v.boxH) * scale;
}
