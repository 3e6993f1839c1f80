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
] as const;
export const ApiCallName = z.enum(API_CALLS);
export type ApiCallName = z.infer<typeof ApiCallName>;

/** A socket call and what it returned. One event per call, emitted when the call completes. */
export const ApiCallEvent = z.object({
  ...envelope,
  layer: z.literal('api'),
  type: z.literal('api.call'),
  call: ApiCallName,
  args: z.record(z.string(), z.unknown()),
  result: z.unknown().optional(),
  error: SocketError.optional(),
  durationUs: z.number().nonnegative(),
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
});
export type TcpInfo = z.infer<typeof TcpInfo>;

/** The kernel's view of a TCP socket (from /proc/net/tcp{,6}); emitted only on change. */
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
});
export type KernelTcpEvent = z.infer<typeof KernelTcpEvent>;

/** The kernel's view of a UDP socket (from /proc/net/udp{,6}); emitted only on change. */
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
});
export type TcpSegmentEvent = z.infer<typeof TcpSegmentEvent>;

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

export const SessionEvent = z.discriminatedUnion('type', [
  ApiCallEvent, ApiNoticeEvent, KernelTcpEvent, KernelUdpEvent, TcpSegmentEvent, UdpDatagramEvent,
  SourceStatusEvent, ScenarioStepEvent,
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
