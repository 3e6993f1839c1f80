import { z } from 'zod';
import { Command } from './commands.ts';
import { SessionEvent } from './events.ts';
import { ProbeStatus, SocketError } from './primitives.ts';

export const PROTOCOL_VERSION = 1;

/** WebSocket close codes with a stated reason. */
export const CloseCode = {
  protocolMismatch: 4001,
  badToken: 4003,
  badOrigin: 4004,
  tooSlow: 4008,
  shuttingDown: 4010,
  /** the client sent more messages than the agent's per-client rate allows, and kept on */
  tooManyMessages: 4029,
} as const;

/**
 * Sharing with the class (`socketscope start --share`): what only the teacher's (full-token) page is
 * told. A read-only page never receives this.
 */
export const ShareInfo = z.object({
  /** the students' read-only link, with the viewer token */
  viewerUrl: z.string().max(2048),
  /** read-only pages connected right now */
  viewers: z.number().int().nonnegative(),
});
export type ShareInfo = z.infer<typeof ShareInfo>;

export const Capabilities = z.object({
  kernel: ProbeStatus,
  wire: ProbeStatus,
  tcpInfo: ProbeStatus,
  /** targets outside loopback allowed (the --allow-remote flag) */
  remoteTargets: z.boolean(),
  scenarios: z.array(z.string()),
  /** running Python programs under the tracer: the interpreter found (version, path) or why not */
  /**
   * which source the kernel layer comes from: 'tracepoints' (bpftrace on the kernel's own sock:/tcp:
   * tracepoints, every state change exact, with /proc kept for queues and TIME_WAIT) or 'proc' (sampled
   * every intervalMs); `tracepoints` says whether that one can run here and, if not, why
   */
  kernelSource: z.object({
    active: z.enum(['tracepoints', 'proc']),
    intervalMs: z.number().int().nonnegative(),
    tracepoints: ProbeStatus,
  }).optional(),
  python: ProbeStatus.extend({ version: z.string().max(64).optional(), path: z.string().max(4096).optional() }).optional(),
  /**
   * the lab network (two hosts joined by a link with delay, loss and rate): whether it can be made here, and
   * how: 'root' (named network namespaces) or 'userns' (inside an unprivileged user namespace)
   */
  lab: ProbeStatus.extend({ how: z.enum(['root', 'userns']).optional() }).optional(),
});
export type Capabilities = z.infer<typeof Capabilities>;

/**
 * A question put to the class ("Ask first" in the lesson player) and where it stands. The agent's class
 * poll (apps/agent/src/server/answers) holds it beside the session, never in it: it is no event, and no
 * recording holds it or the answers. `question` is an id of packages/shared/src/lessons/questions.ts.
 */
export const PollState = z.object({
  /** the agent's id of this asking: a new one each time a question is put */
  id: z.string().min(1).max(32),
  question: z.string().min(1).max(96),
  /** how many choices it has (from the question's definition, never from a page) */
  choices: z.number().int().min(2).max(8),
  /** open: students may answer; closed: the step is being revealed; revealed: the run's answer is known */
  phase: z.enum(['open', 'closed', 'revealed']),
  /** revealed: the choice the run made true (null: none of them), and what the run did */
  correct: z.number().int().nonnegative().nullable().optional(),
  seen: z.string().max(80).optional(),
  /** answers per choice: always on the teacher's pages, on a student's once revealed */
  counts: z.array(z.number().int().nonnegative()).max(8).optional(),
  /** how many answered (the counts' sum), with the counts */
  answered: z.number().int().nonnegative().optional(),
});
export type PollState = z.infer<typeof PollState>;

/** Agent → browser. */
export const ServerMessage = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('hello'),
    protocolVersion: z.number().int(),
    agentVersion: z.string(),
    session: z.object({ id: z.string(), startedAt: z.string() }),
    capabilities: Capabilities,
    readOnly: z.boolean(),
    /** present only on the teacher's page while the agent shares the session */
    share: ShareInfo.optional(),
  }),
  /** a batch of events, sent about once per animation frame */
  z.object({ t: z.literal('events'), events: z.array(z.unknown()) }),
  /** the folded model at atSeq, for a client that joined late or whose resume point is gone */
  z.object({ t: z.literal('snapshot'), atSeq: z.number().int(), model: z.unknown() }),
  /** events from..to (inclusive) are not available to this client */
  z.object({ t: z.literal('gap'), from: z.number().int(), to: z.number().int(), reason: z.string() }),
  /** kernel samples were merged because this client fell behind */
  z.object({ t: z.literal('merged'), count: z.number().int(), sinceSeq: z.number().int() }),
  z.object({ t: z.literal('synced'), lastSeq: z.number().int() }),
  /** to the teacher's page while sharing: how many read-only pages are watching now */
  z.object({ t: z.literal('viewers'), count: z.number().int().nonnegative() }),
  /** while sharing: the question put to the class now (null: none), after hello and whenever it changes */
  z.object({ t: z.literal('poll'), poll: PollState.nullable() }),
  // exactly one reply per command: ok with a result, or an error
  z.discriminatedUnion('ok', [
    z.object({ t: z.literal('reply'), re: z.string(), ok: z.literal(true), result: z.unknown() }),
    z.object({ t: z.literal('reply'), re: z.string(), ok: z.literal(false), error: SocketError }),
  ]),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** A student's page: one random id per browser tab, so a reload does not count its answer twice. */
export const StudentId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'a student id is 8–64 letters, digits, _ or -');

/** A student's answer to the open question: the only thing a read-only page may send besides `sync`. */
export const AnswerMessage = z.object({
  t: z.literal('answer'),
  id: z.string().min(1).max(64),
  /** the PollState id it answers */
  poll: z.string().min(1).max(32),
  choice: z.number().int().min(0).max(7),
  student: StudentId,
});
export type AnswerMessage = z.infer<typeof AnswerMessage>;

/** The teacher's page puts a question to the class, stops taking answers, reveals the run's answer, or ends it. */
export const PollAct = z.discriminatedUnion('op', [
  z.object({ op: z.literal('open'), question: z.string().min(1).max(96) }),
  z.object({ op: z.literal('close') }),
  z.object({ op: z.literal('reveal'), correct: z.number().int().min(0).max(7).nullable(), seen: z.string().max(80) }),
  z.object({ op: z.literal('end') }),
]);
export type PollAct = z.infer<typeof PollAct>;
export const PollMessage = z.object({ t: z.literal('poll'), id: z.string().min(1).max(64), act: PollAct });
export type PollMessage = z.infer<typeof PollMessage>;
/** What a page hands its connection for the class poll; the connection adds the request id. */
export type ClassPollInput = Omit<AnswerMessage, 'id'> | Omit<PollMessage, 'id'>;

/**
 * Browser → agent. The first message is `sync` with the protocol version and the last seq held. `answer`
 * and `poll` go to the class poll (each gets one `reply`); they never reach the agent's sockets or commands.
 */
export const ClientMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('sync'), protocolVersion: z.number().int(), since: z.number().int().min(-1).nullable() }),
  z.object({ t: z.literal('cmd'), id: z.string().min(1).max(64), cmd: z.unknown() }),
  AnswerMessage,
  PollMessage,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Validate a command body; the caller turns a failure into an error reply. */
export function parseCommand(raw: unknown): { ok: true; cmd: Command } | { ok: false; error: string } {
  const r = Command.safeParse(raw);
  if (r.success) return { ok: true, cmd: r.data };
  return { ok: false, error: z.prettifyError(r.error) };
}

export function parseEvent(raw: unknown): { ok: true; event: SessionEvent } | { ok: false; error: string } {
  const r = SessionEvent.safeParse(raw);
  if (r.success) return { ok: true, event: r.data };
  return { ok: false, error: z.prettifyError(r.error) };
}
