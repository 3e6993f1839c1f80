import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

/** The same, read in libuv's thread pool (the kernel's table walk then costs the event loop nothing). */
export async function readProcAsync(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'latin1');
  } catch {
    return null;
  }
}

/** Rows of one protocol; `families` picks the IPv4 file, the IPv6 file or both. */
export function readRows(proto: ProcProto, opts: ParseOptions = {}, families: (4 | 6)[] = [4, 6]): ProcRow[] {
  const out: ProcRow[] = [];
  for (const fam of families) {
    const text = readProc(PROC_FILES[proto][fam === 4 ? 0 : 1]);
    if (text) for (const r of parseProcNet(text, proto, opts)) out.push(r);
  }
  return out;
}
