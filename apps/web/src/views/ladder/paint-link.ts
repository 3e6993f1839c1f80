import { FRAME_REACH } from './frame.ts';
import { arrowNumbers, arrowTitle, linkCanvasLabel } from './format.ts';
import { arrowKind, contentWidth, laneX, rowLines } from './geometry.ts';
import type { Scene } from './paint.ts';
import type { ArrowRow } from './types.ts';

/**
 * The lab's packets on the canvas (layout.ts rule L8), apart from paint.ts's painter so either can change
 * alone: pure functions of the canvas context, the scene and a row.
 *
 * - paintLinkRow draws what belongs to ONE row of a lab packet: its label, a lost packet's ✕ at the link's
 *   middle, and the arrow itself where the other end is not below it (an arrival whose departure was never
 *   seen starts at the middle; a departure still in flight stops there, dashed, without a head).
 * - paintLinkSpans draws the arrows that run from a departure's row down to its arrival's (or its drop's ✕):
 *   slanted, so their drop in rows is what happened while the packet was on the link.
 */

type Ctx = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

const xOf = (s: Scene, lane: number): number => laneX(s.m, s.layout.columnOf(lane));

/**
 * The link's middle between two lanes, where a lost packet's ✕ goes: halfway, unless a lane between them
 * has its lifeline there (client → accepted socket passes the listener's): then a quarter lane on toward
 * the receiver, so the ✕ is never read as "arrived at that socket".
 */
export function linkMiddle(s: Scene, x1: number, x2: number): number {
  const mid = (x1 + x2) / 2;
  const { m } = s;
  for (let c = 0; c < s.layout.lanes.length; c++) {
    if (Math.abs(laneX(m, c) - mid) < m.font * 1.2) return mid + Math.sign(x2 - x1) * m.laneW * 0.25;
  }
  return mid;
}

/** true: a lab packet's row, drawn here (the caller draws nothing of it); false: not one, draw it as usual */
export function paintLinkRow(ctx: Ctx, s: Scene, row: ArrowRow, r: number): boolean {
  if (row.leg === undefined && row.lost === undefined) return false;
  const { m, palette: p, t } = s;
  const lines = rowLines(m);
  const x1 = xOf(s, row.from);
  const x2 = xOf(s, row.to);
  const dir = x2 >= x1 ? 1 : -1;
  const mid = linkMiddle(s, x1, x2);
  const color = p.kind[arrowKind(row.flags, row.proto, row.len)];
  const lw = s.projector ? 3 : 2;
  const pairRow = row.pairIdx === undefined ? -1 : s.layout.rowOfIdx(row.pairIdx);
  const isDrop = row.leg === undefined;
  ctx.save();
  if (isDrop) {
    // its departure's arrow comes down to here (paintLinkSpans); with no departure above, it starts here
    if (!(pairRow >= 0 && pairRow < r)) shaft(ctx, x1, lines.y1, mid - dir * m.font * 0.5, lines.y2, color, lw, false);
    cross(ctx, mid, lines.y2, m.font * 0.55, p.kind.rst, s.projector ? 4 : 3, p.bg);
  } else if (row.leg === 'depart' && pairRow < 0) {
    // in flight (or its arrival never seen): dashed to the middle, no head
    shaft(ctx, x1, lines.y1, mid, lines.y2, color, lw, true);
  } else if (row.leg === 'arrive' && pairRow < 0) {
    // an arrival whose departure was not seen: from the link's middle
    shaft(ctx, mid, lines.y1, x2 - dir * 2, lines.y2, color, lw, row.inferred);
    head(ctx, mid, lines.y1, x2 - dir * 2, lines.y2, color, lw);
  }

  // words: a departure (or a drop without one) carries the packet's title and numbers; a paired arrival a short note
  const showTitle = row.leg === 'depart' || (row.leg === 'arrive' && pairRow < 0) || (isDrop && pairRow < 0);
  const left = m.gutter + 4;
  const right = contentWidth(m, s.layout.lanes.length) - 4;
  if (showTitle) {
    const title = arrowTitle(row);
    const nums = arrowNumbers(row);
    ctx.font = `700 ${m.font}px ${p.font}`;
    const wt = ctx.measureText(title).width;
    ctx.font = `400 ${m.font * 0.92}px ${p.mono}`;
    const wn = ctx.measureText(nums).width;
    const gap = m.font * 0.6;
    const total = wt + gap + wn;
    // beside the tail, toward the other lane (the slanted shaft leaves the row there)
    const cx = clamp(row.leg === 'arrive' ? (mid + x2) / 2 : (x1 + mid) / 2 + dir * m.font, total, left, right);
    let at = cx - total / 2;
    ctx.textAlign = 'left';
    ctx.font = `700 ${m.font}px ${p.font}`;
    halo(ctx, title, at, lines.label, color, p.bg);
    at += wt + gap;
    ctx.font = `400 ${m.font * 0.92}px ${p.mono}`;
    halo(ctx, nums, at, lines.label, p.fg, p.bg);
  }
  const note = linkCanvasLabel(row, t);
  if (note) {
    ctx.font = `${row.lost ? 700 : 400} ${m.small}px ${p.font}`;
    const w = ctx.measureText(note).width;
    const y = lines.second ?? lines.y2 + m.small;
    // a lost packet's words by its ✕; an arrival's by its head; a departure's under its tail
    const anchor = isDrop ? mid + dir * m.font * 0.9 : row.leg === 'arrive' ? x2 - dir * m.font * 0.9 : x1 + dir * m.font * 0.6;
    const toLeft = isDrop ? dir < 0 : row.leg === 'arrive' ? dir > 0 : dir < 0;
    const x = Math.min(right - w, Math.max(left, toLeft ? anchor - w : anchor));
    ctx.textAlign = 'left';
    halo(ctx, note, x, isDrop ? lines.y2 + m.font * 0.35 : y, row.lost ? p.kind.rst : p.muted, p.bg);
  }
  // the capture's analysis (a retransmission's mark) under the packet's title, in the alarm colour
  if (showTitle && row.analysis.length > 0) {
    ctx.font = `700 ${m.small}px ${p.font}`;
    let bx = row.leg === 'arrive' ? x2 - dir * m.font * 0.9 : x1 + dir * m.font * 0.6;
    const y = lines.y2 + 2;
    for (const code of row.analysis) {
      const text = t(`ladder.analysis.${code}`);
      const w = ctx.measureText(text).width + m.small;
      const bl = Math.min(right - w, Math.max(left, (row.leg === 'arrive' ? dir > 0 : dir < 0) ? bx - w : bx));
      ctx.fillStyle = p.bg;
      ctx.strokeStyle = p.kind.rst;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.roundRect(bl, y, w, m.small + 6, 3);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = p.kind.rst;
      ctx.textAlign = 'center';
      ctx.fillText(text, bl + w / 2, y + m.small + 2);
      bx += (row.leg === 'arrive' ? -dir : dir) * (w + 4);
    }
  }
  ctx.restore();
  return true;
}

/** Arrows from a departure's row down to its arrival's or its drop's (rows first..last in view; the view's top is s.y0). */
export function paintLinkSpans(ctx: Ctx, s: Scene, first: number, last: number): void {
  const { m, layout } = s;
  const lines = rowLines(m);
  const rows = layout.rows;
  const lw = s.projector ? 3 : 2;
  const y = (row: number) => row * m.rowH - s.y0;
  const end = Math.min(last + FRAME_REACH, rows.length - 1);
  ctx.save();
  for (let r = first; r <= end; r++) {
    const row = rows[r];
    if (row?.kind !== 'arrow' || row.pairIdx === undefined || (row.leg === undefined && row.lost === undefined)) continue;
    const q = layout.rowOfIdx(row.pairIdx);
    if (q < 0) continue;
    let dep: number;
    let fin: number;
    if (row.leg !== 'depart' && q < r) { dep = q; fin = r; } // the end, its departure above (drawn from the end: the departure may be above the view)
    else if (row.leg === 'depart' && q > end && r <= last) { dep = r; fin = q; } // the departure, its end past what the frame holds
    else continue;
    if (dep > last) continue;
    const x1 = xOf(s, row.from);
    const x2 = xOf(s, row.to);
    const dir = x2 >= x1 ? 1 : -1;
    const color = s.palette.kind[arrowKind(row.flags, row.proto, row.len)];
    const lost = row.lost !== undefined;
    const xe = lost ? linkMiddle(s, x1, x2) - dir * m.font * 0.5 : x2 - dir * 2;
    const y1 = y(dep) + lines.y1;
    const y2 = y(fin) + lines.y2;
    shaft(ctx, x1, y1, xe, y2, color, lw, false);
    if (!lost) head(ctx, x1, y1, xe, y2, color, lw);
  }
  ctx.restore();
}

function clamp(centre: number, w: number, lo: number, hi: number): number {
  if (w >= hi - lo) return lo + w / 2;
  return Math.min(hi - w / 2, Math.max(lo + w / 2, centre));
}

function shaft(ctx: Ctx, x1: number, y1: number, x2: number, y2: number, color: string, lw: number, dashed: boolean): void {
  // a headed shaft stops inside its head, so a thick line does not poke through the tip
  ctx.strokeStyle = color;
  ctx.lineWidth = lw;
  ctx.setLineDash(dashed ? [7, 5] : []);
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x2, y2);
  ctx.stroke();
  ctx.setLineDash([]);
}

function head(ctx: Ctx, x1: number, y1: number, x2: number, y2: number, color: string, lw: number): void {
  arrowHead(ctx, x2, y2, Math.atan2(y2 - y1, x2 - x1), 7 * lw, color);
}

/** A filled arrowhead at (tipX, tipY) pointing along `ang`, `len` long: every arrow of the ladder ends in one. */
export function arrowHead(ctx: Ctx, tipX: number, tipY: number, ang: number, len: number, color: string): void {
  ctx.fillStyle = color;
  ctx.beginPath();
  ctx.moveTo(tipX, tipY);
  ctx.lineTo(tipX - Math.cos(ang - 0.46) * len, tipY - Math.sin(ang - 0.46) * len);
  ctx.lineTo(tipX - Math.cos(ang + 0.46) * len, tipY - Math.sin(ang + 0.46) * len);
  ctx.closePath();
  ctx.fill();
}

/** the lost packet's ✕: two strokes on a disc of the background, so it reads over any line */
function cross(ctx: Ctx, x: number, y: number, d: number, color: string, lw: number, bg: string): void {
  ctx.fillStyle = bg;
  ctx.beginPath();
  ctx.arc(x, y, d * 1.35, 0, Math.PI * 2);
  ctx.fill();
  ctx.strokeStyle = color;
  ctx.lineWidth = lw;
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(x - d, y - d);
  ctx.lineTo(x + d, y + d);
  ctx.moveTo(x + d, y - d);
  ctx.lineTo(x - d, y + d);
  ctx.stroke();
  ctx.lineCap = 'butt';
}

function halo(ctx: Ctx, text: string, x: number, y: number, color: string, bg: string): void {
  ctx.lineJoin = 'round';
  ctx.lineWidth = 4;
  ctx.strokeStyle = bg;
  ctx.strokeText(text, x, y);
  ctx.fillStyle = color;
  ctx.fillText(text, x, y);
}
