/**
 * The agent on the lab (lab.ts): its programs, its kernel probe and its packet capture follow the lab's
 * hosts instead of this machine. Nothing changes until attachLab() is called (`--lab`), and detach()
 * puts everything back. Rules:
 * A1 A program runs on the host `hostOf` names (none: this machine) (lab.wrap: the same pid, group, watchdog and exit status);
 *    its text is run from a private copy where the address literal '127.0.0.1' / "127.0.0.1" becomes the
 *    server host's address (10.77.0.2), on both hosts: the server binds it, the client connects to it.
 *    Nothing else in the text changes (its lines stay where they were, printed text is left alone).
 * A2 The kernel probe looks at both hosts as at this machine: a sock_diag helper on each host (lab.wrap),
 *    TCP_INFO with the look; each host's /proc table (lab.procNet) where the helper cannot run. The kernel's
 *    tracepoints, which see every namespace, need no move (kernel/ebpf-kernel.ts useHosts).
 * A3 Capture runs on both hosts' eth0, one tool each (lab.wrap), in the watchdog as on loopback; every wire
 *    event carries `host`, the host whose capture saw it: a lost packet is seen leaving and never arriving.
 */
import type { CommandOf } from '@socketscope/shared';
import type { ProgramHosts } from '../python/programs.ts';
import type { CaptureHost } from '../wire/capture.ts';
import type { ProbeHost } from '../kernel/hosts.ts';
import type { Lab } from './lab.ts';
import { LAB_ADDRESSES, LAB_IFACES, type HostName } from './names.ts';

/** the parts of the agent the lab reaches (agent.ts: kernel is a KernelLayer, wire a CaptureSource) */
export interface LabbedAgent {
  programs?: { useHosts(h: ProgramHosts | null): void } | undefined;
  kernel?: object | undefined;
  wire?: object | undefined;
}

interface HostKernel { useHosts(hosts: ProbeHost[] | null): void }
interface HostWire { useHosts(h: CaptureHost[] | null): Promise<void> }

const LOOPBACK_LITERAL = /(['"])127\.0\.0\.1\1/g;

/** A1: the listing's loopback literal as the server host's address */
export function onLabText(code: string, server = LAB_ADDRESSES.server): string {
  return code.replace(LOOPBACK_LITERAL, (_m, q: string) => `${q}${server}${q}`);
}

export function attachLab(agent: LabbedAgent, lab: Lab, hostOf: (cmd: CommandOf<'py.run'>, file: string) => HostName | null): { ready: Promise<void>; detach(): Promise<void> } {
  const kernel = agent.kernel && 'useHosts' in agent.kernel ? (agent.kernel as HostKernel) : null;
  const wire = agent.wire && 'useHosts' in agent.wire ? (agent.wire as HostWire) : null;
  agent.programs?.useHosts((cmd, file) => {
    const host = hostOf(cmd, file);
    if (host === null) return null; // this machine
    return { wrap: (argv) => lab.wrap(host, argv), text: (code) => onLabText(code) };
  });
  kernel?.useHosts((['client', 'server'] as const).map((name) => ({ name, procNet: lab.procNet(name), wrap: (argv: string[]) => lab.wrap(name, argv) })));
  const captured = wire?.useHosts((['client', 'server'] as const).map((name) => ({ name, iface: LAB_IFACES.host, wrap: (argv: string[]) => lab.wrap(name, argv) })));
  return {
    /** capture has been moved to the host (its restart begun): wait for it before a lesson's first packets */
    ready: captured ?? Promise.resolve(),
    async detach() {
      agent.programs?.useHosts(null);
      kernel?.useHosts(null);
      await captured;
      await wire?.useHosts(null);
    },
  };
}
