import type { Command } from '@socketscope/shared';
import type { TrackedSocket } from '../sources/source.ts';

/** The socket commands the engine carries out (scenario, capture, watch and session commands are not its). */
export type EngineCommand = Extract<Command, { op: `tcp.${string}` | `udp.${string}` }>;

/** A call that could not be made, as the caller sees it: an errno-like code and a message. */
export class CommandError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface Limits {
  maxSockets: number;
  maxListeners: number;
  maxBytesPerCommand: number;
  /**
   * How long a call that would block (accept, recv, recvfrom, connect) waits before it gives up with
   * E_NOTHING_TO_ACCEPT / EAGAIN / ETIMEDOUT. Optional so existing Limits objects stay valid.
   */
  maxWaitMs?: number;
}

export const DEFAULT_LIMITS: Limits = { maxSockets: 256, maxListeners: 32, maxBytesPerCommand: 64 * 1024, maxWaitMs: 10_000 };

export interface SocketEngine {
  /** Carries out one socket call. Resolves with the call's result; rejects only with CommandError. */
  exec(cmd: EngineCommand): Promise<unknown>;
  /** The sockets the engine holds (and closed ones the kernel may still hold, e.g. in TIME_WAIT). */
  tracked(): TrackedSocket[];
  /** Called whenever a socket is created, gets an address or closes, so probes start and stop. */
  onChange(listener: () => void): () => void;
  /** Closes every socket (shutdown, session reset). */
  closeAll(): Promise<void>;
}
