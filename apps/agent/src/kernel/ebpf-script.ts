/**
 * The bpftrace program of the tracepoint source, and whether it can run here. Rules it enforces:
 * - E1 The program is a constant: nothing from a page, a command or a socket is spliced into it. Its one
 *   parameter, the agent's pid ($1), is passed as an argument.
 * - E2 It prints one line per event, fields separated by single spaces, the process name (which may hold
 *   spaces) always last; ebpf-parse.ts is its only reader.
 * - E3 It costs nothing while nothing happens: only tracepoints, no timers (an idle agent adds no work).
 *   Sends and receives are printed only for TCP/UDP over IPv4/IPv6 by processes other than the agent
 *   (the agent's own calls are already api events); tcp_probe only when cwnd or ssthresh changed.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ProbeStatus } from '@socketscope/shared';

export const TRACEFS = '/sys/kernel/tracing';

/**
 * Lines (E2):
 *   B                                                   attached (BEGIN)
 *   S ns sk old new family sport dport saddr daddr      sock:inet_sock_set_state (TCP)
 *   R ns sk state family sport dport saddr daddr        tcp:tcp_retransmit_skb
 *   Y ns sk 0 family sport dport saddr daddr            tcp:tcp_retransmit_synack (listener's sk)
 *   X ns sk state family sport dport saddr daddr        tcp:tcp_send_reset (sk 0: no socket, e.g. a closed port)
 *   Z ns sk 0 family sport dport saddr daddr            tcp:tcp_receive_reset
 *   P ns sk cwnd ssthresh sndWnd srttUs rcvWnd          tcp:tcp_probe, when cwnd/ssthresh changed
 *   T ns dir pid proto family sport dport saddr daddr ret comm   sock_send_length (dir 0) / sock_recv_length (1)
 *   M ns                                                the agent's own getppid(): a flush marker (settled())
 */
export const SCRIPT = String.raw`
BEGIN { printf("B\n"); }
tracepoint:sock:inet_sock_set_state /args->protocol == 6/ {
  if (args->family == 2) {
    printf("S %llu %llx %d %d 4 %d %d %s %s\n", nsecs, args->skaddr, args->oldstate, args->newstate, args->sport, args->dport, ntop(args->saddr), ntop(args->daddr));
  } else {
    printf("S %llu %llx %d %d 6 %d %d %s %s\n", nsecs, args->skaddr, args->oldstate, args->newstate, args->sport, args->dport, ntop(args->saddr_v6), ntop(args->daddr_v6));
  }
}
tracepoint:sock:inet_sock_set_state /args->protocol == 6 && args->newstate == 7/ { delete(@cw[args->skaddr]); delete(@ss[args->skaddr]); }
tracepoint:tcp:tcp_retransmit_skb {
  if (args->family == 2) {
    printf("R %llu %llx %d 4 %d %d %s %s\n", nsecs, args->skaddr, args->state, args->sport, args->dport, ntop(args->saddr), ntop(args->daddr));
  } else {
    printf("R %llu %llx %d 6 %d %d %s %s\n", nsecs, args->skaddr, args->state, args->sport, args->dport, ntop(args->saddr_v6), ntop(args->daddr_v6));
  }
}
tracepoint:tcp:tcp_retransmit_synack {
  if (args->family == 2) {
    printf("Y %llu %llx 0 4 %d %d %s %s\n", nsecs, args->skaddr, args->sport, args->dport, ntop(args->saddr), ntop(args->daddr));
  } else {
    printf("Y %llu %llx 0 6 %d %d %s %s\n", nsecs, args->skaddr, args->sport, args->dport, ntop(args->saddr_v6), ntop(args->daddr_v6));
  }
}
tracepoint:tcp:tcp_receive_reset {
  if (args->family == 2) {
    printf("Z %llu %llx 0 4 %d %d %s %s\n", nsecs, args->skaddr, args->sport, args->dport, ntop(args->saddr), ntop(args->daddr));
  } else {
    printf("Z %llu %llx 0 6 %d %d %s %s\n", nsecs, args->skaddr, args->sport, args->dport, ntop(args->saddr_v6), ntop(args->daddr_v6));
  }
}
tracepoint:tcp:tcp_send_reset {
  $s = (struct sockaddr_in *)args->saddr;
  $d = (struct sockaddr_in *)args->daddr;
  if ($s->sin_family == 2) {
    printf("X %llu %llx %d 4 %d %d %s %s\n", nsecs, args->skaddr, args->state, bswap($s->sin_port), bswap($d->sin_port), ntop($s->sin_addr.s_addr), ntop($d->sin_addr.s_addr));
  } else {
    $s6 = (struct sockaddr_in6 *)args->saddr;
    $d6 = (struct sockaddr_in6 *)args->daddr;
    printf("X %llu %llx %d 6 %d %d %s %s\n", nsecs, args->skaddr, args->state, bswap($s6->sin6_port), bswap($d6->sin6_port), ntop($s6->sin6_addr.in6_u.u6_addr8), ntop($d6->sin6_addr.in6_u.u6_addr8));
  }
}
tracepoint:tcp:tcp_probe /@cw[args->skaddr] != args->snd_cwnd || @ss[args->skaddr] != args->ssthresh/ {
  @cw[args->skaddr] = args->snd_cwnd;
  @ss[args->skaddr] = args->ssthresh;
  printf("P %llu %llx %u %u %u %u %u\n", nsecs, args->skaddr, args->snd_cwnd, args->ssthresh, args->snd_wnd, args->srtt, args->rcv_wnd);
}
tracepoint:sock:sock_send_length /pid != $1 && args->ret >= 0 && (args->family == 2 || args->family == 10) && (args->protocol == 6 || args->protocol == 17)/ {
  $sk = (struct sock *)args->sk;
  if (args->family == 2) {
    printf("T %llu 0 %d %d 4 %d %d %s %s %d %s\n", nsecs, pid, args->protocol, $sk->__sk_common.skc_num, bswap($sk->__sk_common.skc_dport), ntop($sk->__sk_common.skc_rcv_saddr), ntop($sk->__sk_common.skc_daddr), args->ret, comm);
  } else {
    printf("T %llu 0 %d %d 6 %d %d %s %s %d %s\n", nsecs, pid, args->protocol, $sk->__sk_common.skc_num, bswap($sk->__sk_common.skc_dport), ntop($sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8), ntop($sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8), args->ret, comm);
  }
}
tracepoint:sock:sock_recv_length /pid != $1 && args->ret >= 0 && (args->family == 2 || args->family == 10) && (args->protocol == 6 || args->protocol == 17)/ {
  $sk = (struct sock *)args->sk;
  if (args->family == 2) {
    printf("T %llu 1 %d %d 4 %d %d %s %s %d %s\n", nsecs, pid, args->protocol, $sk->__sk_common.skc_num, bswap($sk->__sk_common.skc_dport), ntop($sk->__sk_common.skc_rcv_saddr), ntop($sk->__sk_common.skc_daddr), args->ret, comm);
  } else {
    printf("T %llu 1 %d %d 6 %d %d %s %s %d %s\n", nsecs, pid, args->protocol, $sk->__sk_common.skc_num, bswap($sk->__sk_common.skc_dport), ntop($sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8), ntop($sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8), args->ret, comm);
  }
}
tracepoint:syscalls:sys_enter_getppid /pid == $1/ { printf("M %llu\n", nsecs); }
END { clear(@cw); clear(@ss); }
`;

const SEARCH = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/bin', '/sbin'];

export function findBpftrace(): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean), ...SEARCH];
  for (const d of dirs) {
    const p = path.join(d, 'bpftrace');
    if (existsSync(p)) return p;
  }
  return null;
}

const FIX_LINUX = 'run the agent as root with bpftrace installed (sudo apt-get install -y bpftrace) and tracefs mounted (sudo mount -t tracefs nodev /sys/kernel/tracing)';

/** Whether the tracepoint source can run here (not whether it started: that is the source's to say). */
function no(reason: string): ProbeStatus {
  return { available: false, reason, tool: 'bpftrace', fix: { linux: FIX_LINUX, macos: 'run the agent in a Linux VM as root: macOS has no Linux tracepoints' } };
}

export function tracepointStatus(): ProbeStatus & { path?: string } {
  if (process.platform !== 'linux') return no(`kernel tracepoints are a Linux feature; this is ${process.platform}`);
  if (process.env['SOCKETSCOPE_NO_EBPF']) return no('turned off (SOCKETSCOPE_NO_EBPF is set)');
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return no('attaching to kernel tracepoints needs root; the agent is not running as root');
  const bin = findBpftrace();
  if (!bin) return no('bpftrace is not installed');
  if (!existsSync(`${TRACEFS}/events/sock/inet_sock_set_state`)) {
    return no(existsSync(`${TRACEFS}/events`) ? 'this kernel has no sock:inet_sock_set_state tracepoint (Linux 4.16 or later has it)' : `tracefs is not mounted at ${TRACEFS}`);
  }
  try {
    readFileSync(`${TRACEFS}/events/sock/inet_sock_set_state/format`);
  } catch {
    return no(`${TRACEFS} cannot be read`);
  }
  return { available: true, tool: 'bpftrace (sock:inet_sock_set_state, tcp:*)', path: bin };
}
