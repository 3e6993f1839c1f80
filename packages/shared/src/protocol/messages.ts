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
});
export type Capabilities = z.infer<typeof Capabilities>;

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
  // exactly one reply per command: ok with a result, or an error
  z.discriminatedUnion('ok', [
    z.object({ t: z.literal('reply'), re: z.string(), ok: z.literal(true), result: z.unknown() }),
    z.object({ t: z.literal('reply'), re: z.string(), ok: z.literal(false), error: SocketError }),
  ]),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** Browser → agent. The first message is `sync` with the protocol version and the last seq held. */
export const ClientMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('sync'), protocolVersion: z.number().int(), since: z.number().int().min(-1).nullable() }),
  z.object({ t: z.literal('cmd'), id: z.string().min(1).max(64), cmd: z.unknown() }),
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
