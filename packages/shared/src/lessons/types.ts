/**
 * The course's lessons as data: titles, summaries, the Python listings the students type, and for every
 * step of the agent's scenario the listing line(s) it executes and what just happened in the kernel and
 * on the wire. The browser's lesson player and code panel and the agent's tests both read it, so it
 * imports nothing (no Node built-ins, no app).
 *
 * Design of a listing: one array of lines shared by the three languages. Code lines are identical in
 * every language; a comment line holds its text in all three. So a listing renders to the same number of
 * lines in every language, and a step's line numbers (1-based) are valid whichever language is shown.
 */

export const LESSON_LANGS = ['zh-CN', 'zh-TW', 'en'] as const;
export type LessonLang = (typeof LESSON_LANGS)[number];

/** One text in each of the course's languages. */
export type Text = Readonly<Record<LessonLang, string>>;

export type ListingLine =
  /** Python code; `mark` names the line so steps can point at it (several lines may share a mark) */
  | { readonly kind: 'code'; readonly code: string; readonly mark?: string }
  /** a whole-line Python comment in the reader's language, indented by `indent` spaces */
  | { readonly kind: 'comment'; readonly indent: number; readonly text: Text }
  | { readonly kind: 'blank' };

export interface Listing {
  /** the file name a student would save it as */
  readonly file: string;
  readonly lines: readonly ListingLine[];
}

export type StepRole = 'client' | 'server' | 'both';

/** What a lesson says about one scenario step (same id as the agent's scenario step). */
export interface LessonStep {
  readonly id: string;
  readonly role: StepRole;
  /** 1-based line numbers in the server and the client listing that this step executes */
  readonly lines: { readonly server?: readonly number[]; readonly client?: readonly number[] };
  /** what just happened, in the kernel and on the wire */
  readonly explain: Text;
}

export interface Lesson {
  /** the scenario id (LESSONS.md) */
  readonly id: string;
  readonly title: Text;
  /** one paragraph: what the lesson makes visible */
  readonly summary: Text;
  readonly proto: 'tcp' | 'udp';
  /** the tutorial ports the listings and the scenario use (the scenario may move them with --port) */
  readonly ports: readonly number[];
  /** the numbered course facts (LESSONS.md "The course's facts") the lesson shows */
  readonly facts: readonly number[];
  /** tcp-refused has no server: nobody listens, which is the point */
  readonly listings: { readonly server?: Listing; readonly client: Listing };
  readonly steps: readonly LessonStep[];
}
