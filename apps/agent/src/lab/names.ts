/**
 * What the lab is called and where it lives. The names carry the agent's pid, so an agent finds its own
 * lab and, at start-up, the labs of agents that are gone (lab.ts L6).
 */

export type HostName = 'client' | 'server';
export type LabRole = HostName | 'link';

export interface LabNames {
  client: string;
  server: string;
  /** the middle namespace: the two veth ends the forwarder joins */
  link: string;
}

const NAME = /^ss-(\d{1,10})-(client|server|link)$/;

export function labNames(pid = process.pid): LabNames {
  return { client: `ss-${pid}-client`, server: `ss-${pid}-server`, link: `ss-${pid}-link` };
}

/** The agent's pid and the role in a lab namespace's name; null for any other name. */
export function parseLabName(name: string): { pid: number; role: LabRole } | null {
  const m = NAME.exec(name);
  return m ? { pid: Number(m[1]), role: m[2] as LabRole } : null;
}

/**
 * The two hosts' addresses: a private range that exists only inside the lab's namespaces (they have no
 * route out, so it cannot clash with the classroom's network even when that uses 10.77.0.0/24 too).
 */
export const LAB_ADDRESSES: Readonly<Record<HostName, string>> = { client: '10.77.0.1', server: '10.77.0.2' };
export const LAB_PREFIX_LEN = 24;
/** Ethernet's MTU, not loopback's 64 KiB: segments look like the ones students will meet */
export const LAB_MTU = 1500;

/** each host's interface, and the link namespace's ends (to-client faces the client host) */
export const LAB_IFACES = { host: 'eth0', toClient: 'to-client', toServer: 'to-server' } as const;
