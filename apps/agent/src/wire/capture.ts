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
 * - W5 A long run of data segments is summarised in tcp.bundle events (capture-bundle.ts B1–B8); every
 *   packet stays in the ring for the .pcap export and `capture.packets`.
 * - W6 On the lab (useHosts) one tool runs on each host's interface, each in its own watchdog, and every
 *   event says whose capture saw it (`host`); each host's tool dies, backs off and restarts on its own
 *   (W3), and capture is running only while every host's tool is listening. Both tools stamp packets
 *   with the kernel's one CLOCK_REALTIME (network namespaces do not have clocks of their own), so a
 *   packet's arrival on one host is never before its departure from the other.
 */
import type { ProbeStatus, SessionEvent, WireHost } from '@socketscope/shared';
import type { Emit, ObservationSource, TrackedSocket } from '../sources/source.ts';
import { defaultInterface, probeCapture, type ProbeResult, type ToolName } from './capture-probe.ts';
import { CaptureProcess, lastLine, type ExitInfo } from './capture-process.ts';
import { PacketMatcher } from './capture-match.ts';
import type { BundlerOptions } from './capture-bundle.ts';
import type { BundlePackets } from './capture-bundle-read.ts';
import { PacketPipeline, type CaptureStats } from './capture-pipeline.ts';
import { FrameRing, type PcapExport } from './capture-ring.ts';

export type CaptureMode = 'auto' | 'off';

/** A lab host to capture on: its interface, and the argv that runs the tool there (lab.wrap(name, …)). */
export interface CaptureHost {
  name: WireHost;
  iface: string;
  wrap: (argv: string[]) => string[];
}

/** One interface captured: loopback's (no host), or a lab host's (W6). */
interface Target {
  /** the host's name, or '' for loopback */
  key: string;
  host: WireHost | undefined;
  iface: string;
  wrap: ((argv: string[]) => string[]) | undefined;
}

interface Running {
  proc: CaptureProcess;
  target: Target;
  startedAt: number;
}

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
  /** what is captured: loopback, or each lab host (useHosts) */
  private targets: Target[];
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
  /** the tool running for each target, by its key (a stopping one stays until it exited) */
  private readonly procs = new Map<string, Running>();
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
    this.targets = [this.loopback()];
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

  /** the interface captured on (loopback unless told otherwise, or the lab hosts' eth0: useHosts) */
  get iface(): string {
    return this.targets[0]!.iface;
  }

  /** the lab hosts captured on (useHosts), none on loopback */
  get hosts(): WireHost[] {
    return this.targets.flatMap((t) => (t.host ? [t.host] : []));
  }

  /**
   * The lab (W6): capture on each host's interface (`eth0`), each tool started there by its `wrap`
   * (lab.wrap(name, …)) inside a watchdog of its own, every event carrying the host that saw it. The tool
   * found for loopback is kept (it is the same binary; a host's interface exists only in its namespace, so
   * it cannot be probed from here). null or []: back to loopback. Running captures are restarted on the new
   * interfaces; resolves once the old ones have exited (the new ones start as they do).
   */
  async useHosts(hosts: readonly CaptureHost[] | null): Promise<void> {
    const next: Target[] = (hosts ?? []).map((h) => ({ key: h.name, host: h.name, iface: h.iface, wrap: h.wrap }));
    if (new Set(next.map((t) => t.key)).size < next.length) throw new Error('capture: a lab host is named twice');
    this.targets = next.length ? next : [this.loopback()];
    const old = [...this.procs.values()];
    if (old.length) await Promise.all(old.map((r) => r.proc.stop())); // their exit handlers start the new ones
    else this.evaluate();
  }

  /** One lab host, the client's (how the lab was captured before useHosts): its events carry host 'client'. */
  useHost(host: { iface: string; wrap: (argv: string[]) => string[] } | null): Promise<void> {
    return this.useHosts(host ? [{ name: 'client', ...host }] : null);
  }

  private loopback(): Target {
    return { key: '', host: undefined, iface: this.opts.iface ?? defaultInterface(), wrap: undefined };
  }

  get mode(): CaptureMode {
    return this.modeNow;
  }

  /** Capturing right now: the tool of every target said it is listening (W6). */
  get running(): boolean {
    return this.targets.every((t) => this.procs.get(t.key)?.proc.ready === true);
  }

  /** Process group of the (first) capture subprocess (its watchdog shell and the tool), while one runs. */
  get processGroup(): number | undefined {
    return this.processGroups[0];
  }

  /** Process groups of every capture subprocess running (one per lab host, W6). */
  get processGroups(): number[] {
    return [...this.procs.values()].flatMap((r) => (r.proc.pid === undefined ? [] : [r.proc.pid]));
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
      await this.stopAll();
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
      if (this.procs.size) await this.stopAll();
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
    await this.stopAll(); // their exit handlers restart them with the new filter
  }

  /** A tcp.bundle's segments, decoded from the ring (`capture.packets`); undefined for a bundle not held. */
  packets(bundle: number): BundlePackets | undefined {
    return this.pipeline.bundlePackets(bundle);
  }

  /** Writes the captured packets still in the ring as a classic pcap file (`host`: that lab host's only). */
  writePcap(path: string, host?: WireHost): Promise<PcapExport> {
    return this.ring.writePcap(path, host);
  }

  // ---- the subprocess ---------------------------------------------------------------------------------

  private evaluate(): void {
    if (!this.emitFn) return;
    if (this.modeNow === 'off') {
      if (!this.procs.size) this.report(false, 'capture is turned off (capture.set / --capture off); the wire layer is inferred');
      return;
    }
    if (!this.probe.status.available || !this.probe.tool) {
      this.report(false, this.probe.status.reason ?? 'packet capture is not available');
      return;
    }
    if (this.restartTimer || this.failures >= BACKOFF_MS.length) return;
    for (const t of this.targets) if (!this.procs.has(t.key)) this.launch(t);
  }

  private launch(target: Target): void {
    const tool = this.probe.tool!;
    try {
      target.wrap?.([tool.path]); // the lab went down before useHosts(null): its wrap refuses, and so do we
    } catch (err) {
      this.report(false, `capture cannot start on the ${target.host ?? 'lab'} host: ${(err as Error).message}`);
      return;
    }
    const data = this.pipeline.newStream(target.host);
    this.stats.starts++;
    const where = target.host ? `${target.iface} of the ${target.host} host` : target.iface;
    const proc = new CaptureProcess(tool, { iface: target.iface, snaplen: this.snaplen, filter: this.filter(), ...(target.wrap ? { wrap: target.wrap } : {}) }, {
      data,
      ready: () => {
        if (this.running) this.report(true);
        this.log(`capture: ${tool.version} on ${where}, filter "${this.filter()}"`);
      },
      exit: (info) => this.onExit(proc, target, info),
    });
    this.procs.set(target.key, { proc, target, startedAt: Date.now() });
    proc.start();
  }

  private async stopAll(): Promise<void> {
    await Promise.all([...this.procs.values()].map((r) => r.proc.stop()));
  }

  private onExit(proc: CaptureProcess, target: Target, info: ExitInfo): void {
    const was = this.procs.get(target.key);
    const startedAt = was?.proc === proc ? was.startedAt : Date.now();
    if (was?.proc === proc) this.procs.delete(target.key);
    if (info.kernelDrops !== null) this.stats.kernelDrops += info.kernelDrops;
    if (this.stopping || !this.emitFn) return;
    if (info.requested || !this.targets.includes(target)) {
      // setMode('off'), a new filter (setExcludePorts) or new hosts (useHosts): start again with them
      if (this.modeNow === 'off') {
        if (!this.procs.size) this.report(false, 'capture is turned off (capture.set / --capture off); the wire layer is inferred');
      } else this.evaluate();
      return;
    }
    // W3: it died on its own
    if (Date.now() - startedAt > HEALTHY_MS) this.failures = 0;
    const on = target.host ? ` on the ${target.host} host` : '';
    const why = `${this.probe.tool?.name ?? 'the capture tool'}${on} exited: ${lastLine(info.stderr) ?? (info.signal ?? `code ${info.code}`)}`;
    if (this.failures >= BACKOFF_MS.length - 1) {
      this.failures = BACKOFF_MS.length;
      this.report(false, `capture stopped: ${why}; it failed ${BACKOFF_MS.length} times in a row and is not restarted (capture.set auto retries)`);
      return;
    }
    if (this.restartTimer) {
      // the other lab host's tool died first: one restart (the next evaluate) brings both back
      this.report(false, `capture stopped: ${why}; restarting with the other host's`);
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
