import type { ApiCallEvent, SessionEvent, SocketModel, TcpState } from '@socketscope/shared';
import type { EngineCommand } from '../engine/types.ts';

/**
 * A scenario (a lesson from LESSONS.md) is an id and an ordered list of steps. Each step issues real
 * engine commands, so every socket call it makes is a real `api.call` event; the runner emits
 * `scenario.step` start/done (or failed) around it, and the page lights the step's code line
 * (a later file maps step id → line of the Python listing).
 *
 * To add a lesson: write `scenarios/<id>.ts` exporting a Scenario and list it in scenarios/index.ts.
 */
export interface Scenario<S = Record<string, unknown>> {
  id: string;
  /** one line for `--help` and the CLI summary (the page shows its own translated titles) */
  summary: string;
  /** the tutorial's port(s); `--port N` moves the first to N and the others by the same offset */
  ports: number[];
  /** fresh per run: what steps hand each other (socket ids, addresses) */
  init(): S;
  steps: ScenarioStep<S>[];
  /** always runs at the end, after success or failure: closes whatever the run left open */
  cleanup?(ctx: ScenarioContext, state: S): Promise<void>;
}

export interface ScenarioStep<S = Record<string, unknown>> {
  /** stable id; the code panel maps it to a line of the listing, so never rename one */
  id: string;
  role: 'client' | 'server' | 'both';
  run(ctx: ScenarioContext, state: S): Promise<void>;
}

/** A socket call's outcome: the engine's result and the api.call events it emitted. */
export interface CallOutcome {
  result: unknown;
  calls: ApiCallEvent[];
  /** the socket the call was made on (from the result, else from its api.call event) */
  sock?: string;
  /** accept(): the new socket */
  newSock?: string;
}

export interface WaitOptions {
  timeoutMs?: number;
}

export interface ScenarioContext {
  readonly scenario: string;
  /** the tutorial port moved by --port (port(8888) → 8888 unless moved) */
  port(tutorialPort: number): number;
  /** one socket call through the engine; rejects with CommandError like the engine */
  call(cmd: EngineCommand): Promise<CallOutcome>;
  /** like call(), but retries a call that would block (nothing to accept or read yet) until timeoutMs */
  callWhenReady(cmd: EngineCommand, opts?: WaitOptions): Promise<CallOutcome>;
  /** the first event (already recorded or arriving) matching pred; null after timeoutMs */
  waitForEvent(pred: (e: SessionEvent) => boolean, opts?: WaitOptions & { sinceSeq?: number }): Promise<SessionEvent | null>;
  /**
   * Waits until the kernel shows the socket in one of `states` (or gone, if allowed); pokes the
   * kernel probe meanwhile. Returns the state seen, or null when the kernel layer is unavailable or
   * the time ran out: a lesson goes on without the picture rather than hanging.
   */
  waitForTcpState(sock: string, states: TcpState[], opts?: WaitOptions & { orGone?: boolean }): Promise<TcpState | 'gone' | null>;
  /** the socket as the session's model sees it now (kernel queues, drops, state), if known */
  socket(sock: string): SocketModel | undefined;
  /**
   * Polls `cond` (poking the kernel probe) until it holds; false after timeoutMs or when the kernel
   * layer is unavailable and `needsKernel` is set.
   */
  waitUntil(cond: () => boolean, opts?: WaitOptions & { needsKernel?: boolean }): Promise<boolean>;
  /** a short pause for the eye (bounded, cut short when the run is stopped) */
  pause(ms: number): Promise<void>;
  readonly signal: AbortSignal;
  /** diagnostics (stderr in the CLI) */
  log(line: string): void;
}
