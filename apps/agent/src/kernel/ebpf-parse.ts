/**
 * Parser of the lines the bpftrace program prints (ebpf-script.ts E2). Pure: no clock, no I/O. A line it
 * does not understand (a bpftrace warning, a truncated line) is null, never an exception.
 */
import type { TcpState } from '@socketscope/shared';
import { endpoint } from '@socketscope/shared';

/** Linux's TCP state numbers (include/net/tcp_states.h) as the protocol names them. */
export const TCP_STATE_NAMES: Record<number, TcpState> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
  7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING',
};

interface Tuple {
  /** kernel time, CLOCK_MONOTONIC ns */
  ns: bigint;
  /** the struct sock's address in hex: the socket's identity while it lives (reused after) */
  sk: string;
  local: string | null;
  remote: string | null;
  localPort: number;
  remotePort: number;
}

export type TraceLine =
  | { kind: 'ready' }
  | { kind: 'marker'; ns: bigint }
  | (Tuple & { kind: 'state'; from: TcpState; to: TcpState })
  | (Tuple & { kind: 'notice'; what: 'retransmit' | 'synack-retransmit' | 'reset-sent' | 'reset-received'; state?: TcpState })
  | { kind: 'probe'; ns: bigint; sk: string; cwnd: number; ssthresh: number; sndWnd: number; srttUs: number; rcvWnd: number }
  | (Tuple & { kind: 'io'; dir: 'send' | 'recv'; pid: number; proto: 'tcp' | 'udp'; bytes: number; comm: string });

const NOTICE = { R: 'retransmit', Y: 'synack-retransmit', X: 'reset-sent', Z: 'reset-received' } as const;
/** ssthresh before the first loss is "infinite" (TCP_INFINITE_SSTHRESH) */
const INFINITE_SSTHRESH = 0x7fffffff;

function int(s: string | undefined): number {
  const n = Number(s);
  return Number.isFinite(n) ? n : NaN;
}

function tuple(f: string[], at: number, ns: bigint, sk: string): Tuple | null {
  // family sport dport saddr daddr, from index `at`
  const sport = int(f[at + 1]);
  const dport = int(f[at + 2]);
  const saddr = f[at + 3];
  const daddr = f[at + 4];
  if (!Number.isInteger(sport) || !Number.isInteger(dport) || !saddr || !daddr) return null;
  return { ns, sk, local: sport === 0 ? null : endpoint(saddr, sport), remote: dport === 0 ? null : endpoint(daddr, dport), localPort: sport, remotePort: dport };
}

export function parseTraceLine(line: string): TraceLine | null {
  const f = line.split(' ');
  const tag = f[0];
  if (tag === 'B') return { kind: 'ready' };
  let ns: bigint;
  try {
    ns = BigInt(f[1] ?? 'x');
  } catch {
    return null;
  }
  switch (tag) {
    case 'M': return { kind: 'marker', ns };
    case 'S': {
      const from = TCP_STATE_NAMES[int(f[3])];
      const to = TCP_STATE_NAMES[int(f[4])];
      const t = tuple(f, 5, ns, f[2] ?? '');
      if (!from || !to || !t) return null;
      return { kind: 'state', from, to, ...t };
    }
    case 'R': case 'Y': case 'X': case 'Z': {
      const t = tuple(f, 4, ns, f[2] ?? '');
      if (!t) return null;
      const state = tag === 'R' || tag === 'X' ? TCP_STATE_NAMES[int(f[3])] : undefined;
      return { kind: 'notice', what: NOTICE[tag], ...t, ...(state ? { state } : {}) };
    }
    case 'P': {
      const n = f.slice(3, 8).map(int);
      if (n.length !== 5 || n.some((x) => !Number.isFinite(x))) return null;
      const [cwnd, ssthresh, sndWnd, srttUs, rcvWnd] = n as [number, number, number, number, number];
      return { kind: 'probe', ns, sk: f[2] ?? '', cwnd, ssthresh: ssthresh >= INFINITE_SSTHRESH ? -1 : ssthresh, sndWnd, srttUs, rcvWnd };
    }
    case 'T': {
      // T ns dir pid proto family sport dport saddr daddr ret comm…
      const dir = f[2] === '0' ? 'send' : f[2] === '1' ? 'recv' : null;
      const pid = int(f[3]);
      const proto = f[4] === '6' ? 'tcp' : f[4] === '17' ? 'udp' : null;
      const t = tuple(f, 5, ns, '');
      const bytes = int(f[10]);
      if (!dir || !proto || !t || !Number.isInteger(pid) || !Number.isInteger(bytes)) return null;
      return { kind: 'io', dir, pid, proto, bytes, comm: f.slice(11).join(' ').slice(0, 64), ...t };
    }
    default: return null;
  }
}
