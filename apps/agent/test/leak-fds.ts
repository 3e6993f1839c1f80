/**
 * Open descriptors of a process by what they are, for the leak checks (reliability-leak-child.ts).
 *
 * Why not the count of /proc/<pid>/fd: the agent opens files and pipes for moments of its own — the
 * kernel probe reads /proc/net/*, `ss` runs as a child with socketpairs for its stdio — so two counts
 * taken a second apart differ by a few with nothing leaked (34 vs 36 once). What a socket cycle would
 * leak is a network socket: a descriptor `socket:[inode]` that is not a Unix socket (the child's stdio
 * and our own helpers' pipes are Unix sockets, listed in /proc/net/unix). Those are opened and closed only
 * on the event loop's thread, so a synchronous look sees a consistent set. An unhashed TCP socket (reset,
 * never bound) still counts: it is looked up by inode among the Unix ones, not among /proc/net/tcp's.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface FdCounts {
  /** every open descriptor (for information: files and pipes come and go) */
  all: number;
  /** sockets that are not Unix sockets: TCP, UDP (what a socket cycle could leak) */
  network: number;
  unix: number;
  pipes: number;
}

/** Inodes of every Unix socket on the machine (column 7 of /proc/net/unix). */
function unixInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const line of readFileSync('/proc/net/unix', 'latin1').split('\n').slice(1)) {
    const ino = line.trim().split(/\s+/)[6];
    if (ino) inodes.add(ino);
  }
  return inodes;
}

export function countFds(pid: number | 'self' = 'self'): FdCounts {
  const dir = `/proc/${pid}/fd`;
  const links: string[] = [];
  for (const fd of readdirSync(dir)) {
    try {
      links.push(readlinkSync(`${dir}/${fd}`));
    } catch {
      // closed between the listing and the readlink (readdir's own descriptor, for one)
    }
  }
  // after the links: every Unix socket among them is in the table by then (none closes meanwhile: this
  // thread is the one that would close it)
  const unix = unixInodes();
  const counts: FdCounts = { all: links.length, network: 0, unix: 0, pipes: 0 };
  for (const l of links) {
    const socket = /^socket:\[(\d+)\]$/.exec(l);
    if (socket) {
      if (unix.has(socket[1]!)) counts.unix++;
      else counts.network++;
    } else if (l.startsWith('pipe:')) counts.pipes++;
  }
  return counts;
}
