/**
 * The kernel layer: what Linux holds for each socket, sampled. It asks the kernel through sock_diag netlink
 * (the interface `ss` uses; diag-look.ts, run by a small Python helper, diag-helper.ts) and reads
 * /proc/net/{tcp,tcp6,udp,udp6} where that cannot run (proc-look.ts). Both give the same rows.
 * - K1 It polls while something is live (an open target, a socket it still follows such as a closed one
 *   in TIME_WAIT, or a watched port) and stops when nothing is: every intervalMs (20 ms, 50 Hz) while things
 *   happen — for coolAfterMs (3 s) after a poke() (the wiring pokes on every engine change) or a change it
 *   saw — then every idleIntervalMs (100 ms). Periods run from when a look was due to when the next is.
 *   It never spends more than a quarter of a core: the period is at least 4 × the measured cost of a look
 *   (the helper's CPU time and the event loop's; for /proc the reads' wall time, an upper bound), and a
 *   poke() never looks sooner. Looks never block the event loop (the helper is another process; /proc is
 *   read in libuv's thread pool). Why it matters: reading /proc/net/tcp walks the kernel's whole connection
 *   table and prints every socket of the machine, milliseconds however few we follow (README.md, Cost).
 * - K2 It emits kernel.tcp / kernel.udp only when what it shows changed (state, queues, drops, TCP_INFO).
 * - K3 The agent's own sockets are matched by "local|remote" endpoints (listeners and UDP by local alone)
 *   and carry `sock`; other programs' sockets on watched ports carry no `sock`. Both carry `conn` where
 *   there is a connection (client>server).
 * - K4 A socket it followed that leaves the kernel is reported once more with gone: true and its last state.
 *   A socket that was reported gone is not followed again under the same id (its 4-tuple may be reused).
 *   One the engine stops tracking (session reset) is dropped silently: no claim that the kernel let it go.
 * - K5 A listener's acceptQueue is the kernel's count of connections waiting for accept() (/proc's rx_queue
 *   of the LISTEN row); its backlog is the target's (what Node gave the kernel, clamped by the engine to
 *   somaxconn).
 * - K6 TCP_INFO (rtt, cwnd, snd_wnd, rcv_space, buffer sizes) at 2 Hz: asked of sock_diag with the look,
 *   or from `ss -tinm` (tcp-info.ts) where the helper cannot run and ss exists. On the lab's hosts
 *   (useHosts, hosts.ts) with every look, and every look at the fast pace while anything is live.
 * - K8 A connection the kernel holds for a followed listener that no program has accept()ed yet (its row on
 *   the listener's port, ESTABLISHED in the accept queue, or SYN_RECV) is reported too, without `sock` and
 *   with conn client>server: "waiting for accept()" is a kernel fact a lesson is about. Once a program
 *   accepts it, its row is the accepted socket's and this report ends without a `gone` (nothing left).
 * - K7 settled(): a promise for the end of the next look that starts after the call (see the method).
 * - K9 The source: sock_diag once its helper answers (the first look waits for it up to DIAG_START_WAIT_MS);
 *   /proc for good if the helper cannot start, exits or fails (diag-helper.ts D3), and for one look whose
 *   question failed. status().tool names the one in use. pollOnce() always reads /proc (synchronous).
 * It never throws into the event loop: a failed read means "unavailable", reported by status().
 */
import type { ProbeStatus, TcpInfo } from '@socketscope/shared';
import { connKey } from '@socketscope/shared';
import type { Emit, ObservationSource, TrackedSocket } from '../sources/source.ts';
import { SockDiag } from './diag-helper.ts';
import { DiagReader, diagContext } from './diag-look.ts';
import { choose, CONNECTED, connectedPorts, connOf, kernelEvent, newLook, portOf, targetKey, watchedConn, type KernelEvent, type Look, type Meta } from './look.ts';
import { rowKey, type ProcProto, type ProcRow } from './proc-parse.ts';
import { procStatus, readLookAsync, readLookSync } from './proc-look.ts';
import { SsRunner } from './tcp-info.ts';
import { HostReaders, type ProbeHost } from './hosts.ts';

export interface KernelProbeOptions {
  targets: () => TrackedSocket[];
  watchedPorts?: () => number[];
  /** poll period while things happen; default 20 ms (50 Hz) */
  intervalMs?: number;
  /** poll period once nothing changed for coolAfterMs; default 100 ms */
  idleIntervalMs?: number;
  coolAfterMs?: number;
  /** TCP_INFO; default true (skipped where neither the sock_diag helper nor ss can run) */
  tcpInfo?: boolean;
  tcpInfoIntervalMs?: number;
  /** ask sock_diag through the helper (K9); default true, false reads /proc only */
  sockDiag?: boolean;
}

type Source = 'proc' | 'sock_diag';

interface Followed {
  proto: ProcProto;
  family: 4 | 6;
  key: string;
  sock?: string;
  last: KernelEvent;
  sig: string;
}

/** Bounds: sockets followed at once, finished ids remembered. */
const MAX_FOLLOWED = 4096;
const MAX_FINISHED = 8192;
/** how long a look waits for the sock_diag helper to start before it reads /proc instead */
const DIAG_START_WAIT_MS = 300;

export class KernelProbe implements ObservationSource {
  readonly name = 'kernel' as const;
  private emitFn: Emit | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerDue = 0;
  private readonly followed = new Map<string, Followed>();
  private readonly finished = new Set<string>();
  private readonly info = new Map<string, TcpInfo>();
  private readonly ss = new SsRunner();
  private readonly diag: SockDiag;
  readonly diagReader: DiagReader;
  private lastInfoAt = 0;
  private readonly intervalMs: number;
  private readonly idleIntervalMs: number;
  private readonly coolAfterMs: number;
  private readonly infoIntervalMs: number;
  /** when something last happened (poke or a change seen), for K1's fast/slow choice */
  private hotUntil = 0;
  /** smoothed cost of one poll in ms, of the source that made the last one */
  private costMs = 0;
  /** when the last poll started (Date.now()) */
  private lastPollAt = 0;
  /** looks started so far, and those waiting for a look that starts after they asked (settled()) */
  private looksStarted = 0;
  private settleWaiters: { after: number; resolve: () => void }[] = [];
  /** a look is reading right now; `again`: something asked for another meanwhile */
  private polling = false;
  private again = false;
  /** the lab's hosts (useHosts, hosts.ts); null: the agent's own namespace */
  private hosts: HostReaders | null = null;
  /** cost of the last polls, for the bench and diagnostics; `rows`: what the last look decoded */
  readonly stats = { polls: 0, lastPollUs: 0, maxPollUs: 0, emitted: 0, costMs: 0, rows: 0, source: 'proc' as Source };

  constructor(private readonly opts: KernelProbeOptions) {
    this.intervalMs = Math.max(5, opts.intervalMs ?? 20);
    this.idleIntervalMs = Math.max(this.intervalMs, opts.idleIntervalMs ?? 100);
    this.coolAfterMs = opts.coolAfterMs ?? 3000;
    this.infoIntervalMs = Math.max(100, opts.tcpInfoIntervalMs ?? 500);
    this.diag = new SockDiag(opts.sockDiag === false ? 'turned off for this probe' : undefined);
    this.diagReader = new DiagReader(this.diag);
  }

  /**
   * The lab (lab/lab.ts): look at these hosts instead of the agent's own namespace, through a sock_diag
   * helper started on each host (hosts.ts; TCP_INFO comes with the look as here), or their /proc/<pid>/net
   * where one cannot run. null goes back to the agent's own namespace.
   */
  useHosts(hosts: ProbeHost[] | null): void {
    this.hosts?.stop();
    this.hosts = hosts && hosts.length > 0 ? new HostReaders(hosts, this.opts.sockDiag === false ? 'turned off for this probe' : undefined) : null;
    if (this.hosts) this.diag.stop();
    this.costMs = 0; // another place, another cost (K1)
    this.poke();
  }

  private get hostDirs(): string[] | null { return this.hosts?.dirs ?? null; }

  /** the lab hosts' helpers: their status, pids and walks (null: not on the lab), for tests and the bench */
  hostDiag(): { status: ProbeStatus; pids: number[]; walks: number } | null {
    return this.hosts ? { status: this.hosts.status(), pids: this.hosts.pids, walks: this.hosts.walks } : null;
  }

  /** K9: available where /proc/net can be read (the fallback); the tool is the source in use now. */
  status(): ProbeStatus {
    const proc = procStatus();
    if (this.hosts?.ready) return this.hosts.status();
    return proc.available && this.diag.ready && !this.hosts ? { available: true, tool: this.diag.status().tool } : proc;
  }

  /** the sock_diag helper: can it run, and if not why (K9) */
  sockDiagStatus(): ProbeStatus { return this.diag.status(); }

  /** the helper's pid while it runs, for the cost figures */
  get helperPid(): number | undefined { return this.diag.pid; }

  tcpInfoStatus(): ProbeStatus {
    if (this.opts.tcpInfo === false) return { available: false, reason: 'TCP_INFO was turned off' };
    if (this.hosts?.ready) return { available: true, tool: `${this.hosts.status().tool ?? ''} (INET_DIAG_INFO)` };
    if (this.diag.ready) return { available: true, tool: `${this.diag.status().tool} (INET_DIAG_INFO)` };
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
    this.diag.stop();
    this.hosts?.stop();
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
   * the wait (a probe that cannot read the kernel never looks).
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
    // on the lab's hosts every look is cheap (their own helpers, few sockets) and what a lesson shows there
    // lasts a round trip or two: fast while anything is live
    const base = Date.now() < this.hotUntil || this.hosts ? this.intervalMs : this.idleIntervalMs;
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
      // K1: the period runs from when a look was due to when the next is, so neither a timer that fires
      // late (a busy machine) nor the time a look takes (a reply, a read in the thread pool) stretches it;
      // a look more than a period late is not caught up
      const now = Date.now();
      const dueAt = now - due < this.intervalMs ? due : now;
      const started = ++this.looksStarted;
      void this.pollAsync().catch(() => false /* /proc vanished mid-read: status() will say so */).then((live) => {
        this.polling = false;
        this.lookFinished(started);
        // a poke while reading: look again (after the K1 delay) even if nothing was live before
        if (this.again) { this.again = false; live = this.emitFn !== null; }
        if (live) this.schedule(Math.max(0, dueAt + this.nextDelay() - Date.now()));
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
    readLookSync(look, (proto) => this.followed6(proto), this.hostDirs ?? undefined);
    return this.apply(look, Number(process.hrtime.bigint() - t0) / 1000, 'proc');
  }

  /**
   * The timer's look (K9): through the sock_diag helper once it answers, else /proc read in libuv's thread
   * pool. Either way the event loop only builds the question and matches the rows. The cost K1 budgets is
   * both parts.
   */
  async pollAsync(): Promise<boolean> {
    if (!this.emitFn) return false;
    const hosts = this.hosts;
    if (hosts ? !hosts.ready && hosts.usable : !this.diag.ready && this.diag.usable) {
      // the first look waits for the helper (it starts in tens of ms) rather than pay /proc's walks
      if (hosts) await hosts.start(DIAG_START_WAIT_MS);
      else { this.diag.start(); await this.diag.whenReady(DIAG_START_WAIT_MS); }
      if (hosts !== this.hosts) return this.emitFn !== null; // moved meanwhile: the next look is the new place's
    }
    let look = this.plan();
    if (!look) return false;
    // K6 on the lab's hosts: with every look (a few sockets; a tracepoint's cwnd is then never followed by
    // a sample up to 500 ms older that puts the old one back)
    const wantInfo = this.opts.tcpInfo !== false && (hosts !== null || Date.now() - this.lastInfoAt >= this.infoIntervalMs);
    if (hosts ? hosts.ready : this.diag.ready) {
      const ctx = diagContext(this.followed);
      const got = await (hosts ? hosts.read(look, ctx, wantInfo) : this.diagReader.read(look, ctx, wantInfo));
      if (got) {
        if (this.emitFn !== look.emit) return false; // stopped meanwhile: nothing more to say
        if (wantInfo) { this.lastInfoAt = Date.now(); this.takeInfo(got.info); }
        const t0 = process.hrtime.bigint();
        const live = this.apply(look, 0, 'sock_diag');
        this.account(got.mainUs + Number(process.hrtime.bigint() - t0) / 1000 + got.helperUs, 'sock_diag', look.rows);
        return live;
      }
      look = this.plan(); // this look's question failed: /proc answers it, from scratch
      if (!look) return false;
    }
    const { mainUs, readUs } = await readLookAsync(look, (proto) => this.followed6(proto), this.hostDirs ?? undefined);
    if (this.emitFn !== look.emit) return false;
    const t0 = process.hrtime.bigint();
    const live = this.apply(look, 0, 'proc');
    // the reads' wall time stands for the thread pool's CPU (an upper bound): K1 stays a bound on both
    this.account(mainUs + Number(process.hrtime.bigint() - t0) / 1000 + readUs, 'proc', look.rows);
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
    const protos = new Set<ProcProto>();
    for (const t of wanted) protos.add(t.proto);
    for (const f of this.followed.values()) protos.add(f.proto);
    if (watched.size > 0) { protos.add('tcp'); protos.add('udp'); }
    return newLook(emit, targets, watched, wanted, protos);
  }

  private followed6(proto: ProcProto): boolean {
    for (const f of this.followed.values()) if (f.proto === proto && f.family === 6) return true;
    return false;
  }

  /** Matches the rows read to what we follow, emits the changes and the gone; `us` > 0 is this look's cost. */
  private apply(look: Look, us: number, source: Source): boolean {
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
    // the lab: a connect() still waiting for its SYN-ACK (a delayed link holds SYN_SENT for a round trip).
    // The connecting socket's own address comes only when connect() returns, so it is found by where it
    // goes: one of the listeners followed here. Then it is the client's socket, as K8's row is the server's.
    if (this.hosts) {
      const listeners = new Set(wanted.filter((t) => t.role === 'listener' && t.proto === 'tcp' && !t.closed).map((t) => t.local!));
      for (const [k, rows] of index) {
        if (used.has(k) || listeners.size === 0) continue;
        const row = rows[0]!;
        if (row.proto !== 'tcp' || row.state !== 'SYN_SENT' || !row.remote || !listeners.has(row.remote)) continue;
        const id = `q|c|${k}`;
        seen.add(id);
        used.add(k);
        this.follow(emit, id, row, () => ({ conn: connKey(row.local, row.remote!) }));
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

    if (source === 'proc') this.maybeQueryInfo();
    if (us > 0) this.account(us, source, look.rows);
    return watched.size > 0 || this.followed.size > 0 || targets.some((t) => !t.closed && !this.finished.has(t.sock));
  }

  /** K1's cost: a new source starts its own average (the first looks read /proc while the helper starts). */
  private account(us: number, source: Source, rows: number): void {
    this.costMs = this.costMs === 0 || source !== this.stats.source ? us / 1000 : this.costMs * 0.8 + (us / 1000) * 0.2;
    this.stats.source = source;
    this.stats.costMs = this.costMs;
    this.stats.polls++;
    this.stats.rows = rows;
    this.stats.lastPollUs = us;
    this.stats.maxPollUs = Math.max(this.stats.maxPollUs, us);
  }

  /** K6 through sock_diag: the info of connected rows, applied in the same look. */
  private takeInfo(info: Map<string, TcpInfo>): void {
    for (const [k, v] of info) this.info.set(k, v);
    // rows nobody follows keep no info (the map is pruned as the followed sockets go)
    if (this.info.size > MAX_FOLLOWED * 2) {
      const keys = new Set([...this.followed.values()].map((f) => f.key));
      for (const k of this.info.keys()) if (!keys.has(k)) this.info.delete(k);
    }
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
    const ev = kernelEvent(row, m, info);
    this.followed.set(id, { proto: row.proto, family: row.family, key, sock: m.sock, last: ev, sig });
    this.hotUntil = Date.now() + this.coolAfterMs; // something moves: look closely for a while
    this.send(emit, ev);
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

  /** K6 without the helper: at most every infoIntervalMs, ask ss (async; the results apply next look). */
  private maybeQueryInfo(): void {
    if (this.hosts || this.opts.tcpInfo === false || !this.ss.usable || Date.now() - this.lastInfoAt < this.infoIntervalMs) return;
    const ports = connectedPorts([...this.followed.values()].map((f) => f.last));
    if (ports.length === 0) return;
    this.lastInfoAt = Date.now();
    void this.ss.query(ports).then((m) => {
      const keys = new Set([...this.followed.values()].map((f) => f.key));
      for (const [k, v] of m ?? []) if (keys.has(k)) this.info.set(k, v);
    }).catch(() => { /* ss trouble is reported by tcpInfoStatus() */ });
  }
}
