/**
 * A look read from /proc/net/{tcp,tcp6,udp,udp6}: the probe's fallback reader (and its only one before
 * the sock_diag helper answers). Each TCP file costs a walk of the kernel's whole connection table and a
 * line of text per socket of the machine, however few the probe follows (README.md, Cost).
 */
import { accessSync, constants } from 'node:fs';
import type { ProbeStatus } from '@socketscope/shared';
import { parseProcNet, type ProcProto } from './proc-parse.ts';
import { PROC_FILES, readProc, readProcAsync, readRows } from './proc-read.ts';
import { targetKey, type Look } from './look.ts';

/** Can /proc/net be read here (opening the file does not make the kernel walk its table; reading does)? */
export function procStatus(): ProbeStatus {
  try {
    accessSync(PROC_FILES.tcp[0], constants.R_OK);
    return { available: true, tool: '/proc/net/tcp' };
  } catch {
    return {
      available: false,
      reason: process.platform === 'linux' ? '/proc/net/tcp cannot be read (is /proc mounted?)' : `the kernel layer reads Linux /proc/net; this is ${process.platform}`,
      fix: {
        linux: 'mount /proc (mount -t proc proc /proc), or run the agent outside a sandbox that hides it',
        macos: 'run the agent in a Linux VM or container (e.g. docker run --network host …) to see kernel states',
      },
      tool: '/proc/net/tcp',
    };
  }
}

/** whether the probe follows a socket of this protocol that lives in the IPv6 file */
export type Followed6 = (proto: ProcProto) => boolean;

/** The IPv6 file costs another walk of the hash table: only when a socket we want may be there (K1). */
function need6(look: Look, proto: ProcProto, followed6: Followed6): boolean {
  return proto === 'udp' || look.watched.size > 0
    || look.wanted.some((t) => t.proto === proto && (t.local!.startsWith('[') || (!t.closed && !look.index.has(`${proto}|${targetKey(t)}`))))
    || followed6(proto);
}

/**
 * The lab's hosts (lab/lab.ts procNet): each host's /proc/<pid>/net, read instead of the agent's own.
 * Their addresses differ (10.77.0.1, 10.77.0.2), so the hosts' rows go into one look without clashing.
 */
function hostFile(dir: string, proto: ProcProto, fam: 4 | 6): string {
  return `${dir}/${proto}${fam === 6 ? '6' : ''}`;
}

/** a lab host's rows also by their remote port: a connect() still in SYN_SENT goes to a followed listener */
function hostFilter(look: Look): { ports: (l: number, rp: number) => boolean } {
  return { ports: (l, rp) => look.filter.ports(l, rp) || look.ports.has(rp) };
}

/** Reads the files synchronously (tests and the cost figures); `dirs`: the lab's hosts' /proc/<pid>/net. */
export function readLookSync(look: Look, followed6: Followed6, dirs?: readonly string[]): void {
  if (dirs) {
    for (const proto of look.protos) {
      for (const dir of dirs) {
        for (const fam of [4, 6] as const) {
          const text = readProc(hostFile(dir, proto, fam));
          if (text) look.add(parseProcNet(text, proto, hostFilter(look)));
        }
      }
    }
    return;
  }
  for (const proto of look.protos) {
    look.add(readRows(proto, look.filter, [4]));
    if (need6(look, proto, followed6)) look.add(readRows(proto, look.filter, [6]));
  }
}

/**
 * Reads the files in libuv's thread pool: done synchronously, the kernel's table walk stalled everything
 * else the agent does — sending, streaming events — for as long (bench/throughput.ts). Only the parsing of
 * the rows of ports we follow is left on the event loop. Returns that part's time and the reads' wall time
 * (which stands for the thread pool's CPU: an upper bound).
 */
export async function readLookAsync(look: Look, followed6: Followed6, dirs?: readonly string[]): Promise<{ mainUs: number; readUs: number }> {
  let mainUs = 0;
  let readUs = 0;
  const read = async (proto: ProcProto, fam: 4 | 6, dir?: string) => {
    const r0 = process.hrtime.bigint();
    const text = await readProcAsync(dir ? hostFile(dir, proto, fam) : PROC_FILES[proto][fam === 4 ? 0 : 1]);
    readUs += Number(process.hrtime.bigint() - r0) / 1000;
    const p0 = process.hrtime.bigint();
    if (text) look.add(parseProcNet(text, proto, dir ? hostFilter(look) : look.filter));
    mainUs += Number(process.hrtime.bigint() - p0) / 1000;
  };
  const protos = [...look.protos];
  if (dirs) {
    // a lab host has only the lab's sockets: both families, every time (IPv6 is off there: tiny files)
    await Promise.all(protos.flatMap((proto) => dirs.flatMap((dir) => [read(proto, 4, dir), read(proto, 6, dir)])));
    return { mainUs, readUs };
  }
  await Promise.all(protos.map((proto) => read(proto, 4)));
  await Promise.all(protos.filter((proto) => need6(look, proto, followed6)).map((proto) => read(proto, 6)));
  return { mainUs, readUs };
}
