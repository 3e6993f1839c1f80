/** Endpoint and connection keys, one spelling everywhere: "127.0.0.1:8888", "[::1]:8888", "client>server". */

export function endpoint(host: string, port: number): string {
  const h = host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}

export function parseEndpoint(ep: string): { host: string; port: number } | null {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(ep) ?? /^([0-9.]+|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(ep);
  if (!m) return null;
  const port = Number(m[2]);
  return port <= 65535 ? { host: m[1]!, port } : null;
}

export function connKey(client: string, server: string): string {
  return `${client}>${server}`;
}

export function splitConnKey(key: string): { client: string; server: string } | null {
  const i = key.indexOf('>');
  return i > 0 ? { client: key.slice(0, i), server: key.slice(i + 1) } : null;
}

/**
 * A host as a person wrote it, parsed once: an IP address in its one canonical spelling, a name to be
 * resolved, or neither. The agent decides loopback (R1, engine/context.ts) on what this returns and
 * connects, binds and sends to `address`, never to the text as written, so no spelling of an address
 * can reach a resolver. The page can use the same function.
 *
 * Addresses are parsed as a browser parses the host of a URL (the WHATWG URL standard, whose IPv4 forms
 * are inet_aton's: `127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`), so a host that looks like a number
 * but is none (`127.0.0.999`, `127.0.0.08`) is invalid, not a name. IPv6 may be bracketed and carry a
 * zone (`::1%lo`); an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, `::ffff:7f00:1`) is its IPv4 address,
 * family 4, `mapped: true`. Anything but letters, digits, `.`, `-` and `_` in a name is invalid (so
 * `evil@127.0.0.1`, which a URL would read as user `evil`, is refused rather than trusted).
 */
export type ParsedHost =
  | { kind: 'ip'; family: 4 | 6; address: string; mapped?: true }
  | { kind: 'name'; name: string }
  | { kind: 'invalid'; why: string };

/** the WHATWG URL parser, present in browsers and Node alike (this package's lib names neither) */
const WhatwgUrl = (globalThis as unknown as { URL: new (input: string) => { hostname: string } }).URL;
const NAME = /^[A-Za-z0-9._-]+$/;
const IPV6_TEXT = /^[0-9A-Fa-f:.]+$/;
const ZONE = /^[A-Za-z0-9_.-]{1,64}$/;

export function parseHost(host: string): ParsedHost {
  if (host.length === 0 || host.length > 253) return { kind: 'invalid', why: 'a host is 1–253 characters' };
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.includes(':')) return parseIpv6(bare);
  if (!NAME.test(bare)) return { kind: 'invalid', why: 'neither an IP address nor a host name (a name has only letters, digits, ".", "-" and "_")' };
  let parsed: string;
  try {
    parsed = new WhatwgUrl(`http://${bare}/`).hostname;
  } catch {
    return /^[0-9.]+$|^0x/i.test(bare)
      ? { kind: 'invalid', why: 'not an IPv4 address: it has at most four parts, each 0–255 (the last may fill the rest), and a leading 0 means octal' }
      : { kind: 'invalid', why: 'not a valid host name (a name cannot end in a number)' };
  }
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(parsed)) return { kind: 'ip', family: 4, address: parsed };
  return { kind: 'name', name: parsed };
}

function parseIpv6(text: string): ParsedHost {
  const pct = text.indexOf('%');
  const zone = pct >= 0 ? text.slice(pct + 1) : '';
  const addr = pct >= 0 ? text.slice(0, pct) : text;
  const bad: ParsedHost = { kind: 'invalid', why: 'not an IPv6 address' };
  if (!IPV6_TEXT.test(addr) || (pct >= 0 && !ZONE.test(zone))) return bad;
  let canonical: string;
  try {
    canonical = new WhatwgUrl(`http://[${addr}]/`).hostname.slice(1, -1);
  } catch {
    return bad;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return { kind: 'ip', family: 4, address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, mapped: true };
  }
  // a zone means nothing on loopback (and ::1 is on lo whatever it names); elsewhere it chooses the link
  return { kind: 'ip', family: 6, address: zone && canonical !== '::1' ? `${canonical}%${zone}` : canonical };
}

/** RFC 6761: localhost, and every name under .localhost, is this machine, without asking any resolver. */
export function isLoopbackName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === 'localhost' || n.endsWith('.localhost');
}

/** 127.0.0.0/8 and ::1 (a parsed address; an IPv4-mapped one is parsed as IPv4). */
export function isLoopbackAddress(p: { family: 4 | 6; address: string }): boolean {
  return p.family === 4 ? p.address.startsWith('127.') : p.address === '::1';
}

/**
 * True for a loopback address in any spelling parseHost() accepts, and for the localhost names: where
 * sockets may go without --allow-remote. Any other name is false here (it is not known before it
 * resolves: the agent resolves it and checks every address it gets, engine/context.ts).
 */
export function isLoopbackHost(host: string): boolean {
  const p = parseHost(host);
  if (p.kind === 'ip') return isLoopbackAddress(p);
  return p.kind === 'name' && isLoopbackName(p.name);
}
