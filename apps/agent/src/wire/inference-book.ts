import { parseEndpoint, splitConnKey, type TcpFlag } from '@socketscope/shared';

/**
 * What wire inference remembers about sockets and connections, so it infers each packet once and
 * never contradicts itself: which handshake steps and FINs are already on the (inferred or captured)
 * wire, how many payload bytes crossed each way, how many the receiving program read, and how many
 * still sit in a sender's kernel send queue. Bounded: the oldest entries are forgotten first.
 */

export const MAX_CONNS = 4096;
export const MAX_SOCKS = 8192;

/** One direction of a TCP connection. */
export interface Dir {
  /** payload bytes known (inferred or captured) to have crossed the wire */
  delivered: number;
  /** bytes the receiving program read with recv() */
  consumed: number;
  /** bytes send() accepted that are known to wait in the sender's kernel (window closed), not yet on the wire */
  pending: number;
  /** bytes counted as delivered that the kernel later showed still queued: paid off before pending flushes */
  owed: number;
  /** of pending, bytes still waiting inside the agent (Node's queue), not yet in the kernel */
  inAgent: number;
  /** the sender's kernel showed bytes waiting, or the engine said send blocked: new sends wait too */
  stalled: boolean;
  fin: boolean;
  /** the peer's ACK of that FIN is on the wire too */
  finAcked: boolean;
  /** shutdown/close happened while bytes were pending: the FIN follows them */
  finAfterPending: boolean;
  /**
   * close() dropped bytes the agent still held, and how many of them had already reached the kernel is
   * unknown (Node counts a partly written chunk whole): the FIN waits for an exact count (settle()).
   */
  awaitExact: boolean;
}

export interface ConnBook {
  key: string;
  client: string;
  server: string;
  /** 0 nothing, 1 SYN, 2 SYN+ACK, 3 ACK (established) */
  handshake: 0 | 1 | 2 | 3;
  c2s: Dir;
  s2c: Dir;
  rst: boolean;
}

export interface SockInfo {
  proto: 'tcp' | 'udp';
  local?: string;
  remote?: string;
  conn?: string;
  listener?: boolean;
  /** listener: connections the event loop holds for accept(), by conn key */
  waiting?: string[];
}

/**
 * The book's own SockInfo: setting `local` or `remote` files it in the "local|remote" index that sockAt()
 * reads, so nothing that sets them (inference.ts does it in several rules) can forget to. `ord` is its
 * place in the insertion order of `Book.socks` (sock() inserts as it creates, under `id`).
 */
class IndexedSock implements SockInfo {
  conn?: string;
  listener?: boolean;
  waiting?: string[];
  /** forgotten by the book (bounded out, or cleared): never filed again */
  gone = false;
  private l: string | undefined;
  private r: string | undefined;

  constructor(readonly id: string, readonly proto: 'tcp' | 'udp', readonly ord: number, private readonly index: EndsIndex) {}

  get local(): string | undefined { return this.l; }
  // every api event sets them again (inference.ts call()): only a change touches the index
  set local(v: string | undefined) { if (v !== this.l) { this.index.move(this, v, this.r); this.l = v; } }
  get remote(): string | undefined { return this.r; }
  set remote(v: string | undefined) { if (v !== this.r) { this.index.move(this, this.l, v); this.r = v; } }
}

/** "local|remote" → the sockets with exactly those ends (usually one; more when a 4-tuple is reused). */
class EndsIndex {
  private readonly map = new Map<string, Set<IndexedSock>>();

  move(s: IndexedSock, local: string | undefined, remote: string | undefined): void {
    this.remove(s);
    if (s.gone || local === undefined || remote === undefined) return;
    const k = `${local}|${remote}`;
    const set = this.map.get(k);
    if (set) set.add(s); else this.map.set(k, new Set([s]));
  }

  remove(s: IndexedSock): void {
    if (s.local === undefined || s.remote === undefined) return;
    const k = `${s.local}|${s.remote}`;
    const set = this.map.get(k);
    if (!set) return;
    set.delete(s);
    if (set.size === 0) this.map.delete(k);
  }

  /** The oldest (lowest ord) non-listener with these ends: what a scan of the book in order finds first. */
  first(local: string, remote: string): IndexedSock | undefined {
    const set = this.map.get(`${local}|${remote}`);
    if (!set) return undefined;
    let best: IndexedSock | undefined;
    for (const s of set) if (!s.listener && (!best || s.ord < best.ord)) best = s;
    return best;
  }

  clear(): void { this.map.clear(); }
}

function newDir(): Dir {
  return { delivered: 0, consumed: 0, pending: 0, owed: 0, inAgent: 0, stalled: false, fin: false, finAcked: false, finAfterPending: false, awaitExact: false };
}

/** Insertion-ordered map that forgets its oldest entry beyond `max`. */
class Bounded<V> extends Map<string, V> {
  constructor(private readonly max: number) { super(); }
  override set(k: string, v: V): this {
    if (!this.has(k) && this.size >= this.max) this.delete(this.keys().next().value!);
    return super.set(k, v);
  }
}

/** The sockets by id, bounded like the rest, keeping the ends index in step as entries leave. */
class SockMap extends Bounded<SockInfo> {
  readonly ends = new EndsIndex();

  override delete(k: string): boolean {
    const s = this.get(k);
    if (s instanceof IndexedSock) {
      this.ends.remove(s);
      s.gone = true;
    }
    return super.delete(k);
  }

  override clear(): void {
    for (const s of this.values()) if (s instanceof IndexedSock) s.gone = true;
    this.ends.clear();
    super.clear();
  }
}

/** A UDP sender→receiver pair: datagrams known on the wire, and read by recvfrom. */
export interface Flow {
  sent: number;
  read: number;
}

export class Book {
  readonly conns = new Bounded<ConnBook>(MAX_CONNS);
  readonly socks = new SockMap(MAX_SOCKS);
  private nextOrd = 0;
  readonly flows = new Bounded<Flow>(MAX_CONNS);
  /** last receive-queue size per "conn|end", for data a watched program's peer sent */
  readonly recvQueues = new Bounded<number>(MAX_CONNS);

  clear(): void {
    this.conns.clear();
    this.socks.clear();
    this.flows.clear();
    this.recvQueues.clear();
  }

  flow(src: string, dst: string): Flow {
    const k = `${src}>${dst}`;
    let f = this.flows.get(k);
    if (!f) {
      f = { sent: 0, read: 0 };
      this.flows.set(k, f);
    }
    return f;
  }

  conn(key: string): ConnBook | null {
    const have = this.conns.get(key);
    if (have) return have;
    const ends = splitConnKey(key);
    if (!ends) return null;
    const c: ConnBook = { key, client: ends.client, server: ends.server, handshake: 0, c2s: newDir(), s2c: newDir(), rst: false };
    this.conns.set(key, c);
    return c;
  }

  /** The existing connection between two endpoints, in either direction. */
  find(a: string, b: string): ConnBook | undefined {
    return this.conns.get(`${a}>${b}`) ?? this.conns.get(`${b}>${a}`);
  }

  sock(id: string, proto: 'tcp' | 'udp' = 'tcp'): SockInfo {
    let s = this.socks.get(id);
    if (!s) {
      s = new IndexedSock(id, proto, this.nextOrd++, this.socks.ends);
      this.socks.set(id, s);
    }
    return s;
  }

  /**
   * The agent's socket at endpoint `local` talking to `remote`, if any (its sends carry its id): the
   * oldest such non-listener in the book. Through the ends index: it was a scan of up to MAX_SOCKS
   * entries, twice per inferred segment, and 77 % of the agent's CPU once a session had seen thousands
   * of sockets (reliability-leak at 5,000 cycles).
   */
  sockAt(local: string, remote: string): string | undefined {
    return this.socks.ends.first(local, remote)?.id;
  }
}

/** The direction a packet from `src` travels in: client→server or server→client. */
export function dirOf(c: ConnBook, src: string): Dir {
  return src === c.client ? c.c2s : c.s2c;
}

export function peerOf(c: ConnBook, end: string): string {
  return end === c.client ? c.server : c.client;
}

/**
 * A socket bound to the wildcard address sends from the loopback address when it talks to a loopback
 * peer (the route's preferred source), so that is the endpoint the wire shows.
 */
export function wireSource(local: string, toward: string): string {
  const l = parseEndpoint(local);
  const t = parseEndpoint(toward);
  if (!l || !t) return local;
  if (l.host === '0.0.0.0' || l.host === '::' || l.host === '::ffff:0.0.0.0') {
    const host = t.host.includes(':') ? '::1' : '127.0.0.1';
    return host.includes(':') ? `[${host}]:${l.port}` : `${host}:${l.port}`;
  }
  return local;
}

/** Flag sets, in TCP_FLAGS order as the decoder spells captured ones, so both read alike. */
export const F = {
  syn: ['SYN'] as TcpFlag[],
  synAck: ['SYN', 'ACK'] as TcpFlag[],
  ack: ['ACK'] as TcpFlag[],
  pshAck: ['ACK', 'PSH'] as TcpFlag[],
  finAck: ['ACK', 'FIN'] as TcpFlag[],
  rstAck: ['ACK', 'RST'] as TcpFlag[],
};

/**
 * Captured bundles are re-emitted as they grow (capture-bundle.ts B6): what each event adds is its bytes
 * less those of the same bundle's previous event. Bounded: a bundle whose last event never came is
 * forgotten, oldest first.
 */
export class BundleDeltas {
  private readonly seen = new Map<number, number>();

  added(e: { bundle: number; bytes: number; open: boolean }): number {
    const before = this.seen.get(e.bundle) ?? 0;
    if (!e.open) this.seen.delete(e.bundle);
    else {
      if (!this.seen.has(e.bundle) && this.seen.size >= 1024) this.seen.delete(this.seen.keys().next().value!);
      this.seen.set(e.bundle, e.bytes);
    }
    return Math.max(0, e.bytes - before);
  }

  clear(): void {
    this.seen.clear();
  }
}
