/**
 * One look of the kernel probe: what it wants to see, and the rows a reader (the /proc files, proc-look.ts,
 * or the sock_diag helper, diag-look.ts) found for it. Both readers fill the same index with the same rows,
 * so the probe matches, compares and emits the same way whichever read them.
 */
import { connKey, type EventInput, type KernelTcpEvent, type KernelUdpEvent, type TcpInfo } from '@socketscope/shared';
import type { Emit, TrackedSocket } from '../sources/source.ts';
import { rowKey, type ProcProto, type ProcRow } from './proc-parse.ts';

export type KernelEvent = Extract<EventInput, { type: 'kernel.tcp' | 'kernel.udp' }>;

/** What the probe knows of a socket beyond its row: its agent id, its connection key, its listen backlog. */
export interface Meta {
  sock?: string;
  conn?: string;
  backlog?: number;
}

/** states where a connection exists and TCP_INFO means something */
export const CONNECTED: ReadonlySet<string> = new Set(['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING']);

export interface Look {
  emit: Emit;
  targets: TrackedSocket[];
  watched: Set<number>;
  /** targets with a local address not yet reported gone (closed ones too: TIME_WAIT) */
  wanted: TrackedSocket[];
  protos: Set<ProcProto>;
  /** local ports of the wanted targets */
  ports: Set<number>;
  /** rows read so far by "proto|local|remote" */
  index: Map<string, ProcRow[]>;
  filter: { ports: (localPort: number, remotePort: number) => boolean };
  add(rows: ProcRow[]): void;
  /** rows the reader handed over (what it decoded), for the cost figures */
  rows: number;
}

export function newLook(emit: Emit, targets: TrackedSocket[], watched: Set<number>, wanted: TrackedSocket[], protos: Set<ProcProto>): Look {
  const ports = new Set<number>();
  for (const t of wanted) ports.add(portOf(t.local!));
  const index = new Map<string, ProcRow[]>();
  const look: Look = {
    emit, targets, watched, wanted, protos, ports, index, rows: 0,
    filter: { ports: (l: number, rp: number) => ports.has(l) || watched.has(l) || watched.has(rp) },
    add(rows: ProcRow[]) {
      look.rows += rows.length;
      for (const r of rows) {
        const k = `${r.proto}|${rowKey(r.local, r.remote)}`;
        const list = index.get(k);
        if (list) list.push(r); else index.set(k, [r]);
      }
    },
  };
  return look;
}

/** The "local|remote" a target's row has: listeners and (unconnected) UDP sockets have no remote. */
export function targetKey(t: TrackedSocket): string {
  return rowKey(t.local!, t.role === 'listener' || t.proto === 'udp' ? undefined : t.remote);
}

export function portOf(ep: string): number {
  return Number(ep.slice(ep.lastIndexOf(':') + 1));
}

/** The local ports of the connected TCP sockets among these (what `ss` is asked about for TCP_INFO). */
export function connectedPorts(lasts: Iterable<KernelEvent>): number[] {
  const ports: number[] = [];
  for (const e of lasts) if (e.type === 'kernel.tcp' && CONNECTED.has(e.state)) ports.push(portOf(e.local));
  return ports;
}

/** Several rows for one key: a listener wants its LISTEN row; an open socket its live row over a TIME_WAIT one. */
export function choose(rows: ProcRow[], t: TrackedSocket): ProcRow {
  if (rows.length === 1) return rows[0]!;
  if (t.role === 'listener') return rows.find((r) => r.state === 'LISTEN') ?? rows[0]!;
  if (!t.closed) return rows.find((r) => r.state !== 'TIME_WAIT') ?? rows[0]!;
  return rows[0]!;
}

export function connOf(t: TrackedSocket, row: ProcRow): string | undefined {
  if (t.proto !== 'tcp' || !row.remote) return undefined;
  return t.role === 'accepted' ? connKey(row.remote, row.local) : connKey(row.local, row.remote);
}

/** A watched program's connection: the side whose local port is watched is the server. */
export function watchedConn(row: ProcRow, watched: Set<number>): string | undefined {
  if (row.proto !== 'tcp' || !row.remote || row.state === 'LISTEN') return undefined;
  return watched.has(row.localPort) ? connKey(row.remote, row.local) : connKey(row.local, row.remote);
}

/** The event a row makes (K5: a listener's accept queue is its row's receive queue). */
export function kernelEvent(row: ProcRow, meta: Meta, info: TcpInfo | undefined): KernelEvent {
  const base: { sock?: string; conn?: string; remote?: string } = {};
  if (meta.sock) base.sock = meta.sock;
  if (meta.conn) base.conn = meta.conn;
  if (row.remote) base.remote = row.remote;
  if (row.proto === 'udp') {
    const e: Omit<KernelUdpEvent, 'v' | 'seq' | 'ts'> = { layer: 'kernel', type: 'kernel.udp', local: row.local, ...base, sendQueue: row.txQueue, recvQueue: row.rxQueue, drops: row.drops ?? 0 };
    return e;
  }
  const e: Omit<KernelTcpEvent, 'v' | 'seq' | 'ts'> = { layer: 'kernel', type: 'kernel.tcp', local: row.local, ...base, state: row.state, sendQueue: row.txQueue, recvQueue: row.rxQueue };
  if (row.state === 'LISTEN') {
    e.recvQueue = 0;
    e.acceptQueue = row.rxQueue;
    if (meta.backlog !== undefined) e.backlog = meta.backlog;
  }
  if (info) e.info = info;
  return e;
}
