import { lessonById } from '@socketscope/shared/lessons/index';
import { navigate } from '../store/actions.ts';
import type { Route } from '../store/slices.ts';
import type { AppStore } from '../store/store.ts';

/**
 * Which screen the address shows: nothing → the lesson list (the page opens on it),
 * `?lesson=tcp-handshake` → that lesson's player, `?view=playground` → the live session with the
 * playground. Navigating pushes an address, so the browser's Back returns to the list; every other
 * parameter (token, lang, projector) is kept.
 */
export function routeFromSearch(search: string): Route {
  const q = new URLSearchParams(search);
  const lesson = q.get('lesson');
  if (lesson && lessonById(lesson)) return { view: 'lesson', id: lesson };
  const view = q.get('view');
  if (view === 'playground' || view === 'session') return { view: 'session' };
  return { view: 'lessons' };
}

export function hrefFor(href: string, route: Route): string {
  const u = new URL(href);
  u.searchParams.delete('lesson');
  u.searchParams.delete('view');
  if (route.view === 'lesson') u.searchParams.set('lesson', route.id);
  if (route.view === 'session') u.searchParams.set('view', 'playground');
  return u.toString();
}

function same(a: Route, b: Route): boolean {
  return a.view === b.view && (a.view !== 'lesson' || (b.view === 'lesson' && a.id === b.id));
}

/** Keeps the address and the store's route in step; returns the unsubscribe. */
export function bindRoute(store: AppStore): () => void {
  const onPop = () => {
    const r = routeFromSearch(window.location.search);
    if (!same(r, store.getState().route)) navigate(store, r);
  };
  window.addEventListener('popstate', onPop);
  const off = store.subscribe((s, prev) => {
    if (same(s.route, prev.route)) return;
    if (same(s.route, routeFromSearch(window.location.search))) return;
    window.history.pushState(null, '', hrefFor(window.location.href, s.route));
  });
  return () => {
    window.removeEventListener('popstate', onPop);
    off();
  };
}
