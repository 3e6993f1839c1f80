import { readFileSync } from 'node:fs';
import type { TcpState } from '@socketscope/shared';
import { parseProcNet, type ParseOptions, type ProcProto, type ProcRow } from './proc-parse.ts';

/** The /proc files per protocol, IPv4 then IPv6 (an IPv6 socket carrying IPv4 shows up in the v6 file). */
export const PROC_FILES: Record<ProcProto, [string, string]> = {
  tcp: ['/proc/net/tcp', '/proc/net/tcp6'],
  udp: ['/proc/net/udp', '/proc/net/udp6'],
};

/** Text of a /proc file, or null where it does not exist (no IPv6, not Linux). Sync: /proc reads do not block. */
export function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

export function readRows(proto: ProcProto, opts: ParseOptions = {}): ProcRow[] {
  const out: ProcRow[] = [];
  for (const path of PROC_FILES[proto]) {
    const text = readProc(path);
    if (text) for (const r of parseProcNet(text, proto, opts)) out.push(r);
  }
  return out;
}

/**
 * The TCP sockets the kernel holds on a local port, counted by state (e.g. { TIME_WAIT: 2 }): what decides
 * whether bind() on that port fails with EADDRINUSE. Empty when /proc is unreadable.
 */
export function tcpPortHolders(port: number): Partial<Record<TcpState, number>> {
  const out: Partial<Record<TcpState, number>> = {};
  for (const r of readRows('tcp', { ports: (l) => l === port })) out[r.state] = (out[r.state] ?? 0) + 1;
  return out;
}
