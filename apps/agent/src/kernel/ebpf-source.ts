/**
 * The kernel layer from the kernel's own tracepoints: one long-running bpftrace (ebpf-script.ts) whose
 * lines become events. Rules it enforces:
 * - T1 One child, started once, never orphaned: it runs under the capture's sh watchdog
 *   (wire/capture-process.ts P1/P2), so it ends with the agent however the agent ends, and stop() ends it
 *   for sure. It is never restarted in a loop: if it dies, status() says why and the /proc probe carries on.
 * - T2 Every TCP state change of an observed socket (the agent's, a traced program's, or one on a watched
 *   port) becomes kernel.tcp with via: 'tracepoint', `from`, and kernelTs = the kernel's own time on the
 *   session clock (ts stays when the agent heard of it, as wireTs beside ts for a captured packet: every
 *   view and recording orders events the same way, by when they were heard). Attribution is by the 4-tuple; a transition seen before its socket is known (SYN_SENT has no
 *   local port yet; the engine learns of an accepted socket after the kernel made it) waits, by the
 *   struct sock's address, at most PENDING_MS and PENDING_MAX sockets, then is forgotten.
 * - T3 FIN_WAIT2/CLOSING → CLOSE is the kernel handing the connection to a TIME_WAIT socket, which no
 *   tracepoint reports: it is not drawn as CLOSE; the /proc probe is poked to show TIME_WAIT.
 * - T4 Retransmissions and resets are kernel.notice events; cwnd/ssthresh changes (tcp_probe) update the
 *   socket's info. Sends and receives of programs the agent does not trace, on watched ports, are api.call
 *   events with seenBy: 'kernel' and no source line.
 * - T5 Lines are bounded (a longer one is dropped) and a line it cannot parse is ignored.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { EventInput, KernelTcpEvent, ProbeStatus, TcpInfo, TcpState } from '@socketscope/shared';
import { connKey } from '@socketscope/shared';
import type { Emit, ObservationSource, TrackedSocket } from '../sources/source.ts';
import { WATCHDOG, stopWatched } from '../wire/capture-process.ts';
import { parseTraceLine, type TraceLine } from './ebpf-parse.ts';
import { SCRIPT, tracepointStatus } from './ebpf-script.ts';

export interface EbpfSourceOptions {
  targets: () => TrackedSocket[];
  watchedPorts?: () => number[];
  /** a CLOCK_MONOTONIC time in ns as the session's ts (Session.tsAtMonotonicNs) */
  tsAt: (ns: bigint) => number;
  /** the last queues /proc showed for "local|remote" (the tracepoint carries none) */
  queues?: (key: string) => { sendQueue: number; recvQueue: number } | undefined;
  /** T3: something only /proc can show happened (TIME_WAIT) */
  pokeProbe?: () => void;
  log?: (line: string) => void;
  /** how long attaching may take before it counts as failed; default 20 s (bpftrace compiles the program) */
  startTimeoutMs?: number;
}

const PENDING_MS = 2000;
const PENDING_MAX = 2048;
const LINE_MAX = 512;
const STDERR_KEEP = 4096;

interface Pending { ns: bigint; from: TcpState; to: TcpState }
interface SockRec {
  local: string | null;
  remote: string | null;
  firstAt: number;
  pending: Pending[];
  /** attribution once found */
  meta?: { sock?: string; conn?: string; backlog?: number; listener: boolean };
  state?: TcpState;
  /** T2: another socket at our listener's address (see tryEmit): nothing of it is ours */
  foreign?: boolean;
}

type KernelTcpInput = Omit<KernelTcpEvent, 'v' | 'seq' | 'ts'> & { ts?: number };

export class EbpfSource implements ObservationSource {
  readonly name = 'kernel' as const;
  private child: ChildProcessByStdio<Writable, Readable, Readable> | null = null;
  private emitFn: Emit | null = null;
  private buf = '';
  private stderr = '';
  private isReady = false;
  private requested = false;
  private failure: string | null = null;
  private closed: Promise<void> = Promise.resolve();
  private readonly sks = new Map<string, SockRec>();
  /** last state emitted per "local|remote", for the /proc probe's filter (ebpf-kernel.ts) */
  private readonly lastState = new Map<string, TcpState>();
  private index: { at: number; byKey: Map<string, TrackedSocket>; watched: Set<number> } | null = null;
  private markerWaiters: { after: bigint; resolve: () => void }[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private readyWaiters: ((ok: boolean) => void)[] = [];
  private onExitFns: ((reason: string) => void)[] = [];
  readonly stats = { lines: 0, emitted: 0, ignored: 0 };

  constructor(private readonly opts: EbpfSourceOptions) {}

  status(): ProbeStatus {
    const s = tracepointStatus();
    if (!s.available) return s;
    if (this.failure) return { available: false, reason: this.failure, tool: 'bpftrace', fix: { linux: 'see the reason; the kernel layer is sampled from /proc meanwhile' } };
    return { available: true, ...(s.tool ? { tool: s.tool } : {}) };
  }

  /** the watchdog shell's pid (bpftrace is its child), for the bench's cost figures */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.isReady && this.child !== null;
  }

  /** resolves true once bpftrace has attached, false if it failed or stopped first */
  whenReady(): Promise<boolean> {
    if (this.isReady) return Promise.resolve(this.child !== null);
    if (!this.child) return Promise.resolve(false);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  onExit(fn: (reason: string) => void): void {
    this.onExitFns.push(fn);
  }

  /** the state this source last showed for "local|remote", while it runs */
  stateOf(key: string): TcpState | undefined {
    return this.running ? this.lastState.get(key) : undefined;
  }

  start(emit: Emit): void {
    if (this.child) return;
    const st = tracepointStatus();
    if (!st.available || !st.path) return;
    this.emitFn = emit;
    // -B line: one write per line, so each event reaches us at once (T1's pipe is not a tty)
    const child = spawn('/bin/sh', ['-c', WATCHDOG, 'socketscope-bpftrace', st.path, '-B', 'line', '-e', SCRIPT, String(process.pid)], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, BPFTRACE_STRLEN: '64' },
    });
    this.child = child;
    child.stdin.on('error', () => { /* EPIPE when it already died */ });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => this.data(text));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => { this.stderr = (this.stderr + text).slice(-STDERR_KEEP); });
    const timeout = setTimeout(() => {
      if (!this.isReady && this.child === child) {
        this.failure = `bpftrace did not attach within ${(this.opts.startTimeoutMs ?? 20000) / 1000} s`;
        void this.stop();
      }
    }, this.opts.startTimeoutMs ?? 20000);
    timeout.unref();
    this.closed = new Promise<void>((resolve) => {
      child.on('error', (err) => { this.stderr += `\n${err.message}`; });
      child.on('close', (code, signal) => {
        clearTimeout(timeout);
        this.child = null;
        if (!this.requested && !this.failure) this.failure = `bpftrace ended (${signal ?? `exit ${code}`}): ${lastError(this.stderr)}`;
        for (const w of this.readyWaiters.splice(0)) w(false);
        for (const w of this.markerWaiters.splice(0)) w.resolve();
        const why = this.failure ?? 'stopped';
        for (const fn of this.onExitFns) fn(why);
        resolve();
      });
    });
  }

  async stop(graceMs = 1000): Promise<void> {
    this.emitFn = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const child = this.child;
    if (!child) return this.closed;
    this.requested = true;
    await stopWatched(child, this.closed, graceMs);
  }

  /** The engine or a program changed something: sockets may now be known; try the waiting transitions. */
  poke(): void {
    this.index = null;
    if (this.sks.size > 0) this.retryAll();
  }

  /**
   * Resolves once every line bpftrace printed before this call has been handled (bounded by maxMs): the
   * agent makes a getppid() the program reports (M), and lines come in order per CPU.
   */
  flush(maxMs = 300): Promise<void> {
    if (!this.running) return Promise.resolve();
    const after = process.hrtime.bigint();
    const p = new Promise<void>((resolve) => {
      this.markerWaiters.push({ after, resolve });
      setTimeout(resolve, maxMs).unref();
    });
    void process.ppid; // the marker: a getppid() by the agent's pid
    return p.then(() => { this.index = null; this.retryAll(); });
  }

  private data(text: string): void {
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.length <= LINE_MAX) this.line(line);
    }
    if (this.buf.length > LINE_MAX) this.buf = '';
  }

  private line(text: string): void {
    const l = parseTraceLine(text);
    if (!l) return;
    this.stats.lines++;
    switch (l.kind) {
      case 'ready':
        this.isReady = true;
        for (const w of this.readyWaiters.splice(0)) w(true);
        return;
      case 'marker': {
        const keep: typeof this.markerWaiters = [];
        for (const w of this.markerWaiters) {
          if (l.ns >= w.after) w.resolve(); else keep.push(w);
        }
        this.markerWaiters = keep;
        return;
      }
      case 'state': return this.onState(l);
      case 'notice': return this.onNotice(l);
      case 'probe': return this.onProbe(l);
      case 'io': return this.onIo(l);
    }
  }

  private onState(l: Extract<TraceLine, { kind: 'state' }>): void {
    let rec = this.sks.get(l.sk);
    // a struct sock leaving CLOSE starts a new life (the kernel reuses the memory)
    if (!rec || l.from === 'CLOSE') {
      if (!rec && this.sks.size >= PENDING_MAX) this.prune(true);
      rec = { local: null, remote: null, firstAt: Date.now(), pending: [] };
      this.sks.set(l.sk, rec);
    }
    if (l.local) rec.local = l.local;
    if (l.remote) rec.remote = l.remote;
    if (l.to === 'CLOSE' && (l.from === 'FIN_WAIT2' || l.from === 'CLOSING')) {
      // T3: handed to a TIME_WAIT socket (or the FIN_WAIT2 timer ran out): /proc tells which
      this.sks.delete(l.sk);
      this.opts.pokeProbe?.();
      return;
    }
    rec.pending.push({ ns: l.ns, from: l.from, to: l.to });
    if (rec.pending.length > 16) rec.pending.shift();
    this.tryEmit(rec);

    if (l.to === 'CLOSE' && rec.pending.length === 0) this.sks.delete(l.sk);
    else if (rec.pending.length > 0) this.scheduleRetry();
  }

  private tryEmit(rec: SockRec): void {
    const emit = this.emitFn;
    if (!emit || !rec.local) return;
    rec.meta ??= this.attribute(rec.local, rec.remote);
    if (!rec.meta) return;
    if (rec.foreign) { rec.pending = []; return; }
    for (const p of rec.pending.splice(0)) {
      // T2: a listening socket that closes while our listener at its address is open is another one —
      // e.g. a port probed free (listen on port 0, close) just before our listen() took it, whose lines
      // bpftrace delivers after ours was known. Its LISTEN changed nothing; its CLOSE must not be drawn.
      if (p.to === 'CLOSE' && rec.meta.listener && rec.meta.sock && this.isOpen(rec.meta.sock)) {
        rec.foreign = true;
        rec.pending = [];
        return;
      }
      const key = `${rec.local}|${rec.meta.listener ? '' : rec.remote ?? ''}`;
      const q = this.opts.queues?.(key);
      const e: KernelTcpInput = {
        layer: 'kernel', type: 'kernel.tcp', kernelTs: this.opts.tsAt(p.ns), local: rec.local, state: p.to, from: p.from, via: 'tracepoint',
        sendQueue: q?.sendQueue ?? 0, recvQueue: q?.recvQueue ?? 0,
      };
      if (!rec.meta.listener && rec.remote) e.remote = rec.remote;
      if (rec.meta.sock) e.sock = rec.meta.sock;
      if (rec.meta.conn) e.conn = rec.meta.conn;
      if (p.to === 'LISTEN' && rec.meta.backlog !== undefined) e.backlog = rec.meta.backlog;
      rec.state = p.to;
      this.lastState.set(key, p.to);
      if (this.lastState.size > PENDING_MAX * 4) this.lastState.delete(this.lastState.keys().next().value!);
      this.send(emit, e);
    }
  }

  private isOpen(sock: string): boolean {
    return this.opts.targets().some((t) => t.sock === sock && !t.closed);
  }

  /** T2: the agent's or a traced program's socket with this 4-tuple, or a socket on a watched port. */
  private attribute(local: string, remote: string | null): SockRec['meta'] | undefined {
    const idx = this.targetIndex();
    const t = idx.byKey.get(`${local}|${remote ?? ''}`) ?? (remote ? undefined : idx.byKey.get(`${local}|`));
    if (t) {
      const listener = t.role === 'listener';
      const conn = t.proto === 'tcp' && remote && !listener ? (t.role === 'accepted' ? connKey(remote, local) : connKey(local, remote)) : undefined;
      return { sock: t.sock, listener, ...(conn ? { conn } : {}), ...(t.backlog !== undefined ? { backlog: t.backlog } : {}) };
    }
    const lp = portOf(local);
    const rp = remote ? portOf(remote) : 0;
    if (idx.watched.has(lp) || idx.watched.has(rp)) {
      if (!remote) return { listener: true };
      return { listener: false, conn: idx.watched.has(lp) ? connKey(remote, local) : connKey(local, remote) };
    }
    return undefined;
  }

  private targetIndex(): NonNullable<EbpfSource['index']> {
    const now = Date.now();
    if (this.index && now - this.index.at < 20) return this.index;
    const byKey = new Map<string, TrackedSocket>();
    for (const t of this.opts.targets()) {
      if (!t.local || t.proto !== 'tcp') continue;
      const key = `${t.local}|${t.role === 'listener' ? '' : t.remote ?? ''}`;
      // the newest tracked socket wins a reused 4-tuple
      byKey.set(key, t);
    }
    this.index = { at: now, byKey, watched: new Set(this.opts.watchedPorts?.() ?? []) };
    return this.index;
  }

  private retryAll(): void {
    for (const [sk, rec] of this.sks) {
      if (rec.pending.length === 0) continue;
      this.tryEmit(rec);
      if (rec.pending.length === 0 && rec.state === 'CLOSE') this.sks.delete(sk);
    }
    this.prune(false);
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.index = null;
      this.retryAll();
      if ([...this.sks.values()].some((r) => r.pending.length > 0)) this.scheduleRetry();
    }, 25);
    this.retryTimer.unref();
  }

  /** T2's bounds: waiting transitions older than PENDING_MS go; when full, the oldest record goes too. */
  private prune(full: boolean): void {
    const old = Date.now() - PENDING_MS;
    for (const [sk, rec] of this.sks) {
      if (rec.pending.length > 0 && rec.firstAt < old) rec.pending = [];
      if (!rec.meta && rec.pending.length === 0) this.sks.delete(sk);
    }
    if (full && this.sks.size >= PENDING_MAX) this.sks.delete(this.sks.keys().next().value!);
  }

  private onNotice(l: Extract<TraceLine, { kind: 'notice' }>): void {
    const emit = this.emitFn;
    if (!emit || !l.local) return;
    const rec = l.sk !== '0' ? this.sks.get(l.sk) : undefined;
    // the listener's sk for a SYN+ACK retransmission: the tuple is the connection's, as printed
    const meta = this.attribute(l.local, l.remote) ?? (l.remote ? this.attribute(l.remote, l.local) : undefined) ?? rec?.meta;
    if (!meta) return;
    const e: EventInput = { layer: 'kernel', type: 'kernel.notice', kernelTs: this.opts.tsAt(l.ns), what: l.what, local: l.local };
    if (l.remote) e.remote = l.remote;
    if (l.state) e.state = l.state;
    if (meta.conn) e.conn = meta.conn;
    else if (l.remote && l.what === 'reset-sent') e.conn = connKey(l.remote, l.local); // a closed port answering a SYN
    this.send(emit, e);
  }

  private onProbe(l: Extract<TraceLine, { kind: 'probe' }>): void {
    const emit = this.emitFn;
    const rec = this.sks.get(l.sk);
    if (!emit || !rec?.meta || !rec.state || !rec.local || rec.pending.length > 0) return;
    const info: TcpInfo = { cwnd: l.cwnd, sndWnd: l.sndWnd, rcvWnd: l.rcvWnd, rttMs: l.srttUs / 1000 };
    if (l.ssthresh >= 0) info.ssthresh = l.ssthresh;
    const key = `${rec.local}|${rec.remote ?? ''}`;
    const q = this.opts.queues?.(key);
    const e: KernelTcpInput = {
      layer: 'kernel', type: 'kernel.tcp', kernelTs: this.opts.tsAt(l.ns), local: rec.local, state: rec.state, via: 'tracepoint',
      sendQueue: q?.sendQueue ?? 0, recvQueue: q?.recvQueue ?? 0, info,
    };
    if (rec.remote) e.remote = rec.remote;
    if (rec.meta.sock) e.sock = rec.meta.sock;
    if (rec.meta.conn) e.conn = rec.meta.conn;
    this.send(emit, e);
  }

  /** T4: a watched program's send or receive, unless it is a socket the agent knows (its own calls say it). */
  private onIo(l: Extract<TraceLine, { kind: 'io' }>): void {
    const emit = this.emitFn;
    if (!emit || !l.local) return;
    const idx = this.targetIndex();
    if (idx.watched.size === 0) return;
    const lp = l.localPort;
    const rp = l.remotePort;
    if (!idx.watched.has(lp) && !idx.watched.has(rp)) return;
    if (idx.byKey.has(`${l.local}|${l.remote ?? ''}`) || idx.byKey.has(`${l.local}|`)) return;
    const udp = l.proto === 'udp';
    const call = l.dir === 'send' ? (udp ? 'sendto' : 'send') : (udp ? 'recvfrom' : 'recv');
    const sock = `w:${l.local}|${l.remote ?? ''}`;
    const e: EventInput = {
      layer: 'api', type: 'api.call', kernelTs: this.opts.tsAt(l.ns), call, args: { bytes: l.bytes }, result: l.bytes, durationUs: 0,
      proto: l.proto, local: l.local, seenBy: 'kernel',
      proc: { run: `pid${l.pid}`, pid: l.pid, program: l.comm || '?' },
      data: { len: l.bytes, b64: '', truncated: l.bytes > 0 },
    };
    if (sock.length <= 64) e.sock = sock;
    if (l.remote) {
      e.remote = l.remote;
      if (!udp) e.conn = idx.watched.has(lp) ? connKey(l.remote, l.local) : connKey(l.local, l.remote);
    }
    this.send(emit, e);
  }

  private send(emit: Emit, e: EventInput): void {
    try {
      emit(e);
      this.stats.emitted++;
    } catch {
      // the session's problem; the source keeps going
    }
  }
}

function portOf(ep: string): number {
  return Number(ep.slice(ep.lastIndexOf(':') + 1));
}

function lastError(stderr: string): string {
  const lines = stderr.split('\n').map((s) => s.trim()).filter((s) => s && !s.includes('RLIMIT_MEMLOCK'));
  return (lines.find((s) => s.startsWith('ERROR')) ?? lines.at(-1) ?? 'no message').slice(0, 300);
}
