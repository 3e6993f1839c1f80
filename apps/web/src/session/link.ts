import { emptyModel, type ClassPollInput, type CommandInput, type Model, type PollState } from '@socketscope/shared';
import type { AppState } from '../store/slices.ts';
import { EMPTY_LOG } from '../store/slices.ts';
import type { AppStore } from '../store/store.ts';
import { EMPTY_FRAME } from '../views/ladder/frame.ts';
import type { PaintView, PictureAt, RemotePicture } from '../views/ladder/paint.ts';
import type { Answer, CommandReply, Diff, FromWorker, LadderPicture, ModelPatch, Query, RowsInView, ToWorker, ViewRequest } from './protocol.ts';

/**
 * The page's end of the session worker (session.worker.ts): it starts the worker, applies each diff to the store
 * with one setState and says so once the frame that shows it has been made (so the worker never sends
 * faster than the page draws), tells the worker what the views look at, and turns commands and queries
 * into promises.
 */

/** What a view on screen shows: the ladder's and the event log's rows in view. */
let ladderView: (RowsInView & { expanded: number[] }) | null = null;
let logView: RowsInView | null = null;

export interface SessionHandlers {
  conn(m: Extract<FromWorker, { t: 'conn' }>['conn']): void;
  hello(m: Extract<FromWorker, { t: 'hello' }>): void;
  viewers(count: number): void;
  opened(m: Extract<FromWorker, { t: 'opened' }>): void;
}

export class SessionLink {
  private nextId = 0;
  private readonly replies = new Map<number, (r: CommandReply) => void>();
  private readonly answers = new Map<number, (a: Answer) => void>();
  private viewPosted = '';
  private viewDue = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly worker: Worker, private readonly store: AppStore, private readonly on: SessionHandlers) {
    worker.addEventListener('message', (ev: MessageEvent<FromWorker>) => this.receive(ev.data));
    worker.addEventListener('error', (ev) => console.error(`SocketScope: the session worker failed: ${ev.message}`));
    // the cursor, the selection and the log's filter are the store's: the worker hears of every change
    this.unsubscribe = store.subscribe((s, prev) => {
      if (s.cursor !== prev.cursor || s.selectedSeq !== prev.selectedSeq || s.layerFilter !== prev.layerFilter || s.sockFilter !== prev.sockFilter) this.viewChanged();
      if (s.locale !== prev.locale) this.paintChanged();
    });
    this.viewChanged();
  }

  connect(url: string): void {
    this.post({ t: 'connect', url });
  }

  open(name: string, bytes: Uint8Array): void {
    this.post({ t: 'open', name, bytes }, [bytes.buffer]);
  }

  command(cmd: CommandInput): Promise<CommandReply> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      this.post({ t: 'cmd', id, cmd });
    });
  }

  /** A student's answer or the teacher's question to the class (views/predict). */
  classPoll(msg: ClassPollInput): Promise<CommandReply> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      this.post({ t: 'poll', id, msg });
    });
  }

  query<Q extends Query['q']>(query: Extract<Query, { q: Q }>): Promise<Extract<Answer, { q: Q }>> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.answers.set(id, resolve as (a: Answer) => void);
      this.post({ t: 'query', id, query });
    });
  }

  retry(): void { this.post({ t: 'retry' }); }
  drop(): void { this.post({ t: 'drop' }); }

  /** Stops talking to the agent (a file was opened instead); the session stays. */
  disconnect(): void {
    this.post({ t: 'stop' });
  }

  /** Ends the link (tests). */
  close(): void {
    this.unsubscribe();
    this.worker.terminate();
  }

  /** A view's rows in view changed: the worker hears of it once, after the current task. */
  viewChanged(): void {
    if (this.viewDue) return;
    this.viewDue = true;
    queueMicrotask(() => {
      this.viewDue = false;
      const s = this.store.getState();
      const view: ViewRequest = {
        cursor: s.cursor, selected: s.selectedSeq, ladder: ladderView,
        log: logView ? { ...logView, filter: { layers: s.layerFilter, sock: s.sockFilter } } : null,
      };
      const key = JSON.stringify(view);
      if (key === this.viewPosted) return;
      this.viewPosted = key;
      this.post({ t: 'view', view });
    });
  }

  /** The ladder's canvas changed (size, scroll, look) or the locale did: the worker paints for it. */
  paintChanged(): void {
    const v = picture.view;
    const paint = v ? { ...v, locale: this.store.getState().locale } : null;
    const key = JSON.stringify(paint);
    if (key === this.paintPosted) return;
    this.paintPosted = key;
    this.post({ t: 'paint', paint });
  }

  private paintPosted = '';

  private receive(m: FromWorker): void {
    switch (m.t) {
      case 'diff': {
        // the picture first, then the rows (React commits them in a microtask): both are in the same frame
        if (m.diff.picture) showPicture(m.diff.picture);
        this.store.setState((s) => applyDiff(s, m.diff));
        const n = m.diff.n;
        // applied; the worker may send the next once this frame is drawn (a hidden page has no frames)
        let done = false;
        const ack = () => { if (!done) { done = true; this.post({ t: 'ack', n }); } };
        if (typeof requestAnimationFrame === 'function') requestAnimationFrame(ack);
        setTimeout(ack, 100);
        return;
      }
      case 'reply': {
        const r = this.replies.get(m.id);
        this.replies.delete(m.id);
        r?.(m.reply);
        return;
      }
      case 'answer': {
        const a = this.answers.get(m.id);
        this.answers.delete(m.id);
        a?.(m.answer);
        return;
      }
      case 'conn': this.on.conn(m.conn); return;
      case 'hello': this.on.hello(m); return;
      case 'viewers': this.on.viewers(m.count); return;
      case 'poll': pollListener?.(m.poll); return;
      case 'opened': this.on.opened(m); return;
      case 'warn': console.warn(m.text); return;
    }
  }

  private post(m: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }
}

let link: SessionLink | null = null;
let pollListener: ((poll: PollState | null) => void) | null = null;

/** Who hears of the class poll (views/predict): the question put to the class now, from the agent. */
export function onPoll(fn: ((poll: PollState | null) => void) | null): void {
  pollListener = fn;
}

export function setLink(l: SessionLink | null): void {
  link = l;
}

export function currentLink(): SessionLink | null {
  return link;
}

/** The ladder on screen says which rows it shows (null: no ladder). */
export function setLadderView(v: (RowsInView & { expanded: number[] }) | null): void {
  ladderView = v;
  link?.viewChanged();
}

/** The event log on screen says which rows it shows (null: no log). */
export function setLogView(v: RowsInView | null): void {
  logView = v;
  link?.viewChanged();
}

// ── the ladder's picture ────────────────────────────────────────────────────────────────────────
/**
 * The page's end of the ladder's picture: the canvas on screen, what it shows (the view the Ladder says it
 * has), and the last bitmap the worker painted. A bitmap is drawn as it arrives, outside React; a scroll
 * draws the last one moved by the scroll at once, until the worker's new picture comes (one diff later).
 */
const picture: { canvas: HTMLCanvasElement | null; view: PaintView | null; at: PictureAt | null; last: LadderPicture | null; n: number; drawn: string } = {
  canvas: null, view: null, at: null, last: null, n: 0, drawn: '',
};

function showPicture(p: LadderPicture): void {
  picture.last?.bitmap.close();
  picture.last = p;
  picture.n++;
  // following, the picture was painted for the newest rows, which the page is about to show
  if (picture.at?.following) picture.at = { ...picture.at, x0: p.x0, y0: p.y0 };
  drawPicture();
}

function drawPicture(): void {
  const { canvas, last, at, view } = picture;
  if (!canvas || !last || !at || !view) return;
  const key = `${picture.n}|${at.x0}|${at.y0}`;
  if (picture.drawn === key && canvas.width === last.bitmap.width) return;
  const { width: w, height: h } = last.bitmap;
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  picture.drawn = key;
  ctx.clearRect(0, 0, w, h);
  ctx.drawImage(last.bitmap, Math.round((last.x0 - at.x0) * view.dpr), Math.round((last.y0 - at.y0) * view.dpr));
}

/** What the Ladder in the page calls instead of painting (views/ladder/Ladder.tsx `remote`). */
export const ladderPicture: RemotePicture = {
  canvas(c) {
    if (c === picture.canvas) return;
    picture.canvas = c;
    picture.drawn = '';
    drawPicture();
  },
  view(v, at) {
    picture.view = v;
    picture.at = at;
    link?.paintChanged();
    drawPicture();
  },
  close() {
    picture.view = null;
    picture.at = null;
    picture.canvas = null;
    picture.last?.bitmap.close();
    picture.last = null;
    link?.paintChanged();
  },
};

/** The store after one diff: one object per change, nothing recomputed. */
export function applyDiff(s: AppState, d: Diff): Partial<AppState> {
  const out: Partial<AppState> = { headSeq: d.head, posTime: d.posTime, missing: d.missing, badEvents: d.bad };
  if (d.reset) {
    out.steps = d.steps ?? [];
    out.ladder = d.ladder ?? EMPTY_FRAME;
    out.log = d.log ?? EMPTY_LOG;
  } else {
    if (d.steps) out.steps = [...s.steps, ...d.steps];
    if (d.ladder) out.ladder = d.ladder;
    if (d.log) out.log = d.log;
  }
  if (d.model) {
    const model = patchModel(d.model.whole || d.reset ? emptyModel() : s.model, d.model);
    out.model = model;
    out.modelVersion = model.version;
  }
  return out;
}

function patchModel(prev: Model, p: ModelPatch): Model {
  const next: Model = { ...prev, ...p.fields };
  next.sockets = merge(prev.sockets, p.sockets, p.whole);
  next.conns = merge(prev.conns, p.conns, p.whole);
  next.procs = merge(prev.procs, p.procs, p.whole);
  next.byEndpoints = merge(prev.byEndpoints, p.byEndpoints, p.whole);
  return next;
}

function merge<T>(prev: Record<string, T>, changes: Record<string, T | null>, whole: boolean): Record<string, T> {
  let out: Record<string, T> | null = whole ? {} : null;
  for (const k in changes) {
    out ??= { ...prev };
    const v = changes[k];
    if (v === null || v === undefined) delete out[k];
    else out[k] = v;
  }
  return out ?? prev;
}
