/**
 * The course's lessons as data: titles, summaries, the Python programs a lesson runs (the listing on the
 * page is the file that runs), and its step plan: for every step the listing line(s) whose socket calls it
 * lets happen and what just happened in the kernel and on the wire. The browser's lesson player and code panel and the agent's tests both read it, so it
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

/**
 * One program run of a lesson: a listing run as a real Python program, with its arguments. A lesson runs
 * `server` (when it has a server listing) and `client` by default; a lesson may run a listing again
 * (a second client, a restarted server) under another id.
 */
export interface LessonRun {
  readonly id: string;
  readonly listing: 'server' | 'client';
  readonly args?: readonly string[];
}

/**
 * One step of a lesson's plan: the calls the step lets happen. For each run it names, the lines (1-based,
 * in that run's listing) whose socket calls are made in this step: live, the run is held before each call
 * and released while its next call is on one of these lines.
 */
export interface LessonStep {
  readonly id: string;
  readonly role: StepRole;
  /** per run id: 1-based line numbers of its listing that this step executes (`server`, `client`, …) */
  readonly lines: { readonly server?: readonly number[]; readonly client?: readonly number[]; readonly [run: string]: readonly number[] | undefined };
  /** the order its runs go in (default: the lesson's run order): who closes first, who sends first */
  readonly order?: readonly string[];
  /** what just happened, in the kernel and on the wire */
  readonly explain: Text;
  /**
   * lab lessons: before the step's calls, arm the link's one-shots (lab.oneshot): lose the next data
   * segment / datagram / SYN from one host, or hold it back `holdMs` so a later one overtakes it
   */
  readonly link?: readonly LessonShot[];
}

export interface LessonShot {
  readonly from: 'client' | 'server';
  readonly match: 'data' | 'syn' | 'any';
  readonly proto?: 'tcp' | 'udp';
  readonly holdMs?: number;
}

/**
 * A lesson on the lab network (shared/LESSONS.md): its programs run on two hosts joined by a link with these
 * conditions (each way). Its listings name the server host's address (LAB_SERVER_ADDRESS) themselves, so the
 * listing on the page is still the file that runs.
 */
export interface LessonLab {
  readonly delayMs: number;
  readonly jitterMs?: number;
  readonly lossPct?: number;
  readonly rateKbit?: number;
}

/** the lab's two hosts (apps/agent/src/lab/names.ts uses these) */
export const LAB_CLIENT_ADDRESS = '10.77.0.1';
export const LAB_SERVER_ADDRESS = '10.77.0.2';

export interface Lesson {
  /** the lesson id (LESSONS.md), also `scenario.run`'s name */
  readonly id: string;
  readonly title: Text;
  /** one paragraph: what the lesson makes visible */
  readonly summary: Text;
  readonly proto: 'tcp' | 'udp';
  /** the tutorial ports the listings use (a run may move the first with --port) */
  readonly ports: readonly number[];
  /** the numbered course facts (LESSONS.md "The course's facts") the lesson shows */
  readonly facts: readonly number[];
  /** tcp-refused has no server: nobody listens, which is the point */
  readonly listings: { readonly server?: Listing; readonly client: Listing };
  /** the programs run, in the order their first steps come (default: server, then client) */
  readonly runs: readonly LessonRun[];
  readonly steps: readonly LessonStep[];
  /** runs on the lab network with this link (absent: on loopback) */
  readonly lab?: LessonLab;
}
