/**
 * A look read through the sock_diag helper (diag-helper.ts): the probe's questions as netlink queries that
 * cost what they observe, and the answers as the rows /proc would have given (proc-parse.ts ProcRow).
 * - A socket whose address is known (a target: the agent's or a traced program's listener, client, accepted
 *   socket, closed one in TIME_WAIT; or a connection an earlier walk found) is one exact lookup: a hash
 *   lookup in the kernel, however many sockets the machine has.
 * - UDP sockets and the listeners on watched ports are dumped with a port filter run by the kernel: the UDP
 *   and listener tables are small (a dump costs microseconds) and nothing else is printed.
 * - Connections nobody named yet — a watched port's, and K8's: those a followed listener holds that no
 *   program accepted (in its accept queue, or taken by the engine and held until tcp.accept) — are found by
 *   a walk of the connection table, filtered by port in the kernel, as `ss` does. A walk happens only when
 *   one can find something new: the namespace's TCP open counters moved since the last walk (no connection
 *   enters the table without moving them: PassiveOpens for a listener's, ActiveOpens too for a watched
 *   port's client side; with a listener's accept queue non-empty, ListenOverflows too, for a handshake
 *   finished against a full queue, whose request socket stays in SYN_RECV), or the ports to walk changed.
 *   Found once, a connection is looked up exactly from then on. A walk covers only the families where the
 *   connections can be (a listener's children have its family; a watched port's, both).
 * - On a lab host (byRemote) a followed listener's port is also walked as a remote port, the client side
 *   of its connections: a connect() still in SYN_SENT, whose own address the program learns only when
 *   connect() returns, is found by where it goes (the client host has the connection, the server host the
 *   listener). The walk then waits on ActiveOpens and InSegs too (a host's namespace holds only the lab's
 *   sockets: a SYN that made a request socket, SYN_RECV for a round trip, moves InSegs, where PassiveOpens
 *   moves only once the final ACK came), and covers the listeners' families only.
 * - The rows carry what /proc shows (state, queues, inode, UDP drops), a listener's send queue 0 as there;
 *   with `info`, TCP_INFO and the buffer sizes as `ss -tinm` shows them (tcp-info.ts).
 */
import { endpoint, parseEndpoint, type TcpInfo } from '@socketscope/shared';
import type { DiagQuery, DiagReply, DiagRow, SockDiag } from './diag-helper.ts';
import { portOf, type KernelEvent, type Look } from './look.ts';
import { rowKey, stateName, type ProcRow } from './proc-parse.ts';

/** every TCP state, NEW_SYN_RECV (12, a request socket; reported as SYN_RECV) included */
const ALL_STATES = 0x1fff;
const TCPF_LISTEN = 1 << 10;

/** A connection found earlier (K8 or a watched port's) that the probe still follows. */
export interface KnownConn { local: string; remote: string }

/** What the probe knows beyond the look: connections it follows, and whether a listener's queue is non-empty. */
export interface DiagContext { known: KnownConn[]; queued: boolean }

/** From what the probe follows (by id): the connections a walk found (K8 "q|", watched "w|"), and whether a listener's queue holds something. */
export function diagContext(followed: ReadonlyMap<string, { last: KernelEvent }>): DiagContext {
  const ctx: DiagContext = { known: [], queued: false };
  for (const [id, { last }] of followed) {
    if (last.type !== 'kernel.tcp') continue;
    if (last.state === 'LISTEN' && (last.acceptQueue ?? 0) > 0) ctx.queued = true;
    if (last.remote && (id.startsWith('q|') || id.startsWith('w|'))) ctx.known.push({ local: last.local, remote: last.remote });
  }
  return ctx;
}

export interface DiagLookResult {
  /** TCP_INFO by "local|remote", when asked for */
  info: Map<string, TcpInfo>;
  /** the helper's CPU time and the event loop's for this look */
  helperUs: number;
  mainUs: number;
  /** whether this look walked the connection table */
  walked: boolean;
}

function v6(host: string): string {
  return host.includes(':') ? host : `::ffff:${host}`;
}

/** One socket by its address (a listener by its local address alone), or null for an unreadable one. */
function exact(local: string, remote: string | undefined, ext: 0 | 1): DiagQuery | null {
  const l = parseEndpoint(local);
  if (!l) return null;
  const r = remote ? parseEndpoint(remote) : null;
  const fam = l.host.includes(':') || r?.host.includes(':') ? 6 : 4;
  return ['x', 'tcp', fam, fam === 6 ? v6(l.host) : l.host, l.port, r ? (fam === 6 ? v6(r.host) : r.host) : '', r?.port ?? 0, ext];
}

/** A helper row as /proc would have shown it. */
export function toRow(r: DiagRow): ProcRow {
  const [proto, family, state, lip, lport, rip, rport, rq, wq, inode, drops] = r;
  const name = stateName(state);
  const row: ProcRow = {
    proto, family, local: endpoint(lip, lport), localPort: lport, remotePort: rport, state: name,
    // /proc prints a listener's (empty) send queue; sock_diag puts its backlog there
    txQueue: proto === 'tcp' && name === 'LISTEN' ? 0 : wq, rxQueue: rq, inode,
  };
  const any = rport === 0 && (rip === '0.0.0.0' || rip === '::');
  if (!any) row.remote = endpoint(rip, rport);
  if (proto === 'udp') row.drops = drops ?? 0;
  return row;
}

/** TCP_INFO as `ss -tinm` prints it (tcp-info.ts parseSsInfo): ss leaves out what is 0. */
export function toInfo(i: NonNullable<DiagRow[11]>): TcpInfo {
  const [rttUs, cwnd, sndWnd, rcvSpace, rcvBuf, sndBuf] = i;
  const info: TcpInfo = {};
  if (rttUs) info.rttMs = rttUs / 1000;
  if (cwnd) info.cwnd = cwnd;
  if (sndWnd) info.sndWnd = sndWnd;
  if (rcvSpace) info.rcvSpace = rcvSpace;
  if (rcvBuf) info.rcvBuf = rcvBuf;
  if (sndBuf) info.sndBuf = sndBuf;
  return info;
}

export class DiagReader {
  /** the open counters and the ports of the last walk: another is needed only when either changed */
  private walkedAt: number | undefined;
  private walkedPorts = '';
  /** walks so far, for tests and the cost figures */
  walks = 0;

  constructor(readonly helper: SockDiag) {}

  /** One look; null when the helper cannot answer (the probe then reads /proc). */
  async read(look: Look, ctx: DiagContext, info: boolean, byRemote = false): Promise<DiagLookResult | null> {
    const ext = info ? 1 : 0;
    const res: DiagLookResult = { info: new Map(), helperUs: 0, mainUs: 0, walked: false };
    const take = (reply: DiagReply) => {
      const t0 = process.hrtime.bigint();
      res.helperUs += reply.cpuUs;
      const rows = reply.rows.map(toRow);
      look.add(rows);
      if (info) reply.rows.forEach((r, i) => { if (r[11]) res.info.set(rowKey(rows[i]!.local, rows[i]!.remote), toInfo(r[11])); });
      res.mainUs += Number(process.hrtime.bigint() - t0) / 1000;
    };

    const t0 = process.hrtime.bigint();
    const first: DiagQuery[] = [];
    const asked = new Set<string>();
    const push = (q: DiagQuery | null) => {
      const k = q?.join('|');
      if (q && k && !asked.has(k)) { asked.add(k); first.push(q); }
    };
    const udpPorts = new Set<number>();
    for (const t of look.wanted) {
      if (t.proto === 'udp') udpPorts.add(portOf(t.local!));
      else push(exact(t.local!, t.role === 'listener' ? undefined : t.remote, ext));
    }
    for (const c of ctx.known) push(exact(c.local, c.remote, ext));
    const watched = [...look.watched];
    const listeners = look.wanted.filter((t) => t.role === 'listener' && t.proto === 'tcp' && !t.closed);
    const walkPorts = [...new Set([...listeners.map((t) => portOf(t.local!)), ...watched])].toSorted((a, b) => a - b);
    if (walkPorts.length > 0) first.push(['s', (watched.length > 0 || byRemote ? 1 : 0) | (ctx.queued ? 2 : 0) | (byRemote ? 4 : 0)]);
    for (const fam of [4, 6] as const) {
      if (watched.length > 0) first.push(['d', 'tcp', fam, TCPF_LISTEN, watched, [], ext]);
      for (const p of watched) udpPorts.add(p);
      // as /proc: both UDP families, by local port, and by remote port for watched ones
      if (udpPorts.size > 0) first.push(['d', 'udp', fam, ALL_STATES, [...udpPorts], watched, 0]);
    }
    res.mainUs += Number(process.hrtime.bigint() - t0) / 1000;
    if (first.length === 0) return res;
    const reply = await this.helper.query(first);
    if (!reply) return null;
    take(reply);

    const portsKey = walkPorts.join(',');
    if (walkPorts.length === 0 || (reply.opens !== undefined && reply.opens === this.walkedAt && portsKey === this.walkedPorts)) return res;
    const families = new Set<4 | 6>(watched.length > 0 ? [4, 6] : []);
    for (const t of listeners) {
      // on a lab host the listener may be on the other host: its address says the family
      const row = byRemote ? undefined : look.index.get(`tcp|${rowKey(t.local!, undefined)}`)?.find((r) => r.state === 'LISTEN');
      if (row) families.add(row.family);
      else if (byRemote) families.add(t.local!.startsWith('[') ? 6 : 4);
      else { families.add(4); families.add(6); }
    }
    const dports = byRemote ? [...new Set([...watched, ...listeners.map((t) => portOf(t.local!))])] : watched;
    const walk = await this.helper.query([...families].map((fam): DiagQuery => ['d', 'tcp', fam, ALL_STATES & ~TCPF_LISTEN, walkPorts, dports, ext]));
    if (!walk) return null;
    take(walk);
    // the counters were read before the walk: a connection made since moves them again
    this.walkedAt = reply.opens;
    this.walkedPorts = portsKey;
    this.walks++;
    res.walked = true;
    return res;
  }
}
