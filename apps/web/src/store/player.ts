import { currentLink } from '../session/link.ts';
import { currentStops, seek } from './playback.ts';
import { nextStop } from './steps.ts';
import type { AppStore } from './store.ts';

/**
 * Play / Pause: an animation clock of the page's own, separate from the session's real clock. At 1×
 * every event that changes the picture (an arrow, a call, a state change) gets EVENT_MS on screen, a
 * lesson step that has many of them shares STEP_BUDGET_MS, and a finished step holds for DWELL_MS so
 * its explanation can be read. Speed divides all of these. Real timestamps stay on every arrow.
 * The cursor moves at most once per animation frame.
 */
export const EVENT_MS = 700;
export const STEP_BUDGET_MS = 8000;
export const DWELL_MS = 1500;
/** events passed per frame at most, so a huge jump never freezes a frame */
const MAX_PER_FRAME = 5000;

export class Player {
  private raf = 0;
  private lastFrame = 0;
  /** ms of animation time banked towards the next event */
  private bank = 0;
  private unsubscribe: (() => void) | null = null;
  /** cache: per stop range, the time one visible event gets */
  private perEvent = new Map<string, number>();
  /** positions whose events change the picture, known up to `knownTo` */
  private visible = new Set<number>();
  private knownTo = -1;
  private asking = false;

  constructor(private readonly store: AppStore) {}

  attach(): () => void {
    this.unsubscribe = this.store.subscribe((s, prev) => {
      if (s.playing && !prev.playing) this.begin();
      if (!s.playing && prev.playing) this.halt();
      if (s.headSeq < prev.headSeq) this.forget(); // a new session
    });
    return () => {
      this.halt();
      this.unsubscribe?.();
    };
  }

  /** Play from where the cursor is (from the start when it is at the end). */
  play(): void {
    const s = this.store.getState();
    const end = this.end();
    if (end < 0) return;
    if (s.cursor === null || s.cursor >= end) seek(this.store, currentStops()?.[0] ?? -1);
    this.forget();
    this.learn(this.store.getState().cursor ?? -1);
    this.store.setState({ playing: true });
  }

  private forget(): void {
    this.perEvent.clear();
    this.visible.clear();
    this.knownTo = -1;
  }

  /** Asks the worker which events after `from` change the picture (a few thousand at a time). */
  private learn(from: number): void {
    const link = currentLink();
    if (!link || this.asking) return;
    this.asking = true;
    const to = this.end();
    void link.query({ q: 'visible', from, to }).then((a) => {
      this.asking = false;
      for (const i of a.at) this.visible.add(i);
      this.knownTo = a.at.length >= 5000 ? a.at.at(-1)! : to;
    });
  }

  pause(): void {
    this.store.setState({ playing: false });
  }

  toggle(): void {
    if (this.store.getState().playing) this.pause(); else this.play();
  }

  /** Where playing stops: the last step's end in a lesson, else the newest event. */
  private end(): number {
    const stops = currentStops();
    const last = this.store.getState().headSeq;
    return stops && stops.length > 1 ? Math.min(stops[stops.length - 1]!, last) : last;
  }

  private begin(): void {
    this.bank = 0;
    this.lastFrame = performance.now();
    cancelAnimationFrame(this.raf);
    this.raf = requestAnimationFrame((t) => this.frame(t));
  }

  private halt(): void {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  private frame(now: number): void {
    const s = this.store.getState();
    if (!s.playing) return;
    const dt = Math.min(250, Math.max(0, now - this.lastFrame)); // a background tab does not jump ahead
    this.lastFrame = now;
    this.bank += dt * s.speed;
    const end = this.end();
    let cursor = s.cursor ?? end;
    for (let n = 0; n < MAX_PER_FRAME && cursor < end; n++) {
      if (cursor + 1 > this.knownTo) { this.learn(cursor); break; } // not known yet: wait for the worker
      const need = this.cost(cursor + 1);
      if (this.bank < need) break;
      this.bank -= need;
      cursor++;
    }
    if (cursor !== s.cursor) seek(this.store, cursor);
    if (cursor >= end) {
      this.store.setState({ playing: false });
      return;
    }
    this.raf = requestAnimationFrame((t) => this.frame(t));
  }

  /** Animation time (at 1×) spent before event i shows. */
  private cost(i: number): number {
    const stops = currentStops();
    let ms = this.visible.has(i) ? this.eventMs(i) : 0;
    if (stops?.includes(i)) ms += DWELL_MS;
    return ms;
  }

  private eventMs(i: number): number {
    const stops = currentStops();
    if (!stops || stops.length < 2) return EVENT_MS;
    const from = stops.findLast((p) => p < i) ?? -1;
    const to = nextStop(stops, from) ?? i;
    const key = `${from}:${to}`;
    let per = this.perEvent.get(key);
    if (per === undefined) {
      let visible = 0;
      for (let k = from + 1; k <= to; k++) if (this.visible.has(k)) visible++;
      per = Math.max(40, Math.min(EVENT_MS, STEP_BUDGET_MS / Math.max(1, visible)));
      this.perEvent.set(key, per);
    }
    return per;
  }
}
