import type dgram from 'node:dgram';
import type net from 'node:net';
import type { TrackedSocket } from '../sources/source.ts';
import { CommandError } from './types.ts';
import type { TcpReader } from './tcp-reader.ts';
import type { TcpWriter } from './tcp-writer.ts';
import type { DatagramReader } from './udp-reader.ts';

interface Common {
  id: string;
  /** the agent closed the handle (the app called close, or the runtime closed it after an error) */
  closed: boolean;
  closedAt?: number;
  local?: string;
}

/** A connection the event loop took from the kernel and holds, unread, until tcp.accept hands it out. */
export interface PendingConn {
  socket: net.Socket;
  local: string;
  remote: string;
}

export interface ListenerEntry extends Common {
  kind: 'listener';
  server: net.Server;
  listening: boolean;
  /** what the app asked for (drives how many connections the agent holds for accept) */
  backlog: number;
  /** what the kernel got: Node turns 0 into 511 */
  kernelBacklog: number;
  pending: PendingConn[];
  /** a blocked accept() waiting for the next connection */
  acceptWaiter?: (c: PendingConn | Error) => void;
}

export interface ConnEntry extends Common {
  kind: 'conn';
  role: 'client' | 'accepted';
  socket: net.Socket;
  remote?: string;
  conn?: string;
  connected: boolean;
  reader?: TcpReader;
  writer?: TcpWriter;
  writeShut: boolean;
  /** the app called close or abort */
  appClosed: boolean;
  /** connect() is in progress: its outcome is reported by the connect call, not as a notice */
  connecting: boolean;
  /** an error already reported by a call (e.g. a send that failed at once), so it is not noticed twice */
  errorReported?: Error;
}

export interface UdpEntry extends Common {
  kind: 'udp';
  socket: dgram.Socket;
  family: 'ipv4' | 'ipv6';
  bound: boolean;
  /** bind() is in progress: its error is reported by the bind call */
  binding?: boolean;
  reader: DatagramReader;
}

export type Entry = ListenerEntry | ConnEntry | UdpEntry;

/** How long a closed TCP socket stays in tracked(): TIME_WAIT is 60 s on Linux, an orphaned FIN_WAIT2 up to 60 s more. */
export const CLOSED_RETENTION_MS = 150_000;
export const MAX_CLOSED_RETAINED = 512;

/** The engine's sockets by id ("s1", "s2", …; ids are never reused within an engine). */
export class SocketTable {
  private readonly entries = new Map<string, Entry>();
  private next = 1;
  private readonly listeners = new Set<() => void>();

  nextId(): string {
    return `s${this.next++}`;
  }

  add(e: Entry): void {
    this.entries.set(e.id, e);
    this.changed();
  }

  get(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new CommandError('E_NO_SOCKET', `there is no socket ${JSON.stringify(id).slice(0, 70)} in this session`);
    return e;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  all(): Entry[] {
    return [...this.entries.values()];
  }

  /** Open sockets plus the connections held for accept(): each holds a file descriptor. */
  openCount(): number {
    let n = 0;
    for (const e of this.entries.values()) {
      if (e.closed) continue;
      n++;
      if (e.kind === 'listener') n += e.pending.length;
    }
    return n;
  }

  openListeners(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.kind === 'listener' && !e.closed) n++;
    return n;
  }

  markClosed(e: Entry): void {
    if (e.closed) return;
    e.closed = true;
    e.closedAt = Date.now();
    this.changed();
  }

  /** Forgets closed sockets the kernel has surely let go of, and the oldest beyond the cap. */
  prune(now = Date.now()): void {
    const closed = [...this.entries.values()].filter((e) => e.closed);
    let dropped = false;
    closed.forEach((e, i) => {
      const tooOld = now - (e.closedAt ?? now) > (e.kind === 'udp' ? 5_000 : CLOSED_RETENTION_MS);
      if (tooOld || closed.length - i > MAX_CLOSED_RETAINED) {
        this.entries.delete(e.id);
        dropped = true;
      }
    });
    if (dropped) this.changed();
  }

  clear(): void {
    this.entries.clear();
    this.changed();
  }

  tracked(): TrackedSocket[] {
    this.prune();
    const out: TrackedSocket[] = [];
    for (const e of this.entries.values()) {
      const t: TrackedSocket = {
        sock: e.id,
        proto: e.kind === 'udp' ? 'udp' : 'tcp',
        role: e.kind === 'listener' ? 'listener' : e.kind === 'udp' ? 'udp' : e.role,
        closed: e.closed,
      };
      if (e.local) t.local = e.local;
      if (e.kind === 'conn' && e.remote) t.remote = e.remote;
      if (e.kind === 'listener') t.backlog = e.kernelBacklog;
      out.push(t);
    }
    return out;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed(): void {
    for (const fn of this.listeners) {
      try { fn(); } catch { /* a listener's bug must not break a socket call */ }
    }
  }
}
