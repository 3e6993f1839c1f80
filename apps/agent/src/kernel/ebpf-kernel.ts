/**
 * The kernel layer as the agent uses it: the tracepoint source (ebpf-source.ts) where it can run, and the
 * /proc probe always — for queues, TIME_WAIT (no tracepoint reports it) and gone, and as the whole layer
 * where tracepoints cannot run. Rules:
 * - C1 While the tracepoints run, a /proc sample of a TCP socket whose state differs from the one the
 *   tracepoints last showed is dropped (it is older news: the kernel announced the change itself), except
 *   TIME_WAIT and gone, which only /proc sees. Otherwise the probe's events pass unchanged.
 * - C2 status() and kernelSource() say which source is active and why not the other; if bpftrace dies,
 *   a source.status event says so and the probe alone carries the layer from then on.
 * - C3 settled() (the probe's K7) also waits until bpftrace's lines printed before the call are handled.
 */
import type { Capabilities, EventInput, ProbeStatus, SessionEvent } from '@socketscope/shared';
import type { Emit, TrackedSocket } from '../sources/source.ts';
import { EbpfSource } from './ebpf-source.ts';
import type { ProbeHost } from './hosts.ts';
import { KernelProbe, type KernelProbeOptions } from './proc-probe.ts';

export interface KernelLayerOptions extends KernelProbeOptions {
  targets: () => TrackedSocket[];
  tsAt: (ns: bigint) => number;
  /** try the tracepoints (default true) */
  tracepoints?: boolean;
  log?: (line: string) => void;
}

type KernelSourceInfo = NonNullable<Capabilities['kernelSource']>;

export class KernelLayer {
  readonly name = 'kernel' as const;
  readonly probe: KernelProbe;
  readonly ebpf: EbpfSource | null;
  private emitFn: Emit | null = null;
  private readonly queues = new Map<string, { sendQueue: number; recvQueue: number }>();
  private readonly intervalMs: number;

  constructor(private readonly opts: KernelLayerOptions) {
    this.probe = new KernelProbe(opts);
    this.intervalMs = Math.max(5, opts.intervalMs ?? 20);
    this.ebpf = opts.tracepoints === false ? null : new EbpfSource({
      targets: opts.targets,
      ...(opts.watchedPorts ? { watchedPorts: opts.watchedPorts } : {}),
      tsAt: opts.tsAt,
      queues: (k) => this.queues.get(k),
      pokeProbe: () => this.probe.poke(),
      ...(opts.log ? { log: opts.log } : {}),
    });
  }

  /** the tracepoints are attached and running now */
  get exact(): boolean {
    return this.ebpf?.running === true;
  }

  tracepointStatus(): ProbeStatus {
    return this.ebpf?.status() ?? { available: false, reason: 'kernel tracepoints were turned off for this agent', tool: 'bpftrace' };
  }

  kernelSource(): KernelSourceInfo {
    const tp = this.tracepointStatus();
    // a source that failed to attach or died says so in its status (ebpf-source.ts), so available is the answer
    return { active: tp.available ? 'tracepoints' : 'proc', intervalMs: this.intervalMs, tracepoints: tp };
  }

  /** C2 */
  status(): ProbeStatus {
    const p = this.probe.status();
    const tp = this.tracepointStatus();
    if (tp.available) return { available: true, tool: `${tp.tool ?? 'bpftrace'} + ${p.tool ?? '/proc/net/tcp'}` };
    if (!p.available) return p;
    return { ...p, tool: `${p.tool ?? '/proc/net/tcp'} (sampled every ${this.intervalMs} ms; tracepoints: ${tp.reason ?? 'off'})` };
  }

  tcpInfoStatus(): ProbeStatus {
    return this.probe.tcpInfoStatus();
  }

  start(emit: Emit): void {
    this.emitFn = emit;
    this.probe.start((e) => this.fromProbe(emit, e));
    const ebpf = this.ebpf;
    if (!ebpf || !ebpf.status().available) return;
    ebpf.onExit((why) => {
      if (this.emitFn !== emit) return; // stopped on purpose
      this.opts.log?.(`kernel tracepoints stopped: ${why}; the kernel layer is sampled from /proc now`);
      const p = this.probe.status();
      try {
        emit({ layer: 'session', type: 'source.status', source: 'kernel', status: { ...p, tool: `${p.tool ?? '/proc/net/tcp'} (sampled every ${this.intervalMs} ms)`, reason: `kernel tracepoints stopped: ${why}`, running: p.available } });
      } catch { /* the session's problem */ }
    });
    ebpf.start(emit);
  }

  async stop(): Promise<void> {
    this.emitFn = null;
    this.probe.stop();
    await this.ebpf?.stop();
  }

  /**
   * The lab: sample these hosts (KernelProbe.useHosts). The tracepoints need nothing more: they fire in
   * every namespace, and they are attributed by 4-tuple to the tracked sockets, whose lab 4-tuples
   * (10.77.0.1:p ↔ 10.77.0.2:q) no socket of the machine's own namespace has at the same time — even a
   * classroom network on 10.77.0.0/24 would need that very pair of ports between those very addresses.
   */
  useHosts(hosts: ProbeHost[] | null): void {
    this.probe.useHosts(hosts);
    this.ebpf?.poke();
  }

  poke(): void {
    this.probe.poke();
    this.ebpf?.poke();
  }

  /** C3 */
  async settled(): Promise<void> {
    await Promise.all([this.probe.settled(), this.ebpf?.flush() ?? Promise.resolve()]);
  }

  /** resolves once the tracepoints are attached (true), cannot be (false), or after ms / on abort (false) */
  ready(ms = 10000, signal?: AbortSignal): Promise<boolean> {
    const ebpf = this.ebpf;
    if (!ebpf || !this.emitFn || !ebpf.status().available) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      timer.unref();
      signal?.addEventListener('abort', () => resolve(false), { once: true });
      void ebpf.whenReady().then((ok) => { clearTimeout(timer); resolve(ok); });
    });
  }

  /** C1 */
  private fromProbe(emit: Emit, e: EventInput): SessionEvent {
    if (e.type === 'kernel.tcp') {
      const key = `${e.local}|${e.state === 'LISTEN' ? '' : e.remote ?? ''}`;
      this.queues.set(key, { sendQueue: e.sendQueue, recvQueue: e.recvQueue });
      if (this.queues.size > 8192) this.queues.delete(this.queues.keys().next().value!);
      const exact = this.ebpf?.stateOf(key);
      if (exact && !e.gone && e.state !== 'TIME_WAIT' && e.state !== exact) return DROPPED;
    }
    return emit(e);
  }
}

/** what the probe is told for a sample C1 dropped (it only counts what it emitted) */
const DROPPED = { v: 1, seq: -1, ts: 0, layer: 'session', type: 'source.status', source: 'kernel', status: { available: true, running: true } } as unknown as SessionEvent;
