import type { ApiCallEvent, SessionEvent, TcpState } from '@socketscope/shared';
import { CommandError, type EngineCommand } from '../engine/types.ts';
import type { Session } from '../session/session.ts';
import type { CallOutcome, Scenario, ScenarioContext, WaitOptions } from './types.ts';

export interface RunnerDeps {
  session: Session;
  exec(cmd: EngineCommand): Promise<unknown>;
  /** is the kernel layer observable here (else state waits return at once) */
  kernelAvailable(): boolean;
  /** asks the kernel probe to look now rather than at its next tick */
  pokeKernel(): void;
  log(line: string): void;
}

export interface RunOptions {
  /** move the scenario's first port here (and the others by the same offset) */
  port?: number;
  signal?: AbortSignal;
}

export interface RunResult {
  scenario: string;
  ok: boolean;
  steps: number;
  failedStep?: string;
  error?: { code: string; message: string };
}

/** Codes that mean "the call would block": retried by callWhenReady. */
const NOT_READY = new Set(['E_NOTHING_TO_ACCEPT', 'EAGAIN', 'EWOULDBLOCK', 'E_BUSY']);
const DEFAULT_WAIT_MS = 3000;
const POLL_MS = 15;

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export function makeContext(scenario: Scenario<any>, deps: RunnerDeps, opts: RunOptions, signal: AbortSignal): ScenarioContext {
  const base = scenario.ports[0] ?? 0;
  const offset = opts.port !== undefined && base > 0 ? opts.port - base : 0;
  const { session } = deps;

  async function call(cmd: EngineCommand): Promise<CallOutcome> {
    if (signal.aborted) throw new CommandError('E_ABORTED', 'the scenario was stopped');
    const calls: ApiCallEvent[] = [];
    const off = session.subscribe((e) => { if (e.type === 'api.call') calls.push(e); });
    let result: unknown;
    try {
      result = await deps.exec(cmd);
    } finally {
      off();
    }
    const r = (result && typeof result === 'object' ? result : {}) as Record<string, unknown>;
    const last = calls.at(-1);
    const out: CallOutcome = { result, calls };
    // a command on an existing socket names it; a new socket is named by the result or its event
    const sock = 'sock' in cmd ? cmd.sock : str(r['sock']) ?? last?.sock;
    if (sock) out.sock = sock;
    const acceptedBy = cmd.op === 'tcp.accept' && str(r['sock']) !== cmd.sock ? str(r['sock']) : undefined;
    const newSock = str(r['newSock']) ?? calls.find((c) => c.call === 'accept')?.newSock ?? acceptedBy;
    if (newSock) out.newSock = newSock;
    return out;
  }

  async function waitForEvent(pred: (e: SessionEvent) => boolean, o: WaitOptions & { sinceSeq?: number } = {}): Promise<SessionEvent | null> {
    for (const e of session.range(o.sinceSeq ?? session.firstHeldSeq)) if (pred(e)) return e;
    return new Promise((resolve) => {
      const finish = (e: SessionEvent | null) => { clearTimeout(timer); off(); signal.removeEventListener('abort', onAbort); resolve(e); };
      const onAbort = () => finish(null);
      const off = session.subscribe((e) => { if (pred(e)) finish(e); });
      const timer = setTimeout(() => finish(null), o.timeoutMs ?? DEFAULT_WAIT_MS);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  const ctx: ScenarioContext = {
    scenario: scenario.id,
    signal,
    port: (p) => p + offset,
    call,
    async callWhenReady(cmd, o = {}) {
      const deadline = Date.now() + (o.timeoutMs ?? DEFAULT_WAIT_MS);
      for (;;) {
        try {
          return await call(cmd);
        } catch (err) {
          if (!(err instanceof CommandError) || !NOT_READY.has(err.code) || Date.now() >= deadline || signal.aborted) throw err;
        }
        deps.pokeKernel();
        await delay(POLL_MS, signal);
      }
    },
    waitForEvent,
    async waitForTcpState(sock, states, o = {}) {
      if (!deps.kernelAvailable()) return null;
      const want = new Set<TcpState>(states);
      const deadline = Date.now() + (o.timeoutMs ?? DEFAULT_WAIT_MS);
      // the model already knows the socket's last kernel state; events tell us the moment it changes
      while (Date.now() < deadline && !signal.aborted) {
        const s = session.current().sockets[sock];
        if (s?.state && want.has(s.state) && !s.gone) return s.state;
        if (s?.gone && o.orGone) return 'gone';
        deps.pokeKernel();
        await delay(POLL_MS, signal);
      }
      const s = session.current().sockets[sock];
      deps.log(`${scenario.id}: ${sock} did not reach ${states.join('/')} in time (kernel shows ${s?.state ?? 'nothing'})`);
      return null;
    },
    socket: (sock) => session.current().sockets[sock],
    async waitUntil(cond, o = {}) {
      if (o.needsKernel && !deps.kernelAvailable()) return false;
      const deadline = Date.now() + (o.timeoutMs ?? DEFAULT_WAIT_MS);
      for (;;) {
        if (cond()) return true;
        if (Date.now() >= deadline || signal.aborted) return false;
        deps.pokeKernel();
        await delay(POLL_MS, signal);
      }
    },
    pause: (ms) => delay(Math.min(Math.max(ms, 0), 5000), signal),
    log: deps.log,
  };
  return ctx;
}

/**
 * Runs the steps in order, each between `scenario.step` start and done (or failed). A failed step
 * ends the run; cleanup runs either way. Returns rather than throws, so the caller reports.
 */
export async function runScenario(scenario: Scenario<any>, deps: RunnerDeps, opts: RunOptions = {}): Promise<RunResult> {
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) ac.abort();
  const ctx = makeContext(scenario, deps, opts, ac.signal);
  const state = scenario.init();
  const emitStep = (index: number, step: Scenario['steps'][number], status: 'start' | 'done' | 'failed') =>
    deps.session.emit({ layer: 'session', type: 'scenario.step', scenario: scenario.id, step: step.id, index, role: step.role, status });
  const result: RunResult = { scenario: scenario.id, ok: true, steps: 0 };
  try {
    for (const [index, step] of scenario.steps.entries()) {
      emitStep(index, step, 'start');
      try {
        if (ac.signal.aborted) throw new CommandError('E_ABORTED', 'the scenario was stopped');
        await step.run(ctx, state);
      } catch (err) {
        emitStep(index, step, 'failed');
        result.ok = false;
        result.failedStep = step.id;
        result.error = err instanceof CommandError
          ? { code: err.code, message: err.message }
          : { code: 'E_INTERNAL', message: (err as Error)?.message ?? String(err) };
        if (!(err instanceof CommandError)) deps.log(`${scenario.id}/${step.id}: ${(err as Error)?.stack ?? String(err)}`);
        break;
      }
      emitStep(index, step, 'done');
      result.steps++;
    }
  } finally {
    if (scenario.cleanup) {
      try {
        // cleanup must close sockets even after the run was stopped, so it gets a context that is not
        await scenario.cleanup(makeContext(scenario, deps, opts, new AbortController().signal), state);
      } catch (err) {
        deps.log(`${scenario.id} cleanup: ${(err as Error)?.message ?? String(err)}`);
      }
    }
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return result;
}
