import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { useApp } from '../../store/store.ts';

/**
 * What this page knows of the runs it started, beside the session's events: the exact source text it
 * sent (the code panel lists it — the events carry only line numbers), and the step mode it last set
 * (no event says when py.step changed it).
 *
 * Keyed by session and run id: a run id means one run of one session. Kept in sessionStorage too, so
 * a teacher who reloads the page mid-lesson still sees the code; nothing else is stored. Only a live
 * session's runs are looked up here: a recording's run "p1" may come from another session whose code
 * this page never saw, and showing the wrong listing would be worse than showing none.
 */
export interface RunSource {
  file: string;
  text: string;
}

interface ProgramsLocal {
  sources: Record<string, RunSource>;
  step: Record<string, boolean>;
}

const STORAGE_PREFIX = 'socketscope.run.';

const local = createStore<ProgramsLocal>()(() => ({ sources: {}, step: {} }));

function key(session: string, run: string): string {
  return `${session}/${run}`;
}

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null; // storage disabled: keep the sources in memory only
  }
}

export function rememberSource(session: string, run: string, src: RunSource): void {
  const k = key(session, run);
  local.setState({ sources: { ...local.getState().sources, [k]: src } });
  try {
    storage()?.setItem(STORAGE_PREFIX + k, JSON.stringify(src));
  } catch {
    // quota: the listing stays for this page's life
  }
}

function stored(k: string): RunSource | undefined {
  try {
    const raw = storage()?.getItem(STORAGE_PREFIX + k);
    if (!raw) return undefined;
    const v = JSON.parse(raw) as Partial<RunSource>;
    return typeof v.file === 'string' && typeof v.text === 'string' ? { file: v.file, text: v.text } : undefined;
  } catch {
    return undefined;
  }
}

/** The source this page sent for `run` of the live session, if it started that run. */
export function useRunSource(run: string): RunSource | undefined {
  const session = useApp((s) => (s.source.kind === 'live' ? s.session?.id ?? null : null));
  const k = session === null ? null : key(session, run);
  const mem = useStore(local, (s) => (k === null ? undefined : s.sources[k]));
  if (k === null) return undefined;
  if (mem) return mem;
  const kept = stored(k);
  if (kept) queueMicrotask(() => local.setState({ sources: { ...local.getState().sources, [k]: kept } }));
  return kept;
}

/** The run this page started last, until its card has been brought into view once. */
let justStarted: string | null = null;
export function startedHere(run: string): void {
  justStarted = run;
}
export function takeJustStarted(run: string): boolean {
  if (justStarted !== run) return false;
  justStarted = null;
  return true;
}

export function setStepMode(session: string, run: string, on: boolean): void {
  local.setState({ step: { ...local.getState().step, [key(session, run)]: on } });
}

/** The step mode this page last set for `run` of this session, else what the run started with. */
export function useStepMode(session: string | null, run: string, startedWith: boolean): boolean {
  return useStore(local, (s) => (session === null ? undefined : s.step[key(session, run)])) ?? startedWith;
}
