import { setProjector } from '../store/actions.ts';
import { nudgeSpeed, restart, stepNext, stepPrev } from '../store/playback.ts';
import type { Player } from '../store/player.ts';
import type { AppStore } from '../store/store.ts';

/**
 * Keys for a room, where the teacher stands away from the mouse (a presenter remote sends the arrow
 * keys): → / space / PageDown next step, ← / PageUp previous, + / − speed, P projector mode, Home
 * restart, K play/pause. Keys typed into a form field are left alone, and a key another view already
 * handled (the ladder's own +/− zoom while it has focus) is not taken twice.
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

export function installRoomKeys(store: AppStore, player: Player): () => void {
  const onKey = (ev: KeyboardEvent) => {
    if (ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey || typing(ev.target)) return;
    const hasEvents = store.getState().headSeq >= 0;
    let handled = true;
    switch (ev.key) {
      case 'ArrowRight': case 'PageDown': case ' ':
        if (hasEvents) void stepNext(store); else handled = false;
        break;
      case 'ArrowLeft': case 'PageUp':
        if (hasEvents) void stepPrev(store); else handled = false;
        break;
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
  window.addEventListener('keydown', onKey);
  return () => window.removeEventListener('keydown', onKey);
}
