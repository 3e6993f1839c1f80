import { translate } from '../i18n/index.ts';
import { setProjector } from '../store/actions.ts';
import { nudgeSpeed, restart, seek, setStops, stepNext, stepPrev } from '../store/playback.ts';
import type { Player } from '../store/player.ts';
import { latestRun, stopsOf } from '../store/steps.ts';
import type { AppStore } from '../store/store.ts';
import { hasShipped } from '../views/player/shipped.ts';
import { openShipped, runLesson } from './lessonRun.ts';
import { nextAction } from './presenter.ts';

/**
 * Keys for a room, where the teacher stands away from the mouse with a presenter remote (which sends
 * → / ← or PageDown / PageUp, and B or . for its "blank" button):
 * → / space / PageDown next — on a lesson that has not run, the first press starts it (presenter.ts);
 * ← / PageUp previous; B (or .) blanks the screen and any key brings it back; + / − speed;
 * P projector mode; Home restart; K play/pause. Keys typed into a form field are left alone, and a key
 * another view already handled (the ladder's own +/− zoom while it has focus) is not taken twice.
 */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    // a range (the timeline scrubber) moves with the arrow keys itself
    return type !== 'checkbox' && type !== 'radio' && type !== 'button';
  }
  return false;
}

/** How long a first → waits for the agent the page is still reaching, or for a run it started to show. */
const WAIT_MS = 15_000;

function until(store: AppStore, ok: () => boolean): Promise<boolean> {
  if (ok()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { off(); resolve(false); }, WAIT_MS);
    const off = store.subscribe(() => {
      if (ok()) { clearTimeout(timer); off(); resolve(true); }
    });
  });
}

/** a first press being acted on (starting a lesson takes a moment): further presses wait for it */
let starting = false;

/**
 * Next, as a presenter remote means it: starts a lesson that has not run and lands on its first step,
 * else steps. Exported for views that offer the same action on a button.
 */
export async function presenterNext(store: AppStore): Promise<void> {
  if (starting) return;
  const action = nextAction(store.getState(), hasShipped);
  if (action === 'step') { await stepNext(store); return; }
  if (action === 'none' || action === 'busy') return;
  starting = true;
  try {
    if (action === 'wait-agent') {
      // P3: decide again once the agent answered (or gave up)
      const st = () => store.getState().conn.status;
      await until(store, () => (st() === 'live' && store.getState().capabilities !== null) || st() === 'stopped' || st() === 'no-token');
      starting = false;
      const again = nextAction(store.getState(), hasShipped);
      if (again !== 'wait-agent') await presenterNext(store);
      return;
    }
    const route = store.getState().route;
    if (route.view !== 'lesson') return;
    const lesson = route.id;
    if (action === 'start-live') {
      // the agent runs the first step at once and the page follows it (lessonRun.ts)
      await runLesson(store, lesson, { live: true });
      return;
    }
    // P2: the shipped recording, on its first step
    if (!(await openShipped(store, lesson))) return;
    const ready = await until(store, () => {
      const run = latestRun(store.getState().steps, lesson);
      const first = run ? stopsOf(run)[1] : undefined;
      return first !== undefined && store.getState().headSeq >= first;
    });
    const run = ready ? latestRun(store.getState().steps, lesson) : null;
    if (run) {
      const stops = stopsOf(run);
      setStops(stops);
      seek(store, stops[1]!);
    }
  } finally {
    starting = false;
  }
}

// ── the blank screen ─────────────────────────────────────────────────────────────────────────────

let blank: HTMLElement | null = null;

export function isBlanked(): boolean {
  return blank !== null;
}

/** A black screen over everything (a presenter remote's "blank" button); any key or a click ends it. */
export function setBlank(store: AppStore, on: boolean): void {
  if (on === isBlanked()) return;
  if (!on) {
    blank?.remove();
    blank = null;
    return;
  }
  const el = document.createElement('div');
  el.className = 'room-blank';
  el.dataset['testid'] = 'blank-screen';
  el.setAttribute('role', 'dialog');
  el.setAttribute('aria-modal', 'true');
  const label = translate(store.getState().locale, 'room.blank');
  el.setAttribute('aria-label', label);
  const hint = document.createElement('span');
  hint.className = 'sr-only';
  hint.textContent = label;
  el.append(hint);
  el.addEventListener('click', () => setBlank(store, false));
  document.body.append(el);
  blank = el;
}

export function installRoomKeys(store: AppStore, player: Player): () => void {
  // while blanked, a key only brings the screen back: taken before any view sees it
  const onKeyCapture = (ev: KeyboardEvent) => {
    if (!isBlanked()) return;
    if (ev.key === 'Shift' || ev.key === 'Control' || ev.key === 'Alt' || ev.key === 'Meta') return;
    setBlank(store, false);
    ev.preventDefault();
    ev.stopImmediatePropagation();
  };
  const onKey = (ev: KeyboardEvent) => {
    if (ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey || typing(ev.target)) return;
    const hasEvents = store.getState().headSeq >= 0;
    let handled = true;
    switch (ev.key) {
      case 'ArrowRight': case 'PageDown': case ' ':
        // nothing to do (no lesson, no events): the key keeps its default (space presses a focused button)
        if (nextAction(store.getState(), hasShipped) === 'none') handled = false;
        else if (!(ev.repeat && starting)) void presenterNext(store);
        break;
      case 'ArrowLeft': case 'PageUp':
        if (hasEvents) void stepPrev(store); else handled = false;
        break;
      case 'b': case 'B': case '.': setBlank(store, true); break;
      case '+': case '=': nudgeSpeed(store, 1); break;
      case '-': case '_': nudgeSpeed(store, -1); break;
      case 'p': case 'P': setProjector(store, !store.getState().projector); break;
      case 'Home': if (hasEvents) restart(store); else handled = false; break;
      case 'k': case 'K': if (hasEvents) player.toggle(); else handled = false; break;
      default: handled = false;
    }
    // space would also press the focused button (and scroll the page): the step is what was meant
    if (handled) ev.preventDefault();
  };
  window.addEventListener('keydown', onKeyCapture, true);
  window.addEventListener('keydown', onKey);
  return () => {
    window.removeEventListener('keydown', onKeyCapture, true);
    window.removeEventListener('keydown', onKey);
    setBlank(store, false);
  };
}
