/**
 * The commands that make, change and remove the lab, as argument lists (never a shell line: names and
 * numbers go in as arguments). Pure, so the unit test reads them; lab.ts runs them in order.
 *
 * The shape (lab/README.md): host namespaces `client` and `server`, each with one `eth0`; a `link`
 * namespace holding the other ends of both veth pairs (`to-client`, `to-server`), with no address and no
 * forwarding of its own: only the forwarder moves frames between them. Every veth is made inside the lab's
 * namespaces (`ip -n … link add … netns …`), never in the machine's own.
 */
import { tokenBucket } from './conditions.ts';
import { LAB_ADDRESSES, LAB_IFACES, LAB_MTU, LAB_PREFIX_LEN, type HostName, type LabNames } from './names.ts';

/** fixed, locally administered MACs: the hosts know each other's without ARP, so no ARP ever waits on the link's delay */
export const LAB_MACS: Readonly<Record<HostName, string>> = { client: '02:77:00:00:00:01', server: '02:77:00:00:00:02' };

/**
 * No IPv6 in the lab: its router solicitations and duplicate-address probes would be packets on the link
 * that no lesson made. Errors are ignored (a kernel without IPv6 has nothing to switch off).
 */
const NO_IPV6 = 'for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6; do [ -w "$f" ] && echo 1 > "$f"; done; exit 0';

export function buildPlan(n: LabNames): string[][] {
  const hosts: [HostName, string][] = [['client', n.client], ['server', n.server]];
  const peer: Record<HostName, string> = { client: LAB_IFACES.toClient, server: LAB_IFACES.toServer };
  const mtu = String(LAB_MTU);
  const plan: string[][] = [];
  for (const ns of [n.link, n.client, n.server]) plan.push(['ip', 'netns', 'add', ns]);
  for (const ns of [n.link, n.client, n.server]) {
    plan.push(['ip', 'netns', 'exec', ns, '/bin/sh', '-c', NO_IPV6]);
    plan.push(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  for (const [host, ns] of hosts) {
    plan.push(['ip', '-n', n.link, 'link', 'add', peer[host], 'mtu', mtu, 'type', 'veth',
      'peer', 'name', LAB_IFACES.host, 'mtu', mtu, 'address', LAB_MACS[host], 'netns', ns]);
  }
  for (const [host, ns] of hosts) {
    const other: HostName = host === 'client' ? 'server' : 'client';
    plan.push(['ip', '-n', ns, 'addr', 'add', `${LAB_ADDRESSES[host]}/${LAB_PREFIX_LEN}`, 'dev', LAB_IFACES.host]);
    plan.push(['ip', '-n', ns, 'neigh', 'replace', LAB_ADDRESSES[other], 'lladdr', LAB_MACS[other], 'dev', LAB_IFACES.host, 'nud', 'permanent']);
    // TX checksum offload off: a forwarded frame must carry its finished checksum (with it on, the SYN
    // arrives with a partial one and the receiver drops it silently); TSO goes with it, so every frame is
    // ≤ MTU; GRO off: the receiving host's capture sees the segments as they were on the wire
    plan.push(['ip', 'netns', 'exec', ns, 'ethtool', '-K', LAB_IFACES.host, 'tx', 'off', 'gro', 'off']);
  }
  for (const dev of [LAB_IFACES.toClient, LAB_IFACES.toServer]) {
    // GRO off in the middle too: the forwarder must receive frames, not merged super-frames it cannot send
    plan.push(['ip', 'netns', 'exec', n.link, 'ethtool', '-K', dev, 'tx', 'off', 'gro', 'off']);
    plan.push(['ip', '-n', n.link, 'link', 'set', dev, 'up']);
  }
  for (const [, ns] of hosts) plan.push(['ip', '-n', ns, 'link', 'set', LAB_IFACES.host, 'up']);
  return plan;
}

/**
 * The rate limit, on the link namespace's two egress ends (the forwarder sends through them, so the queue
 * that fills is the link's, not a host's: the sender's TCP sees a slow network, not a local qdisc). null
 * removes it (`del` fails when there is none: the caller ignores that).
 */
export function ratePlan(n: LabNames, rateKbit: number | null): string[][] {
  const devs = [LAB_IFACES.toClient, LAB_IFACES.toServer];
  if (rateKbit === null) return devs.map((dev) => ['ip', 'netns', 'exec', n.link, 'tc', 'qdisc', 'del', 'dev', dev, 'root']);
  const { burstBytes, limitBytes } = tokenBucket(rateKbit);
  return devs.map((dev) => ['ip', 'netns', 'exec', n.link, 'tc', 'qdisc', 'replace', 'dev', dev, 'root',
    'tbf', 'rate', `${rateKbit}kbit`, 'burst', String(burstBytes), 'limit', String(limitBytes)]);
}

/** argv that runs `argv` on a host (or in the link namespace): `ip netns exec <ns> …`, which execs in place */
export function inNamespace(ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}
