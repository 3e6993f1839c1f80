/**
 * Can packet capture run here? Finds tcpdump or dumpcap and asks it to compile a filter for the
 * loopback interface, which opens the device: exactly the permission check a real capture needs,
 * without waiting for a packet. Measured on Debian 12 as root: ~50 ms. Run once, at construction.
 * Answers with the reason and the exact command that fixes it (Linux and macOS).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { ProbeStatus } from '@socketscope/shared';

export type ToolName = 'tcpdump' | 'dumpcap';

export interface CaptureTool {
  name: ToolName;
  path: string;
  /** e.g. "tcpdump 4.99.3" */
  version: string;
}

export interface ProbeResult {
  status: ProbeStatus;
  tool: CaptureTool | null;
}

/** Where the tools live when PATH (a non-root user's, say) does not name sbin. */
const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/opt/homebrew/bin',
  '/Applications/Wireshark.app/Contents/MacOS'];

export function defaultInterface(): string {
  return process.platform === 'darwin' ? 'lo0' : 'lo';
}

export function findTool(name: ToolName): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

function run(file: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error.message) : '') };
}

function versionOf(name: ToolName, file: string): string {
  const r = run(file, ['--version']);
  const text = `${r.out}\n${r.err}`;
  const m = name === 'tcpdump' ? /tcpdump version (\S+)/.exec(text) : /Dumpcap \(Wireshark\) (\S+)/.exec(text);
  return m ? `${name} ${m[1]}` : name;
}

const PERMISSION = /permission|not permitted|You don't have|You do not have|EPERM|EACCES/i;

function permissionFix(tool: CaptureTool): ProbeStatus['fix'] {
  return tool.name === 'tcpdump'
    ? {
        linux: `sudo setcap cap_net_raw,cap_net_admin=eip ${tool.path}   (or run the agent with sudo)`,
        macos: 'brew install --cask wireshark-chmodbpf   (grants your user access to /dev/bpf*; log out and in), or run the agent with sudo',
      }
    : {
        linux: 'sudo usermod -a -G wireshark $USER   (then log out and in; or: sudo dpkg-reconfigure wireshark-common and answer Yes)',
        macos: 'brew install --cask wireshark-chmodbpf   (then log out and in)',
      };
}

const INSTALL_FIX = {
  linux: 'sudo apt-get install tcpdump   (Fedora: sudo dnf install tcpdump)',
  macos: 'brew install --cask wireshark   (tcpdump ships with macOS; wireshark-chmodbpf grants capture rights)',
};

/** Tries one tool: can it open `iface` with this process's rights? */
export function tryTool(name: ToolName, iface: string, file = findTool(name)): ProbeResult {
  if (!file) return { tool: null, status: { available: false, reason: `${name} is not installed`, fix: INSTALL_FIX, tool: name } };
  const tool: CaptureTool = { name, path: file, version: versionOf(name, file) };
  // -d prints the compiled filter; it opens the device first, so it fails without capture rights
  const r = name === 'tcpdump' ? run(file, ['-i', iface, '-d', 'tcp']) : run(file, ['-i', iface, '-d', '-f', 'tcp']);
  const compiled = /^\(000\)/m.test(r.out);
  if (r.code === 0 && compiled && !PERMISSION.test(r.err)) return { tool, status: { available: true, tool: `${tool.version} (${file}) on ${iface}` } };
  const firstLine = r.err.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('Capturing on')) ?? `exit code ${r.code}`;
  if (PERMISSION.test(r.err)) {
    const who = typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'this user';
    return { tool, status: { available: false, reason: `${tool.version} may not capture on ${iface} as ${who}: ${firstLine}`.slice(0, 2000), fix: permissionFix(tool), tool: tool.version } };
  }
  return { tool, status: { available: false, reason: `${tool.version} cannot capture on ${iface}: ${firstLine}`.slice(0, 2000), fix: { linux: `check that the interface exists: ip link show ${iface}`, macos: `check that the interface exists: ifconfig ${iface}` }, tool: tool.version } };
}

/**
 * The first tool that can capture, tcpdump preferred (it writes packet-buffered pcap to a pipe with
 * --immediate-mode -U; dumpcap -P does too). When none can, the most useful explanation: a permission
 * problem of an installed tool beats "not installed".
 */
export function probeCapture(iface: string, prefer: ToolName[] = ['tcpdump', 'dumpcap']): ProbeResult {
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    return { tool: null, status: { available: false, reason: `packet capture uses tcpdump or dumpcap, which this agent supports on Linux and macOS, not ${process.platform}`, fix: { linux: INSTALL_FIX.linux, macos: INSTALL_FIX.macos } } };
  }
  const tried = prefer.map((n) => tryTool(n, iface));
  const ok = tried.find((t) => t.status.available);
  if (ok) return ok;
  return tried.find((t) => t.tool !== null) ?? tried[0]!;
}
