import type { ApiCallEvent, TcpFlag } from '@socketscope/shared';
import { parseEndpoint } from '@socketscope/shared';
import type { MarkInfo } from './types.ts';

/** Flags as a person says them: SYN+ACK, PSH+ACK, FIN+ACK, RST+ACK (ACK last, as the course writes it). */
const FLAG_ORDER: readonly TcpFlag[] = ['SYN', 'FIN', 'RST', 'PSH', 'URG', 'ECE', 'CWR', 'ACK'];

/** Bit per flag, so the layout tests flags without scanning arrays (it runs 100,000 times). */
export const FLAG_BIT: Record<TcpFlag, number> = { SYN: 1, FIN: 2, RST: 4, PSH: 8, URG: 16, ECE: 32, CWR: 64, ACK: 128 };

export function flagBits(flags: readonly TcpFlag[]): number {
  let bits = 0;
  for (const f of flags) bits |= FLAG_BIT[f];
  return bits;
}

const LABELS: string[] = [];

export function flagsLabelOf(bits: number): string {
  let label = LABELS[bits];
  if (label === undefined) {
    const parts = FLAG_ORDER.filter((f) => bits & FLAG_BIT[f]);
    label = parts.length > 0 ? parts.join('+') : '—';
    LABELS[bits] = label;
  }
  return label;
}

export function flagsLabel(flags: readonly TcpFlag[]): string {
  return flagsLabelOf(flagBits(flags));
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** ":8888" for a local bind, the whole endpoint for a remote one. */
function portOf(ep: string | undefined): string | undefined {
  const p = ep ? parseEndpoint(ep) : null;
  return p ? `:${p.port}` : undefined;
}

/** The facts a socket call's mark shows, taken from the event alone (format.ts makes the words). */
export function callMark(e: ApiCallEvent): MarkInfo {
  const a = e.args;
  const m: Extract<MarkInfo, { kind: 'call' }> = { kind: 'call', call: e.call, ok: !e.error, durationUs: e.durationUs };
  if (e.error) m.code = e.error.code;
  const resultLen = num(e.result) ?? num((e.result as { len?: unknown } | undefined)?.len);
  switch (e.call) {
    case 'socket': {
      const proto = e.proto ?? str(a['proto']) ?? str(a['type']);
      if (proto) m.arg = proto === 'udp' || proto === 'SOCK_DGRAM' ? 'SOCK_DGRAM' : 'SOCK_STREAM';
      break;
    }
    case 'bind': {
      const arg = portOf(e.local) ?? (num(a['port']) !== undefined ? `:${num(a['port'])}` : undefined);
      if (arg) m.arg = arg;
      break;
    }
    case 'listen': {
      const backlog = num(a['backlog']);
      if (backlog !== undefined) m.arg = String(backlog);
      break;
    }
    case 'accept':
      if (e.newSock) m.newSock = e.newSock;
      break;
    case 'send':
    case 'sendto': {
      const len = e.data?.len ?? resultLen;
      if (len !== undefined) m.bytes = len;
      if (e.data) m.data = e.data.b64;
      if (e.call === 'sendto') {
        const to = e.remote ?? (num(a['port']) !== undefined ? `${str(a['host']) ?? ''}:${num(a['port'])}` : undefined);
        if (to) m.arg = to;
      }
      break;
    }
    case 'recv':
    case 'recvfrom': {
      const max = num(a['max']) ?? num(a['bufsize']) ?? num(a['size']);
      if (max !== undefined) m.arg = String(max);
      const len = e.data?.len ?? resultLen;
      if (len !== undefined && m.ok) m.bytes = len;
      if (e.data) m.data = e.data.b64;
      if (e.call === 'recvfrom' && e.remote) m.from = e.remote;
      break;
    }
    case 'setsockopt': {
      const opt = str(a['option']) ?? str(a['name']) ?? str(a['opt']);
      if (opt) m.arg = opt;
      break;
    }
    case 'shutdown': {
      const how = str(a['how']);
      if (how) m.arg = how;
      break;
    }
    default:
      break;
  }
  return m;
}
