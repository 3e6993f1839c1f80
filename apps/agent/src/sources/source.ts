import type { EventInput, ProbeStatus, SessionEvent } from '@socketscope/shared';

/** Hands an observation to the session, which stamps v, seq and ts (unless ts is given) and records it. */
export type Emit = (e: EventInput) => SessionEvent;

/**
 * Every source of observations (the /proc probe, packet capture, inference) sits behind this, so they
 * are swappable and each says whether it can run here (STYLE.md 9).
 */
export interface ObservationSource {
  readonly name: 'kernel' | 'wire';
  /** can it run on this machine, and if not why and how to fix it */
  status(): ProbeStatus;
  start(emit: Emit): void;
  stop(): Promise<void> | void;
}

/** A socket some source should observe: the agent's own, or one found on a watched port. */
export interface TrackedSocket {
  sock: string;
  proto: 'tcp' | 'udp';
  local?: string;
  remote?: string;
  role: 'listener' | 'client' | 'accepted' | 'udp';
  backlog?: number;
  closed: boolean;
}
