import type { KernelTcpEvent, KernelUdpEvent, Model, TcpSegmentEvent } from '@socketscope/shared';
import { parseEndpoint, splitConnKey } from '@socketscope/shared';
import { LaneRegistry, WILDCARD_HOSTS, findListener, isPlaceholder, listenersByPort, type ListenerIndex } from './lanes.ts';
import { FLAG_BIT, flagBits } from './marks.ts';

/**
 * Which lane an observation belongs to (layout.ts rule L2). Packets name endpoints, calls name agent
 * sockets, kernel samples name both: every identity becomes a lane key and the keys that name one
 * socket are merged. A lookup that found no socket is retried only when the model changed.
 */

/** What the layout learns about one TCP connection while it reads the events in order. */
export interface ConnScan {
  key: string;
  client: string;
  server: string;
  phase: 'none' | 'syn' | 'synack' | 'est';
  clientLane?: number;
  listenLane?: number;
  dataLane?: number;
  /** model.version at the last failed attempt to find the agent socket behind a lane */
  clientTried: number;
  listenTried: number;
  dataTried: number;
  clientSock: boolean;
  listenSock: boolean;
  dataSock: boolean;
  /** event index of the SYN / first FIN, for the handshake and teardown spans */
  synIdx?: number;
  finIdx?: number;
  finC?: boolean;
  finS?: boolean;
  lastFinFromClient?: boolean;
  teardownDone?: boolean;
  /** initial sequence numbers seen in this layout's SYNs, for relative numbers the event lacks */
  isnC?: number;
  isnS?: number;
}

export class LaneResolver {
  readonly lanes = new LaneRegistry();
  model!: Model;
  private listenerIdx: ListenerIndex = new Map();
  private listenerVersion = -1;
  /** synthetic client lanes (no socket known yet) by the server they aimed at: a failed connect() claims them */
  private pendingClient = new Map<string, number>();
  private conns = new Map<string, ConnScan>();
  private byConnKey = new Map<string, ConnScan>();
  private byPair = new Map<string, Map<string, ConnScan>>();
  /** UDP lanes made from datagrams, by port: a socket bound to every address on that port claims them */
  private udpByPort = new Map<number, number[]>();
  /** TCP client lanes made from SYNs no socket was known for, by port (the same, for a failed connect()) */
  private tcpClientByPort = new Map<number, number[]>();

  /** A refused connect() that did not report its local port takes the SYN's lane aimed at the same server. */
  takePendingClient(remote: string): number | undefined {
    const pending = this.pendingClient.get(remote);
    if (pending === undefined || this.lanes.rec(pending).sock) return undefined;
    this.pendingClient.delete(remote);
    return pending;
  }

  sockLane(sock: string): number {
    const s = this.model.sockets[sock];
    return this.lanes.lane(`sock:${sock}`, { hint: s?.role ?? 'unknown', sock, ...(s ? { proto: s.proto } : {}) });
  }

  /** Links a socket's lane with the endpoint keys the model knows for it. */
  linkSocket(sock: string, lane: number): number {
    const s = this.model.sockets[sock];
    if (!s?.local) return lane;
    if (s.role === 'listener') return this.lanes.union(lane, this.lanes.lane(`listen:${s.local}`, { hint: 'listener', proto: 'tcp', endpoint: s.local }));
    if (s.proto === 'udp') {
      const merged = this.lanes.union(lane, this.lanes.lane(`udp:${s.local}`, { hint: 'udp', proto: 'udp', endpoint: s.local }));
      // bound to every address: the lanes its datagrams made before it was known (by their address) are its own
      return this.claimByPort(this.udpByPort, sock, s.local, merged);
    }
    // a TCP client known by its port on every address (its connect() failed): the SYN's lane is its own
    if (!s.remote) return this.claimByPort(this.tcpClientByPort, sock, s.local, lane);
    if (s.role === 'client' || s.role === 'accepted') {
      return this.lanes.union(lane, this.lanes.lane(`ep:${s.local}|${s.remote}`, { hint: s.role, proto: 'tcp', endpoint: s.local, peer: s.remote }));
    }
    return lane;
  }

  /** For a socket bound to every address on a port: merges the lanes `index` filed under that port that no other socket has. */
  private claimByPort(index: Map<number, number[]>, sock: string, local: string, lane: number): number {
    const ep = parseEndpoint(local);
    if (!ep || !WILDCARD_HOSTS.has(ep.host)) return lane;
    let merged = lane;
    for (const other of index.get(ep.port) ?? []) {
      const r = this.lanes.rec(other);
      if (!r.sock || r.sock === sock) merged = this.lanes.union(merged, other);
    }
    return merged;
  }

  private listenerIndex(): ListenerIndex {
    if (this.listenerVersion !== this.model.version) {
      this.listenerIdx = listenersByPort(this.model);
      this.listenerVersion = this.model.version;
    }
    return this.listenerIdx;
  }

  /** The connection a segment belongs to, with who is client and server (same rules as fold F11). */
  connScan(e: TcpSegmentEvent, bits = flagBits(e.flags)): ConnScan {
    // fast paths: the agent's conn key, or a pair seen before (no string building per segment)
    if (e.conn) {
      const known = this.byConnKey.get(e.conn);
      if (known) return known;
    } else {
      const known = this.byPair.get(e.src)?.get(e.dst);
      if (known) return known;
    }
    let client: string;
    let server: string;
    const ends = e.conn ? splitConnKey(e.conn) : null;
    const syn = (bits & FLAG_BIT.SYN) !== 0;
    const ack = (bits & FLAG_BIT.ACK) !== 0;
    if (ends) ({ client, server } = ends);
    else if (syn && !ack) { client = e.src; server = e.dst; }
    else if (syn && ack) { client = e.dst; server = e.src; }
    else if (this.conns.has(`${e.dst}>${e.src}`) || this.model.conns[`${e.dst}>${e.src}`]) { client = e.dst; server = e.src; }
    else { client = e.src; server = e.dst; }
    const key = `${client}>${server}`;
    let c = this.conns.get(key);
    if (!c) {
      c = { key, client, server, phase: 'none', clientTried: -1, listenTried: -1, dataTried: -1, clientSock: false, listenSock: false, dataSock: false };
      this.conns.set(key, c);
    }
    if (e.conn) this.byConnKey.set(e.conn, c);
    const fwd = this.byPair.get(client) ?? new Map<string, ConnScan>();
    fwd.set(server, c);
    this.byPair.set(client, fwd);
    const rev = this.byPair.get(server) ?? new Map<string, ConnScan>();
    rev.set(client, c);
    this.byPair.set(server, rev);
    return c;
  }

  clientLane(c: ConnScan): number {
    if (c.clientLane === undefined) {
      c.clientLane = this.lanes.lane(`ep:${c.client}|${c.server}`, { hint: 'client', proto: 'tcp', endpoint: c.client, peer: c.server });
    }
    if (!c.clientSock && c.clientTried !== this.model.version) {
      c.clientTried = this.model.version;
      const sock = this.model.conns[c.key]?.clientSock ?? this.model.byEndpoints[`${c.client}|${c.server}`] ?? this.wildcardClient(c.client);
      if (sock) {
        c.clientSock = !isPlaceholder(sock);
        c.clientLane = this.lanes.union(c.clientLane, this.sockLane(sock));
      } else {
        this.pendingClient.set(c.server, c.clientLane);
        this.remember(this.tcpClientByPort, c.client, c.clientLane);
      }
    }
    return this.lanes.find(c.clientLane);
  }

  listenLane(c: ConnScan, seq: number): number {
    if (c.listenLane === undefined) {
      c.listenLane = this.lanes.lane(`listen:${c.server}`, { hint: 'listener', proto: 'tcp', endpoint: c.server });
    }
    if (!c.listenSock && c.listenTried !== this.model.version) {
      c.listenTried = this.model.version;
      const sock = findListener(this.listenerIndex(), c.server, seq);
      if (sock) {
        c.listenSock = !isPlaceholder(sock);
        c.listenLane = this.lanes.union(c.listenLane, this.sockLane(sock));
      }
    }
    return this.lanes.find(c.listenLane);
  }

  dataLane(c: ConnScan): number {
    if (c.dataLane === undefined) {
      c.dataLane = this.lanes.lane(`ep:${c.server}|${c.client}`, { hint: 'accepted', proto: 'tcp', endpoint: c.server, peer: c.client });
    }
    if (!c.dataSock && c.dataTried !== this.model.version) {
      c.dataTried = this.model.version;
      const sock = this.model.conns[c.key]?.serverSock ?? this.model.byEndpoints[`${c.server}|${c.client}`];
      if (sock) {
        // a socket only the kernel has shown so far (waiting in the accept queue) is looked for again:
        // accept() gives it the program's id, and the lane must follow it there
        c.dataSock = !isPlaceholder(sock);
        c.dataLane = this.lanes.union(c.dataLane, this.sockLane(sock));
      }
    }
    return this.lanes.find(c.dataLane);
  }

  /**
   * L2 for UDP: a datagram names the address it left from or arrived at (127.0.0.1:46612), and the socket
   * may be bound to every address on that port (0.0.0.0:46612: a client's sendto() binds it so) — one
   * socket, one lane. A lane made from a datagram before the socket was known is merged into the
   * socket's when the socket shows up (linkSocket).
   */
  udpLane(ep: string, other: string): number {
    const key = `udp:${ep}`;
    const fresh = !this.lanes.has(key);
    const lane = this.lanes.lane(key, { hint: 'udp', proto: 'udp', endpoint: ep });
    if (fresh) this.remember(this.udpByPort, ep, lane);
    if (this.lanes.rec(lane).sock) return lane;
    const sock = this.model.byEndpoints[`${ep}|${other}`] ?? this.model.byEndpoints[`${ep}|`] ?? this.wildcardUdp(ep);
    return sock ? this.lanes.union(lane, this.sockLane(sock)) : lane;
  }

  /** Files a lane made from a packet's address under its port, for a socket bound to every address to claim. */
  private remember(index: Map<number, number[]>, ep: string, lane: number): void {
    const parsed = parseEndpoint(ep);
    if (!parsed || WILDCARD_HOSTS.has(parsed.host)) return;
    const list = index.get(parsed.port) ?? [];
    if (!list.includes(lane)) list.push(lane);
    index.set(parsed.port, list);
  }

  /**
   * A TCP client whose connect() failed may be known only by the port the kernel gave it on every
   * address (0.0.0.0:37284) while its SYN names 127.0.0.1:37284: the same socket (tcp-refused).
   */
  private wildcardClient(ep: string): string | undefined {
    const parsed = parseEndpoint(ep);
    if (!parsed || parsed.host.includes(':')) return undefined;
    const id = this.model.byEndpoints[`0.0.0.0:${parsed.port}|`];
    const s = id ? this.model.sockets[id] : undefined;
    return s && s.proto === 'tcp' && (s.role === 'client' || s.role === 'unknown') ? id : undefined;
  }

  /** The UDP socket bound to every address on ep's port (IPv4's for an IPv4 address, IPv6's otherwise). */
  private wildcardUdp(ep: string): string | undefined {
    const parsed = parseEndpoint(ep);
    if (!parsed) return undefined;
    const v6 = parsed.host.includes(':');
    const id = v6 ? this.model.byEndpoints[`[::]:${parsed.port}|`] : this.model.byEndpoints[`0.0.0.0:${parsed.port}|`] ?? this.model.byEndpoints[`[::]:${parsed.port}|`];
    return id && this.model.sockets[id]?.proto === 'udp' ? id : undefined;
  }

  kernelLane(e: KernelTcpEvent | KernelUdpEvent): number {
    const udp = e.type === 'kernel.udp';
    const key = udp ? `udp:${e.local}` : !e.remote || (e.type === 'kernel.tcp' && e.state === 'LISTEN') ? `listen:${e.local}` : `ep:${e.local}|${e.remote}`;
    const hint = udp ? 'udp' : key.startsWith('listen:') ? 'listener' : 'endpoint';
    let lane = this.lanes.lane(key, { hint, proto: udp ? 'udp' : 'tcp', endpoint: e.local, ...(e.remote ? { peer: e.remote } : {}) });
    const sock = e.sock && this.model.sockets[e.sock] ? e.sock : this.model.byEndpoints[`${e.local}|${e.remote ?? ''}`];
    if (sock) lane = this.lanes.union(lane, this.sockLane(sock));
    return lane;
  }
}
