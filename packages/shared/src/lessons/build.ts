import type { Lesson, LessonLang, LessonRun, LessonShot, LessonStep, Listing, ListingLine, StepRole, Text } from './types.ts';
import { LAB_SERVER_ADDRESS } from './types.ts';

/**
 * Small builders so a lesson file reads like the listing it describes. Steps name listing lines by
 * mark rather than by number, so inserting a comment never shifts a step onto the wrong line; the
 * marks are resolved to line numbers once, here. An unknown mark resolves to line 0, which the lesson
 * tests reject (a lesson must never throw at import: the browser loads every lesson at start-up).
 */

export function t(zhCN: string, zhTW: string, en: string): Text {
  return { 'zh-CN': zhCN, 'zh-TW': zhTW, en };
}

export function code(text: string, mark?: string): ListingLine {
  return mark === undefined ? { kind: 'code', code: text } : { kind: 'code', code: text, mark };
}

/** A comment line: note(indent, zhCN, zhTW, en). */
export function note(indent: number, zhCN: string, zhTW: string, en: string): ListingLine {
  return { kind: 'comment', indent, text: t(zhCN, zhTW, en) };
}

export function blank(): ListingLine {
  return { kind: 'blank' };
}

export function listing(file: string, lines: ListingLine[]): Listing {
  return { file, lines };
}

/** A lesson run with `--port N` moves its tutorial port; the listing can show the port really used. */
export interface MovedPort {
  from: number;
  to: number;
}

function movePort(line: string, moved?: MovedPort): string {
  if (!moved || moved.from === moved.to) return line;
  let out = line;
  for (const host of ['127.0.0.1', LAB_SERVER_ADDRESS]) {
    out = out.replaceAll(`'${host}', ${moved.from})`, `'${host}', ${moved.to})`).replaceAll(`${host}:${moved.from}`, `${host}:${moved.to}`);
  }
  return out;
}

/** The listing as text lines in one language (line i+1 of the file is element i). */
export function renderListing(l: Listing, lang: LessonLang, moved?: MovedPort): string[] {
  return l.lines.map((line) => {
    switch (line.kind) {
      case 'code': return movePort(line.code, moved);
      case 'comment': return `${' '.repeat(line.indent)}# ${line.text[lang]}`;
      case 'blank': return '';
    }
  });
}

/** The whole file, as a student would save it. */
export function listingText(l: Listing, lang: LessonLang, moved?: MovedPort): string {
  return `${renderListing(l, lang, moved).join('\n')}\n`;
}

/** 1-based numbers of the lines carrying any of `marks`, in file order; 0 for a mark not found. */
export function linesOf(l: Listing | undefined, marks: readonly string[]): number[] {
  if (!l) return marks.map(() => 0);
  const out: number[] = [];
  for (const m of marks) {
    const found: number[] = [];
    l.lines.forEach((line, i) => { if (line.kind === 'code' && line.mark === m) found.push(i + 1); });
    out.push(...(found.length > 0 ? found : [0]));
  }
  return [...new Set(out)].toSorted((a, b) => a - b);
}

export interface StepSource {
  id: string;
  role: StepRole;
  /** marks of server-listing lines */
  server?: string[];
  /** marks of client-listing lines */
  client?: string[];
  /** marks of the lines of other runs (lesson.runs), by run id */
  runs?: Record<string, string[]>;
  /** the order the step's runs go in (default: the lesson's run order) */
  order?: string[];
  explain: Text;
  /** lab lessons: the link's one-shots armed before the step's calls */
  link?: LessonShot[];
}

export interface LessonSource extends Omit<Lesson, 'steps' | 'runs'> {
  runs?: LessonRun[];
  steps: StepSource[];
}

export function defineLesson(src: LessonSource): Lesson {
  const runs: LessonRun[] = src.runs ?? [
    ...(src.listings.server ? [{ id: 'server', listing: 'server' as const }] : []),
    { id: 'client', listing: 'client' },
  ];
  const listingOf = (run: string) => src.listings[runs.find((r) => r.id === run)?.listing ?? (run === 'server' ? 'server' : 'client')];
  const steps: LessonStep[] = src.steps.map((s) => {
    const lines: Record<string, number[]> = {};
    if (s.server) lines['server'] = linesOf(listingOf('server'), s.server);
    if (s.client) lines['client'] = linesOf(listingOf('client'), s.client);
    for (const [run, marks] of Object.entries(s.runs ?? {})) lines[run] = linesOf(listingOf(run), marks);
    return { id: s.id, role: s.role, lines, ...(s.order ? { order: s.order } : {}), explain: s.explain, ...(s.link ? { link: s.link } : {}) };
  });
  return { ...src, runs, steps };
}
