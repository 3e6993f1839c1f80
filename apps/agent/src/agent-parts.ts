/** The agent's parts and options, as agent.ts takes them (re-exported there). */
import type { Capabilities, ProbeStatus, SessionEvent } from '@socketscope/shared';
import type { LessonLang } from '@socketscope/shared/lessons/index';
import type { Limits, SocketEngine } from './engine/types.ts';
import type { LinkConditions } from './lab/conditions.ts';
import type { Programs } from './python/programs.ts';
import type { Session, SessionOptions } from './session/session.ts';
import type { ObservationSource } from './sources/source.ts';
import type { PortWatcher } from './watch/port-watcher.ts';
import type { BundlePackets } from './wire/capture-bundle-read.ts';

/** The kernel probe as the agent uses it (kernel/proc-probe.ts). */
export interface KernelSource extends ObservationSource {
  /** look now instead of at the next tick (a step just changed something) */
  poke(): void;
  /** whether TCP_INFO details (ss -tin) are available; absent means unknown */
  tcpInfoStatus?(): ProbeStatus;
  /** resolves after a look that began after the call (K7) */
  settled?(): Promise<void>;
  /** which kernel source is active (tracepoints or /proc sampling) and why not the other */
  kernelSource?(): Capabilities['kernelSource'];
  /** resolves once the kernel's tracepoints are attached, or could not be, or after ms */
  ready?(ms: number, signal?: AbortSignal): Promise<unknown>;
}

/** Packet capture as the agent uses it (wire/capture.ts). */
export interface WireSource extends ObservationSource {
  setMode(mode: 'auto' | 'off'): unknown;
  poke(): void;
  readonly mode?: 'auto' | 'off';
  /** the capture tool is running now */
  readonly running?: boolean;
  /** the agent's own page/WebSocket port is never captured */
  setExcludePorts?(ports: number[]): Promise<void>;
  /** the captured packets still held, as a classic pcap file */
  writePcap?(path: string): Promise<{ packets: number; note: string }>;
  /** a tcp.bundle's segments, decoded from the capture ring; undefined when that bundle is not held */
  packets?(bundle: number): BundlePackets | undefined;
  /** a new session began: say again in it what capture is doing (its last source.status) */
  restate?(): void;
}

/** Wire inference (wire/inference.ts): sees every event, emits inferred wire events while capture is off. */
export interface InferenceSink {
  observe(e: SessionEvent): void;
}

export interface AgentParts {
  session: Session;
  engine: SocketEngine;
  kernel?: KernelSource | undefined;
  wire?: WireSource | undefined;
  inference?: InferenceSink | undefined;
  /** ports of other programs to observe (the probe and capture read watcher.ports()) */
  watcher: PortWatcher;
  /** Python programs run under the tracer (py.* commands) */
  programs?: Programs | undefined;
  allowRemote: boolean;
  /** where scenario.run puts a scenario when the command names no port */
  scenarioPort?: number | undefined;
  log?: (line: string) => void;
}

export interface LessonRunOptions {
  live?: boolean;
  lang?: LessonLang;
  /** a lab lesson's link instead of its own conditions (`run <lesson> --lab --delay …`) */
  link?: LinkConditions;
}

export interface CreateAgentOptions {
  allowRemote?: boolean;
  capture?: 'auto' | 'off';
  scenarioPort?: number;
  session?: SessionOptions;
  /**
   * The engine's safety limits (engine/types.ts DEFAULT_LIMITS: 256 sockets, 32 listeners, 64 KiB per
   * command, 10 s waits). The classroom runs with the defaults; load tests and benchmarks raise them here.
   */
  limits?: Partial<Limits>;
  /** observe the kernel layer through its tracepoints where they can run (default true; /proc otherwise) */
  tracepoints?: boolean;
  log?: (line: string) => void;
}
