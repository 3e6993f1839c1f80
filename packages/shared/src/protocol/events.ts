import { z } from 'zod';
import { BytesPreview, Endpoint, ProbeStatus, SocketError, TcpFlag, TcpState } from './primitives.ts';

/**
 * The event envelope (DESIGN.md "Event envelope"). Field names are a contract: extend, never rename.
 * - seq: strictly increasing per session, never reused; a gap means missed events.
 * - ts: monotonic microseconds since the session started.
 * - sock: the agent's socket id where one is known; conn: "client>server" 4-tuple key.
 */
const envelope = {
  v: z.literal(1),
  seq: z.number().int().nonnegative(),
  ts: z.number().nonnegative(),
  sock: z.string().max(64).optional(),
  conn: z.string().max(160).optional(),
};

export const API_CALLS = [
  'socket', 'bind', 'listen', 'accept', 'connect', 'send', 'recv', 'sendto', 'recvfrom',
  'shutdown', 'close', 'setsockopt',
  // made only by traced Python programs (the tracer names each call as Python spells it)
  'connect_ex', 'sendall', 'recv_into', 'recvfrom_into', 'settimeout', 'setblocking',
  'getaddrinfo', 'gethostbyname',
] as const;
export const ApiCallName = z.enum(API_CALLS);
export type ApiCallName = z.infer<typeof ApiCallName>;

/** Where a traced program made a call: the first frame outside the standard library and the tracer. */
export const SourceLine = z.object({
  file: z.string().max(512),
  line: z.number().int().nonnegative(),
});
export type SourceLine = z.infer<typeof SourceLine>;

/** The traced program that made a call. `run` is the agent's id for one run of one program. */
export const ProcRef = z.object({
  run: z.string().max(32),
  pid: z.number().int().nonnegative(),
  program: z.string().max(256),
  /** the thread's name, where the program has several threads */
  thread: z.string().max(128).optional(),
});
export type ProcRef = z.infer<typeof ProcRef>;

/** Fields a traced program's calls carry beside the engine's (absent on the agent's own sockets). */
const traced = {
  src: SourceLine.optional(),
  proc: ProcRef.optional(),
  /** pairs an api.begin with the api.call that completes it (per run) */
  callId: z.number().int().nonnegative().optional(),
  /** the kernel's inode of the socket (as /proc/net/tcp shows it) */
  ino: z.number().int().nonnegative().optional(),
  /** the socket's file descriptor in the program (as strace shows it) */
  fd: z.number().int().optional(),
};

/** A socket call and what it returned. One event per call, emitted when the call completes. */
export const ApiCallEvent = z.object({
  ...traced,
  ...envelope,
  layer: z.literal('api'),
  type: z.literal('api.call'),
  call: ApiCallName,
  args: z.record(z.string(), z.unknown()),
  result: z.unknown().optional(),
  error: SocketError.optional(),
  durationUs: z.number().nonnegative(),
  /**
   * 'kernel': a call of a program the agent does not trace, seen by the kernel's sock:sock_send_length /
   * sock_recv_length tracepoints (watch mode): it has no source line, and its name is the direction only
   */
  seenBy: z.literal('kernel').optional(),
  /** seenBy kernel: when the kernel saw the call (µs since session start); ts is when the agent heard */
  kernelTs: z.number().optional(),
  /** typed facts the fold relies on; present where the call establishes them */
  proto: z.enum(['tcp', 'udp']).optional(),
  local: Endpoint.optional(),
  remote: Endpoint.optional(),
  /** accept(): the id of the new socket */
  newSock: z.string().max(64).optional(),
  /** send/recv/sendto/recvfrom: the bytes that moved */
  data: BytesPreview.optional(),
});
export type ApiCallEvent = z.infer<typeof ApiCallEvent>;

/**
 * A traced program is at a socket call: paused before it (step mode, until the teacher says go), or
 * inside a call that may block (accept, connect, recv, send …) that has not returned yet. The api.call
 * with the same proc.run and callId ends it.
 */
export const ApiBeginEvent = z.object({
  ...envelope,
  ...traced,
  layer: z.literal('api'),
  type: z.literal('api.begin'),
  call: ApiCallName,
  args: z.record(z.string(), z.unknown()),
  /** true: stopped before the call, waiting for go; absent: the call is being made now */
  paused: z.boolean().optional(),
});
export type ApiBeginEvent = z.infer<typeof ApiBeginEvent>;

/**
 * Something the socket engine learned without a call: a connection waiting to be accepted,
 * the peer's FIN seen by the event loop, an asynchronous error, the handle closing.
 */
export const ApiNoticeEvent = z.object({
  ...envelope,
  layer: z.literal('api'),
  type: z.literal('api.notice'),
  what: z.enum(['incoming', 'peer-closed', 'error', 'closed', 'writable', 'blocked']),
  error: SocketError.optional(),
  local: Endpoint.optional(),
  remote: Endpoint.optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type ApiNoticeEvent = z.infer<typeof ApiNoticeEvent>;

export const TcpInfo = z.object({
  rttMs: z.number().optional(),
  cwnd: z.number().optional(),
  sndWnd: z.number().optional(),
  rcvSpace: z.number().optional(),
  /** the socket's buffer limits in bytes of memory (skmem rb/tb: SO_RCVBUF/SO_SNDBUF as the kernel holds them) */
  rcvBuf: z.number().optional(),
  sndBuf: z.number().optional(),
  /** slow-start threshold in segments and the receive window in bytes (from the tcp:tcp_probe tracepoint) */
  ssthresh: z.number().optional(),
  rcvWnd: z.number().optional(),
});
export type TcpInfo = z.infer<typeof TcpInfo>;

/** The kernel's view of a TCP socket (its sock_diag answer, /proc/net/tcp{,6}, or a tracepoint); emitted only on change. */
export const KernelTcpEvent = z.object({
  ...envelope,
  layer: z.literal('kernel'),
  type: z.literal('kernel.tcp'),
  local: Endpoint,
  remote: Endpoint.optional(),
  state: TcpState,
  sendQueue: z.number().int().nonnegative(),
  recvQueue: z.number().int().nonnegative(),
  /** listener only: connections completed by the kernel and waiting for accept() */
  acceptQueue: z.number().int().nonnegative().optional(),
  backlog: z.number().int().nonnegative().optional(),
  info: TcpInfo.optional(),
  /** the kernel no longer has this socket (e.g. TIME_WAIT expired); state is its last one */
  gone: z.boolean().optional(),
  /**
   * how the state was seen: 'tracepoint' = the kernel announced this transition itself (exact time,
   * sock:inet_sock_set_state; queues are then the last sampled ones); absent = sampled from /proc
   */
  via: z.literal('tracepoint').optional(),
  /** tracepoint only: the state the kernel left */
  from: TcpState.optional(),
  /** tracepoint only: when the kernel made the change (µs since session start); ts is when the agent heard */
  kernelTs: z.number().optional(),
});
export type KernelTcpEvent = z.infer<typeof KernelTcpEvent>;

export const KERNEL_NOTICES = ['retransmit', 'synack-retransmit', 'reset-sent', 'reset-received'] as const;

/**
 * Something the kernel did to a TCP connection that is no state change, announced by its own tracepoint
 * (tcp:tcp_retransmit_skb, tcp_retransmit_synack, tcp_send_reset, tcp_receive_reset): exact, not sampled.
 */
export const KernelNoticeEvent = z.object({
  ...envelope,
  layer: z.literal('kernel'),
  type: z.literal('kernel.notice'),
  what: z.enum(KERNEL_NOTICES),
  local: Endpoint,
  remote: Endpoint.optional(),
  /** the socket's state when it happened */
  state: TcpState.optional(),
  /** when the kernel did it (µs since session start); ts is when the agent heard */
  kernelTs: z.number().optional(),
});
export type KernelNoticeEvent = z.infer<typeof KernelNoticeEvent>;

/** The kernel's view of a UDP socket (its sock_diag answer or /proc/net/udp{,6}); emitted only on change. */
export const KernelUdpEvent = z.object({
  ...envelope,
  layer: z.literal('kernel'),
  type: z.literal('kernel.udp'),
  local: Endpoint,
  remote: Endpoint.optional(),
  sendQueue: z.number().int().nonnegative(),
  recvQueue: z.number().int().nonnegative(),
  drops: z.number().int().nonnegative(),
  gone: z.boolean().optional(),
});
export type KernelUdpEvent = z.infer<typeof KernelUdpEvent>;

export const TcpOptions = z.object({
  mss: z.number().int().optional(),
  wscale: z.number().int().optional(),
  sackPermitted: z.boolean().optional(),
  sack: z.array(z.tuple([z.number(), z.number()])).max(4).optional(),
  ts: z.tuple([z.number(), z.number()]).optional(),
});
export type TcpOptions = z.infer<typeof TcpOptions>;

export const TCP_ANALYSIS = [
  'retransmission', 'dup-ack', 'zero-window', 'window-update', 'keep-alive', 'rst-after-data', 'window-full',
] as const;

/** A TCP segment on the wire; captured, or inferred (then without sequence numbers). */
/**
 * On the lab network both hosts are captured: `host` says whose capture saw a packet ('client' or
 * 'server'), so the same packet seen leaving one host and arriving at the other is two events. Absent:
 * loopback, or a single capture.
 */
export const WireHost = z.enum(['client', 'server']);
export type WireHost = z.infer<typeof WireHost>;

export const TcpSegmentEvent = z.object({
  ...envelope,
  layer: z.literal('wire'),
  type: z.literal('tcp.segment'),
  src: Endpoint,
  dst: Endpoint,
  flags: z.array(TcpFlag).max(8),
  /** raw sequence and acknowledgement numbers; null when inferred */
  seqNo: z.number().int().nonnegative().nullable(),
  ackNo: z.number().int().nonnegative().nullable(),
  /** relative to each direction's initial sequence number, as Wireshark shows them */
  relSeq: z.number().int().nullable().optional(),
  relAck: z.number().int().nullable().optional(),
  /** advertised window in bytes (scaled once the handshake's window scale is known); null when inferred */
  win: z.number().int().nonnegative().nullable(),
  len: z.number().int().nonnegative(),
  /** the SYN's options as the capture decoded them ({} when none or inferred) */
  options: TcpOptions,
  inferred: z.boolean(),
  /** why the segment is inferred, for the page to say */
  inferredFrom: z.string().max(200).optional(),
  bytes: z.string().max(4096),
  analysis: z.array(z.enum(TCP_ANALYSIS)).optional(),
  /** capture timestamp (µs since session start) when captured; ts is when the agent saw it */
  wireTs: z.number().optional(),
  /** the lab host whose capture saw it (WireHost) */
  host: WireHost.optional(),
});
export type TcpSegmentEvent = z.infer<typeof TcpSegmentEvent>;

/**
 * Consecutive captured data segments of one connection in one direction, summarised (the bulk-data
 * contract): the agent may send one of these instead of each segment once a run grows past a handful.
 * Every packet stays in the agent's capture ring (the .pcap export writes them all; `capture.packets`
 * returns a bundle's segments). Handshakes, teardowns, resets and small exchanges are never summarised.
 * Later packets of the same run update the bundle under the same `bundle` id (the newest event wins).
 */
export const TcpBundleEvent = z.object({
  ...envelope,
  layer: z.literal('wire'),
  type: z.literal('tcp.bundle'),
  /** the agent's id of this run of segments, stable while it grows */
  bundle: z.number().int().nonnegative(),
  src: Endpoint,
  dst: Endpoint,
  /** data segments summarised (≥ 2) and their payload bytes */
  count: z.number().int().min(2),
  bytes: z.number().int().nonnegative(),
  /** raw sequence numbers of the first segment and the end of the last one's data */
  firstSeq: z.number().int().nonnegative(),
  endSeq: z.number().int().nonnegative(),
  /** relative to the direction's ISN, as Wireshark shows them, when the handshake was seen */
  relFirstSeq: z.number().int().nullable().optional(),
  relEndSeq: z.number().int().nullable().optional(),
  /** every flag seen on the summarised segments */
  flags: z.array(TcpFlag).max(8),
  /** segments of the run that the capture's analysis called retransmissions */
  retransmissions: z.number().int().nonnegative(),
  /** the last advertised window of the sender's segments, in bytes */
  win: z.number().int().nonnegative().nullable(),
  /** capture times of the first and the last segment (µs since session start) */
  wireTs: z.number(),
  wireEndTs: z.number(),
  /** whether more segments may still join it (false once another kind of packet ended the run) */
  open: z.boolean(),
  /** the lab host whose capture saw it (WireHost) */
  host: WireHost.optional(),
});
export type TcpBundleEvent = z.infer<typeof TcpBundleEvent>;

/**
 * The lab link came up, changed or went away (apps/agent/src/lab). conditions are the ones in force
 * (each way); hosts are the two hosts' addresses. A recording holds them, so a replay can say what the
 * link was.
 */
export const LinkStateEvent = z.object({
  ...envelope,
  layer: z.literal('session'),
  type: z.literal('link.state'),
  up: z.boolean(),
  conditions: z.object({
    delayMs: z.number().nonnegative(),
    jitterMs: z.number().nonnegative(),
    lossPct: z.number().min(0).max(100),
    rateKbit: z.number().int().positive().nullable(),
  }),
  hosts: z.object({ client: z.string().max(64), server: z.string().max(64) }).optional(),
  how: z.enum(['root', 'userns']).optional(),
});
export type LinkStateEvent = z.infer<typeof LinkStateEvent>;

export const LINK_DROP_REASONS = ['loss', 'oneshot', 'queue'] as const;

/**
 * A packet the lab's link dropped (apps/agent/src/lab): it left one host and never reached the other. Both
 * hosts are captured, so the sender's capture has it as a tcp.segment / udp.datagram and the receiver's
 * does not. reason: 'loss' = the link's loss rate, 'oneshot' = the teacher's "lose the next one",
 * 'queue' = the rate-limited link's queue was full. Lifecycle: never merged or dropped.
 */
export const LinkDropEvent = z.object({
  ...envelope,
  layer: z.literal('wire'),
  type: z.literal('link.drop'),
  src: Endpoint,
  dst: Endpoint,
  proto: z.enum(['tcp', 'udp']),
  /** payload bytes, as tcp.segment's and udp.datagram's len */
  len: z.number().int().nonnegative(),
  /** TCP only: the segment's flags and raw sequence number */
  flags: z.array(TcpFlag).max(8).optional(),
  seqNo: z.number().int().nonnegative().optional(),
  reason: z.enum(LINK_DROP_REASONS),
  /** when the link dropped it (µs since session start); ts is when the agent heard */
  wireTs: z.number(),
});
export type LinkDropEvent = z.infer<typeof LinkDropEvent>;

export const UdpDatagramEvent = z.object({
  ...envelope,
  layer: z.literal('wire'),
  type: z.literal('udp.datagram'),
  src: Endpoint,
  dst: Endpoint,
  len: z.number().int().nonnegative(),
  inferred: z.boolean(),
  inferredFrom: z.string().max(200).optional(),
  bytes: z.string().max(4096),
  wireTs: z.number().optional(),
  /** the lab host whose capture saw it (WireHost) */
  host: WireHost.optional(),
});
export type UdpDatagramEvent = z.infer<typeof UdpDatagramEvent>;

/** State of an observation source changed (capture started, died, restarted; probe unavailable). */
export const SourceStatusEvent = z.object({
  ...envelope,
  layer: z.literal('session'),
  type: z.literal('source.status'),
  source: z.enum(['kernel', 'wire']),
  status: ProbeStatus.extend({ running: z.boolean(), kernelDrops: z.number().int().optional() }),
});
export type SourceStatusEvent = z.infer<typeof SourceStatusEvent>;

/** A scripted scenario (lesson) reached a step; the page highlights its code line. */
export const ScenarioStepEvent = z.object({
  ...envelope,
  layer: z.literal('session'),
  type: z.literal('scenario.step'),
  scenario: z.string().max(64),
  step: z.string().max(64),
  index: z.number().int().nonnegative(),
  role: z.enum(['client', 'server', 'both']).optional(),
  status: z.enum(['start', 'done', 'failed']),
});
export type ScenarioStepEvent = z.infer<typeof ScenarioStepEvent>;

/** A traced Python program started (the agent's runner). */
export const ProcStartEvent = z.object({
  ...envelope,
  layer: z.literal('session'),
  type: z.literal('proc.start'),
  proc: ProcRef,
  /** the file as the page shows it (its name for pasted code) and its arguments */
  file: z.string().max(512),
  args: z.array(z.string().max(1024)).max(64),
  python: z.string().max(64),
  /** started paused before its first socket call (step mode) */
  step: z.boolean(),
});
export type ProcStartEvent = z.infer<typeof ProcStartEvent>;

/** Bytes a traced program wrote (stdout, stderr) or was given (stdin: a line typed on the page). */
export const ProcOutputEvent = z.object({
  ...envelope,
  layer: z.literal('session'),
  type: z.literal('proc.output'),
  run: z.string().max(32),
  stream: z.enum(['stdout', 'stderr', 'stdin']),
  /** the bytes as they came (base64, at most 3 KiB of bytes per event) */
  b64: z.string().max(4096),
  /** the bytes decoded: utf-8 where they are valid utf-8, else gbk, else utf-8 with replacements */
  text: z.string().max(4096),
  encoding: z.enum(['utf-8', 'gbk']),
});
export type ProcOutputEvent = z.infer<typeof ProcOutputEvent>;

/** A traced program waits in input(); the page asks for a line. */
export const ProcInputEvent = z.object({
  ...envelope,
  layer: z.literal('session'),
  type: z.literal('proc.input'),
  run: z.string().max(32),
  prompt: z.string().max(1024),
  src: SourceLine.optional(),
});
export type ProcInputEvent = z.infer<typeof ProcInputEvent>;

export const TracebackFrame = z.object({ file: z.string().max(512), line: z.number().int().nonnegative(), name: z.string().max(256) });
export const PROC_END_REASONS = ['exited', 'stopped', 'timeout', 'output-limit', 'agent-exit', 'reset', 'failed-to-start'] as const;

/** A traced program ended: its exit status, and the exception that ended it, if one did. */
export const ProcExitEvent = z.object({
  ...envelope,
  layer: z.literal('session'),
  type: z.literal('proc.exit'),
  run: z.string().max(32),
  code: z.number().int().nullable(),
  signal: z.string().max(32).nullable(),
  reason: z.enum(PROC_END_REASONS),
  /** the uncaught exception (the student's frames only), when one ended the program */
  exception: z.object({
    type: z.string().max(256),
    message: z.string().max(2000),
    frames: z.array(TracebackFrame).max(64),
  }).optional(),
  /** why it could not start, or what ended it, in plain English */
  message: z.string().max(2000).optional(),
});
export type ProcExitEvent = z.infer<typeof ProcExitEvent>;

export const SessionEvent = z.discriminatedUnion('type', [
  ApiCallEvent, ApiBeginEvent, ApiNoticeEvent, KernelTcpEvent, KernelUdpEvent, KernelNoticeEvent, TcpSegmentEvent, TcpBundleEvent, LinkDropEvent, UdpDatagramEvent, LinkStateEvent,
  SourceStatusEvent, ScenarioStepEvent, ProcStartEvent, ProcOutputEvent, ProcInputEvent, ProcExitEvent,
]);
export type SessionEvent = z.infer<typeof SessionEvent>;
export type EventType = SessionEvent['type'];
export type Layer = SessionEvent['layer'];

/** One map from event type to payload. */
export type EventOf<T extends EventType> = Extract<SessionEvent, { type: T }>;
/** What a producer hands the session: the envelope's seq, ts and v are the session's to assign. */
export type EventInput = SessionEvent extends infer E ? (E extends SessionEvent ? Omit<E, 'v' | 'seq' | 'ts'> & { ts?: number } : never) : never;

/**
 * Kernel queue samples may be merged under load (latest wins); every other event is lifecycle and is
 * never dropped. Two samples merge only when they share this key, so a TCP state change always survives.
 * Returns null for lifecycle events.
 */
export function sampleKey(e: SessionEvent): string | null {
  if (e.type === 'kernel.tcp') return e.gone ? null : `t|${e.local}|${e.remote ?? ''}|${e.state}`;
  if (e.type === 'kernel.udp') return e.gone ? null : `u|${e.local}|${e.remote ?? ''}`;
  return null;
}
