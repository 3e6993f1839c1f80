/**
 * Who may talk to the agent. The agent opens real sockets on the teacher's machine, so its
 * WebSocket is a door into that machine. Rules enforced here (tests in test/server-security.test.ts,
 * test/security-*.test.ts and test/share-*.test.ts; docs/SECURITY.md maps each rule to its tests):
 *
 * S1 The token is 32 random bytes (hex), fresh per run unless given by --token / SOCKETSCOPE_TOKEN.
 *    While sharing, a second, independent viewer token is made the same way (never derived from the first).
 * S2 A WebSocket upgrade needs `?token=` equal to a token, compared in constant time (timingSafeEqual).
 * S3 The Host header must name this listener: 127.0.0.1:PORT, localhost:PORT, [::1]:PORT, or the
 *    --host it was bound to. That defeats DNS rebinding (a foreign name resolving to 127.0.0.1).
 *    Checked on every HTTP request, not only on upgrades.
 * S4 The Origin of an upgrade must be one of http://<allowed host>: a page from anywhere else cannot
 *    open the socket even if it learnt the token. A missing Origin is refused as well.
 * S5 A refused upgrade gets a bare 403 with no body: nothing about the token or the reason leaks.
 * S6 The tokens are never logged; the only place each appears is its own start-up URL line.
 * S7 An HTTP request that carries an Origin header must carry an allowed one, on every endpoint
 *    (today: the static files). Navigations carry none; a script on another site that fetches from
 *    the agent does, and gets a bare 403.
 * S8 Roles. On the loopback listener the full token opens a full (teacher) connection and the viewer
 *    token a read-only one. On the share listener ONLY the viewer token is accepted: the full token
 *    never has to cross the network, so one read off the projector or sniffed from the classroom's
 *    plain HTTP is refused from any other machine.
 * S9 Each listener has its own allow-lists: the share listener answers only to Host `SHARE:PORT` and
 *    Origin `http://SHARE:PORT`; the loopback listener never to the share address.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type Role = 'full' | 'viewer';
export type ListenerKind = 'local' | 'share';

/** What one listening address accepts (S3, S4, S7, S9). */
export interface Gate {
  kind: ListenerKind;
  hosts: Set<string>;
  origins: Set<string>;
}

export interface Tokens {
  full: string;
  /** only while sharing */
  viewer?: string | undefined;
}

export function makeToken(): string {
  return randomBytes(32).toString('hex');
}

/** S2: constant-time comparison; unequal lengths are refused without comparing contents. */
export function tokenMatches(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length) {
    // still spend the time of one comparison so length is not measurable by timing either
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** S2 + S8: the role a token opens on this kind of listener, or null. Both tokens are always compared. */
export function roleFor(given: string | null, tokens: Tokens, kind: ListenerKind): Role | null {
  const full = tokenMatches(given, tokens.full);
  const viewer = tokens.viewer !== undefined && tokenMatches(given, tokens.viewer);
  if (kind === 'share') return viewer ? 'viewer' : null; // S8: the full token is refused here
  if (full) return 'full';
  return viewer ? 'viewer' : null;
}

/** A host as it appears in a Host header or an origin: IPv6 literals in brackets, lower case. */
export function hostForUrl(host: string): string {
  return (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host).toLowerCase();
}

/** Host header values for these names on this port (a browser leaves out :80). */
function withPort(names: Iterable<string>, port: number): Set<string> {
  const out = new Set<string>();
  for (const n of names) {
    out.add(`${n}:${port}`);
    if (port === 80) out.add(n);
  }
  return out;
}

/** S3: the Host header values that name the loopback listener. */
export function allowedHosts(port: number, bindHost: string): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (bindHost !== '0.0.0.0' && bindHost !== '::') names.add(hostForUrl(bindHost));
  return withPort(names, port);
}

/** S9: the one Host header value that names the share listener. */
export function shareHosts(port: number, shareHost: string): Set<string> {
  return withPort([hostForUrl(shareHost)], port);
}

/** S4: the origins whose pages may open the WebSocket. */
export function allowedOrigins(hosts: Set<string>): Set<string> {
  return new Set([...hosts].map((h) => `http://${h}`));
}

export function makeGate(kind: ListenerKind, hosts: Set<string>): Gate {
  return { kind, hosts, origins: allowedOrigins(hosts) };
}

export function hostAllowed(req: IncomingMessage, hosts: Set<string>): boolean {
  const host = req.headers.host;
  return typeof host === 'string' && hosts.has(host.toLowerCase());
}

/** S3 + S7 for a plain HTTP request: an allowed Host, and an allowed Origin if there is one. */
export function httpAllowed(req: IncomingMessage, gate: Gate): boolean {
  if (!hostAllowed(req, gate.hosts)) return false;
  const origin = req.headers.origin;
  return origin === undefined || (typeof origin === 'string' && gate.origins.has(origin.toLowerCase()));
}

export type UpgradeVerdict = { ok: true; role: Role } | { ok: false; why: 'host' | 'origin' | 'token' | 'path' };

/** S2–S4, S8, S9 for one upgrade request. `why` is for the agent's own diagnostics, never sent to the client. */
export function checkUpgrade(req: IncomingMessage, tokens: Tokens, gate: Gate): UpgradeVerdict {
  if (!hostAllowed(req, gate.hosts)) return { ok: false, why: 'host' };
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || !gate.origins.has(origin.toLowerCase())) return { ok: false, why: 'origin' };
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://agent.invalid');
  } catch {
    return { ok: false, why: 'path' };
  }
  if (url.pathname !== '/ws') return { ok: false, why: 'path' };
  const role = roleFor(url.searchParams.get('token'), tokens, gate.kind);
  return role ? { ok: true, role } : { ok: false, why: 'token' };
}
