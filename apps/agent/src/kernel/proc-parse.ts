/**
 * Pure parser for Linux /proc/net/{tcp,tcp6,udp,udp6}. No I/O: the probe reads the text, this turns it into rows.
 *
 * Format (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c, net/ipv4/udp.c udp4_format_sock):
 *   sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode … [drops (udp)]
 * Addresses are hex of the in-kernel (network order) bytes read as 32-bit words in *host* order, so on a
 * little-endian machine "0100007F" is 127.0.0.1; IPv6 is four such words. Ports are plain big-endian hex.
 * TCP queues: tx = write_seq - snd_una (bytes not yet acknowledged), rx = rcv_nxt - copied_seq (bytes the
 * application has not read; counts the peer's FIN as 1), for LISTEN rx = connections waiting for accept().
 * UDP queues are sk_wmem_alloc / sk_rmem_alloc: memory charged (skb truesize), not payload bytes.
 */
import { endianness } from 'node:os';
import { endpoint, type TcpState } from '@socketscope/shared';

export type ProcProto = 'tcp' | 'udp';

export interface ProcRow {
  proto: ProcProto;
  /** which file the row came from: tcp/udp (4) or tcp6/udp6 (6; also IPv4-mapped sockets) */
  family: 4 | 6;
  /** normalised endpoint, "127.0.0.1:8888" or "[::1]:8888"; IPv4-mapped IPv6 is shown as IPv4 */
  local: string;
  /** undefined for a listener or an unconnected UDP socket (the kernel shows 0.0.0.0:0) */
  remote?: string;
  localPort: number;
  remotePort: number;
  /** TCP: the state name; UDP: 'CLOSE' (unconnected) or 'ESTABLISHED' (connected), as the kernel prints them */
  state: TcpState;
  txQueue: number;
  rxQueue: number;
  /** 0 for sockets without a file (TIME_WAIT, orphans) */
  inode: number;
  /** UDP only: datagrams dropped for this socket (receive buffer full, checksum, …) */
  drops?: number;
}

/** /proc/net/tcp "st" values (include/net/tcp_states.h). */
const STATES: Record<number, TcpState> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
  7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'NEW_SYN_RECV',
};

export function stateName(code: number): TcpState {
  return STATES[code] ?? 'CLOSE';
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** Bytes of one 8-hex-digit word as the kernel stored them in memory (network order). */
function wordBytes(hex: string, at: number, out: number[], littleEndian: boolean): void {
  const b = [0, 2, 4, 6].map((i) => parseInt(hex.slice(at + i, at + i + 2), 16));
  if (littleEndian) b.reverse();
  out.push(...b);
}

/** Decodes a /proc hex address (8 digits IPv4, 32 digits IPv6) to its textual form. */
export function decodeHexAddress(hex: string, littleEndian = LITTLE_ENDIAN): string {
  const bytes: number[] = [];
  for (let at = 0; at < hex.length; at += 8) wordBytes(hex, at, bytes, littleEndian);
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) throw new Error(`bad /proc address ${hex}`);
  return formatIPv6(bytes);
}

/** RFC 5952 text (lowercase, longest zero run of ≥2 groups as "::"), IPv4-mapped as ::ffff:a.b.c.d like inet_ntop. */
export function formatIPv6(bytes: number[]): string {
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** Decoded addresses by their hex: a poll sees the same few (127.0.0.1, ::1) on every row. Bounded. */
const addressCache = new Map<string, string>();
const ADDRESS_CACHE_MAX = 4096;

/**
 * A copy of a field that does not keep the whole file alive. V8 makes a slice of 13+ characters a view
 * into its parent string, so a cache key taken straight from the text retained that poll's entire
 * /proc/net/tcp (measured: 75 MB after 400 connection cycles with ~900 rows in the file).
 */
function own(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

function cachedAddress(hex: string, littleEndian: boolean): string {
  const key = littleEndian === LITTLE_ENDIAN ? hex : `${littleEndian ? 'le' : 'be'}:${hex}`;
  let text = addressCache.get(key);
  if (text === undefined) {
    text = decodeHexAddress(hex, littleEndian);
    if (addressCache.size >= ADDRESS_CACHE_MAX) addressCache.clear();
    addressCache.set(own(key), text);
  }
  return text;
}

/** "0100007F:1F90" → endpoint, cached by the field's text (bounded like the address cache). */
const endpointCache = new Map<string, { ep: string; any: boolean }>();

function decodeEndpoint(field: string, littleEndian: boolean): { ep: string; any: boolean } {
  const cacheKey = littleEndian === LITTLE_ENDIAN ? field : `${littleEndian ? 'le' : 'be'}:${field}`;
  const hit = endpointCache.get(cacheKey);
  if (hit) return hit;
  const colon = field.indexOf(':');
  const hex = field.slice(0, colon);
  const port = parseInt(field.slice(colon + 1), 16);
  const any = port === 0 && /^0+$/.test(hex);
  const out = { ep: endpoint(cachedAddress(hex, littleEndian), port), any };
  if (endpointCache.size >= ADDRESS_CACHE_MAX * 4) endpointCache.clear();
  endpointCache.set(own(cacheKey), out);
  return out;
}

/** The first `max` whitespace-separated fields of text[start, end), without a regex. */
function fields(text: string, start: number, end: number, max: number): string[] {
  const out: string[] = [];
  let i = start;
  while (i < end && out.length < max) {
    while (i < end && text.charCodeAt(i) <= 32) i++;
    if (i >= end) break;
    let j = i;
    while (j < end && text.charCodeAt(j) > 32) j++;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

function hex4(text: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 4; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * The local and remote port of the row starting at `start` (fields 2 and 3 are "HEX:PORT"), read in place,
 * so rows the probe does not care about cost no slicing, splitting or decoding. Null for a non-row line.
 */
function rowPorts(text: string, start: number, end: number): [number, number] | null {
  let i = text.indexOf(':', start); // after "sl"
  if (i < 0 || i >= end) return null;
  i++;
  while (text.charCodeAt(i) === 32) i++;
  const localEnd = text.indexOf(' ', i);
  if (localEnd < 0 || localEnd >= end) return null;
  let j = localEnd;
  while (text.charCodeAt(j) === 32) j++;
  const remoteEnd = text.indexOf(' ', j);
  if (remoteEnd < 0 || remoteEnd >= end) return null;
  const lp = hex4(text, localEnd - 4);
  const rp = hex4(text, remoteEnd - 4);
  return lp < 0 || rp < 0 ? null : [lp, rp];
}

export interface ParseOptions {
  /** keep only rows this accepts (checked before the addresses are decoded, so the probe stays cheap) */
  ports?: (localPort: number, remotePort: number) => boolean;
  /** for tests on text captured on another machine; defaults to this machine's byte order */
  littleEndian?: boolean;
}

/** Parses the text of /proc/net/tcp, tcp6, udp or udp6. Lines that do not look like rows are skipped. */
export function parseProcNet(text: string, proto: ProcProto, opts: ParseOptions = {}): ProcRow[] {
  const rows: ProcRow[] = [];
  const le = opts.littleEndian ?? LITTLE_ENDIAN;
  let start = text.indexOf('\n') + 1; // skip the header
  while (start > 0 && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const lineStart = start;
    start = end + 1;
    const ports = rowPorts(text, lineStart, end);
    if (!ports) continue;
    const [lp, rp] = ports;
    if (opts.ports && !opts.ports(lp, rp)) continue;
    const f = fields(text, lineStart, end, 10); // sl local remote st queues tr retrnsmt uid timeout inode
    if (f.length < 10 || !f[1]!.includes(':') || !f[4]!.includes(':')) continue;
    const local = decodeEndpoint(f[1]!, le);
    const remote = decodeEndpoint(f[2]!, le);
    const q = f[4]!;
    const colon = q.indexOf(':');
    const row: ProcRow = {
      proto,
      family: f[1]!.indexOf(':') > 8 ? 6 : 4,
      local: local.ep,
      localPort: lp,
      remotePort: rp,
      state: stateName(parseInt(f[3]!, 16)),
      txQueue: parseInt(q.slice(0, colon), 16),
      rxQueue: parseInt(q.slice(colon + 1), 16),
      inode: Number(f[9]),
    };
    if (!remote.any) row.remote = remote.ep;
    if (proto === 'udp') {
      // drops is the last field of a udp row
      let e = end;
      while (e > lineStart && text.charCodeAt(e - 1) <= 32) e--;
      row.drops = Number(text.slice(text.lastIndexOf(' ', e - 1) + 1, e));
    }
    rows.push(row);
  }
  return rows;
}

/** The key the probe matches sockets by: "local|remote" (remote empty for listeners and unconnected UDP). */
export function rowKey(local: string, remote: string | undefined): string {
  return `${local}|${remote ?? ''}`;
}
