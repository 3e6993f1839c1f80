import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { useMemo } from 'react';
import type { AppState } from '../../store/slices.ts';
import { useApp } from '../../store/store.ts';

/**
 * The recordings the page ships, one per lesson (apps/web/recordings/<lesson>.jsonl, made by
 * scripts/record-lessons.mjs with the agent's `run <lesson> --json`). They are bundled as lazy chunks,
 * so the built page opens them with no agent, offline, under the agent's CSP, and only the one asked for
 * is loaded. Each header says when and where it was recorded (`recorded`), which the page shows beside
 * it: a recording is never presented as a run on this machine.
 */
const FILES = import.meta.glob('../../../recordings/*.jsonl', { query: '?raw', import: 'default' }) as Record<string, () => Promise<string>>;

const BY_LESSON = new Map(Object.entries(FILES).map(([file, load]) => [file.replace(/^.*\/([^/]+)\.jsonl$/, '$1'), load]));

export function shippedLessons(): string[] {
  return [...BY_LESSON.keys()];
}

export function hasShipped(lesson: string): boolean {
  return BY_LESSON.has(lesson);
}

export async function shippedText(lesson: string): Promise<string | null> {
  const load = BY_LESSON.get(lesson);
  return load ? load() : null;
}

/** Where and when a shipped recording was made (its header's `recorded`). */
export interface Recorded {
  at: string;
  os: string;
  kernel: string;
  python?: string;
  captured?: boolean;
}

/**
 * The header's `recorded`, read from the first line itself: the recording format keeps only the header
 * fields it knows (recording/format.ts R4), and this one is only a label, checked field by field here.
 */
const okText = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= 200;

export function recordedOf(text: string): Recorded | null {
  const first = text.slice(0, text.indexOf('\n') >>> 0);
  try {
    const r = (JSON.parse(first) as { recorded?: unknown }).recorded as Record<string, unknown> | undefined;
    if (!r || typeof r !== 'object') return null;
    if (!okText(r['at']) || !okText(r['os']) || !okText(r['kernel'])) return null;
    return {
      at: r['at'] as string, os: r['os'] as string, kernel: r['kernel'] as string,
      ...(okText(r['python']) ? { python: r['python'] as string } : {}),
      ...(typeof r['captured'] === 'boolean' ? { captured: r['captured'] } : {}),
    };
  } catch {
    return null;
  }
}

/** The shipped recording the page shows now (the file name it was opened under, and its label). */
interface Shown {
  name: string;
  lesson: string;
  recorded: Recorded | null;
}
const shown = createStore<{ shown: Shown | null }>()(() => ({ shown: null }));

export function setShownShipped(s: Shown | null): void {
  shown.setState({ shown: s });
}

export function shippedName(lesson: string): string {
  return `${lesson}.jsonl`;
}

/** The shipped recording's label while the page shows it (and not another file opened since). */
export function useShownShipped(fileName: string | null): Shown | null {
  const s = useStore(shown, (x) => x.shown);
  return s && s.name === fileName ? s : null;
}

/**
 * Why this page cannot run lessons on an agent, or null when it can: no agent (the built page alone, or
 * no token), the agent has no Python, or it cannot see the kernel (not Linux). The i18n key says it to
 * the teacher; `detail` is the agent's own reason, where it gave one.
 */
export type CannotRun = { key: 'noAgent' | 'noPython' | 'noKernel' | 'unknown'; detail?: string };

/** `lesson` null: whether any lesson can run (the lesson list's sentence). */
export function cannotRun(s: Pick<AppState, 'conn' | 'capabilities'>, lesson: string | null): CannotRun | null {
  if (s.conn.status === 'no-token') return { key: 'noAgent' };
  const caps = s.capabilities;
  // not known yet (the agent says in its hello), unless no agent ever answered and none is being asked
  if (!caps) return s.conn.everLive || s.conn.status === 'connecting' || s.conn.status === 'syncing' || s.conn.status === 'live' ? null : { key: 'noAgent' };
  const py = caps.python;
  if (!py || !py.available) return { key: 'noPython', ...(py?.reason ? { detail: py.reason } : {}) };
  if (!caps.kernel.available) return { key: 'noKernel', ...(caps.kernel.reason ? { detail: caps.kernel.reason } : {}) };
  if (lesson !== null && !caps.scenarios.includes(lesson)) return { key: 'unknown' };
  return null;
}

/** cannotRun for a view: re-renders only when the answer changes (a string selector, parsed once). */
export function useCannotRun(lesson: string | null): CannotRun | null {
  const packed = useApp((s) => {
    const c = cannotRun(s, lesson);
    return c ? `${c.key}\n${c.detail ?? ''}` : null;
  });
  return useMemo(() => {
    if (packed === null) return null;
    const [key, detail] = packed.split('\n') as [CannotRun['key'], string];
    return detail ? { key, detail } : { key };
  }, [packed]);
}
