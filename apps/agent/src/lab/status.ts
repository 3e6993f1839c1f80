/**
 * Whether the lab can be made on this machine, and how (hello's capabilities.lab). Found once, without
 * making anything: the tools on PATH, the agent's privileges, whether the kernel lets an unprivileged user
 * make user namespaces. Whether veth and tbf really work is only known by building (lab.ts says why not).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ProbeStatus } from '@socketscope/shared';
import { python } from '../python/interpreter.ts';

export type LabStatus = ProbeStatus & { how?: 'root' | 'userns' };

export interface LabFacts {
  platform: string;
  /** tool name → found on PATH */
  has: (tool: string) => boolean;
  /** the agent may make named network namespaces (root, or CAP_SYS_ADMIN + CAP_NET_ADMIN) */
  privileged: boolean;
  /** an unprivileged user namespace can be made here (kernel and LSM allow it; tried once) */
  userns: () => boolean;
  /** the interpreter for the forwarder, or null */
  python: string | null;
}

const INSTALL = 'sudo apt-get install -y iproute2 ethtool util-linux python3';
const TOOLS = ['ip', 'tc', 'ethtool'];

export function decideLab(f: LabFacts): LabStatus {
  const tool = 'network namespaces + veth + a link forwarder (python3)';
  if (f.platform !== 'linux') return { available: false, tool, reason: `the lab uses Linux network namespaces; this is ${f.platform}` };
  const missing = TOOLS.filter((t) => !f.has(t));
  if (!f.python) missing.push('python3');
  if (missing.length) {
    return { available: false, tool, reason: `the lab needs ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed`, fix: { linux: INSTALL } };
  }
  if (f.privileged) return { available: true, tool, how: 'root' };
  if (f.has('unshare') && f.has('nsenter') && f.userns()) return { available: true, tool, how: 'userns' };
  return {
    available: false, tool,
    reason: 'the lab makes network namespaces: the agent needs root, or a kernel that lets users make user namespaces (this one does not)',
    fix: { linux: 'start the agent with sudo, or allow user namespaces: sudo sysctl -w kernel.unprivileged_userns_clone=1 kernel.apparmor_restrict_unprivileged_userns=0' },
  };
}

function onPath(tool: string): boolean {
  for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, tool), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** CAP_NET_ADMIN (12) and CAP_SYS_ADMIN (21) in the effective set, as /proc/self/status shows it */
function privileged(): boolean {
  if (process.geteuid?.() === 0) return true;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'));
    const caps = m ? BigInt(`0x${m[1]}`) : 0n;
    return (caps & (1n << 12n)) !== 0n && (caps & (1n << 21n)) !== 0n;
  } catch {
    return false;
  }
}

function usernsWorks(): boolean {
  const r = spawnSync('unshare', ['--user', '--map-root-user', '--net', '--mount', 'true'], { timeout: 3000, stdio: 'ignore' });
  return r.status === 0;
}

/** The interpreter the agent already found (interpreter.ts), or Debian's. */
export function forwarderPython(): string | null {
  const p = python();
  if (p.available && p.path) return p.path;
  return onPath('python3') ? 'python3' : null;
}

let cached: LabStatus | null = null;

export function labStatus(): LabStatus {
  cached ??= decideLab({ platform: process.platform, has: onPath, privileged: privileged(), userns: usernsWorks, python: forwarderPython() });
  return cached;
}
