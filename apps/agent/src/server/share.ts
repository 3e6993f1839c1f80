/**
 * Sharing with the class: which address the students' read-only link uses. The rules that keep it
 * read-only are in security.ts (S8, S9) and connection.ts (P7); the listener limits in server.ts (N6–N8).
 */
import net from 'node:net';
import os from 'node:os';

type Interfaces = ReturnType<typeof os.networkInterfaces>;

/** The first non-internal IPv4 address of this machine (what `--share` uses without `--share-host`). */
export function pickShareHost(ifaces: Interfaces = os.networkInterfaces()): string | null {
  for (const list of Object.values(ifaces)) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.')) return a.address;
    }
  }
  return null;
}

/**
 * A share host must be one concrete IP address: the students' Host and Origin headers are checked
 * against it (S9), so a wildcard (0.0.0.0, ::) or a name (which could be re-pointed: DNS rebinding)
 * is refused. Returns why not, or null when it is fine.
 */
export function shareHostProblem(host: string): string | null {
  const kind = net.isIP(host);
  if (kind === 0) return `--share-host must be an IP address of this machine (not a name), not "${host}"`;
  if (host === '0.0.0.0' || host === '::' || /^0+(:0+)*$/.test(host)) return '--share-host must be one address, not every address (0.0.0.0 / ::)';
  if (kind === 4 && Number(host.split('.')[0]) >= 224) return `--share-host ${host} is a multicast or reserved address`;
  if (kind === 6 && host.toLowerCase().startsWith('ff')) return `--share-host ${host} is a multicast address`;
  return null;
}
