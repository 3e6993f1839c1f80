import { OUTPUT_TAIL, type ProcModel } from '@socketscope/shared';
import type { Timeline } from '../../store/timeline.ts';

/**
 * A run's output with each piece's stream (stdout, stderr, a line typed on the page), so the output area
 * can set stderr and the typed lines apart. The fold keeps the text (ProcModel.output, the last
 * OUTPUT_TAIL characters of all streams together) but not which stream each part came from; that is in
 * the proc.output events. This reads them from the timeline once each, as they arrive (O(new events);
 * session-layer events are found from the store's layer column without unpacking anything else).
 *
 * The fold's text stays the truth: the pieces are used only when they end with exactly that text;
 * otherwise (a page that joined late and never saw the first events, a timeline past its bound) the
 * output is shown as the fold has it, in one colour.
 */
export type OutputStream = 'stdout' | 'stderr' | 'stdin';
export interface OutputPiece {
  seq: number;
  stream: OutputStream;
  text: string;
}

/** pieces kept per run: enough to cover the fold's tail even when every piece is one character */
const KEEP_CHARS = OUTPUT_TAIL * 2;

class OutputIndex {
  private tl: Timeline | null = null;
  private scanned = -1;
  private readonly runs = new Map<string, { pieces: OutputPiece[]; chars: number }>();

  private scan(tl: Timeline, upTo: number): void {
    if (tl !== this.tl) {
      this.tl = tl;
      this.scanned = -1;
      this.runs.clear();
    }
    const cols = tl.columns;
    const end = Math.min(upTo, tl.last);
    for (let i = this.scanned + 1; i <= end; i++) {
      if (cols.layerAt(i) !== 'session') continue;
      const e = tl.eventAt(i);
      if (e?.type !== 'proc.output') continue;
      let r = this.runs.get(e.run);
      if (!r) this.runs.set(e.run, (r = { pieces: [], chars: 0 }));
      r.pieces.push({ seq: e.seq, stream: e.stream, text: e.text });
      r.chars += e.text.length;
      while (r.chars - r.pieces[0]!.text.length >= KEEP_CHARS) r.chars -= r.pieces.shift()!.text.length;
    }
    if (end > this.scanned) this.scanned = end;
  }

  /** The pieces that make up `proc.output` (the fold's text at the cursor), or null if they cannot be found. */
  pieces(tl: Timeline, proc: ProcModel): OutputPiece[] | null {
    if (proc.output === '') return [];
    this.scan(tl, proc.lastSeq);
    const r = this.runs.get(proc.run);
    if (!r) return null;
    // the pieces up to the cursor, then as many from the end as the fold's tail covers
    const upTo: OutputPiece[] = [];
    for (const p of r.pieces) if (p.seq <= proc.lastSeq) upTo.push(p);
    const out: OutputPiece[] = [];
    let need = proc.output.length;
    for (let k = upTo.length - 1; k >= 0 && need > 0; k--) {
      const p = upTo[k]!;
      const text = p.text.length > need ? p.text.slice(p.text.length - need) : p.text;
      out.push(text === p.text ? p : { ...p, text });
      need -= text.length;
    }
    if (need > 0) return null;
    out.reverse();
    return out.map((p) => p.text).join('') === proc.output ? out : null;
  }
}

const index = new OutputIndex();

export function outputPieces(tl: Timeline, proc: ProcModel): OutputPiece[] | null {
  return index.pieces(tl, proc);
}
