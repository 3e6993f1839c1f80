/**
 * Who may talk to the agent. The agent opens real sockets on the teacher's machine, so its
 * WebSocket is a door into that machine. Rules enforced here (tests in test/server-security.test.ts):
 *
 * S1 The token is 32 random bytes (hex), fresh per run unless given by --token / SOCKETSCOPE_TOKEN.
 * S2 A WebSocket upgrade needs `?token=` equal to it, compared in constant time (timingSafeEqual).
 * S3 The Host header must name this server: 127.0.0.1:PORT, localhost:PORT, [::1]:PORT, or the
 *    --host it was bound to. That defeats DNS rebinding (a foreign name resolving to 127.0.0.1).
 *    Checked on every HTTP request, not only on upgrades.
 * S4 The Origin of an upgrade must be one of http://<allowed host>: a page from anywhere else cannot
 *    open the socket even if it learnt the token. A missing Origin is refused as well.
 * S5 A refused upgrade gets a bare 403 with no body: nothing about the token or the reason leaks.
 * S6 The token is never logged; the only place it appears is the start-up URL line.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

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

/** S3: the Host header values that name this server. */
export function allowedHosts(port: number, bindHost: string): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (bindHost !== '0.0.0.0' && bindHost !== '::') names.add(bindHost.includes(':') ? `[${bindHost}]` : bindHost);
  const out = new Set<string>();
  for (const n of names) out.add(`${n.toLowerCase()}:${port}`);
  return out;
}

/** S4: the origins whose pages may open the WebSocket. */
export function allowedOrigins(hosts: Set<string>): Set<string> {
  return new Set([...hosts].map((h) => `http://${h}`));
}

export function hostAllowed(req: IncomingMessage, hosts: Set<string>): boolean {
  const host = req.headers.host;
  return typeof host === 'string' && hosts.has(host.toLowerCase());
}

export type UpgradeVerdict = { ok: true } | { ok: false; why: 'host' | 'origin' | 'token' | 'path' };

/** S2–S4 for one upgrade request. `why` is for the agent's own diagnostics, never sent to the client. */
export function checkUpgrade(req: IncomingMessage, token: string, hosts: Set<string>, origins: Set<string>): UpgradeVerdict {
  if (!hostAllowed(req, hosts)) return { ok: false, why: 'host' };
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || !origins.has(origin.toLowerCase())) return { ok: false, why: 'origin' };
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://agent.invalid');
  } catch {
    return { ok: false, why: 'path' };
  }
  if (url.pathname !== '/ws') return { ok: false, why: 'path' };
  if (!tokenMatches(url.searchParams.get('token'), token)) return { ok: false, why: 'token' };
  return { ok: true };
}
