/**
 * Who holds the port the agent could not listen on (C4's "port already in use", issue 16 item 5): the
 * process listening on it, from /proc (Linux), so the error can name a stale SocketScope agent and say
 * how to stop it. Rules:
 * - PH1 It never returns or prints a process's command line or environment: an agent's may carry its
 *   token (`--token`, S6). Only the pid, the program's short name (/proc/PID/comm) and whether the
 *   command line names socketscope.
 * - PH2 Bounded and best effort: it reads /proc once, looks at no more than MAX_PROCS processes, and says
 *   nothing (null) where /proc is missing or a process is not ours to look at.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readRows } from '../kernel/proc-read.ts';

export interface PortHolder {
  pid: number;
  /** the program's short name as the kernel keeps it (e.g. "node") */
  name: string;
  /** its command line names socketscope (an agent, probably one started earlier and never stopped) */
  socketscope: boolean;
}

const MAX_PROCS = 5000;

/** The process with a TCP socket listening on `port` (any address), or null. */
export function portHolder(port: number): PortHolder | null {
  const inodes = new Set(readRows('tcp', { ports: (lp) => lp === port }).filter((r) => r.state === 'LISTEN' && r.inode > 0).map((r) => String(r.inode)));
  if (inodes.size === 0) return null;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).slice(0, MAX_PROCS);
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1]!)) return describe(Number(pid));
    }
  }
  return null;
}

function describe(pid: number): PortHolder {
  const read = (f: string) => { try { return readFileSync(`/proc/${pid}/${f}`, 'utf8'); } catch { return ''; } };
  // PH1: the command line is only searched, never kept. An agent started by socketscope.mjs is titled
  // "socketscope"; one run from the sources (tests, development) names the CLI's file
  return { pid, name: read('comm').trim() || '?', socketscope: /socketscope|apps\/agent\/src\/cli\.ts/i.test(read('cmdline')) };
}

/** One line for the log: who holds the port and, for a stale agent, how to stop it. */
export function holderLine(port: number, h: PortHolder): string {
  return h.socketscope
    ? `port ${port} is held by process ${h.pid} (${h.name}): a SocketScope agent that is still running, perhaps left over from an earlier start; stop it with: kill ${h.pid}`
    : `port ${port} is held by process ${h.pid} (${h.name}), which is not SocketScope`;
}
