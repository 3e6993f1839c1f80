import type { StateChange, TcpState } from '@socketscope/shared';

export type StepKind = 'past' | 'current' | 'next';
export interface StateStep {
  state: TcpState;
  kind: StepKind;
}

/** Where each state leads when nothing unusual happens, to draw the road ahead dashed. */
const USUAL_NEXT: Partial<Record<TcpState, TcpState[]>> = {
  CLOSED: [],
  SYN_SENT: ['ESTABLISHED'],
  SYN_RECV: ['ESTABLISHED'],
  NEW_SYN_RECV: ['ESTABLISHED'],
  FIN_WAIT1: ['FIN_WAIT2', 'TIME_WAIT'],
  FIN_WAIT2: ['TIME_WAIT'],
  TIME_WAIT: ['CLOSED'],
  CLOSING: ['TIME_WAIT', 'CLOSED'],
  CLOSE_WAIT: ['LAST_ACK', 'CLOSED'],
  LAST_ACK: ['CLOSED'],
};

/**
 * The states this socket went through (from the fold's bounded history), the current one, and the
 * usual road ahead. Pure presentation of the model's history; the last 6 past states are kept so the
 * strip fits on a card.
 */
export function statePath(history: readonly StateChange[], current: TcpState | undefined, maxPast = 6): StateStep[] {
  if (!current) return [];
  const past: TcpState[] = [];
  for (const h of history) {
    if (h.from && past.at(-1) !== h.from && h.from !== current) past.push(h.from);
  }
  const steps: StateStep[] = past.slice(-maxPast).map((state) => ({ state, kind: 'past' }));
  steps.push({ state: current, kind: 'current' });
  for (const next of USUAL_NEXT[current] ?? []) steps.push({ state: next, kind: 'next' });
  return steps;
}

export type StateTone = 'open' | 'listen' | 'handshake' | 'closing' | 'closed';

/** A colour family for a state; the state's name is always shown too. */
export function stateTone(state: TcpState): StateTone {
  switch (state) {
    case 'ESTABLISHED': return 'open';
    case 'LISTEN': return 'listen';
    case 'SYN_SENT': case 'SYN_RECV': case 'NEW_SYN_RECV': return 'handshake';
    case 'CLOSED': case 'CLOSE': return 'closed';
    default: return 'closing';
  }
}
