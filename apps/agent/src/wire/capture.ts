/**
 * The wire layer, captured: tcpdump (or dumpcap) on the loopback interface writing pcap to a pipe,
 * decoded as it arrives by the shared streaming reader, turned into tcp.segment / udp.datagram events.
 * Rules it enforces:
 * - W1 Only loopback (`lo`/`lo0`, unless told otherwise), snap length 128 by default (headers and the
 *   first payload bytes), and never the agent's own UI port: it is excluded in the kernel filter, so the
 *   page's own WebSocket traffic is never even copied to us.
 * - W2 Only the session's packets become events or stay in memory (capture-match.ts M1–M3); everything
 *   else is dropped after decoding (or after at most 500 ms in limbo).
 * - W3 Capture dying is a source.status event (running: false, the tool's reason), then a restart after
 *   250 ms, 0.5 s, 1 s … 30 s; after 8 failures in a row it stays down until setMode('auto') or poke().
 *   Kernel drops are reported by the tool when it exits (stop, restart, death) and carried cumulatively
 *   in every later source.status.
 * - W4 No capture process outlives the agent (capture-process.ts P1, P2).
 * - W5 A long run of data segments is summarised in tcp.bundle events (capture-bundle.ts B1–B7); every
 *   packet stays in the ring for the .pcap export and `capture.packets`.
 */
import type { ProbeStatus, SessionEvent } from '@socketscope/shared';
import type { Emit, ObservationSource, TrackedSocket } from '../sources/source.ts';
import { defaultInterface, probeCapture, type ProbeResult, type ToolName } from './capture-probe.ts';
import { CaptureProcess, type ExitInfo } from './capture-process.ts';
import { PacketMatcher } from './capture-match.ts';
import type { BundlerOptions } from './capture-bundle.ts';
import type { BundlePackets } from './capture-bundle-read.ts';
import { PacketPipeline, type CaptureStats } from './capture-pipeline.ts';
import { FrameRing, type PcapExport } from './capture-ring.ts';

export type CaptureMode = 'auto' | 'off';

export interface CaptureOptions {
  /** the engine's sockets (engine.tracked): their ports are captured and their ids go into `sock` */
  targets?: () => TrackedSocket[];
  /** ports of other programs being watched (watch mode) */
  watchedPorts?: () => number[];
  /** any further ports to capture */
  ports?: () => number[];
  /**
   * The session: startWallMs turns capture times into wireTs (read per packet, so a reset is followed);
   * with subscribe, capture also learns connect/sendto targets from the session's events.
   */
  session?: { startWallMs: number; subscribe?(fn: (e: SessionEvent) => void): () => void };
  /** the agent's own UI/WebSocket port(s): never captured (W1); setExcludePorts() changes them */
  excludePort?: number;
  excludePorts?: number[];
  mode?: CaptureMode;
  /** what the kernel copies before the UI-port exclusion; default "tcp or udp" (narrow it, never widen) */
  baseFilter?: string;
  /** default lo (Linux) / lo0 (macOS) */
  iface?: string;
  /** bytes kept per packet; default 128 */
  snaplen?: number;
  /** tools to try, in order; default tcpdump, then dumpcap */
  tools?: ToolName[];
  /** raw frames kept for --pcap export */
  ringPackets?: number;
  ringBytes?: number;
  /** false: one event per packet, never a tcp.bundle (W5); default: bundles as capture-bundle.ts says */
  bundles?: false | BundlerOptions;
  log?: (line: string) => void;
}

export const DEFAULT_SNAPLEN = 128;
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000, 15000, 30000];
/** a capture that ran this long before dying starts the backoff again from the first step */
const HEALTHY_MS = 30_000;

export type { CaptureStats } from './capture-pipeline.ts';

const probeCache = new Map<string, ProbeResult>();

export class CaptureSource implements ObservationSource {
  readonly name = 'wire' as const;
  private ifaceNow: string;
  /** the lab: the tool runs on this host (useHost) */
  private wrap: ((argv: string[]) => string[]) | undefined;
  readonly snaplen: number;
  readonly ring: FrameRing;
  readonly stats: CaptureStats = { decoded: 0, emitted: 0, bundled: 0, ignored: 0, kernelDrops: 0, starts: 0, decodeErrors: 0, busyUs: 0 };
  private probe: ProbeResult;
  private readonly probeKey: string;
  private readonly matcher: PacketMatcher;
  private readonly pipeline: PacketPipeline;
  private readonly log: (line: string) => void;
  private modeNow: CaptureMode;
  private exclude: number[];
  private emitFn: Emit | null = null;
  private proc: CaptureProcess | null = null;
  private startedAt = 0;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastSeq = -1;
  private stopping = false;
  /** what the last source.status said, so a poke does not repeat it */
  private lastStatus: string | null = null;
  private lastReport: { running: boolean; reason: string | undefined } | null = null;
  private readonly startWallMs: () => number;

  constructor(private readonly opts: CaptureOptions = {}) {
    this.ifaceNow = opts.iface ?? defaultInterface();
    this.snaplen = Math.max(68, Math.min(opts.snaplen ?? DEFAULT_SNAPLEN, 262144));
    this.modeNow = opts.mode ?? 'auto';
    this.exclude = normalisePorts([...(opts.excludePorts ?? []), ...(opts.excludePort ? [opts.excludePort] : [])]);
    this.log = opts.log ?? (() => {});
    const fixed = Date.now();
    this.startWallMs = () => opts.session?.startWallMs ?? fixed;
    this.matcher = new PacketMatcher(opts);
    this.ring = new FrameRing(opts.ringPackets, opts.ringBytes);
    this.ring.snaplen = this.snaplen;
    this.pipeline = new PacketPipeline({
      matcher: this.matcher, ring: this.ring, stats: this.stats, log: this.log,
      emit: () => this.emitFn, tsOrigin: () => this.startWallMs() * 1000,
      ...(opts.bundles !== undefined ? { bundles: opts.bundles } : {}),
    });
    this.probeKey = `${this.iface}|${(opts.tools ?? []).join(',')}`;
    this.probe = probeCache.get(this.probeKey) ?? probeCapture(this.iface, opts.tools);
    probeCache.set(this.probeKey, this.probe);
  }

  /** the interface captured on (loopback unless told otherwise, or the lab host's eth0: useHost) */
  get iface(): string {
    return this.ifaceNow;
  }

  /**
   * The lab: capture on a host's interface (`eth0`), the tool started there by `wrap` (lab.wrap(host, …))
   * inside the same watchdog. The tool found for loopback is kept (it is the same binary; the host's
   * interface exists only in its namespace, so it cannot be probed from here). null: back to loopback.
   * A running capture is restarted on the new interface.
   */
  async useHost(host: { iface: string; wrap: (argv: string[]) => string[] } | null): Promise<void> {
    this.ifaceNow = host?.iface ?? this.opts.iface ?? defaultInterface();
    this.wrap = host?.wrap;
    if (this.proc) await this.proc.stop(); // its exit handler starts it again, here
    else this.evaluate();
  }

  get mode(): CaptureMode {
    return this.modeNow;
  }

  /** Capturing right now (the tool said it is listening). */
  get running(): boolean {
    return this.proc?.ready ?? false;
  }

  /** Process group of the capture subprocess (its watchdog shell and the tool), while one runs. */
  get processGroup(): number | undefined {
    return this.proc?.pid;
  }

  /** Whether capture can run here; independent of the mode (see source.status for what it does now). */
  status(): ProbeStatus {
    return this.probe.status;
  }

  /** The kernel filter: TCP and UDP, never the agent's own UI port (W1). */
  filter(): string {
    return [`(${this.opts.baseFilter ?? 'tcp or udp'})`, ...this.exclude.map((p) => `not port ${p}`)].join(' and ');
  }

  start(emit: Emit): void {
    if (this.emitFn) return;
    this.emitFn = emit;
    const sub = this.opts.session?.subscribe;
    if (sub) this.unsubscribe = sub.call(this.opts.session, (e) => this.observe(e));
    this.evaluate();
  }

  /** Stops for good (the agent is stopping): the tool exits, the last kernel drop count is reported. */
  async stop(): Promise<void> {
    this.stopping = true;
    try {
      this.clearTimers();
      this.unsubscribe?.();
      this.unsubscribe = null;
      await this.proc?.stop();
      this.pipeline.drain();
      this.pipeline.endRuns();
      if (this.lastStatus?.startsWith('true')) this.report(false, 'capture stopped: the agent is stopping');
    } finally {
      this.emitFn = null;
      this.stopping = false;
    }
  }

  async setMode(mode: CaptureMode): Promise<void> {
    this.modeNow = mode;
    this.failures = 0;
    if (mode === 'off') {
      this.clearTimers();
      if (this.proc) await this.proc.stop();
      else this.report(false, 'capture is turned off (capture.set / --capture off); the wire layer is inferred');
    } else {
      // the teacher may have just run the fix command: look again rather than repeat the old answer
      if (!this.probe.status.available) {
        this.probe = probeCapture(this.opts.iface ?? defaultInterface(), this.opts.tools);
        probeCache.set(this.probeKey, this.probe);
      }
      this.evaluate();
    }
  }

  /** The agent's sockets or watched ports changed; also retries a capture that gave up (W3). */
  poke(): void {
    this.matcher.invalidate();
    if (this.failures >= BACKOFF_MS.length) this.failures = 0;
    this.evaluate();
    this.pipeline.scheduleFlush();
  }

  /** Session events: a connect/sendto names its target port (M1); a new session starts afresh. */
  observe(e: SessionEvent): void {
    if (e.seq <= this.lastSeq) this.pipeline.reset();
    this.lastSeq = e.seq;
    this.matcher.observe(e);
    if (e.type === 'api.call' && (e.call === 'connect' || e.call === 'sendto')) this.pipeline.scheduleFlush();
  }

  /** The UI port is known once the server listens; a change restarts the capture with the new filter. */
  async setExcludePorts(ports: number[]): Promise<void> {
    const next = normalisePorts(ports);
    if (next.join(',') === this.exclude.join(',')) return;
    this.exclude = next;
    if (this.proc) {
      await this.proc.stop(); // its exit handler restarts it with the new filter
    }
  }

  /** A tcp.bundle's segments, decoded from the ring (`capture.packets`); undefined for a bundle not held. */
  packets(bundle: number): BundlePackets | undefined {
    return this.pipeline.bundlePackets(bundle);
  }

  /** Writes the captured packets still in the ring as a classic pcap file. */
  writePcap(path: string): Promise<PcapExport> {
    return this.ring.writePcap(path);
  }

  // ---- the subprocess ---------------------------------------------------------------------------------

  private evaluate(): void {
    if (!this.emitFn) return;
    if (this.modeNow === 'off') {
      if (!this.proc) this.report(false, 'capture is turned off (capture.set / --capture off); the wire layer is inferred');
      return;
    }
    if (!this.probe.status.available || !this.probe.tool) {
      this.report(false, this.probe.status.reason ?? 'packet capture is not available');
      return;
    }
    if (this.proc || this.restartTimer || this.failures >= BACKOFF_MS.length) return;
    this.launch();
  }

  private launch(): void {
    const tool = this.probe.tool!;
    const data = this.pipeline.newStream();
    this.stats.starts++;
    this.startedAt = Date.now();
    const proc = new CaptureProcess(tool, { iface: this.iface, snaplen: this.snaplen, filter: this.filter(), ...(this.wrap ? { wrap: this.wrap } : {}) }, {
      data,
      ready: () => {
        this.report(true);
        this.log(`capture: ${tool.version} on ${this.iface}, filter "${this.filter()}"`);
      },
      exit: (info) => this.onExit(proc, info),
    });
    this.proc = proc;
    proc.start();
  }

  private onExit(proc: CaptureProcess, info: ExitInfo): void {
    if (this.proc === proc) this.proc = null;
    if (info.kernelDrops !== null) this.stats.kernelDrops += info.kernelDrops;
    if (this.stopping || !this.emitFn) return;
    if (info.requested) {
      // setMode('off'), or a new filter (setExcludePorts): start again with it
      if (this.modeNow === 'off') this.report(false, 'capture is turned off (capture.set / --capture off); the wire layer is inferred');
      else this.evaluate();
      return;
    }
    // W3: it died on its own
    if (Date.now() - this.startedAt > HEALTHY_MS) this.failures = 0;
    const why = `${this.probe.tool?.name ?? 'the capture tool'} exited: ${lastLine(info.stderr) ?? (info.signal ?? `code ${info.code}`)}`;
    if (this.failures >= BACKOFF_MS.length - 1) {
      this.failures = BACKOFF_MS.length;
      this.report(false, `capture stopped: ${why}; it failed ${BACKOFF_MS.length} times in a row and is not restarted (capture.set auto retries)`);
      return;
    }
    const delay = BACKOFF_MS[this.failures++]!;
    this.report(false, `capture stopped: ${why}; restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.evaluate();
    }, delay);
    this.restartTimer.unref();
  }

  /** A new session began (session.reset): its first event says what capture is doing, as the old one's did. */
  restate(): void {
    const last = this.lastReport;
    this.lastStatus = null;
    if (last) this.report(last.running, last.reason);
  }

  private report(running: boolean, reason?: string): void {
    const emit = this.emitFn;
    if (!emit) return;
    this.lastReport = { running, reason };
    const status: ProbeStatus & { running: boolean; kernelDrops: number } = { ...this.probe.status, running, kernelDrops: this.stats.kernelDrops };
    if (reason) status.reason = reason.slice(0, 2000);
    else delete status.reason;
    const sig = `${running}|${status.reason ?? ''}|${status.kernelDrops}`;
    if (sig === this.lastStatus) return;
    this.lastStatus = sig;
    try {
      emit({ layer: 'session', type: 'source.status', source: 'wire', status });
    } catch (err) {
      this.log(`capture: status emit failed: ${(err as Error).message}`);
    }
  }

  private clearTimers(): void {
    this.pipeline.quiesce();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }
}

function normalisePorts(ports: number[]): number[] {
  return [...new Set(ports.filter((p) => Number.isInteger(p) && p > 0 && p <= 65535))].toSorted((a, b) => a - b);
}

function lastLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/listening on|Capturing on|^File:|packets? (captured|received|dropped)/.test(l));
  return lines.at(-1);
}
