/**
 * A classroom whose students stop reading: the real agent with `--share` in its own process with its
 * shipped heap cap (stalled-agent-child.ts), a teacher's session of tens of thousands of events (bulk sends
 * of 16-byte chunks), and N read-only pages on the share address that `sync` and then stop reading (their
 * TCP socket paused, so the window closes and the agent's writes back up), while the teacher keeps making
 * calls and timing the replies. Then the pages read again: each must get the rest of the session, with a
 * snapshot and a gap for what it missed. Shared by test/stalled-viewers.test.ts and bench/stalled-viewers.ts.
 * Every address is loopback (the share address is 127.0.0.2); every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net, { type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from '../bin/node-flags.mjs';
import { pct, sleep, StreamClient } from './reliability-kit.ts';
import type { ViewerStatus } from './stalled-viewers-child.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CHILD = path.join(ROOT, 'apps/agent/test/stalled-agent-child.ts');
const STUDENTS = path.join(ROOT, 'apps/agent/test/stalled-viewers-child.ts');
const FULL = 'f'.repeat(64);
const VIEWER = 'v'.repeat(64);

/** The students' process (stalled-viewers-child.ts), driven over IPC with bounded waits. */
class Students {
  private readonly child: ChildProcess;
  private waiting: { op: string; resolve: (m: any) => void; reject: (e: Error) => void } | null = null;

  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', STUDENTS], { cwd: ROOT, env: { ...process.env, SOCKETSCOPE_VIEWER_TOKEN: VIEWER }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: { op: string; message?: string }) => {
      const w = this.waiting;
      if (!w) return;
      this.waiting = null;
      if (m.op === 'error') w.reject(new Error(`students: ${m.message}`));
      else if (m.op !== w.op) w.reject(new Error(`students answered ${m.op}, expected ${w.op}`));
      else w.resolve(m);
    });
  }

  ask<T>(msg: Record<string, unknown>, answer: string, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting = null; reject(new Error(`students: no ${answer} in ${ms} ms`)); }, ms);
      this.waiting = { op: answer, resolve: (m) => { clearTimeout(timer); resolve(m as T); }, reject: (e) => { clearTimeout(timer); reject(e); } };
      this.child.send(msg);
    });
  }

  async status(): Promise<ViewerStatus[]> {
    return (await this.ask<{ viewers: ViewerStatus[] }>({ op: 'status' }, 'status', 10_000)).viewers;
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
    setTimeout(() => this.child.kill('SIGKILL'), 2000).unref();
  }
}

export interface AgentHeap {
  usedMb: number;
  peakMb: number;
  limitMb: number;
  /** the agent's longest event-loop turn so far and the 99th percentile (perf_hooks), ms */
  loopMaxMs: number;
  loopP99Ms: number;
}

export interface AgentChild {
  port: number;
  pid: number;
  alive(): boolean;
  stderr(): string;
  /** the child's V8 heap now and its peak so far; null when it no longer answers */
  heap(): Promise<AgentHeap | null>;
  stop(): Promise<void>;
}

export async function startSharedAgent(): Promise<AgentChild> {
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, '--import', 'tsx', CHILD], {
    // production: no per-event schema check, as the agent runs in a classroom (session.ts defaultValidate)
    cwd: ROOT, env: { ...process.env, SOCKETSCOPE_TOKEN: FULL, SOCKETSCOPE_VIEWER_TOKEN: VIEWER, NODE_ENV: 'production', VITEST: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-50_000); });
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => { exited = true; r(); }));
  const port = await new Promise<number>((resolve, reject) => {
    const end = Date.now() + 30_000;
    const timer = setInterval(() => {
      const m = /read-only link for students: http:\/\/127\.0\.0\.2:(\d+)\//.exec(out);
      if (m) { clearInterval(timer); resolve(Number(m[1])); } else if (exited || Date.now() > end) { clearInterval(timer); reject(new Error(`the agent did not start: ${err}`)); }
    }, 25);
  });
  let answers = 0;
  return {
    port, pid: child.pid!,
    alive: () => !exited,
    stderr: () => err,
    async heap() {
      if (exited) return null;
      const seen = answers;
      child.kill('SIGUSR2');
      const end = Date.now() + 5000;
      const isExited = () => exited;
      while (Date.now() < end && !isExited()) {
        const lines = err.split('\n').filter((l) => l.startsWith('HEAP {'));
        if (lines.length > seen && err.endsWith('\n')) {
          answers = lines.length;
          const h = JSON.parse(lines.at(-1)!.slice(5)) as { used: number; peak: number; limit: number; loopMaxMs: number; loopP99Ms: number };
          return { usedMb: h.used / 2 ** 20, peakMb: h.peak / 2 ** 20, limitMb: h.limit / 2 ** 20, loopMaxMs: h.loopMaxMs, loopP99Ms: h.loopP99Ms };
        }
        await sleep(20);
      }
      return null;
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(t);
    },
  };
}

/** A TCP sink in this process on 127.0.0.1: reads and drops everything (the far end of the bulk sends). */
function startSink(): Promise<{ port: number; close(): void }> {
  const conns = new Set<Socket>();
  const server = net.createServer((s) => { conns.add(s); s.on('data', () => {}); s.on('error', () => {}); s.on('close', () => conns.delete(s)); });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as net.AddressInfo).port,
    close() { for (const s of conns) s.destroy(); server.close(); },
  })));
}

export interface StalledOptions {
  viewers: number;
  /** the session before the viewers join: one bulk send of this many bytes in 16-byte chunks */
  bytesBefore: number;
  /** while they are stalled: another bulk send, so the recorder moves past where they stopped */
  bytesDuring: number;
  /** how long they stay stalled after that, ms */
  stallMs: number;
  log?: (line: string) => void;
}

export interface StalledReport {
  eventsBefore: number;
  eventsAfter: number;
  alive: boolean;
  /** the agent's heap and event loop, the worst of while stalled and after resuming */
  heap: AgentHeap | null;
  /** the agent's resident memory (/proc): while the viewers were stalled, after they resumed, and its peak, MB */
  rss: { stalled: number; after: number; peak: number } | null;
  /** every teacher command's round trip while the viewers joined, stalled and resumed, ms */
  replyMs: number[];
  failedReplies: string[];
  /** viewers that read up to the session's last event after resuming */
  caughtUp: number;
  /** of those, how many were told by snapshot + gap what they missed */
  withSnapshotAndGap: number;
  /** payload characters the viewers saw (0 while payloads are hidden from them) */
  payloadChars: number;
  closedViewers: string[];
  violations: string[];
  teacherViolations: string[];
  seconds: number;
  /** the agent's stderr when it died */
  died?: string;
}

/** VmRSS and VmHWM (its peak) of a process, MB */
function rssOf(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

const worst = (a: AgentHeap | null, b: AgentHeap | null): AgentHeap | null => (a && b ? {
  usedMb: Math.max(a.usedMb, b.usedMb), peakMb: Math.max(a.peakMb, b.peakMb), limitMb: a.limitMb,
  loopMaxMs: Math.max(a.loopMaxMs, b.loopMaxMs), loopP99Ms: Math.max(a.loopP99Ms, b.loopP99Ms),
} : a ?? b);

/**
 * Runs the scenario of issue 16 against a fresh agent and reports what it saw. The agent's misbehaviour
 * (dying, slow replies, viewers left behind) is reported for the caller to assert; only a failure of the
 * harness itself throws.
 */
export async function runStalled(o: StalledOptions): Promise<StalledReport> {
  const say = o.log ?? (() => {});
  const t0 = performance.now();
  const agent = await startSharedAgent();
  const sink = await startSink();
  const students = new Students();
  let teacher: StreamClient | null = null;
  const replyMs: number[] = [];
  const failedReplies: string[] = [];
  const ping = { on: true };
  let pinger: Promise<void> = Promise.resolve();
  let eventsBefore = 0;
  let heap: AgentHeap | null = null;
  let rssStalled = NaN;
  try {
    teacher = await StreamClient.open(agent.port, { token: FULL, keepSeqs: false });
    await teacher.sync(20_000);
    const c = await teacher.ok<{ sock: string }>({ op: 'tcp.connect', port: sink.port });
    const u = await teacher.ok<{ sock: string; local: string }>({ op: 'udp.bind', port: 0 });
    const udpPort = Number(u.local.split(':').at(-1));
    const bulk = async (bytes: number) => {
      const r = await teacher!.cmd({ op: 'tcp.sendBulk', sock: c.sock, bytes, chunk: 16 }, 180_000);
      if (!r.ok) throw new Error(`sendBulk: ${r.error?.code} ${r.error?.message}`);
    };
    await bulk(o.bytesBefore);
    await sleep(300);
    eventsBefore = teacher.lastSeq + 1;
    say(`session holds ${eventsBefore} events`);

    // the teacher keeps working: a datagram every 100 ms, each reply timed
    const t = teacher;
    pinger = (async () => {
      while (ping.on && !t.closed) {
        const s = performance.now();
        try {
          const r = await t.cmd({ op: 'udp.sendto', sock: u.sock, port: udpPort, data: { text: 'ping' } }, 10_000);
          if (!r.ok) failedReplies.push(`${r.error?.code} ${r.error?.message}`);
          else {
            const ms = performance.now() - s;
            replyMs.push(ms);
            if (ms > 200) say(`a teacher reply took ${ms.toFixed(0)} ms`);
          }
        } catch (e) {
          failedReplies.push((e as Error).message);
        }
        await sleep(100);
      }
    })();

    await students.ask({ op: 'open', port: agent.port, n: o.viewers }, 'opened', 60_000);
    await students.ask({ op: 'stall' }, 'stalled', 30_000);
    say(`${o.viewers} viewers synced and stopped reading`);
    await sleep(1000);
    await bulk(o.bytesDuring);
    say(`the session went on while they were stalled: ${teacher.lastSeq + 1} events`);
    await sleep(o.stallMs);
    heap = await agent.heap();
    rssStalled = rssOf(agent.pid).rss;
    say(`agent heap ${heap ? `${heap.usedMb.toFixed(0)} MB, peak ${heap.peakMb.toFixed(0)} MB of ${heap.limitMb.toFixed(0)}; longest turn ${heap.loopMaxMs.toFixed(0)} ms` : 'not answering'}`);

    await students.ask({ op: 'resume' }, 'resumed', 10_000);
    const end = Date.now() + 60_000;
    let status = await students.status();
    while (Date.now() < end && agent.alive() && status.some((v) => !v.closed && v.lastSeq < teacher!.lastSeq)) {
      await sleep(250);
      status = await students.status();
    }
  } catch (e) {
    if (agent.alive()) throw e;
  } finally {
    ping.on = false;
    await pinger.catch(() => {});
  }
  try {
    const status = await students.status();
    const after = await agent.heap();
    const rss = agent.alive() ? { stalled: rssStalled, ...rssOf(agent.pid) } : null;
    const last = teacher?.lastSeq ?? -1;
    const caught = status.filter((v) => !v.closed && v.lastSeq >= last);
    return {
      eventsBefore,
      eventsAfter: last + 1,
      alive: agent.alive(),
      heap: worst(heap, after),
      rss: rss ? { stalled: rss.stalled, after: rss.rss, peak: rss.peak } : null,
      replyMs, failedReplies,
      caughtUp: caught.length,
      withSnapshotAndGap: caught.filter((v) => v.snapshots.length > 0 && v.gaps.some((g) => v.snapshots.includes(g.to))).length,
      payloadChars: status.reduce((n, v) => n + v.payloadChars, 0),
      closedViewers: status.filter((v) => v.closed).map((v) => v.closed!),
      violations: status.flatMap((v) => v.violations).slice(0, 20),
      // the test client does not know `viewers` (the teacher's count while sharing): not a violation
      teacherViolations: (teacher?.violations ?? []).filter((v) => !v.includes('t=viewers')).slice(0, 20),
      seconds: (performance.now() - t0) / 1000,
      ...(agent.alive() ? {} : { died: agent.stderr().slice(-3000) }),
    };
  } finally {
    students.stop();
    await teacher?.close().catch(() => {});
    sink.close();
    await agent.stop();
  }
}

export { pct };
