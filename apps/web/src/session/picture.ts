import { translator, type Locale } from '../i18n/index.ts';
import { metrics, pictureTop } from '../views/ladder/geometry.ts';
import { paintLadder } from '../views/ladder/paint.ts';
import type { LadderLayout } from '../views/ladder/types.ts';
import type { LadderPaint, LadderPicture } from './protocol.ts';

/**
 * The ladder's picture, painted in the session worker where the ladder is laid out (core.ts), on an
 * OffscreenCanvas the size of the page's canvas; the page only draws the bitmap (link.ts drawPicture).
 * The page's main thread then pays one bitmap copy per diff instead of the paint, and no style work:
 * a canvas in the page made each `ctx.font` set wait for the style React's commit had left.
 */

let canvas: OffscreenCanvas | null = null;
let t: { locale: Locale; fn: ReturnType<typeof translator> } | null = null;

/** The picture of `layout` as the page's canvas shows it, or null where there is no OffscreenCanvas (node tests). */
export function paintPicture(layout: LadderLayout, p: LadderPaint, selected: number | null): LadderPicture | null {
  if (typeof OffscreenCanvas === 'undefined') return null;
  canvas ??= new OffscreenCanvas(1, 1);
  if (t?.locale !== p.locale) t = { locale: p.locale, fn: translator(p.locale) };
  const m = metrics(p.projector, p.rowH, p.width, layout.lanes.length);
  const y0 = pictureTop(layout.rows.length, m.rowH, p.box);
  paintLadder(canvas, {
    layout, m, t: t.fn, palette: p.palette, selectedSeq: selected ?? undefined, projector: p.projector,
    viewW: p.width, viewH: p.viewH, x0: p.x0, y0, dpr: p.dpr,
  });
  return { bitmap: canvas.transferToImageBitmap(), x0: p.x0, y0 };
}
