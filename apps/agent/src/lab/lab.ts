/**
 * The lab network: two hosts (network namespaces `ss-<agentpid>-client`, `ss-<agentpid>-server`) joined by
 * a link (a middle namespace `ss-<agentpid>-link` whose two veth ends a forwarder joins), with delay, jitter,
 * loss, a rate limit and one-shot drops applied to real frames. Rules (tests: test/lab-*.test.ts; README.md):
 * L1 The machine's own interfaces, routes and firewall are never touched: every veth is made inside the
 *    lab's namespaces, the addresses exist only there, nothing is routed out.
 * L2 Every frame the link drops is a link.drop event (layer wire) with its time on the session's clock.
 * L3 Nothing survives the agent: the keeper (keeper.ts K1–K5) removes every namespace, veth and process of
 *    the lab on every exit, SIGKILL included; down() goes through the same keeper.
 * L4 One lab per agent process; up() after down() makes a new one.
 * L5 Conditions are checked before anything changes (conditions.ts); a change the forwarder or tc refuses
 *    leaves the conditions reported as they really are.
 * L6 At up(), labs of agents that are no longer running (their pid is gone) are removed first.
 * L7 Commands are argument lists (plan.ts), bounded in time; a failed step tears down what was built and
 *    says which command failed and what it printed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import type { EventInput, TcpFlag } from '@socketscope/shared';
import { applyConditions, NO_CONDITIONS, type LinkConditions } from './conditions.ts';
import { Forwarder, type ForwarderDrop, type ForwarderStats } from './forwarder.ts';
import { Keeper, TEARDOWN_NOW } from './keeper.ts';
import { LAB_ADDRESSES, LAB_IFACES, labNames, parseLabName, type HostName, type LabNames } from './names.ts';
import { buildPlan, inNamespace, ratePlan } from './plan.ts';
import { forwarderPython, labStatus, type LabStatus } from './status.ts';

const COMMAND_MS = 5000;

export class LabError extends Error {
  override name = 'LabError';
  constructor(message: string, readonly code: 'E_UNAVAILABLE' | 'E_BUSY' | 'E_INVALID' | 'E_LAB' = 'E_LAB') {
    super(message);
  }
}

export interface LabOptions {
  /** link.drop events go here (L2) */
  emit?: (e: EventInput) => void;
  /** a CLOCK_MONOTONIC reading in ns → µs since the session started (session.tsAtMonotonicNs) */
  tsAt?: (ns: number) => number;
  log?: (line: string) => void;
  /** tests: the status to act on (default: labStatus()) and the forwarder's interpreter */
  status?: LabStatus;
  python?: string;
  /** tests: the loss's random sequence starts from this seed (the same frames are lost run after run) */
  seed?: number;
}

export interface LabHost {
  name: HostName;
  netns: string;
  address: string;
  iface: string;
}

/** What a one-shot drop waits for: the next data segment or datagram, the next SYN, or the next packet. */
export interface OneShot {
  from: HostName;
  match?: 'data' | 'syn' | 'any';
  proto?: 'tcp' | 'udp';
  /** hold the frame this many ms beyond the link's delay instead of losing it (later ones overtake it) */
  holdMs?: number;
}

/** L4: the lab this process has up (a Set, not a variable holding `this`) */
const labsUp = new Set<Lab>();

function run(argv: readonly string[], timeoutMs = COMMAND_MS): Promise<{ ok: boolean; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 1 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ ok: !error, out: stdout, err: (stderr || error?.message || '').trim() });
    });
  });
}

/** L6: namespaces named by lab.ts whose agent is gone; removed (root only: named namespaces). */
export async function removeStaleLabs(): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return [];
  }
  const stale = names.filter((n) => {
    const p = parseLabName(n);
    return p !== null && p.pid !== process.pid && !alive(p.pid);
  });
  if (stale.length) await run(['/bin/sh', '-c', TEARDOWN_NOW, 'socketscope-lab', ...stale], 15_000);
  return stale;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Lab {
  readonly names: LabNames;
  readonly hosts: Readonly<Record<HostName, LabHost>>;
  private keeper: Keeper | null = null;
  private forwarder: Forwarder | null = null;
  private holders: Partial<Record<HostName, ChildProcess>> = {};
  private now: LinkConditions = { ...NO_CONDITIONS };
  private state: 'down' | 'starting' | 'up' | 'stopping' = 'down';
  private turn: Promise<void> = Promise.resolve();
  private readonly log: (line: string) => void;
  private readonly tsAt: (ns: number) => number;
  /** drops told by the forwarder; overrun: lost before it could read them (F5), not told one by one */
  readonly drops = { loss: 0, oneshot: 0, queue: 0, overrun: 0 };

  constructor(private readonly opts: LabOptions = {}) {
    this.names = labNames();
    this.log = opts.log ?? ((line) => process.stderr.write(`socketscope: ${line}\n`));
    // without a session: µs since this lab object was made, on the same CLOCK_MONOTONIC as the forwarder's
    const born = Number(process.hrtime.bigint());
    this.tsAt = opts.tsAt ?? ((ns) => (ns - born) / 1000);
    const host = (name: HostName): LabHost => ({ name, netns: this.names[name], address: LAB_ADDRESSES[name], iface: LAB_IFACES.host });
    this.hosts = { client: host('client'), server: host('server') };
  }

  static status(): LabStatus {
    return labStatus();
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  get conditions(): LinkConditions {
    return { ...this.now };
  }

  get how(): 'root' | 'userns' | undefined {
    return this.keeper?.mode;
  }

  /** Builds the lab (L1, L3, L6, L7) with these conditions. */
  async up(conditions: Partial<LinkConditions> = {}): Promise<void> {
    const wanted = applyConditions(NO_CONDITIONS, conditions);
    const st = this.opts.status ?? labStatus();
    if (!st.available || !st.how) throw new LabError(st.reason ?? 'the lab cannot run here', 'E_UNAVAILABLE');
    if ([...labsUp].some((l) => l !== this)) throw new LabError('this agent already has a lab up', 'E_BUSY');
    if (this.state !== 'down') throw new LabError(`the lab is ${this.state}`, 'E_BUSY');
    labsUp.add(this);
    this.state = 'starting';
    try {
      if (st.how === 'root') {
        const stale = await removeStaleLabs();
        if (stale.length) this.log(`removed the lab namespaces of agents that are gone: ${stale.join(', ')}`);
        // our own names left by this pid (an earlier lab of this process whose keeper was killed)
        await this.teardownNow();
      }
      const keeper = new Keeper(st.how, [this.names.link, this.names.client, this.names.server]);
      this.keeper = keeper;
      await keeper.start();
      for (const argv of buildPlan(this.names)) await this.must(argv);
      for (const h of ['client', 'server'] as const) this.holders[h] = this.hold(h);
      const py = this.opts.python ?? forwarderPython();
      if (!py) throw new LabError('no python3 for the link forwarder', 'E_UNAVAILABLE');
      const fwd = new Forwarder({
        drop: (d) => this.onDrop(d),
        died: (why) => this.log(`lab: ${why}`),
        overrun: (dir, count) => {
          this.drops.overrun += count;
          this.log(`lab: the link forwarder could not keep up: ${count} frames ${dir === 'c2s' ? 'client → server' : 'server → client'} were lost before it saw them`);
        },
      });
      this.forwarder = fwd;
      await fwd.start(py, (argv) => this.wrapIn(this.names.link, argv));
      if (this.opts.seed !== undefined) await fwd.send({ op: 'set', seed: this.opts.seed });
      await this.apply(wanted);
      this.state = 'up';
    } catch (err) {
      await this.down();
      throw err instanceof LabError ? err : new LabError(`the lab could not be made: ${(err as Error).message}`);
    }
  }

  /** Changes the link's conditions (L5); resolves with what now applies. Changes apply in the order asked. */
  set(change: Partial<LinkConditions>): Promise<LinkConditions> {
    return this.inTurn(async () => {
      if (this.state !== 'up') throw new LabError('the lab is not up', 'E_INVALID');
      await this.apply(applyConditions(this.now, change));
      return this.conditions;
    });
  }

  /**
   * Arms a one-shot: the next matching frame from that host is lost on the link, or with holdMs held back
   * that long beyond the link's delay (the forwarder's control line {"op":"oneshot","from","match","proto"?,"holdMs"?}).
   */
  /** Disarms the one-shots that have not fired (a lesson's, when it ends). */
  clearShots(): Promise<void> {
    return this.inTurn(async () => {
      if (this.state !== 'up' || !this.forwarder) return;
      await this.forwarder.clearShots();
    });
  }

  dropNext(shot: OneShot): Promise<void> {
    return this.inTurn(async () => {
      if (this.state !== 'up' || !this.forwarder) throw new LabError('the lab is not up', 'E_INVALID');
      await this.forwarder.send({ op: 'oneshot', from: shot.from, match: shot.match ?? 'data', ...(shot.proto ? { proto: shot.proto } : {}), ...(shot.holdMs !== undefined ? { holdMs: shot.holdMs } : {}) });
    });
  }

  /** The forwarder's counters: frames forwarded each way, drops by reason. */
  async stats(): Promise<ForwarderStats> {
    if (!this.forwarder) throw new LabError('the lab is not up', 'E_INVALID');
    return this.forwarder.readStats();
  }

  /**
   * The argv that runs `argv` on a host: `ip netns exec <ns> …` (with the keeper's nsenter in front in
   * user-namespace mode). `ip netns exec` execs in place, so the pid spawn() reports is the program's own,
   * and its parent is the agent: process groups, the tracer's parent check and exit statuses still hold.
   */
  wrap(host: HostName, argv: readonly string[]): string[] {
    if (this.state !== 'up' && this.state !== 'starting') throw new LabError('the lab is not up', 'E_INVALID');
    return this.wrapIn(this.names[host], argv);
  }

  /**
   * /proc/<pid>/net of a process that lives on that host for as long as the lab does: the kernel probe reads
   * the host's tcp, udp (and tcp6, udp6) there instead of the agent's own /proc/net.
   */
  procNet(host: HostName): string {
    const pid = this.holders[host]?.pid;
    if (!pid || this.state !== 'up') throw new LabError('the lab is not up', 'E_INVALID');
    return `/proc/${pid}/net`;
  }

  /**
   * The host's network namespace inode (as /proc/<pid>/ns/net and the kernel's sk->__sk_common.skc_net
   * name it): what the kernel's tracepoints, which see every namespace, are filtered by.
   */
  netnsInode(host: HostName): number {
    const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`${this.procNet(host).slice(0, -'/net'.length)}/ns/net`));
    if (!m) throw new LabError(`cannot read the ${host} host's namespace`);
    return Number(m[1]);
  }

  /** Removes everything (L3); safe to call at any time, more than once. */
  async down(): Promise<void> {
    if (this.state === 'down' || this.state === 'stopping') return;
    this.state = 'stopping';
    try {
      await this.forwarder?.stop();
      for (const h of Object.values(this.holders)) h?.stdin?.end();
      await this.keeper?.stop();
      if (this.keeper?.mode === 'root') await this.teardownNow();
    } finally {
      this.forwarder = null;
      this.keeper = null;
      this.holders = {};
      this.now = { ...NO_CONDITIONS };
      this.state = 'down';
      labsUp.delete(this);
    }
  }

  /** one change at a time: a slider dragged on the page sends many, and tc must not see them interleaved */
  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const turn = this.turn.then(fn);
    this.turn = turn.then(() => undefined, () => undefined);
    return turn;
  }

  private wrapIn(ns: string, argv: readonly string[]): string[] {
    return [...(this.keeper?.prefix() ?? []), ...inNamespace(ns, argv)];
  }

  private async must(argv: string[]): Promise<void> {
    const full = [...(this.keeper?.prefix() ?? []), ...argv];
    const r = await run(full);
    if (!r.ok) throw new LabError(`\`${argv.join(' ')}\` failed: ${r.err.slice(0, 500) || 'no message'}`);
  }

  /** a process that stays on the host (its /proc/<pid>/net); it reads our pipe and ends at EOF */
  private hold(host: HostName): ChildProcess {
    const argv = this.wrapIn(this.names[host], ['cat']);
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin?.on('error', () => { /* gone */ });
    child.on('error', (err) => this.log(`lab: the ${host} host's holder did not start: ${err.message}`));
    return child;
  }

  private async apply(next: LinkConditions): Promise<void> {
    if (next.rateKbit !== this.now.rateKbit) {
      for (const argv of ratePlan(this.names, next.rateKbit)) {
        const r = await run([...(this.keeper?.prefix() ?? []), ...argv]);
        // deleting a limit that is not there fails, and that is fine
        if (!r.ok && next.rateKbit !== null) throw new LabError(`the rate limit could not be set: ${r.err.slice(0, 300)}`);
      }
      this.now = { ...this.now, rateKbit: next.rateKbit };
    }
    await this.forwarder!.send({ op: 'set', delayMs: next.delayMs, jitterMs: next.jitterMs, lossPct: next.lossPct });
    this.now = next;
  }

  /** root mode: the keeper's teardown, run now, for our own names (idempotent) */
  private async teardownNow(): Promise<void> {
    const ns = [this.names.link, this.names.client, this.names.server];
    await run(['/bin/sh', '-c', TEARDOWN_NOW, 'socketscope-lab', ...ns], 15_000);
  }

  private onDrop(d: ForwarderDrop): void {
    if (d.reason in this.drops) this.drops[d.reason]++;
    const emit = this.opts.emit;
    if (!emit || (d.proto !== 'tcp' && d.proto !== 'udp')) return;
    const e: Extract<EventInput, { type: 'link.drop' }> = {
      layer: 'wire', type: 'link.drop', src: d.src, dst: d.dst, proto: d.proto, len: d.len, reason: d.reason,
      wireTs: this.tsAt(d.t),
    };
    if (d.proto === 'tcp') {
      e.flags = (d.flags ?? []) as TcpFlag[];
      if (typeof d.seq === 'number') e.seqNo = d.seq;
    }
    emit(e);
  }
}
