import { arrowNumbers, arrowTitle, bundleDetail, bundleLabel, formatDelta, formatTime, markLabel, noteLabel, type T } from './format.ts';
import { arrowKind, contentWidth, laneX, rowLines, rowSelected, stateFamily, stickyCentre, type Metrics, type ViewBox } from './geometry.ts';
import { arrowHead, paintLinkRow, paintLinkSpans } from './paint-link.ts';
import { shortPreview } from './payload.ts';
import type { ArrowRow, BundleRow, LadderLayout, LadderRow, MarkRow, StateRow } from './types.ts';

/**
 * The ladder's picture, drawn on a canvas the size of the view. Under a stream of 10,000 events a second
 * every visible row is new at each of the ladder's turns; as SVG that was ~250 elements rebuilt by React,
 * then style, layout (text shaping) and paint: frames of 20–30 ms, the most expensive view of the page
 * (docs/PERFORMANCE.md). Drawn here it is 1–3 ms a turn (CPU profile). The rows' words stay in the DOM as well, over the
 * picture (LadderRows in LadderWindow.tsx): that is what screen readers, find-in-page, clicks and the
 * end-to-end tests read, and it is made from the same rows and the same format.ts functions.
 *
 * Everything here mirrors what the SVG drew (ladder.css has the colours as CSS variables; they are read
 * once per look, see readPalette).
 *
 * It is pure canvas code (no DOM): in the page the session worker runs it on an OffscreenCanvas, where
 * the ladder is laid out, and the page only draws the bitmap it gets (session/picture.ts); the harness
 * paints on its own canvas. On a canvas in the page each `ctx.font` set made the browser finish the style
 * work React's commit had left (1.2 s of 5 s at 10,000 events/s in a CPU profile); in a worker there is none.
 */

export type Kind = ReturnType<typeof arrowKind>;
export type Family = ReturnType<typeof stateFamily>;

export interface Palette {
  bg: string;
  fg: string;
  muted: string;
  line: string;
  panel: string;
  select: string;
  callBg: string;
  kind: Record<Kind, string>;
  state: Record<Family, string>;
  font: string;
  /** segment numbers and payload previews (ladder.css: .ll-nums, .ll-preview) */
  mono: string;
  /** socket calls, which may carry Chinese text (.ll-call) */
  callMono: string;
}

const v = (cs: CSSStyleDeclaration, name: string, fallback: string): string => cs.getPropertyValue(name).trim() || fallback;

/** The ladder's colours and fonts as the page styles them (custom properties resolved by the browser). */
export function readPalette(root: Element): Palette {
  const cs = getComputedStyle(root);
  return {
    bg: v(cs, '--ll-bg', '#ffffff'),
    fg: v(cs, '--ll-fg', '#111111'),
    muted: v(cs, '--ll-muted', '#4a4a4a'),
    line: v(cs, '--ll-line', '#8a8a8a'),
    panel: v(cs, '--ll-panel', '#f4f4f1'),
    select: v(cs, '--ll-select', '#fff3b0'),
    callBg: v(cs, '--ll-call-bg', '#fffbe6'),
    kind: {
      syn: v(cs, '--ll-syn', '#0b57d0'), data: v(cs, '--ll-data', '#111111'), fin: v(cs, '--ll-fin', '#7b1fa2'),
      rst: v(cs, '--ll-rst', '#c5221f'), ack: v(cs, '--ll-ack', '#3c4043'), udp: v(cs, '--ll-udp', '#00695c'),
    },
    state: {
      listen: v(cs, '--ll-st-listen', '#cfe3ff'), opening: v(cs, '--ll-st-opening', '#ffe2a8'), open: v(cs, '--ll-st-open', '#bfe8c5'),
      closing: v(cs, '--ll-st-closing', '#e9d2f4'), waiting: v(cs, '--ll-st-waiting', '#dcdcdc'), closed: v(cs, '--ll-st-closed', '#f1f1f1'),
    },
    font: cs.fontFamily || 'system-ui, sans-serif',
    mono: 'ui-monospace, monospace',
    callMono: 'ui-monospace, "Noto Sans Mono CJK SC", monospace',
  };
}

export interface Scene {
  layout: LadderLayout;
  m: Metrics;
  t: T;
  palette: Palette;
  selectedSeq: number | undefined;
  projector: boolean;
  /** the view's size in CSS px (the canvas covers it) */
  viewW: number;
  viewH: number;
  /** content coordinates of the view's top-left corner: horizontal scroll, and the first pixel row of rows */
  x0: number;
  y0: number;
  /** device pixels per CSS px (default: the window's) */
  dpr?: number;
}

/** What a painter away from the page (the session worker) needs besides the layout, as the page shows it. */
export interface PaintView {
  palette: Palette;
  projector: boolean;
  rowH: number;
  /** the view's width (the canvas's), and the rows' part of its height, CSS px */
  width: number;
  viewH: number;
  dpr: number;
  /** horizontal scroll */
  x0: number;
  /** the vertical position comes from the rows painted (geometry.ts G3) */
  box: ViewBox;
}

/** Where the page's view is now (content px), for drawing a picture painted at another position. */
export interface PictureAt {
  x0: number;
  y0: number;
  following: boolean;
}

/** A painter away from the page (session/link.ts): the Ladder says what it shows and hands it its canvas. */
export interface RemotePicture {
  canvas(c: HTMLCanvasElement | null): void;
  view(v: PaintView, at: PictureAt): void;
  close(): void;
}

type Ctx = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Rows the view shows for a given top (content px): the ones the canvas draws. */
export function rowsInView(y0: number, viewH: number, rowH: number, count: number): { first: number; last: number } {
  return { first: Math.max(0, Math.floor(y0 / rowH)), last: Math.min(count - 1, Math.ceil((y0 + viewH) / rowH)) };
}

/** Draws the scene, sizing the canvas's backing store to the view and the screen's pixel ratio. */
export function paintLadder(canvas: HTMLCanvasElement | OffscreenCanvas, s: Scene): void {
  const dpr = Math.max(1, Math.min(3, s.dpr ?? (globalThis.devicePixelRatio || 1)));
  const w = Math.max(1, Math.round(s.viewW * dpr));
  const h = Math.max(1, Math.round(s.viewH * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d') as Ctx | null;
  if (!ctx) return;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.setTransform(dpr, 0, 0, dpr, -s.x0 * dpr, 0);
  new Painter(ctx, s).all();
}

const PRINTABLE = /^[\x20-\x7e]*$/;
/** text widths by font and text, shared by every paint (bounded) */
const widths = new Map<string, number>();

class Painter {
  private readonly m: Metrics;
  private readonly p: Palette;
  private readonly lines: ReturnType<typeof rowLines>;
  private readonly first: number;
  private readonly last: number;
  private readonly shaft: number;

  constructor(private readonly ctx: Ctx, private readonly s: Scene) {
    this.m = s.m;
    this.p = s.palette;
    this.lines = rowLines(s.m);
    const r = rowsInView(s.y0, s.viewH, s.m.rowH, s.layout.rows.length);
    this.first = r.first;
    this.last = r.last;
    this.shaft = s.projector ? 3 : 2;
  }

  /** top of a row in view coordinates */
  private y(row: number): number {
    return row * this.m.rowH - this.s.y0;
  }

  private x(lane: number): number {
    return laneX(this.m, this.s.layout.columnOf(lane));
  }

  all(): void {
    const { first, last } = this;
    if (last < first) return;
    this.bands();
    this.lifelines();
    this.activations();
    for (let r = first; r <= last; r++) this.row(r);
    paintLinkSpans(this.ctx, this.s, first, last);
    this.phases();
  }

  /** the font last set: setting ctx.font parses the string every time, even the same one (CPU profile) */
  private current = '';
  private monoFont = false;
  private px = 0;

  private font(px: number, opts: { weight?: number; mono?: boolean | 'call'; italic?: boolean } = {}): void {
    const family = opts.mono === 'call' ? this.p.callMono : opts.mono ? this.p.mono : this.p.font;
    const f = `${opts.italic ? 'italic ' : ''}${opts.weight ?? 400} ${px}px ${family}`;
    this.monoFont = opts.mono === true;
    this.px = px;
    if (f === this.current) return;
    this.current = f;
    this.ctx.font = f;
  }

  /**
   * Width of text in the current font. In the monospace font printable ASCII (segment numbers) is its
   * length times one advance; other text is measured once per font and kept (flags, calls, states repeat).
   */
  private measure(text: string): number {
    if (this.monoFont && PRINTABLE.test(text)) return text.length * this.cached('0');
    return this.cached(text);
  }

  private cached(text: string): number {
    const key = `${this.current}\u0000${text}`;
    let w = widths.get(key);
    if (w === undefined) {
      if (widths.size > 4096) widths.clear();
      w = this.ctx.measureText(text).width;
      widths.set(key, w);
    }
    return w;
  }

  private bands(): void {
    const { ctx, m, s } = this;
    const height = s.viewH;
    ctx.globalAlpha = 0.9;
    for (const b of s.layout.bands) {
      if (b.toRow <= this.first || b.fromRow > this.last) continue;
      const fam = stateFamily(b.state);
      if (fam === 'closed') continue;
      const col = s.layout.columnOf(b.lane);
      if (col < 0) continue;
      const y0 = Math.max(this.y(b.fromRow) + this.lines.mid, 0);
      const y1 = Math.min(b.toRow === Infinity ? height : this.y(b.toRow) + this.lines.mid, height);
      if (y1 <= y0) continue;
      ctx.fillStyle = this.p.state[fam];
      ctx.fillRect(laneX(m, col) - m.font * 0.55, y0, m.font * 1.1, y1 - y0);
    }
    ctx.globalAlpha = 1;
  }

  private lifelines(): void {
    const { ctx, m, s } = this;
    const height = s.viewH;
    ctx.strokeStyle = this.p.fg;
    for (const lane of s.layout.lanes) {
      if (lane.firstRow > this.last) continue;
      const end = lane.ended ? lane.lastRow : Infinity;
      if (end < this.first) continue;
      const y0 = Math.max(this.y(lane.firstRow), 0);
      const y1 = end === Infinity ? height : Math.min(this.y(end) + m.rowH, height);
      const cx = laneX(m, lane.column);
      ctx.lineWidth = m.stroke;
      ctx.setLineDash(lane.synthetic ? [2, 4] : []);
      this.segment(cx, y0, cx, y1);
      if (lane.ended && end <= this.last) {
        const ye = this.y(end) + m.rowH - m.font * 0.4;
        const d = m.font * 0.45;
        ctx.lineWidth = 2.5;
        ctx.setLineDash([]);
        ctx.beginPath();
        ctx.moveTo(cx - d, ye - d);
        ctx.lineTo(cx + d, ye + d);
        ctx.moveTo(cx + d, ye - d);
        ctx.lineTo(cx - d, ye + d);
        ctx.stroke();
      }
    }
    ctx.setLineDash([]);
  }

  /** a call that took a while spans the rows it waited through (connect() over the handshake) */
  private activations(): void {
    const { ctx, m, s } = this;
    const rows = s.layout.rows;
    for (let r = this.first; r <= Math.min(this.last + 64, rows.length - 1); r++) {
      const row = rows[r];
      if (row?.kind !== 'mark' || row.startIdx >= row.idx) continue;
      const startRow = s.layout.rowOfIdx(row.startIdx);
      if (startRow >= r || r < this.first) continue;
      const y0 = Math.max(this.y(startRow) + 2, 0);
      const y1 = this.y(r) + this.lines.mid;
      if (y1 <= y0) continue;
      const x = this.x(row.lane) - m.font * 0.4;
      ctx.fillStyle = this.p.bg;
      ctx.fillRect(x, y0, m.font * 0.8, y1 - y0);
      ctx.strokeStyle = this.p.fg;
      ctx.lineWidth = 1.2;
      ctx.strokeRect(x, y0, m.font * 0.8, y1 - y0);
    }
  }

  private row(r: number): void {
    const { ctx, m, s } = this;
    const row = s.layout.rows[r];
    if (!row) return; // not sent by the session worker yet (a scroll it has not answered)
    const top = this.y(r);
    const selected = rowSelected(row, s.selectedSeq);
    ctx.translate(0, top);
    const width = contentWidth(m, s.layout.lanes.length);
    if (selected) {
      ctx.globalAlpha = 0.6;
      ctx.fillStyle = this.p.select;
      ctx.fillRect(1, 1, width - 2, m.rowH - 2);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = this.p.fg;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 3]);
      ctx.strokeRect(1, 1, width - 2, m.rowH - 2);
      ctx.setLineDash([]);
    }
    this.font(m.font * 0.85);
    ctx.fillStyle = this.p.muted;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText(`${selected ? '▶ ' : ''}${formatTime(row.ts)}`, m.font * 0.9, this.lines.label);
    switch (row.kind) {
      case 'arrow': if (!paintLinkRow(ctx, s, row, r)) this.arrow(row); break;
      case 'bundle': this.bundle(row); break;
      case 'mark': this.mark(row); break;
      case 'state': this.state(row); break;
      case 'note': this.note(row); break;
    }
    ctx.translate(0, -top);
  }

  private segment(x1: number, y1: number, x2: number, y2: number): void {
    const { ctx } = this;
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    ctx.stroke();
  }

  /** a shaft ending in a filled head (the SVG marker: 7 stroke widths long, its tip just past the end) */
  private shaftWithHead(x1: number, y1: number, x2: number, y2: number, color: string, lw: number, dashed: boolean): void {
    const { ctx } = this;
    const ang = Math.atan2(y2 - y1, x2 - x1);
    const len = 7 * lw;
    const tipX = x2 + Math.cos(ang) * len * 0.1;
    const tipY = y2 + Math.sin(ang) * len * 0.1;
    // the shaft stops inside the head, so a thick line does not poke through the tip
    const endX = x2 - Math.cos(ang) * len * 0.6;
    const endY = y2 - Math.sin(ang) * len * 0.6;
    ctx.strokeStyle = color;
    ctx.lineWidth = lw;
    ctx.setLineDash(dashed ? [9, 6] : []);
    this.segment(x1, y1, endX, endY);
    ctx.setLineDash([]);
    arrowHead(ctx, tipX, tipY, ang, len, color);
  }

  /**
   * Text with a halo of the background where it crosses a lane's lifeline or band, so it stays readable
   * there (the halo is a second text drawing: only where a lane is under the text). `halo: true` always.
   */
  private haloText(text: string, x: number, y: number, color: string, width?: number, halo = false): void {
    const { ctx, m } = this;
    if (!halo) {
      const w = width ?? this.measure(text);
      const align = ctx.textAlign;
      const left = align === 'center' ? x - w / 2 : align === 'right' || align === 'end' ? x - w : x;
      // the lane columns between left and right (bands are 1.1 em wide around a lane's x)
      const pad = m.font * 0.6 + 2;
      const col = Math.ceil((left - pad - m.gutter) / m.laneW - 0.5);
      halo = laneX(m, col) <= left + w + pad;
    }
    if (halo) {
      ctx.lineJoin = 'round';
      ctx.lineWidth = 4;
      ctx.strokeStyle = this.p.bg;
      ctx.strokeText(text, x, y);
    }
    ctx.fillStyle = color;
    ctx.fillText(text, x, y);
  }

  /** pieces of one line, each in its own font and colour, centred on x as a whole */
  private pieces(parts: readonly { text: string; font: () => void; color: string; gap: number }[], x: number, y: number): void {
    const { ctx } = this;
    const ws = parts.map((p) => { p.font(); return this.measure(p.text); });
    const total = ws.reduce((a, w, i) => a + w + parts[i]!.gap, 0);
    let at = this.inside(x, total) - total / 2;
    ctx.textAlign = 'left';
    parts.forEach((p, i) => {
      at += p.gap;
      p.font();
      this.haloText(p.text, at, y, p.color, ws[i]);
      at += ws[i]!;
    });
  }

  /**
   * The centre for something `w` wide meant to be centred on x, moved just enough to stay inside the
   * lanes (right of the time column, left of the last lane's edge): a label of the last lane is never cut
   * off by the edge of the view (geometry.ts G1 puts that edge at the view's).
   */
  private inside(x: number, w: number): number {
    const { m, s } = this;
    const lo = m.gutter + 2;
    const hi = contentWidth(m, s.layout.lanes.length) - 2;
    if (w >= hi - lo) return lo + w / 2;
    return Math.min(hi - w / 2, Math.max(lo + w / 2, x));
  }

  private arrow(a: ArrowRow): void {
    const { ctx, m, s, lines, p } = this;
    const x1 = this.x(a.from);
    const x2 = this.x(a.to);
    const kind = arrowKind(a.flags, a.proto, a.len);
    const dir = x2 >= x1 ? 1 : -1;
    const mid = (x1 + x2) / 2;
    const color = p.kind[kind];
    const lw = kind === 'data' ? this.shaft * 1.5 : this.shaft;
    this.shaftWithHead(x1, lines.y1, x2 - dir * 2, lines.y2, color, lw, a.inferred);
    const inferred = s.t('ladder.inferred');
    const flagColor = kind === 'syn' || kind === 'fin' || kind === 'rst' || kind === 'udp' ? color : p.fg;
    const parts = [
      { text: arrowTitle(a), font: () => this.font(m.font, { weight: 700 }), color: flagColor, gap: 0 },
      { text: arrowNumbers(a), font: () => this.font(m.font * 0.92, { mono: true }), color: p.fg, gap: m.font * 0.6 },
    ];
    if (a.inferred && lines.second === null) parts.push({ text: `(${inferred})`, font: () => this.font(m.font, { weight: 700, italic: true }), color: p.fg, gap: m.font * 0.5 });
    this.pieces(parts, mid, lines.label);

    const tailX = x1 + dir * m.font * 0.6;
    const headX = x2 - dir * m.font * 0.9;
    if (lines.second !== null) {
      this.font(m.small);
      ctx.textAlign = dir > 0 ? 'left' : 'right';
      this.haloText(formatDelta(a.dt), tailX, lines.second, p.muted);
      const preview = a.len > 0 && a.bytes && Math.abs(x2 - x1) > m.font * 22 ? shortPreview(a.bytes, 14) : '';
      if (preview) {
        this.font(m.small, { mono: true });
        ctx.textAlign = 'center';
        this.haloText(preview, mid, lines.second, p.muted);
      }
      if (a.inferred && a.analysis.length === 0) {
        this.font(m.small, { weight: 700, italic: true });
        ctx.textAlign = dir > 0 ? 'right' : 'left';
        this.haloText(inferred, headX, lines.second, p.fg);
      }
    }
    // analysis badges (zero window, retransmission …) under the head, in the reset colour
    let bx = headX;
    this.font(m.small, { weight: 700 });
    for (const code of a.analysis) {
      const text = s.t(`ladder.analysis.${code}`);
      const w = this.measure(text) + m.small;
      const left = dir > 0 ? bx - w : bx;
      bx += dir > 0 ? -(w + 4) : w + 4;
      ctx.fillStyle = p.bg;
      ctx.strokeStyle = p.kind.rst;
      ctx.lineWidth = 1.5;
      this.roundRect(left, lines.y2 + 2, w, m.small + 6, 3);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = p.kind.rst;
      ctx.textAlign = 'center';
      ctx.fillText(text, left + w / 2, lines.y2 + m.small + 4);
    }
  }

  private bundle(b: BundleRow): void {
    const { ctx, m, s, lines, p } = this;
    const x1 = this.x(b.from);
    const x2 = this.x(b.to);
    const dir = x2 >= x1 ? 1 : -1;
    const gap = Math.max(2, m.rowH * 0.07);
    for (const d of [-gap, 0, gap]) this.shaftWithHead(x1, lines.y1 + d, x2 - dir * 2, lines.y2 + d, p.kind.data, this.shaft, b.inferred);
    const mid = (x1 + x2) / 2;
    const label = `${b.expanded ? '▾ ' : '▸ '}${bundleLabel(b, s.t)}`;
    const parts = [{ text: label, font: () => this.font(m.font, { weight: 700 }), color: p.fg, gap: 0 }];
    if (b.inferred) parts.push({ text: `(${s.t('ladder.inferred')})`, font: () => this.font(m.font, { weight: 700, italic: true }), color: p.fg, gap: m.font * 0.5 });
    this.pieces(parts, mid, lines.label - gap);
    // underlined: it opens and closes (the SVG's text-decoration)
    this.font(m.font, { weight: 700 });
    const lw = this.measure(label);
    const all = parts.length > 1 ? lw + m.font * 0.5 + (this.font(m.font, { weight: 700, italic: true }), this.measure(parts[1]!.text)) : lw;
    ctx.strokeStyle = p.fg;
    ctx.lineWidth = 1;
    this.segment(mid - all / 2, lines.label - gap + 2, mid - all / 2 + lw, lines.label - gap + 2);
    if (lines.second !== null) {
      this.font(m.small);
      ctx.textAlign = 'center';
      this.haloText(`${bundleDetail(b, s.t)} · ${s.t(b.expanded ? 'ladder.bundle.collapse' : 'ladder.bundle.expand')}`, mid, lines.second + gap, p.muted);
    }
  }

  private mark(row: MarkRow): void {
    const { ctx, m, s, lines, p } = this;
    const text = markLabel(row.mark, s.t);
    const call = row.mark.kind === 'call';
    const failed = row.mark.kind === 'call' && !row.mark.ok;
    const alarm = failed || row.mark.kind === 'drops';
    this.font(m.font, { mono: call ? 'call' : false, weight: alarm ? 700 : 400, italic: row.mark.kind === 'notice' });
    const w = this.measure(text) + m.font;
    const cx = this.inside(this.x(row.lane), w);
    const h = m.font + 10;
    ctx.fillStyle = call ? p.callBg : p.bg;
    ctx.strokeStyle = alarm ? p.kind.rst : p.fg;
    ctx.lineWidth = failed ? 2.5 : row.mark.kind === 'drops' ? 2 : 1.3;
    ctx.setLineDash(row.mark.kind === 'notice' ? [4, 3] : []);
    this.roundRect(cx - w / 2, lines.mid - h / 2, w, h, call ? 3 : h / 2);
    ctx.fill();
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = alarm ? p.kind.rst : p.fg;
    ctx.textAlign = 'center';
    ctx.fillText(text, cx, lines.mid + m.font * 0.36);
  }

  private state(row: StateRow): void {
    const { ctx, m, s, lines, p } = this;
    const gone = row.to === 'CLOSED' && row.from !== null && row.from !== 'CLOSED';
    const text = gone ? `${row.to} · ${s.t('ladder.state.gone')}` : row.to;
    const fam = stateFamily(row.to);
    this.font(m.font, { weight: 800 });
    const w = this.measure(text) + m.font * 1.6;
    const cx = this.inside(this.x(row.lane), w);
    const h = m.font + 12;
    ctx.fillStyle = p.state[fam];
    ctx.strokeStyle = p.fg;
    ctx.lineWidth = 1.8;
    ctx.setLineDash(fam === 'closed' ? [4, 3] : []);
    this.roundRect(cx - w / 2, lines.mid - h / 2, w, h, h / 2);
    ctx.fill();
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = p.fg;
    ctx.textAlign = 'center';
    ctx.fillText(text, cx, lines.mid + m.font * 0.36);
  }

  private note(row: Extract<LadderRow, { kind: 'note' }>): void {
    const { ctx, m, s, lines, p } = this;
    const width = contentWidth(m, s.layout.lanes.length);
    ctx.fillStyle = row.available ? p.panel : '#fff4e5';
    ctx.strokeStyle = row.available ? p.line : '#b26a00';
    ctx.lineWidth = row.available ? 1 : 1.5;
    this.roundRect(m.gutter, 4, width - m.gutter - 8, m.rowH - 8, 4);
    ctx.fill();
    ctx.stroke();
    this.font(m.font, { weight: 600 });
    ctx.fillStyle = p.fg;
    ctx.textAlign = 'left';
    ctx.fillText(`${row.available ? 'ⓘ ' : '⚠ '}${noteLabel(row, s.t)}`, m.gutter + m.font, lines.mid + m.font * 0.35);
  }

  /** 三次握手 / 四次挥手 brackets in the gutter, their name beside them */
  private phases(): void {
    const { ctx, m, s, p } = this;
    for (const ph of s.layout.phases) {
      if (ph.toRow < this.first || ph.fromRow > this.last) continue;
      const y0 = this.y(ph.fromRow) + 4;
      const y1 = this.y(ph.toRow) + m.rowH - 4;
      const bx = m.gutter - m.font * 0.7;
      ctx.strokeStyle = p.fg;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(bx + 6, y0);
      ctx.lineTo(bx, y0);
      ctx.lineTo(bx, y1);
      ctx.lineTo(bx + 6, y1);
      ctx.stroke();
      const text = s.t(`ladder.phase.${ph.kind}`);
      const size = m.font * 0.95;
      const x = bx - m.font * 0.75;
      this.font(size, { weight: 800 });
      const upright = /[\u2e80-\u9fff]/.test(text);
      const chars = [...text];
      const step = size * 1.1;
      // the label stays on the part of the bracket that is in view (a handshake that began above the
      // view keeps its name), and inside the bracket
      const half = (upright ? step * chars.length : this.measure(text)) / 2 + 4;
      const y = stickyCentre(y0, y1, 0, s.viewH, half);
      ctx.textAlign = 'center';
      if (!upright) {
        // Latin text turned a quarter
        ctx.translate(x + size * 0.35, y);
        ctx.rotate(-Math.PI / 2);
        this.haloText(text, 0, 0, p.fg, undefined, true);
        ctx.rotate(Math.PI / 2);
        ctx.translate(-(x + size * 0.35), -y);
      } else {
        // 三次握手 stacked upright
        const top = y - (step * (chars.length - 1)) / 2 + size * 0.35;
        chars.forEach((c, i) => this.haloText(c, x, top + i * step, p.fg, undefined, true));
      }
    }
  }

  private roundRect(x: number, y: number, w: number, h: number, r: number): void {
    const { ctx } = this;
    ctx.beginPath();
    ctx.roundRect(x, y, w, h, Math.min(r, h / 2, w / 2));
  }
}

