import { createRequire } from 'node:module';
import {
  PROTOCOL_VERSION,
  type Capabilities, type Command, type ProbeStatus,
} from '@socketscope/shared';
import { createEngine } from './engine/index.ts';
import { CommandError, type EngineCommand, type SocketEngine } from './engine/types.ts';
import { KernelLayer } from './kernel/ebpf-kernel.ts';
import { Programs } from './python/programs.ts';
import { labStatus } from './lab/status.ts';
import { AgentLab, type LabCommand } from './lab/agent-lab.ts';
import type { AgentPort, HelloMessage } from './server/connection.ts';
import { LESSONS, lessonById, type Lesson } from '@socketscope/shared/lessons/index';
import { LessonRunner, type LessonResult } from './lessons/lesson-run.ts';

export type RunResult = LessonResult;
const lessonIds = (): string[] => LESSONS.map((l) => l.id);
import { Session } from './session/session.ts';
import type { ObservationSource } from './sources/source.ts';
import { PortWatcher } from './watch/port-watcher.ts';
import { CaptureSource } from './wire/capture.ts';
import { WireInference } from './wire/inference.ts';

export type { AgentParts, CreateAgentOptions, InferenceSink, KernelSource, LessonRunOptions, WireSource } from './agent-parts.ts';
import type { AgentParts, CreateAgentOptions, InferenceSink, KernelSource, LessonRunOptions, WireSource } from './agent-parts.ts';

/** how long a lesson waits for packet capture to come up before it starts anyway */
export const CAPTURE_READY_MS = 3000;
/** how long a lesson waits for the kernel's tracepoints to attach before it starts anyway (/proc then) */
export const KERNEL_READY_MS = 10000;

const require = createRequire(import.meta.url);
export const AGENT_VERSION: string = (require('../package.json') as { version: string }).version;

const UNAVAILABLE = (what: string): ProbeStatus => ({ available: false, reason: `${what} is not available in this build of the agent` });

/**
 * The agent: one session, the socket engine, the observation sources and the lessons, behind one
 * exec(command). The server and the CLI both drive it; nothing here knows about WebSockets.
 */
export class Agent implements AgentPort {
  readonly session: Session;
  readonly engine: SocketEngine;
  readonly kernel: KernelSource | undefined;
  readonly wire: WireSource | undefined;
  readonly watcher: PortWatcher;
  readonly programs: Programs | undefined;
  readonly allowRemote: boolean;
  /** the lab network: lab.* commands, lab lessons (lab/agent-lab.ts G1–G5) */
  readonly lab: AgentLab;
  private readonly inference: InferenceSink | undefined;
  private readonly scenarioPort: number | undefined;
  private readonly log: (line: string) => void;
  /** started: resolves once its LessonRunner exists (a lab lesson's lab is up and attached by then) */
  private running: { name: string; abort: AbortController; done: Promise<RunResult>; started: Promise<void>; lesson: LessonRunner | null } | null = null;
  private cleanups: (() => void)[] = [];
  private started = false;
  private uiPorts: number[] = [];
  /** for the watcher: ports that must never be watched */
  readonly refusedWatchPorts = (): number[] => this.uiPorts;
  private stopping: Promise<void> | null = null;

  constructor(parts: AgentParts) {
    this.session = parts.session;
    this.engine = parts.engine;
    this.kernel = parts.kernel;
    this.wire = parts.wire;
    this.inference = parts.inference;
    this.watcher = parts.watcher;
    this.programs = parts.programs;
    this.allowRemote = parts.allowRemote;
    this.scenarioPort = parts.scenarioPort;
    this.log = parts.log ?? ((line) => process.stderr.write(`socketscope: ${line}\n`));
    const session = this.session;
    this.lab = new AgentLab({
      agent: this, emit: (e) => session.emit(e), log: this.log,
      tsAt: (ns) => session.tsAtMonotonicNs(BigInt(Math.round(ns))),
    });
  }

  /** Starts the sources and wires them to the engine's changes. */
  start(): void {
    if (this.started) return;
    this.started = true;
    // which python3 runs programs is found once, now (a pyenv shim takes tens of ms): not in the first
    // page's hello, which would wait for it
    this.programs?.status();
    const emit = this.session.emit.bind(this.session);
    if (this.inference) {
      const inference = this.inference;
      this.cleanups.push(this.session.subscribe((e) => inference.observe(e)));
    }
    this.cleanups.push(this.engine.onChange(() => this.poke()));
    // a new session (reset) starts knowing whether capture runs, as the first one did: the page holds
    // events back for late captured packets only while it does (its reorder buffer), and a recording of
    // the new session says how its wire layer was observed
    const wire = this.wire;
    if (wire?.restate) this.cleanups.push(this.session.onReset(() => wire.restate?.()));
    // and whether the lab's link is up, and how (G2): the lab outlives a reset
    this.cleanups.push(this.session.onReset(() => this.lab.restate()));
    for (const src of this.sources()) {
      try {
        src.start(emit);
      } catch (err) {
        this.log(`${src.name} source failed to start: ${(err as Error).message}`);
      }
    }
  }

  private sources(): ObservationSource[] {
    return [this.kernel, this.wire].filter((s): s is KernelSource | WireSource => s !== undefined);
  }

  private poke(): void {
    this.kernel?.poke();
    this.wire?.poke();
  }

  capabilities(): Capabilities {
    return {
      kernel: this.kernel?.status() ?? UNAVAILABLE('the kernel probe'),
      wire: this.wire?.status() ?? UNAVAILABLE('packet capture'),
      tcpInfo: this.kernel?.tcpInfoStatus?.() ?? (this.kernel ? { available: false, reason: 'not reported by the kernel probe' } : UNAVAILABLE('TCP_INFO')),
      remoteTargets: this.allowRemote,
      ...(this.kernel?.kernelSource ? { kernelSource: this.kernel.kernelSource() } : {}),
      scenarios: lessonIds(),
      python: this.programs?.status() ?? UNAVAILABLE('running Python programs'),
      // found once per process (lab/status.ts); as root it spawns nothing
      lab: labStatus(),
    };
  }

  hello(): HelloMessage {
    return {
      t: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: AGENT_VERSION,
      session: { id: this.session.id, startedAt: this.session.startedAt },
      capabilities: this.capabilities(),
      readOnly: false,
    };
  }

  /** Carries out a validated command. Rejects only with CommandError. */
  async exec(cmd: Command): Promise<unknown> {
    if (this.stopping) throw new CommandError('E_BUSY', 'the agent is shutting down');
    switch (cmd.op) {
      case 'scenario.run': {
        const done = this.runScenario(cmd.name, cmd.port, undefined, { live: cmd.live, ...(cmd.lang ? { lang: cmd.lang } : {}) });
        if (cmd.live) {
          done.catch(() => {}); // the steps report themselves (scenario.step); lesson.next answers for each
          // but a lesson that could not start (busy, or its lab could not be made) is this command's error
          const mine = this.running?.done === done ? this.running : null;
          await (mine ? Promise.race([mine.started, done]) : done);
          return { scenario: cmd.name, live: true, steps: lessonById(cmd.name)?.steps.length ?? 0 };
        }
        const r = await done;
        if (!r.ok) throw new CommandError(r.error?.code ?? 'E_INTERNAL', `${cmd.name}: step ${r.failedStep} failed: ${r.error?.message ?? ''}`);
        return r;
      }
      case 'lesson.next': {
        const lesson = this.running?.lesson;
        if (!lesson?.live) throw new CommandError('E_INVALID', 'no live lesson is running (scenario.run with live: true)');
        const done = await lesson.next();
        return { scenario: this.running?.name ?? lesson.id, stepsDone: done };
      }
      case 'lesson.stop': {
        const r = this.running;
        if (!r) return { stopped: false };
        r.abort.abort();
        await r.done.catch(() => {});
        return { stopped: true };
      }
      case 'capture.set': {
        if (!this.wire) throw new CommandError('E_UNAVAILABLE', 'packet capture is not available in this build of the agent');
        await this.wire.setMode(cmd.mode);
        return { mode: cmd.mode, status: this.wire.status() };
      }
      case 'capture.packets': {
        if (!this.wire?.packets) throw new CommandError('E_UNAVAILABLE', 'packet capture is not available in this build of the agent');
        const r = this.wire.packets(cmd.bundle);
        if (!r) throw new CommandError('E_INVALID', `no bundle ${cmd.bundle} in this session's capture (the agent keeps its newest bundles)`);
        return r;
      }
      // the watcher pokes the probe and capture on every change (its onChange)
      case 'watch.add': return { watching: this.watcher.add(cmd.port) };
      case 'watch.remove': return { watching: this.watcher.remove(cmd.port) };
      case 'session.reset':
        return this.reset();
      // the sharing server answers it before it reaches the agent (server/connection.ts)
      case 'share.payloads': throw new CommandError('E_UNAVAILABLE', 'share.payloads is answered by the server that shares the session');
      case 'lab.up': case 'lab.set': case 'lab.oneshot': case 'lab.down':
        return this.lab.exec(cmd satisfies LabCommand);
      case 'py.run':
        if (cmd.host) await this.lab.forPagePrograms(); // G7: on a host of the lab
        return this.needPrograms().start(cmd);
      case 'py.go': this.needPrograms().get(cmd.run).go(); return { run: cmd.run };
      case 'py.step': this.needPrograms().get(cmd.run).setStep(cmd.on); return { run: cmd.run, step: cmd.on };
      case 'py.input': this.needPrograms().get(cmd.run).input(cmd.line); return { run: cmd.run };
      case 'py.stop': {
        const end = await this.needPrograms().get(cmd.run).stop('stopped');
        return { run: cmd.run, ...(end as object) };
      }
      default:
        return this.engine.exec(cmd satisfies EngineCommand);
    }
  }

  private needPrograms(): Programs {
    if (!this.programs) throw new CommandError('E_UNAVAILABLE', 'running Python programs is not available in this build of the agent');
    return this.programs;
  }

  /**
   * Runs a lesson as its Python programs (one lesson at a time): to its end, or live (lessons/lesson-run.ts
   * L5), when the promise resolves at its end too.
   */
  runScenario(name: string, port?: number, signal?: AbortSignal, opts: LessonRunOptions = {}): Promise<RunResult> {
    const lesson = lessonById(name);
    if (!lesson) return Promise.reject(new CommandError('E_INVALID', `no lesson "${name}"; there are: ${lessonIds().join(', ')}`));
    return this.runLesson(lesson, port, signal, opts);
  }

  /**
   * runScenario's lesson given whole. A lesson with `lab` runs on the lab (G4): brought up with its
   * conditions (opts.link instead, when given) or set on the one up, the agent on its hosts for the run,
   * its steps' one-shots armed on its link; after the run the lab stays up and the agent is back here.
   */
  runLesson(lesson: Lesson, port?: number, signal?: AbortSignal, opts: LessonRunOptions = {}): Promise<RunResult> {
    const name = lesson.id;
    if (this.running) return Promise.reject(new CommandError('E_BUSY', `lesson ${this.running.name} is still running`));
    const programs = this.needPrograms();
    const py = programs.status();
    if (!py.available) return Promise.reject(new CommandError('E_UNAVAILABLE', `lessons run as Python programs: ${py.reason ?? 'python3 is not available'}`));
    const abort = new AbortController();
    signal?.addEventListener('abort', () => abort.abort(), { once: true });
    const movedPort = port ?? this.scenarioPort;
    const kernel = this.kernel;
    const begun: { resolve?: () => void } = {};
    const started = new Promise<void>((resolve) => { begun.resolve = resolve; });
    const running: NonNullable<Agent['running']> = { name, abort, lesson: null, done: Promise.resolve({ scenario: name, ok: false, steps: 0 }), started };
    running.done = (async () => {
      const onLab = lesson.lab ? await this.lab.attachLesson(name, lesson.lab, lesson.listings.server?.file, opts.link) : null;
      try {
        await this.captureReady(CAPTURE_READY_MS, abort.signal);
        if (abort.signal.aborted) throw new CommandError('E_ABORTED', 'the lesson was stopped');
        running.lesson = new LessonRunner(lesson, {
          programs, emit: (e) => this.session.emit(e), log: this.log,
          ...(kernel?.settled && kernel.status().available ? { settled: () => kernel.settled!() } : {}),
          quiet: (ms, maxMs) => this.quiet(ms, maxMs),
          ...(onLab ? { oneshot: (shot) => onLab.oneshot(shot) } : {}),
        }, { live: opts.live === true, signal: abort.signal, ...(movedPort !== undefined ? { port: movedPort } : {}), ...(opts.lang ? { lang: opts.lang } : {}) });
        begun.resolve?.();
        return await running.lesson.done;
      } finally {
        await onLab?.detach();
      }
    })().finally(() => { if (this.running === running) this.running = null; });
    this.running = running;
    return running.done;
  }

  /**
   * Resolves once no kernel or wire event has come for `ms`, or after `maxMs` (lessons L4). A kernel sample
   * that says nothing new (the same state and queues, only TCP_INFO's RTT moved: on the lab's hosts every look
   * carries it) is not news: counted, the step would never be quiet and always take maxMs.
   */
  private quiet(ms: number, maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      let last = Date.now();
      const start = last;
      const seen = new Map<string, string>();
      const off = this.session.subscribe((e) => {
        if (e.type === 'kernel.tcp' || e.type === 'kernel.udp') {
          const key = e.sock ?? `${e.local}|${e.remote ?? ''}`;
          const said = `${e.type === 'kernel.tcp' ? e.state : ''}|${e.sendQueue ?? ''}|${e.recvQueue ?? ''}|${e.gone === true}|${e.type === 'kernel.udp' ? e.drops ?? '' : ''}`;
          if (seen.get(key) === said) return;
          seen.set(key, said);
          last = Date.now();
        } else if (e.layer === 'kernel' || e.layer === 'wire') {
          last = Date.now();
        }
      });
      const tick = setInterval(() => {
        const now = Date.now();
        if (now - last >= ms || now - start >= maxMs) {
          clearInterval(tick);
          off();
          resolve();
        }
      }, 10);
    });
  }

  /**
   * The port(s) the page and its WebSocket are served on: never watched (a watched UI port would
   * observe the page's own traffic, which grows with every event it shows) and never captured.
   */
  async setUiPorts(ports: number[]): Promise<void> {
    this.uiPorts = [...ports];
    await this.wire?.setExcludePorts?.(ports);
  }

  /**
   * A lesson's first packets are its handshake: when capture can run, give the tool a moment to start
   * so they are captured rather than inferred. Bounded; a lesson never waits on capture for long.
   */
  async captureReady(ms: number, signal?: AbortSignal): Promise<void> {
    // so are the kernel's tracepoints (bpftrace takes ~3 s to compile and attach its program), bounded too
    await Promise.all([this.wireReady(ms, signal), this.kernel?.ready?.(KERNEL_READY_MS, signal)]);
  }

  private async wireReady(ms: number, signal?: AbortSignal): Promise<void> {
    const wire = this.wire;
    // read through functions: setMode() may change them while we wait
    const off = () => wire?.mode === 'off';
    const up = () => wire?.running === true;
    const aborted = () => signal?.aborted === true;
    if (!wire || off() || wire.running === undefined || up() || !wire.status().available) return;
    const deadline = Date.now() + ms;
    while (!up() && !off() && Date.now() < deadline && !aborted()) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Closes every socket and starts a new session (new id, seq from 0). */
  async reset(): Promise<{ session: string }> {
    if (this.running) throw new CommandError('E_BUSY', `scenario ${this.running.name} is still running`);
    await this.programs?.stopAll('reset');
    this.programs?.forgetEnded();
    await this.engine.closeAll();
    this.session.reset();
    return { session: this.session.id };
  }

  /** Shutdown: stop a running lesson, close every socket, stop the sources (capture subprocesses). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.running) {
        this.running.abort.abort();
        await this.running.done.catch(() => {});
      }
      await this.programs?.stopAll('agent-exit');
      await this.lab.close();
      await this.engine.closeAll().catch((err: unknown) => this.log(`closing sockets: ${(err as Error).message}`));
      await Promise.all(this.sources().map(async (s) => {
        try {
          await s.stop();
        } catch (err) {
          this.log(`stopping the ${s.name} source: ${(err as Error).message}`);
        }
      }));
      for (const off of this.cleanups.splice(0)) off();
    })();
    return this.stopping;
  }
}


/** The agent with the real engine, /proc probe, packet capture and wire inference. */
export function createAgent(opts: CreateAgentOptions = {}): Agent {
  const log = opts.log ?? ((line: string) => process.stderr.write(`socketscope: ${line}\n`));
  const session = new Session({ ...opts.session, log });
  const emit = session.emit.bind(session);
  const allowRemote = opts.allowRemote ?? false;
  const engine = createEngine({ emit, allowRemote, log, ...(opts.limits ? { limits: opts.limits } : {}) });
  // the sources do not exist yet when the programs are made: their changes poke them through this
  const sources: { poke?: () => void } = {};
  const programs = new Programs({
    emit, log, changed: () => sources.poke?.(),
    tsAt: (ns) => session.tsAtMonotonicNs(BigInt(Math.round(ns))),
  });
  const targets = () => [...engine.tracked(), ...programs.tracked()];
  // the agent does not exist yet when the watcher is made: reach it through this late binding
  let agent: Agent | null = null;
  const watcher = new PortWatcher({ refused: () => agent?.refusedWatchPorts() ?? [], onChange: () => { kernel.poke(); wire.poke(); } });
  const watchedPorts = () => watcher.ports();
  // exact kernel tracepoints where they can run, the /proc probe always (kernel/ebpf-kernel.ts)
  const kernel = new KernelLayer({ targets, watchedPorts, tsAt: (ns) => session.tsAtMonotonicNs(ns), log, tracepoints: opts.tracepoints ?? true });
  const wire = new CaptureSource({ targets, watchedPorts, session, mode: opts.capture ?? 'auto', log });
  const inference = new WireInference(emit);
  sources.poke = () => { kernel.poke(); wire.poke(); };
  agent = new Agent({ session, engine, kernel, wire, inference, watcher, programs, allowRemote, scenarioPort: opts.scenarioPort, log });
  return agent;
}
