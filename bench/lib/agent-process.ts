/**
 * The real agent as the benchmarks' subject: `socketscope start --no-open --port 0` in its own process
 * (its own CPU and memory, measured from outside), with a known token, and with the node flags `pnpm start`
 * gives it (apps/agent/bin/node-flags.mjs) unless a variant asks for others.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from '../../apps/agent/bin/node-flags.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BENCH_TOKEN = 'b'.repeat(64);

export interface AgentProcess {
  pid: number;
  port: number;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it has exited */
  stop(): Promise<void>;
}

/**
 * `limits` or `unlimitedRate` given: the same agent started by bench/lib/agent-child.ts with those engine
 * limits / no per-page rate limit (the CLI has no flag for them: the classroom keeps the defaults).
 * `nodeArgs` replace the shipped node flags (a variant measured for information); by default the agent
 * runs with AGENT_NODE_FLAGS, as `pnpm start` runs it.
 */
export async function startAgentProcess(opts: { capture?: 'auto' | 'off'; nodeArgs?: string[]; limits?: Record<string, number>; unlimitedRate?: boolean; ringSize?: number } = {}): Promise<AgentProcess> {
  const capture = opts.capture ?? 'off';
  const childOpts = { ...(opts.unlimitedRate ? { rate: { perSecond: 1e9, burst: 1e9 } } : {}), ...(opts.ringSize ? { ringSize: opts.ringSize } : {}) };
  const args = opts.limits || opts.unlimitedRate || opts.ringSize
    ? [path.join(ROOT, 'bench/lib/agent-child.ts'), capture, JSON.stringify(opts.limits ?? {}), JSON.stringify(childOpts)]
    : [path.join(ROOT, 'apps/agent/src/cli.ts'), 'start', '--no-open', '--port', '0', '--capture', capture];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? AGENT_NODE_FLAGS), '--import', 'tsx', ...args], {
    cwd: ROOT, env: { ...process.env, SOCKETSCOPE_TOKEN: BENCH_TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-20_000); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=/.exec(out);
        if (m) { clearInterval(timer); resolve(Number(m[1])); }
      }, 25);
      child.once('exit', (code) => { clearInterval(timer); reject(new Error(`agent exited (${code}) before it printed its URL: ${err}`)); });
      setTimeout(() => { clearInterval(timer); reject(new Error(`agent printed no URL in 30 s: ${err}`)); }, 30_000).unref();
    });
  } catch (e) {
    // an agent that did not come up is not left behind (stuck, or stopped, it would outlive the bench)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw e;
  }
  return {
    pid: child.pid!, port, child, stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** VmRSS and VmHWM (peak) of a process, MB. */
export function rssOf(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** CPU time (user + system) a process has used so far, ms. */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14 and 15 of stat (utime, stime), counted from the state field (3rd) here
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}
