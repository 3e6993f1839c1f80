/**
 * The kernel layer: what Linux holds for each socket, read from /proc/net/{tcp,tcp6,udp,udp6}.
 *
 * - K1 It polls while something is live (an open target, a socket it still follows such as a closed one
 *   in TIME_WAIT, or a watched port) and stops when nothing is. It polls every intervalMs (20 ms, 50 Hz)
 *   while things happen: for coolAfterMs (3 s) after a poke() (the wiring pokes on every engine change)
 *   or after a change it saw; when all is quiet it slows to idleIntervalMs (100 ms). It never spends more
 *   than a quarter of a core: the period is at least 4 × the measured cost of a poll.
 *   Why: reading /proc/net/tcp walks the kernel's whole connection hash table (262144 buckets on this
 *   24 GB machine), a few ms per file however few sockets exist; see the cost test.
 *   The IPv6 files are read only when a followed socket may be in them (IPv6 targets, watched ports, or a
 *   target not found in the IPv4 file). The timer's looks read the files in libuv's thread pool, so the
 *   table walk does not stall the event loop; a poke() never looks sooner than this budget allows.
 * - K2 It emits kernel.tcp / kernel.udp only when what it shows changed (state, queues, drops, TCP_INFO).
 * - K3 The agent's own sockets are matched by "local|remote" endpoints (listeners and UDP by local alone)
 *   and carry `sock`; other programs' sockets on watched ports carry no `sock`. Both carry `conn` where
 *   there is a connection (client>server).
 * - K4 A socket it followed that leaves /proc is reported once more with gone: true and its last state.
 *   A socket that was reported gone is not followed again under the same id (its 4-tuple may be reused).
 *   One the engine stops tracking (session reset) is dropped silently: no claim that the kernel let it go.
 * - K5 A listener's acceptQueue is its LISTEN row's rx_queue; its backlog is the target's (what Node
 *   gave the kernel, clamped by the engine to somaxconn): /proc does not show it.
 * - K6 TCP_INFO (rtt, cwnd, snd_wnd, rcv_space) comes from `ss -tin` at 2 Hz, only where ss exists.
 * - K8 A connection the kernel holds for a followed listener that no program has accept()ed yet (its row on
 *   the listener's port, ESTABLISHED in the accept queue, or SYN_RECV) is reported too, without `sock` and
 *   with conn client>server: "waiting for accept()" is a kernel fact a lesson is about. Once a program
 *   accepts it, its row is the accepted socket's and this report ends without a `gone` (nothing left).
 * - K7 settled(): a promise for the end of the next look that starts after the call (see the method).
 * It never throws into the event loop: a failed read means "unavailable", reported by status().
 */
import type { EventInput, KernelTcpEvent, KernelUdpEvent, ProbeStatus, TcpInfo } from '@socketscope/shared';
import { connKey } from '@socketscope/shared';
import type { Emit, ObservationSource, TrackedSocket } from '../sources/source.ts';
import { parseProcNet, rowKey, type ProcProto, type ProcRow } from './proc-parse.ts';
import { PROC_FILES, readProc, readProcAsync, readRows } from './proc-read.ts';
import { SsRunner } from './tcp-info.ts';

export interface KernelProbeOptions {
  targets: () => TrackedSocket[];
  watchedPorts?: () => number[];
  /** poll period while things happen; default 20 ms (50 Hz) */
  intervalMs?: number;
  /** poll period once nothing changed for coolAfterMs; default 100 ms */
  idleIntervalMs?: number;
  coolAfterMs?: number;
  /** TCP_INFO through `ss`; default true (skipped where ss is missing) */
  tcpInfo?: boolean;
  tcpInfoIntervalMs?: number;
}

type KernelEvent = Extract<EventInput, { type: 'kernel.tcp' | 'kernel.udp' }>;

interface Followed {
  proto: ProcProto;
  family: 4 | 6;
  key: string;
  sock?: string;
  last: KernelEvent;
  sig: string;
}

/** One look at /proc in progress: what it wants, and the rows read so far by "proto|local|remote". */
interface Look {
  emit: Emit; targets: TrackedSocket[]; watched: Set<number>; wanted: TrackedSocket[]; protos: Set<ProcProto>;
  index: Map<string, ProcRow[]>; filter: { ports: (localPort: number, remotePort: number) => boolean }; add(rows: ProcRow[]): void;
}

interface Meta {
  sock?: string;
  conn?: string;
  backlog?: number;
}

/** Bounds: sockets followed at once, finished ids remembered. */
const MAX_FOLLOWED = 4096;
const MAX_FINISHED = 8192;
/** states where a connection exists and TCP_INFO means something */
const CONNECTED = new Set(['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING']);

export class KernelProbe implements ObservationSource {
  readonly name = 'kernel' as const;
  private emitFn: Emit | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerDue = 0;
  private readonly followed = new Map<string, Followed>();
  private readonly finished = new Set<string>();
  private readonly info = new Map<string, TcpInfo>();
  private readonly ss = new SsRunner();
  private lastInfoAt = 0;
  private readonly intervalMs: number;
  private readonly idleIntervalMs: number;
  private readonly coolAfterMs: number;
  private readonly infoIntervalMs: number;
  /** when something last happened (poke or a change seen), for K1's fast/slow choice */
  private hotUntil = 0;
  /** smoothed cost of one poll in ms */
  private costMs = 0;
  /** when the last poll started (Date.now()) */
  private lastPollAt = 0;
  /** looks started so far, and those waiting for a look that starts after they asked (settled()) */
  private looksStarted = 0;
  private settleWaiters: { after: number; resolve: () => void }[] = [];
  /** a look is reading /proc right now; `again`: something asked for another meanwhile */
  private polling = false;
  private again = false;
  /** cost of the last polls, for the bench and diagnostics */
  readonly stats = { polls: 0, lastPollUs: 0, maxPollUs: 0, emitted: 0, costMs: 0 };

  constructor(private readonly opts: KernelProbeOptions) {
    this.intervalMs = Math.max(5, opts.intervalMs ?? 20);
    this.idleIntervalMs = Math.max(this.intervalMs, opts.idleIntervalMs ?? 100);
    this.coolAfterMs = opts.coolAfterMs ?? 3000;
    this.infoIntervalMs = Math.max(100, opts.tcpInfoIntervalMs ?? 500);
  }

  status(): ProbeStatus {
    if (readProc(PROC_FILES.tcp[0]) !== null) return { available: true, tool: '/proc/net/tcp' };
    return {
      available: false,
      reason: process.platform === 'linux' ? '/proc/net/tcp cannot be read (is /proc mounted?)' : `the kernel layer reads Linux /proc/net; this is ${process.platform}`,
      fix: {
        linux: 'mount /proc (mount -t proc proc /proc), or run the agent outside a sandbox that hides it',
        macos: 'run the agent in a Linux VM or container (e.g. docker run --network host …) to see kernel states',
      },
      tool: '/proc/net/tcp',
    };
  }

  tcpInfoStatus(): ProbeStatus {
    if (this.opts.tcpInfo === false) return { available: false, reason: 'TCP_INFO was turned off' };
    return this.ss.status();
  }

  start(emit: Emit): void {
    this.emitFn = emit;
    if (this.status().available) this.schedule(0);
  }

  stop(): void {
    this.emitFn = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Looks again soon (after the current synchronous work, so api events come before what they caused),
   * but not sooner than K1's budget allows after the last look: the engine pokes on every change, and
   * under load (hundreds of connections a second) immediate polls took over half a core
   * (bench/reliability.ts measured 60 polls/s at 8 ms each).
   */
  poke(): void {
    this.hotUntil = Date.now() + this.coolAfterMs;
    if (this.emitFn) this.schedule(Math.max(0, this.lastPollAt + Math.ceil(this.costMs * 4) - Date.now()));
  }

  /**
   * K7 Resolves once a look that began after this call has finished (its changes emitted): what a lesson
   * step did is then in the kernel layer before the next step runs. Pokes; never rejects; callers bound
   * the wait (a probe that cannot read /proc never looks).
   */
  settled(): Promise<void> {
    const after = this.looksStarted;
    const p = new Promise<void>((resolve) => { this.settleWaiters.push({ after, resolve }); });
    this.poke();
    return p;
  }

  private lookFinished(started: number): void {
    if (this.settleWaiters.length === 0) return;
    const keep: typeof this.settleWaiters = [];
    for (const w of this.settleWaiters) {
      if (started > w.after) w.resolve();
      else keep.push(w);
    }
    this.settleWaiters = keep;
  }

  /** K1: fast while things happen, slower when quiet, never more than ~25 % of a core. */
  private nextDelay(): number {
    const base = Date.now() < this.hotUntil ? this.intervalMs : this.idleIntervalMs;
    return Math.max(base, Math.ceil(this.costMs * 4));
  }

  private schedule(delay: number): void {
    const due = Date.now() + delay;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.polling) { this.again = true; return; }
      this.polling = true;
      const started = ++this.looksStarted;
      void this.pollAsync().catch(() => false /* /proc vanished mid-read: status() will say so */).then((live) => {
        this.polling = false;
        this.lookFinished(started);
        // a poke while reading: look again (after the K1 delay) even if nothing was live before
        if (this.again) { this.again = false; live = this.emitFn !== null; }
        if (live) this.schedule(this.nextDelay());
      });
    }, delay);
    this.timer.unref();
  }

  /**
   * One look at /proc, read synchronously: emits what changed; returns whether anything is live (worth
   * another look). The timer uses pollAsync(); this is for tests and the cost measurement.
   */
  pollOnce(): boolean {
    const t0 = process.hrtime.bigint();
    const look = this.plan();
    if (!look) return false;
    for (const proto of look.protos) {
      look.add(readRows(proto, look.filter, [4]));
      if (this.need6(look, proto)) look.add(readRows(proto, look.filter, [6]));
    }
    return this.apply(look, Number(process.hrtime.bigint() - t0) / 1000);
  }

  /**
   * The same look with the files read in libuv's thread pool: reading /proc/net/tcp is the kernel walking
   * its whole connection table (milliseconds), and done synchronously it stalled everything else the
   * agent does — sending, streaming events — for as long (bench/throughput.ts). Only the parsing of the
   * rows of ports we follow is left on the event loop. The cost K1 budgets is both parts.
   */
  async pollAsync(): Promise<boolean> {
    const look = this.plan();
    if (!look) return false;
    let mainUs = 0;
    let readUs = 0;
    const read = async (proto: ProcProto, fam: 4 | 6) => {
      const r0 = process.hrtime.bigint();
      const text = await readProcAsync(PROC_FILES[proto][fam === 4 ? 0 : 1]);
      readUs += Number(process.hrtime.bigint() - r0) / 1000;
      const p0 = process.hrtime.bigint();
      if (text) look.add(parseProcNet(text, proto, look.filter));
      mainUs += Number(process.hrtime.bigint() - p0) / 1000;
    };
    const protos = [...look.protos];
    await Promise.all(protos.map((proto) => read(proto, 4)));
    await Promise.all(protos.filter((proto) => this.need6(look, proto)).map((proto) => read(proto, 6)));
    // stopped meanwhile: nothing more to say
    if (this.emitFn !== look.emit) return false;
    const t0 = process.hrtime.bigint();
    const live = this.apply(look, 0);
    mainUs += Number(process.hrtime.bigint() - t0) / 1000;
    // the reads' wall time stands for the thread pool's CPU (an upper bound): K1 stays a bound on both
    this.account(mainUs + readUs);
    return live;
  }

  /** What to look for: the targets, watched ports, the protocols to read, and the rows index to fill. */
  private plan(): Look | null {
    const emit = this.emitFn;
    if (!emit) return null;
    this.lastPollAt = Date.now();
    const targets = this.opts.targets();
    const watched = new Set(this.opts.watchedPorts?.() ?? []);
    // closed sockets too: one closed before the first look may still be in TIME_WAIT
    const wanted = targets.filter((t) => t.local && !this.finished.has(t.sock));
    const ports = new Set<number>();
    const protos = new Set<ProcProto>();
    for (const t of wanted) {
      ports.add(portOf(t.local!));
      protos.add(t.proto);
    }
    for (const f of this.followed.values()) protos.add(f.proto);
    if (watched.size > 0) { protos.add('tcp'); protos.add('udp'); }

    const index = new Map<string, ProcRow[]>();
    const filter = { ports: (l: number, rp: number) => ports.has(l) || watched.has(l) || watched.has(rp) };
    const add = (rows: ProcRow[]) => {
      for (const r of rows) {
        const k = `${r.proto}|${rowKey(r.local, r.remote)}`;
        const list = index.get(k);
        if (list) list.push(r); else index.set(k, [r]);
      }
    };
    return { emit, targets, watched, wanted, protos, index, filter, add };
  }

  /** The IPv6 file costs another walk of the hash table: only when a socket we want may be there (K1). */
  private need6(look: Look, proto: ProcProto): boolean {
    return proto === 'udp' || look.watched.size > 0
      || look.wanted.some((t) => t.proto === proto && (t.local!.startsWith('[') || (!t.closed && !look.index.has(`${proto}|${targetKey(t)}`))))
      || [...this.followed.values()].some((f) => f.proto === proto && f.family === 6);
  }

  /** Matches the rows read to what we follow, emits the changes and the gone; `us` > 0 is this look's cost. */
  private apply(look: Look, us: number): boolean {
    const { emit, targets, watched, wanted, index } = look;
    const seen = new Set<string>();
    const used = new Set<string>();
    for (const t of wanted) {
      const k = `${t.proto}|${targetKey(t)}`;
      const rows = index.get(k);
      if (!rows) continue;
      const row = choose(rows, t);
      seen.add(t.sock);
      used.add(k);
      this.follow(emit, t.sock, row, () => ({ sock: t.sock, conn: connOf(t, row), backlog: t.backlog }));
    }
    // K8: the listeners' waiting connections
    const listening = new Set(wanted.filter((t) => t.role === 'listener' && t.proto === 'tcp' && !t.closed).map((t) => portOf(t.local!)));
    if (listening.size > 0) {
      for (const [k, rows] of index) {
        if (used.has(k)) continue;
        const row = rows[0]!;
        if (row.proto !== 'tcp' || !listening.has(row.localPort) || !row.remote || !CONNECTED.has(row.state)) continue;
        const id = `q|${k}`;
        seen.add(id);
        used.add(k);
        this.follow(emit, id, row, () => ({ conn: connKey(row.remote!, row.local) }));
      }
    }
    if (watched.size > 0) {
      for (const [k, rows] of index) {
        if (used.has(k)) continue;
        const row = rows[0]!;
        if (!watched.has(row.localPort) && !watched.has(row.remotePort)) continue;
        const id = `w|${k}`;
        seen.add(id);
        this.follow(emit, id, row, () => ({ conn: watchedConn(row, watched) }));
      }
    }
    const trackedIds = new Set(targets.map((t) => t.sock));
    for (const [id, f] of this.followed) {
      if (seen.has(id)) continue;
      this.followed.delete(id);
      this.info.delete(f.key);
      // K8: a waiting connection that was accepted is the accepted socket's now: no claim that it is gone
      if (id.startsWith('q|')) continue;
      const watchedRow = id.startsWith('w|');
      if (!watchedRow) this.finish(id);
      // K4: gone means the kernel let it go. A socket the engine stopped tracking (session reset, or kept
      // longer than TIME_WAIT lasts) is forgotten without a claim about the kernel.
      if (watchedRow || trackedIds.has(id)) this.send(emit, { ...f.last, gone: true } as KernelEvent);
    }

    this.maybeQueryInfo();
    if (us > 0) this.account(us);
    return watched.size > 0 || this.followed.size > 0 || targets.some((t) => !t.closed && !this.finished.has(t.sock));
  }

  private account(us: number): void {
    this.costMs = this.costMs === 0 ? us / 1000 : this.costMs * 0.8 + (us / 1000) * 0.2;
    this.stats.costMs = this.costMs;
    this.stats.polls++;
    this.stats.lastPollUs = us;
    this.stats.maxPollUs = Math.max(this.stats.maxPollUs, us);
  }

  /** K2: emits when the row differs from what was last shown; the event (and its conn) is built only then. */
  private follow(emit: Emit, id: string, row: ProcRow, meta: () => Meta): void {
    const key = rowKey(row.local, row.remote);
    const f = this.followed.get(id);
    const info = row.proto === 'tcp' && CONNECTED.has(row.state) ? this.info.get(key) : undefined;
    const sig = `${row.state}|${row.txQueue}|${row.rxQueue}|${row.drops ?? ''}|${info ? `${info.rttMs}/${info.cwnd}/${info.sndWnd}/${info.rcvSpace}/${info.rcvBuf}/${info.sndBuf}` : ''}`;
    if (f && f.sig === sig) return;
    if (!f && this.followed.size >= MAX_FOLLOWED) return;
    const m = meta();
    const ev = this.event(row, m, info);
    this.followed.set(id, { proto: row.proto, family: row.family, key, sock: m.sock, last: ev, sig });
    this.hotUntil = Date.now() + this.coolAfterMs; // something moves: look closely for a while
    this.send(emit, ev);
  }

  private event(row: ProcRow, meta: Meta, info: TcpInfo | undefined): KernelEvent {
    const base: { sock?: string; conn?: string; remote?: string } = {};
    if (meta.sock) base.sock = meta.sock;
    if (meta.conn) base.conn = meta.conn;
    if (row.remote) base.remote = row.remote;
    if (row.proto === 'udp') {
      const e: Omit<KernelUdpEvent, 'v' | 'seq' | 'ts'> = { layer: 'kernel', type: 'kernel.udp', local: row.local, ...base, sendQueue: row.txQueue, recvQueue: row.rxQueue, drops: row.drops ?? 0 };
      return e;
    }
    const e: Omit<KernelTcpEvent, 'v' | 'seq' | 'ts'> = { layer: 'kernel', type: 'kernel.tcp', local: row.local, ...base, state: row.state, sendQueue: row.txQueue, recvQueue: row.rxQueue };
    if (row.state === 'LISTEN') {
      e.recvQueue = 0;
      e.acceptQueue = row.rxQueue;
      if (meta.backlog !== undefined) e.backlog = meta.backlog;
    }
    if (info) e.info = info;
    return e;
  }

  private send(emit: Emit, e: KernelEvent): void {
    try {
      emit(e);
      this.stats.emitted++;
    } catch {
      // the session's problem; the probe keeps going
    }
  }

  private finish(id: string): void {
    this.finished.add(id);
    if (this.finished.size > MAX_FINISHED) this.finished.delete(this.finished.values().next().value!);
  }

  /** K6: at most every infoIntervalMs, ask ss about the connections we follow (async; results apply next poll). */
  private maybeQueryInfo(): void {
    if (this.opts.tcpInfo === false || !this.ss.usable) return;
    const now = Date.now();
    if (now - this.lastInfoAt < this.infoIntervalMs) return;
    const ports: number[] = [];
    for (const f of this.followed.values()) {
      if (f.proto === 'tcp' && f.last.type === 'kernel.tcp' && CONNECTED.has(f.last.state)) ports.push(portOf(f.last.local));
    }
    if (ports.length === 0) return;
    this.lastInfoAt = now;
    void this.ss.query(ports).then((m) => {
      if (!m) return;
      const keys = new Set([...this.followed.values()].map((f) => f.key));
      for (const [k, v] of m) if (keys.has(k)) this.info.set(k, v);
    }).catch(() => { /* ss trouble is reported by tcpInfoStatus() */ });
  }
}

/** The "local|remote" a target's row has: listeners and (unconnected) UDP sockets have no remote. */
function targetKey(t: TrackedSocket): string {
  return rowKey(t.local!, t.role === 'listener' || t.proto === 'udp' ? undefined : t.remote);
}

function portOf(ep: string): number {
  return Number(ep.slice(ep.lastIndexOf(':') + 1));
}

/** Several rows for one key: a listener wants its LISTEN row; an open socket its live row over a TIME_WAIT one. */
function choose(rows: ProcRow[], t: TrackedSocket): ProcRow {
  if (rows.length === 1) return rows[0]!;
  if (t.role === 'listener') return rows.find((r) => r.state === 'LISTEN') ?? rows[0]!;
  if (!t.closed) return rows.find((r) => r.state !== 'TIME_WAIT') ?? rows[0]!;
  return rows[0]!;
}

function connOf(t: TrackedSocket, row: ProcRow): string | undefined {
  if (t.proto !== 'tcp' || !row.remote) return undefined;
  return t.role === 'accepted' ? connKey(row.remote, row.local) : connKey(row.local, row.remote);
}

/** A watched program's connection: the side whose local port is watched is the server. */
function watchedConn(row: ProcRow, watched: Set<number>): string | undefined {
  if (row.proto !== 'tcp' || !row.remote || row.state === 'LISTEN') return undefined;
  return watched.has(row.localPort) ? connKey(row.remote, row.local) : connKey(row.local, row.remote);
}
