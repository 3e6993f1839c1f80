/**
 * The capture subprocess (tcpdump or dumpcap writing pcap to a pipe). Rules it enforces:
 * - P1 No orphan capture, however the agent ends. The tool runs under a small sh watchdog whose stdin is
 *   a pipe from the agent: when the agent exits (even kill -9) the pipe's last writer is gone, `read`
 *   sees EOF and the watchdog sends SIGTERM, then SIGKILL, to the tool. (PR_SET_PDEATHSIG is no help:
 *   Linux clears it when exec'ing a file with capabilities, which is how a non-root tcpdump is set up.)
 *   The tool's stdout is our pipe too, so a dead agent also means SIGPIPE at its next packet.
 * - P2 stop() ends it for sure: EOF to the watchdog (the tool exits cleanly and prints its drop count),
 *   SIGTERM to the process group, SIGKILL to the group if it is still there after the grace period.
 * - P3 What the tool says on stderr is kept, bounded, for the reason of a failure and the kernel drops.
 * - P4 Nothing reaches the shell as code: the script is a constant and the tool's path and arguments
 *   (interface, snap length, a filter built from port numbers) are passed as "$@", never spliced in.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { CaptureTool } from './capture-probe.ts';

export const WATCHDOG = [
  'exec 3<&0 0</dev/null',
  '"$@" 3<&- &',
  'pid=$!',
  // the agent's end of fd 3 closes when it exits, however it exits; the watcher holds none of our
  // pipes (its sleep would keep them open after the tool is gone)
  '( while read -r _ <&3; do :; done; kill -TERM "$pid" 2>/dev/null; sleep 2; kill -KILL "$pid" 2>/dev/null ) >/dev/null 2>&1 &',
  'watch=$!',
  'exec 3<&-',
  'wait "$pid"',
  'rc=$?',
  'kill "$watch" 2>/dev/null',
  'exit "$rc"',
].join('\n');

const STDERR_KEEP = 4096;

export interface CaptureArgs {
  iface: string;
  snaplen: number;
  filter: string;
  /** the lab: the tool's argv as run on one of its hosts (lab.wrap, which execs in place), inside WATCHDOG */
  wrap?: (argv: string[]) => string[];
}

export function toolArgs(tool: CaptureTool, a: CaptureArgs): string[] {
  return tool.name === 'tcpdump'
    // -n: no name lookups; -U: write each packet at once; --immediate-mode: no kernel batching
    ? ['-i', a.iface, '-n', '--immediate-mode', '-U', '-s', String(a.snaplen), '-w', '-', a.filter]
    // -P: classic pcap; -q: no packet counter on stderr
    : ['-i', a.iface, '-q', '-P', '-s', String(a.snaplen), '-w', '-', '-f', a.filter];
}

/** Kernel drops from the tool's exit summary (neither tool reports them while running). */
export function parseKernelDrops(stderr: string): number | null {
  const t = /(\d+) packets? dropped by kernel/.exec(stderr);
  if (t) return Number(t[1]);
  const d = /Packets received\/dropped on interface '[^']*': \d+\/(\d+)/.exec(stderr);
  return d ? Number(d[1]) : null;
}

/** The tool's last line on stderr that says something (a failure's reason), without its routine chatter. */
export function lastLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/listening on|Capturing on|^File:|packets? (captured|received|dropped)/.test(l));
  return lines.at(-1);
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the agent asked it to stop */
  requested: boolean;
  /** it had started capturing */
  wasReady: boolean;
  stderr: string;
  kernelDrops: number | null;
}

export interface ProcessHandlers {
  data(chunk: Buffer): void;
  ready(): void;
  exit(info: ExitInfo): void;
}

export class CaptureProcess {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | null = null;
  private stderr = '';
  private isReady = false;
  private requested = false;
  private closed: Promise<void> = Promise.resolve();

  constructor(readonly tool: CaptureTool, readonly args: CaptureArgs, private readonly on: ProcessHandlers) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get ready(): boolean {
    return this.isReady;
  }

  start(): void {
    const argv = [this.tool.path, ...toolArgs(this.tool, this.args)];
    const child = spawn('/bin/sh', ['-c', WATCHDOG, 'socketscope-capture', ...(this.args.wrap ? this.args.wrap(argv) : argv)], {
      // its own process group, so stop() can signal the watchdog and the tool together (P2)
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdin.on('error', () => { /* EPIPE when it already died: the exit handler reports it */ });
    child.stdout.on('data', (chunk: Buffer) => this.on.data(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-STDERR_KEEP);
      // tcpdump says "listening on" once the device is open and filtered; dumpcap says "Capturing on"
      // BEFORE it opens the device (measured: ~18 ms before its output starts), then "File:" after
      if (!this.isReady && /listening on|^File: /m.test(this.stderr)) {
        this.isReady = true;
        this.on.ready();
      }
    });
    this.closed = new Promise<void>((resolve) => {
      child.on('error', (err) => {
        this.stderr += `\n${err.message}`;
      });
      // 'close' waits for the pipes too: every process holding them (the tool included) has exited
      child.on('close', (code, signal) => {
        this.child = null;
        resolve();
        this.on.exit({
          code, signal, requested: this.requested, wasReady: this.isReady, stderr: this.stderr,
          kernelDrops: parseKernelDrops(this.stderr),
        });
      });
    });
  }

  /**
   * P2: EOF first (the watchdog stops the tool and the shell reaps it, so no zombie is left to init),
   * then SIGTERM to the group, then SIGKILL to the group; resolves once it has exited.
   */
  async stop(graceMs = 1000): Promise<void> {
    const child = this.child;
    if (!child) return this.closed;
    this.requested = true;
    await stopWatched(child, this.closed, graceMs);
  }
}

/**
 * P2 for any tool run under WATCHDOG: EOF on its stdin first, then SIGTERM to its group, then SIGKILL;
 * resolves once `closed` has (or the last grace ran out).
 */
export async function stopWatched(child: { pid?: number | undefined; stdin: Writable | null }, closed: Promise<void>, graceMs: number): Promise<void> {
  child.stdin?.end();
  if (await within(closed, graceMs)) return;
  signalGroup(child.pid, 'SIGTERM');
  if (await within(closed, graceMs)) return;
  signalGroup(child.pid, 'SIGKILL');
  await within(closed, 1000);
}

export function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

export async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  const r = await Promise.race([p.then(() => true), t]);
  clearTimeout(timer);
  return r;
}
