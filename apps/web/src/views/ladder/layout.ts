import type {
  ApiCallEvent, ApiNoticeEvent, KernelTcpEvent, KernelUdpEvent, Model, SessionEvent, TcpSegmentEvent, UdpDatagramEvent,
} from '@socketscope/shared';
import { endpoint, splitConnKey } from '@socketscope/shared';
import { LaneRegistry, findListener, listenersByPort, type ListenerIndex } from './lanes.ts';
import { FLAG_BIT, callMark, flagBits, flagsLabelOf } from './marks.ts';
import type { ArrowRow, BundleRow, LadderLayout, LadderOptions, LadderRow, PhaseSpan, StateBand } from './types.ts';

/**
 * layoutLadder(events, model) → rows and lanes of the sequence diagram.
 *
 * Rules (tests quote them):
 * L1  One row per shown event, in event order: segments and datagrams (arrows), socket calls and
 *     notices (marks), kernel TCP state changes (state rows), UDP drop increases, source changes.
 *     Kernel queue samples and scenario steps make no row.
 * L2  One lane per socket. The client's lane is its endpoint pair; SYN, SYN+ACK and the handshake's
 *     last ACK (and an RST answering a SYN) belong to the listening socket; everything after to the
 *     accepted socket. Without api events (watch, pcap import) lanes come from endpoints alone.
 * L3  Lanes order left to right: clients, listeners, accepted sockets; UDP senders left of receivers.
 * L4  A run of ≥ bundleMin data segments one way on one connection (pure ACKs back allowed, nothing
 *     else in between, no SYN/FIN/RST and no analysis flag) collapses into one bundle row; an
 *     expanded bundle shows its segments after it.
 * L5  A call's mark carries the index of the first event after it started, for its activation bar.
 * L6  O(1) amortised per event; LadderBuilder.update() appends when the events array only grew, and
 *     also when the caller keeps a sliding window (events dropped at the front): rows of dropped
 *     events go, everything learnt from them (lanes, handshake phases, states) stays.
 */

const BUNDLE_MIN = 8;
/** how far back an activation bar may reach, in rows; bounds the backward scan */
const START_SCAN = 64;

interface ConnScan {
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

interface Run {
  conn: string;
  senderEp: string;
  inferred: boolean;
  startPos: number;
  data: number;
  acks: number;
  bytes: number;
  from: number;
  to: number;
  firstIdx: number;
  firstSeq: number;
  firstTs: number;
  /** position of the bundle row once the run collapsed */
  bundlePos: number;
}

export function layoutLadder(events: readonly SessionEvent[], model: Model, options: LadderOptions = {}): LadderLayout {
  const b = new LadderBuilder(options.bundleMin);
  b.update(events, model);
  return b.snapshot(model, options.expanded);
}

export class LadderBuilder {
  private events: readonly SessionEvent[] = [];
  /** events of this.events already processed */
  private processed = 0;
  /** absolute index of this.events[0]: rows, lanes and states use absolute indices, so a window may slide */
  private base = 0;
  private lanes = new LaneRegistry();
  private rows: LadderRow[] = [];
  private states: { lane: number; idx: number; to: StateBand['state'] }[] = [];
  private phases: { kind: PhaseSpan['kind']; conn: string; fromIdx: number; toIdx: number }[] = [];
  private conns = new Map<string, ConnScan>();
  private byConnKey = new Map<string, ConnScan>();
  private byPair = new Map<string, Map<string, ConnScan>>();
  private run: Run | null = null;
  private lastWireTs: number | null = null;
  private pendingClient = new Map<string, number>();
  private model!: Model;
  private listenerIdx: ListenerIndex = new Map();
  private listenerVersion = -1;
  private memberCache = new Map<number, { lastIdx: number; rows: ArrowRow[] }>();
  /** bumped whenever rows or lanes changed */
  version = 0;

  constructor(private readonly bundleMin = BUNDLE_MIN) {}

  /** Takes the current events; appends when they extend the ones seen, else starts over. Returns whether anything changed. */
  update(events: readonly SessionEvent[], model: Model): boolean {
    this.model = model;
    if (this.processed > 0) {
      const last = this.events[this.processed - 1]!;
      if (events.length >= this.processed && events[this.processed - 1] === last) {
        // appended (the common live case)
      } else {
        const p = indexOfSeq(events, last.seq);
        if (p >= 0 && events[p] === last && p < this.processed - 1) this.trimFront(this.processed - 1 - p);
        else this.reset();
      }
    }
    this.events = events;
    if (events.length === this.processed) return false;
    for (let i = this.processed; i < events.length; i++) this.process(events[i]!, this.base + i);
    this.processed = events.length;
    this.version++;
    return true;
  }

  /** The caller dropped `dropped` events at the front of its window: forget their rows, keep what they taught. */
  private trimFront(dropped: number): void {
    const base = this.base + dropped;
    let k = 0;
    while (k < this.rows.length) {
      const r = this.rows[k]!;
      if ((r.kind === 'bundle' ? r.lastIdx : r.idx) >= base) break;
      k++;
    }
    this.rows = this.rows.slice(k);
    const run = this.run;
    if (run) {
      run.startPos -= k;
      if (run.bundlePos >= 0) run.bundlePos -= k;
      else if (run.startPos < 0) this.run = null;
    }
    // each lane keeps the state it was in when the window starts
    const kept: typeof this.states = [];
    const before = new Map<number, (typeof this.states)[number]>();
    for (const st of this.states) {
      if (st.idx >= base) kept.push(st);
      else before.set(this.lanes.find(st.lane), st);
    }
    this.states = [...[...before.values()].map((st) => ({ ...st, idx: base })), ...kept];
    this.phases = this.phases.filter((ph) => ph.toIdx >= base).map((ph) => ({ ...ph, fromIdx: Math.max(ph.fromIdx, base) }));
    this.memberCache.clear();
    this.processed -= dropped;
    this.base = base;
  }

  private reset(): void {
    this.processed = 0;
    this.base = 0;
    this.lanes = new LaneRegistry();
    this.rows = [];
    this.states = [];
    this.phases = [];
    this.conns.clear();
    this.byConnKey.clear();
    this.byPair.clear();
    this.run = null;
    this.lastWireTs = null;
    this.pendingClient.clear();
    this.memberCache.clear();
    this.listenerVersion = -1;
  }

  private process(e: SessionEvent, idx: number): void {
    switch (e.type) {
      case 'tcp.segment': this.segment(e, idx); break;
      case 'udp.datagram': this.datagram(e, idx); break;
      case 'api.call': this.call(e, idx); break;
      case 'api.notice': this.notice(e, idx); break;
      case 'kernel.tcp': this.kernelTcp(e, idx); break;
      case 'kernel.udp': this.kernelUdp(e, idx); break;
      case 'source.status':
        this.run = null;
        this.rows.push({
          kind: 'note', idx, seq: e.seq, ts: e.ts, source: e.source, available: e.status.available, running: e.status.running,
          ...(e.status.reason ? { reason: e.status.reason } : {}),
        });
        break;
      case 'scenario.step': break; // L1: the code panel shows steps
    }
  }

  // ---- lanes -------------------------------------------------------------------------------

  private sockLane(sock: string): number {
    const s = this.model.sockets[sock];
    return this.lanes.lane(`sock:${sock}`, { hint: s?.role ?? 'unknown', sock, ...(s ? { proto: s.proto } : {}) });
  }

  /** Links a socket's lane with the endpoint keys the model knows for it. */
  private linkSocket(sock: string, lane: number): number {
    const s = this.model.sockets[sock];
    if (!s?.local) return lane;
    if (s.role === 'listener') return this.lanes.union(lane, this.lanes.lane(`listen:${s.local}`, { hint: 'listener', proto: 'tcp', endpoint: s.local }));
    if (s.proto === 'udp') return this.lanes.union(lane, this.lanes.lane(`udp:${s.local}`, { hint: 'udp', proto: 'udp', endpoint: s.local }));
    if (s.remote && (s.role === 'client' || s.role === 'accepted')) {
      return this.lanes.union(lane, this.lanes.lane(`ep:${s.local}|${s.remote}`, { hint: s.role, proto: 'tcp', endpoint: s.local, peer: s.remote }));
    }
    return lane;
  }

  private listenerIndex(): ListenerIndex {
    if (this.listenerVersion !== this.model.version) {
      this.listenerIdx = listenersByPort(this.model);
      this.listenerVersion = this.model.version;
    }
    return this.listenerIdx;
  }

  private connScan(e: TcpSegmentEvent, bits = flagBits(e.flags)): ConnScan {
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

  private clientLane(c: ConnScan): number {
    if (c.clientLane === undefined) {
      c.clientLane = this.lanes.lane(`ep:${c.client}|${c.server}`, { hint: 'client', proto: 'tcp', endpoint: c.client, peer: c.server });
    }
    if (!c.clientSock && c.clientTried !== this.model.version) {
      c.clientTried = this.model.version;
      const sock = this.model.conns[c.key]?.clientSock ?? this.model.byEndpoints[`${c.client}|${c.server}`];
      if (sock) {
        c.clientSock = true;
        c.clientLane = this.lanes.union(c.clientLane, this.sockLane(sock));
      } else this.pendingClient.set(c.server, c.clientLane);
    }
    return this.lanes.find(c.clientLane);
  }

  private listenLane(c: ConnScan, seq: number): number {
    if (c.listenLane === undefined) {
      c.listenLane = this.lanes.lane(`listen:${c.server}`, { hint: 'listener', proto: 'tcp', endpoint: c.server });
    }
    if (!c.listenSock && c.listenTried !== this.model.version) {
      c.listenTried = this.model.version;
      const sock = findListener(this.listenerIndex(), c.server, seq);
      if (sock) {
        c.listenSock = true;
        c.listenLane = this.lanes.union(c.listenLane, this.sockLane(sock));
      }
    }
    return this.lanes.find(c.listenLane);
  }

  private dataLane(c: ConnScan): number {
    if (c.dataLane === undefined) {
      c.dataLane = this.lanes.lane(`ep:${c.server}|${c.client}`, { hint: 'accepted', proto: 'tcp', endpoint: c.server, peer: c.client });
    }
    if (!c.dataSock && c.dataTried !== this.model.version) {
      c.dataTried = this.model.version;
      const sock = this.model.conns[c.key]?.serverSock ?? this.model.byEndpoints[`${c.server}|${c.client}`];
      if (sock) {
        c.dataSock = true;
        c.dataLane = this.lanes.union(c.dataLane, this.sockLane(sock));
      }
    }
    return this.lanes.find(c.dataLane);
  }

  private udpLane(ep: string, other: string): number {
    const lane = this.lanes.lane(`udp:${ep}`, { hint: 'udp', proto: 'udp', endpoint: ep });
    if (this.lanes.rec(lane).sock) return lane;
    const sock = this.model.byEndpoints[`${ep}|${other}`] ?? this.model.byEndpoints[`${ep}|`];
    return sock ? this.lanes.union(lane, this.sockLane(sock)) : lane;
  }

  // ---- events ------------------------------------------------------------------------------

  /** µs since the previous wire event (null for the first); advances the wire clock to this event */
  private wireDelta(ts: number): number | null {
    const dt = this.lastWireTs === null ? null : Math.max(0, ts - this.lastWireTs);
    this.lastWireTs = ts;
    return dt;
  }

  private segment(e: TcpSegmentEvent, idx: number): void {
    const bits = flagBits(e.flags);
    const c = this.connScan(e, bits);
    const syn = (bits & FLAG_BIT.SYN) !== 0;
    const ack = (bits & FLAG_BIT.ACK) !== 0;
    const fin = (bits & FLAG_BIT.FIN) !== 0;
    const rst = (bits & FLAG_BIT.RST) !== 0;
    const fromClient = e.src === c.client;
    let handshake = false;
    if (syn) {
      handshake = true;
      if (!ack) c.synIdx = idx;
      c.phase = ack ? 'synack' : 'syn';
    } else if (rst && !fromClient && c.phase === 'syn') handshake = true;
    else if (c.phase === 'synack' && fromClient && e.len === 0 && !fin && !rst) {
      handshake = true;
      c.phase = 'est';
      if (c.synIdx !== undefined) this.phases.push({ kind: 'handshake', conn: c.key, fromIdx: c.synIdx, toIdx: idx });
    } else c.phase = 'est';
    this.teardown(c, idx, fromClient, fin, ack, rst);

    const clientLane = this.clientLane(c);
    const serverLane = handshake ? this.listenLane(c, e.seq) : this.dataLane(c);
    if (handshake && !fromClient) {
      const r = this.lanes.rec(serverLane);
      if (syn && ack) r.synack = true;
      if (rst) r.refused = true;
    }
    const from = fromClient ? clientLane : serverLane;
    const to = fromClient ? serverLane : clientLane;
    this.lanes.touch(from, idx);
    this.lanes.touch(to, idx);
    if (syn && e.seqNo !== null) { if (fromClient) c.isnC = e.seqNo; else c.isnS = e.seqNo; }
    const ts = e.wireTs ?? e.ts;
    const dt = this.wireDelta(ts);

    // L4: runs of data one way collapse into a bundle
    const plain = (bits & (FLAG_BIT.SYN | FLAG_BIT.FIN | FLAG_BIT.RST | FLAG_BIT.URG)) === 0 && !(e.analysis && e.analysis.length > 0);
    const run = this.run;
    if (plain && run && run.conn === c.key && run.inferred === e.inferred
        && ((e.len > 0 && e.src === run.senderEp) || (e.len === 0 && e.src !== run.senderEp))) {
      if (e.len > 0) { run.data++; run.bytes += e.len; } else run.acks++;
      const bundle = run.bundlePos >= 0 ? this.rows[run.bundlePos] as BundleRow : undefined;
      if (bundle) {
        // grown in place: a live bulk transfer updates one row instead of allocating one per segment
        bundle.segments = run.data;
        bundle.acks = run.acks;
        bundle.bytes = run.bytes;
        bundle.lastIdx = idx;
        bundle.lastSeq = e.seq;
        bundle.lastTs = ts;
      } else if (run.data >= this.bundleMin) {
        this.rows.length = run.startPos;
        run.bundlePos = this.rows.length;
        this.rows.push(this.bundleRow(run, idx, e.seq, ts));
      } else this.rows.push(arrowRow(e, bits, idx, ts, dt, from, to, c));
      return;
    }
    this.run = plain && e.len > 0
      ? {
          conn: c.key, senderEp: e.src, inferred: e.inferred, startPos: this.rows.length, data: 1, acks: 0, bytes: e.len,
          from, to, firstIdx: idx, firstSeq: e.seq, firstTs: ts, bundlePos: -1,
        }
      : null;
    this.rows.push(arrowRow(e, bits, idx, ts, dt, from, to, c));
  }

  /** Four-way teardown span: the first FIN to the ACK of the second FIN. */
  private teardown(c: ConnScan, idx: number, fromClient: boolean, fin: boolean, ack: boolean, rst: boolean): void {
    if (c.teardownDone || rst) return;
    if (fin) {
      c.finIdx ??= idx;
      if (fromClient) c.finC = true; else c.finS = true;
      c.lastFinFromClient = fromClient;
    } else if (ack && c.finC && c.finS && fromClient !== c.lastFinFromClient && c.finIdx !== undefined) {
      c.teardownDone = true;
      this.phases.push({ kind: 'teardown', conn: c.key, fromIdx: c.finIdx, toIdx: idx });
    }
  }

  private bundleRow(run: Run, lastIdx: number, lastSeq: number, lastTs: number): BundleRow {
    return {
      kind: 'bundle', idx: run.firstIdx, seq: run.firstSeq, ts: run.firstTs, id: run.firstSeq, from: run.from, to: run.to,
      segments: run.data, acks: run.acks, bytes: run.bytes, inferred: run.inferred, firstIdx: run.firstIdx, lastIdx, lastSeq, lastTs,
      expanded: false,
    };
  }

  private datagram(e: UdpDatagramEvent, idx: number): void {
    this.run = null;
    const from = this.udpLane(e.src, e.dst);
    const to = this.udpLane(e.dst, e.src);
    const fr = this.lanes.rec(from);
    fr.udpFirst ??= 'send';
    this.lanes.rec(to).udpFirst ??= 'recv';
    this.lanes.touch(from, idx);
    this.lanes.touch(to, idx);
    const ts = e.wireTs ?? e.ts;
    const dt = this.wireDelta(ts);
    this.rows.push({
      kind: 'arrow', idx, seq: e.seq, ts, proto: 'udp', from, to, flags: '', hasAck: false, relSeq: null, relAck: null,
      len: e.len, win: null, inferred: e.inferred, analysis: NO_ANALYSIS, dt, bytes: e.bytes,
    });
  }

  private call(e: ApiCallEvent, idx: number): void {
    if (!e.sock) return;
    this.run = null;
    let lane = this.linkSocket(e.sock, this.sockLane(e.sock));
    if (e.call === 'connect' && e.proto !== 'udp') {
      if (e.local && e.remote) {
        lane = this.lanes.union(lane, this.lanes.lane(`ep:${e.local}|${e.remote}`, { hint: 'client', proto: 'tcp', endpoint: e.local, peer: e.remote }));
      } else if (e.error) {
        // a refused connect() may not report its local port: take the SYN's lane aimed at the same server
        const remote = e.remote ?? remoteFromArgs(e.args);
        const pending = remote !== undefined ? this.pendingClient.get(remote) : undefined;
        if (pending !== undefined && !this.lanes.rec(pending).sock) {
          lane = this.lanes.union(lane, pending);
          this.pendingClient.delete(remote!);
        }
      }
    }
    if (e.call === 'accept' && e.newSock) {
      const child = this.sockLane(e.newSock);
      if (e.local && e.remote) this.lanes.union(child, this.lanes.lane(`ep:${e.local}|${e.remote}`, { hint: 'accepted', proto: 'tcp', endpoint: e.local, peer: e.remote }));
    }
    this.lanes.touch(lane, idx);
    this.rows.push({ kind: 'mark', idx, seq: e.seq, ts: e.ts, lane, mark: callMark(e), startIdx: this.startIdx(e.ts - e.durationUs, idx) });
  }

  /** L5: the earliest recent row at or after `since` (µs), as an event index. */
  private startIdx(since: number, idx: number): number {
    let start = idx;
    for (let i = this.rows.length - 1, n = 0; i >= 0 && n < START_SCAN; i--, n++) {
      const r = this.rows[i]!;
      if (r.ts < since) break;
      start = r.idx;
    }
    return start;
  }

  private notice(e: ApiNoticeEvent, idx: number): void {
    if (!e.sock) return;
    this.run = null;
    const lane = this.linkSocket(e.sock, this.sockLane(e.sock));
    this.lanes.touch(lane, idx);
    this.rows.push({
      kind: 'mark', idx, seq: e.seq, ts: e.ts, lane, startIdx: idx,
      mark: { kind: 'notice', what: e.what, ...(e.error ? { code: e.error.code } : {}) },
    });
  }

  private kernelLane(e: KernelTcpEvent | KernelUdpEvent): number {
    const udp = e.type === 'kernel.udp';
    const key = udp ? `udp:${e.local}` : !e.remote || (e.type === 'kernel.tcp' && e.state === 'LISTEN') ? `listen:${e.local}` : `ep:${e.local}|${e.remote}`;
    const hint = udp ? 'udp' : key.startsWith('listen:') ? 'listener' : 'endpoint';
    let lane = this.lanes.lane(key, { hint, proto: udp ? 'udp' : 'tcp', endpoint: e.local, ...(e.remote ? { peer: e.remote } : {}) });
    const sock = e.sock && this.model.sockets[e.sock] ? e.sock : this.model.byEndpoints[`${e.local}|${e.remote ?? ''}`];
    if (sock) lane = this.lanes.union(lane, this.sockLane(sock));
    return lane;
  }

  private kernelTcp(e: KernelTcpEvent, idx: number): void {
    const lane = this.kernelLane(e);
    const r = this.lanes.rec(lane);
    const to = e.gone ? 'CLOSED' : e.state;
    if (r.state === to || (e.gone && r.state === undefined)) return; // L1: a queue sample, no row
    this.run = null;
    const from = r.state ?? null;
    r.state = to;
    this.lanes.touch(lane, idx);
    this.rows.push({ kind: 'state', idx, seq: e.seq, ts: e.ts, lane, from, to });
    this.states.push({ lane, idx, to });
  }

  private kernelUdp(e: KernelUdpEvent, idx: number): void {
    const lane = this.kernelLane(e);
    const r = this.lanes.rec(lane);
    const before = r.drops ?? 0;
    r.drops = e.drops;
    if (e.drops <= before) return;
    this.run = null;
    this.lanes.touch(lane, idx);
    this.rows.push({ kind: 'mark', idx, seq: e.seq, ts: e.ts, lane, startIdx: idx, mark: { kind: 'drops', added: e.drops - before, total: e.drops } });
  }

  // ---- snapshot ----------------------------------------------------------------------------

  /** The layout as it stands. Cheap when nothing is expanded: the row array is shared, not copied. */
  snapshot(model: Model = this.model, expanded?: ReadonlySet<number>): LadderLayout {
    let rows: readonly LadderRow[] = this.rows;
    if (expanded && expanded.size > 0) rows = this.expand(expanded);
    const rowOfIdx = (idx: number): number => {
      let lo = 0;
      let hi = rows.length - 1;
      if (hi < 0) return -1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (rows[mid]!.idx <= idx) lo = mid; else hi = mid - 1;
      }
      return lo;
    };
    const { lanes, columns } = this.lanes.views(model, rowOfIdx, this.base);
    const lanesById = new Map(lanes.map((l) => [l.id, l]));
    const find = (lane: number) => this.lanes.find(lane);
    const events = this.events;
    const rowOfSeq = (seq: number): number => {
      let lo = 0;
      let hi = this.processed - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const s = events[mid]!.seq;
        if (s === seq) {
          const idx = mid + this.base;
          const row = rowOfIdx(idx);
          const r = rows[row];
          if (!r) return -1;
          return r.idx === idx || (r.kind === 'bundle' && idx >= r.firstIdx && idx <= r.lastIdx) ? row : -1;
        }
        if (s < seq) lo = mid + 1; else hi = mid - 1;
      }
      return -1;
    };
    const phases = this.phases.map((p): PhaseSpan => ({ kind: p.kind, conn: p.conn, fromRow: rowOfIdx(p.fromIdx), toRow: rowOfIdx(p.toIdx) }));
    return {
      lanes, rows, phases, events: this.processed,
      bands: this.bands(find, lanesById, rowOfIdx),
      columnOf: (lane) => columns[find(lane)] ?? -1,
      rowOfIdx, rowOfSeq,
    };
  }

  private bands(find: (l: number) => number, lanes: Map<number, { lastRow: number; ended: boolean }>, rowOfIdx: (i: number) => number): StateBand[] {
    const byLane = new Map<number, { idx: number; to: StateBand['state'] }[]>();
    for (const s of this.states) {
      const l = find(s.lane);
      const list = byLane.get(l) ?? [];
      list.push(s);
      byLane.set(l, list);
    }
    const out: StateBand[] = [];
    for (const [lane, list] of byLane) {
      const view = lanes.get(lane);
      if (!view) continue;
      list.sort((a, b) => a.idx - b.idx);
      for (let i = 0; i < list.length; i++) {
        const s = list[i]!;
        const next = list[i + 1];
        const end = next ? rowOfIdx(next.idx) : view.ended || s.to === 'CLOSED' ? view.lastRow + 1 : Infinity;
        out.push({ lane, state: s.to, fromRow: rowOfIdx(s.idx), toRow: end });
      }
    }
    return out;
  }

  private expand(expanded: ReadonlySet<number>): LadderRow[] {
    const out: LadderRow[] = [];
    for (const r of this.rows) {
      if (r.kind !== 'bundle' || !expanded.has(r.id)) { out.push(r); continue; }
      out.push({ ...r, expanded: true });
      for (const m of this.members(r)) out.push(m);
    }
    return out;
  }

  /** A bundle's segments as arrow rows, made on demand and cached until the bundle grows. */
  private members(b: BundleRow): ArrowRow[] {
    const cached = this.memberCache.get(b.id);
    if (cached && cached.lastIdx === b.lastIdx) return cached.rows;
    const first = this.events[Math.max(b.firstIdx, this.base) - this.base] as TcpSegmentEvent;
    const rows: ArrowRow[] = [];
    let prevTs: number | null = null;
    for (let i = Math.max(b.firstIdx, this.base); i <= b.lastIdx; i++) {
      const e = this.events[i - this.base]!;
      if (e.type !== 'tcp.segment') continue;
      const ts = e.wireTs ?? e.ts;
      const fwd = e.src === first.src;
      const row = arrowRow(e, flagBits(e.flags), i, ts, prevTs === null ? null : Math.max(0, ts - prevTs), fwd ? b.from : b.to, fwd ? b.to : b.from, this.connScan(e));
      row.bundle = b.id;
      rows.push(row);
      prevTs = ts;
    }
    this.memberCache.set(b.id, { lastIdx: b.lastIdx, rows });
    return rows;
  }
}

const U32 = 2 ** 32;
const NO_ANALYSIS: readonly string[] = Object.freeze([]);

/** Relative to the direction's ISN (mod 2^32), as Wireshark shows; the event's own relSeq/relAck win. */
function relative(raw: number | null, isn: number | undefined): number | null {
  return raw === null || isn === undefined ? null : (((raw - isn) % U32) + U32) % U32;
}

function arrowRow(e: TcpSegmentEvent, bits: number, idx: number, ts: number, dt: number | null, from: number, to: number, c: ConnScan): ArrowRow {
  const fromClient = e.src === c.client;
  const hasAck = (bits & FLAG_BIT.ACK) !== 0;
  const relSeq = e.relSeq !== undefined ? e.relSeq : relative(e.seqNo, fromClient ? c.isnC : c.isnS);
  const relAck = e.relAck !== undefined ? e.relAck : hasAck ? relative(e.ackNo, fromClient ? c.isnS : c.isnC) : null;
  return {
    kind: 'arrow', idx, seq: e.seq, ts, proto: 'tcp', from, to, flags: flagsLabelOf(bits), hasAck,
    relSeq, relAck, len: e.len, win: e.win, inferred: e.inferred,
    analysis: e.analysis ?? NO_ANALYSIS, dt, bytes: e.bytes,
  };
}

/** Position of the event with this seq (events are in seq order), or −1. */
function indexOfSeq(events: readonly SessionEvent[], seq: number): number {
  let lo = 0;
  let hi = events.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = events[mid]!.seq;
    if (s === seq) return mid;
    if (s < seq) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

function remoteFromArgs(args: Record<string, unknown>): string | undefined {
  const host = args['host'];
  const port = args['port'];
  return typeof port === 'number' ? endpoint(typeof host === 'string' ? host : '127.0.0.1', port) : undefined;
}
