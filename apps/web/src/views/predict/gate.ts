import type { Lesson } from '@socketscope/shared/lessons/index';
import { beforeNext } from './teacher.ts';

/**
 * "Ask first" stands in front of Next: the keys a presenter remote sends for it (→, PageDown, space) and
 * the Next button. Before a step that has a question, the first Next puts the question (teacher.ts
 * beforeNext) and goes no further; the next Next goes on to whatever Next does (app/keys.ts: step, run the
 * next live step, start the lesson), which shows the step.
 *
 * Why listeners in the capture phase rather than a hook in Next itself: whatever Next does, in the keys'
 * handler or on its button, stays where it is; an asked question only keeps one press from reaching it
 * (the keys' handler ignores a key whose default was prevented, and React never sees a click stopped on
 * its way down).
 */
const NEXT_KEYS = new Set(['ArrowRight', 'PageDown', ' ']);
const NEXT_BUTTON = '[data-testid="tr-next"]';

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  return tag === 'INPUT' && !['checkbox', 'radio', 'button'].includes((target as HTMLInputElement).type);
}

export function installAskGate(lesson: Lesson): () => void {
  const onKey = (ev: KeyboardEvent) => {
    if (ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey || !NEXT_KEYS.has(ev.key) || typing(ev.target)) return;
    if (ev.repeat) return;
    if (beforeNext(lesson) === 'asked') {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  };
  const onClick = (ev: MouseEvent) => {
    const button = ev.target instanceof Element ? ev.target.closest(NEXT_BUTTON) : null;
    if (!button || (button as HTMLButtonElement).disabled) return;
    if (beforeNext(lesson) === 'asked') {
      ev.preventDefault();
      ev.stopPropagation();
    }
  };
  window.addEventListener('keydown', onKey, true);
  window.addEventListener('click', onClick, true);
  return () => {
    window.removeEventListener('keydown', onKey, true);
    window.removeEventListener('click', onClick, true);
  };
}
