import { z } from 'zod';

/** Bytes a socket call moved or a packet carried, as the first bytes (base64) plus the full length. */
export const BytesPreview = z.object({
  len: z.number().int().nonnegative(),
  b64: z.string().max(4096),
  truncated: z.boolean(),
});
export type BytesPreview = z.infer<typeof BytesPreview>;

/** "127.0.0.1:8888" or "[::1]:8888". */
export const Endpoint = z.string().min(3).max(64);
export type Endpoint = z.infer<typeof Endpoint>;

export const TCP_STATES = [
  'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2',
  'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING', 'NEW_SYN_RECV',
] as const;
export const TcpState = z.enum(TCP_STATES);
export type TcpState = z.infer<typeof TcpState>;

export const TCP_FLAGS = ['SYN', 'ACK', 'FIN', 'RST', 'PSH', 'URG', 'ECE', 'CWR'] as const;
export const TcpFlag = z.enum(TCP_FLAGS);
export type TcpFlag = z.infer<typeof TcpFlag>;

export const SocketError = z.object({
  /** errno name as the OS reports it: ECONNREFUSED, EADDRINUSE, … or an agent code (E_LIMIT, E_TARGET …). */
  code: z.string().max(64),
  /** the system's own message */
  message: z.string().max(1000),
  /** a plain-language explanation in English; the page shows its own translation keyed by `code` */
  hint: z.string().max(1000).optional(),
});
export type SocketError = z.infer<typeof SocketError>;

/** Whether an observation source can run here, and if not why and how to fix it. */
export const ProbeStatus = z.object({
  available: z.boolean(),
  reason: z.string().max(2000).optional(),
  fix: z.object({ linux: z.string().max(500).optional(), macos: z.string().max(500).optional() }).optional(),
  tool: z.string().max(200).optional(),
});
export type ProbeStatus = z.infer<typeof ProbeStatus>;

export const TextEncodingName = z.enum(['utf8', 'gbk']);
export type TextEncodingName = z.infer<typeof TextEncodingName>;

/** A payload given by a person: text in an encoding, or hex. */
export const Payload = z.union([
  z.object({ text: z.string().max(65536), encoding: TextEncodingName.default('utf8') }),
  z.object({ hex: z.string().max(131072).regex(/^(?:[0-9a-fA-F]{2}|\s)*$/, 'hex must be pairs of hex digits') }),
]);
export type Payload = z.infer<typeof Payload>;

export const Port = z.number().int().min(0).max(65535);
export const Host = z.string().min(1).max(253);
