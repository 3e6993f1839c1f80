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

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms: where sockets may go without --allow-remote. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
