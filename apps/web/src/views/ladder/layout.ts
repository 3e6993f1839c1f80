import type {
  ApiCallEvent, ApiNoticeEvent, KernelTcpEvent, KernelUdpEvent, LinkDropEvent, Model, SessionEvent, TcpBundleEvent, TcpSegmentEvent, UdpDatagramEvent,
} from '@socketscope/shared';
import { LegMatcher, learnLink, learnModelLink } from './legs.ts';
import { FLAG_BIT, callMark, flagBits } from './marks.ts';
import { LaneResolver, type ConnScan } from './resolve.ts';
import { arrowRow, bundleRow, datagramRow, dropRow, remoteFromArgs, type Run } from './rows.ts';
import { buildSnapshot } from './snapshot.ts';
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
 *     accepted socket. A UDP socket bound to every address (0.0.0.0:p) has the datagrams that name any of
 *     its addresses with port p. Without api events (watch, pcap import) lanes come from endpoints alone.
 * L3  Lanes order left to right: clients, listeners, accepted sockets; UDP senders left of receivers.
 * L4  A run of ≥ bundleMin data segments one way on one connection (pure ACKs back allowed, nothing
 *     else in between, no SYN/FIN/RST and no analysis flag) collapses into one bundle row; an
 *     expanded bundle shows its segments after it.
 * L5  A call's mark carries the index of the first event after it started, for its activation bar.
 * L7  An agent's summary of bulk data (tcp.bundle) is one bundle row, updated by its later summaries.
 * L6  O(1) amortised per event; LadderBuilder.update() appends when the events array only grew, and
 *     also when the caller keeps a sliding window (events dropped at the front): rows of dropped
 *     events go, everything learnt from them (lanes, handshake phases, states) stays.
 * L8  The lab (wire events with `host`): a packet's departure (the sender host's capture) and its arrival
 *     (the receiver's) are one arrow from the departure's row to the arrival's (legs.ts); a link.drop is
 *     an arrow that stops at the link's middle with ✕, joined to its departure. Only departures change
 *     the handshake and teardown phases; lab packets never bundle; the receiver's copy of an agent's
 *     bundle makes no row (the sender's stands for the run). Without `host` nothing of this applies.
 */

const BUNDLE_MIN = 8;
/** how far back an activation bar may reach, in rows; bounds the backward scan */
const START_SCAN = 64;

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
  private res = new LaneResolver();
  private rows: LadderRow[] = [];
  private states: { lane: number; idx: number; to: StateBand['state'] }[] = [];
  private phases: { kind: PhaseSpan['kind']; conn: string; fromIdx: number; toIdx: number }[] = [];
  private run: Run | null = null;
  private lastWireTs: number | null = null;
  private model!: Model;
  private memberCache = new Map<number, { lastIdx: number; rows: ArrowRow[] }>();
  /** the agent's bundles (tcp.bundle) by their id, so a later summary updates the row */
  private agentBundles = new Map<number, BundleRow>();
  /** the lab's two captures of one packet, paired (L8) */
  private legs = new LegMatcher();
  /** bumped whenever rows or lanes changed */
  version = 0;

  constructor(private readonly bundleMin = BUNDLE_MIN) {}

  /** Takes the current events; appends when they extend the ones seen, else starts over. Returns whether anything changed. */
  update(events: readonly SessionEvent[], model: Model): boolean {
    this.model = model;
    this.res.model = model;
    if (this.processed > 0) {
      const last = this.events[this.processed - 1]!;
      if (events.length >= this.processed && events[this.processed - 1] === last) {
        // appended (the common live case)
      } else {
        // a sliding window: the last processed event moved towards the front (found by identity, so a
        // window in happened order, whose seqs are not sorted, slides too)
        let p = Math.min(this.processed - 2, events.length - 1);
        while (p >= 0 && events[p] !== last) p--;
        if (p >= 0) this.trimFront(this.processed - 1 - p);
        else this.reset();
      }
    }
    this.events = events;
    if (events.length === this.processed) return false;
    if (this.processed === 0) learnModelLink(this.legs, model.link); // L8: the window may not hold the link.state
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
      else before.set(this.res.lanes.find(st.lane), st);
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
    this.res = new LaneResolver();
    this.res.model = this.model;
    this.rows = [];
    this.states = [];
    this.phases = [];
    this.run = null;
    this.lastWireTs = null;
    this.memberCache.clear();
    this.legs = new LegMatcher();
  }

  private process(e: SessionEvent, idx: number): void {
    switch (e.type) {
      case 'tcp.segment': this.segment(e, idx); break;
      case 'tcp.bundle': this.agentBundle(e, idx); break;
      case 'link.drop': this.linkDrop(e, idx); break;
      case 'link.state': learnLink(this.legs, e); break;
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

  // ---- events ------------------------------------------------------------------------------

  /** µs since the previous wire event (null for the first); advances the wire clock to this event */
  private wireDelta(ts: number): number | null {
    const dt = this.lastWireTs === null ? null : Math.max(0, ts - this.lastWireTs);
    this.lastWireTs = ts;
    return dt;
  }

  private segment(e: TcpSegmentEvent, idx: number): void {
    const bits = flagBits(e.flags);
    const c = this.res.connScan(e, bits);
    const syn = (bits & FLAG_BIT.SYN) !== 0;
    const ack = (bits & FLAG_BIT.ACK) !== 0;
    const fin = (bits & FLAG_BIT.FIN) !== 0;
    const rst = (bits & FLAG_BIT.RST) !== 0;
    const fromClient = e.src === c.client;
    const leg = e.host ? this.legs.legOf(e, this.model.link?.hosts) : null;
    let handshake = false;
    if (leg === 'arrive') {
      // L8: the departure changed the phases; an arrival only needs its lanes (a paired one takes the departure's)
      handshake = syn || (rst && !fromClient && c.phase === 'syn');
    } else if (syn) {
      handshake = true;
      if (!ack) c.synIdx = idx;
      c.phase = ack ? 'synack' : 'syn';
    } else if (rst && !fromClient && c.phase === 'syn') handshake = true;
    else if (c.phase === 'synack' && fromClient && e.len === 0 && !fin && !rst) {
      handshake = true;
      c.phase = 'est';
      if (c.synIdx !== undefined) this.phases.push({ kind: 'handshake', conn: c.key, fromIdx: c.synIdx, toIdx: idx });
    } else c.phase = 'est';
    if (leg !== 'arrive') this.teardown(c, idx, fromClient, fin, ack, rst);

    const clientLane = this.res.clientLane(c);
    const serverLane = handshake ? this.res.listenLane(c, e.seq) : this.res.dataLane(c);
    if (handshake && !fromClient) {
      const r = this.res.lanes.rec(serverLane);
      if (syn && ack) r.synack = true;
      if (rst) r.refused = true;
    }
    const from = fromClient ? clientLane : serverLane;
    const to = fromClient ? serverLane : clientLane;
    this.res.lanes.touch(from, idx);
    this.res.lanes.touch(to, idx);
    if (syn && e.seqNo !== null) { if (fromClient) c.isnC = e.seqNo; else c.isnS = e.seqNo; }
    const ts = e.wireTs ?? e.ts;
    const dt = this.wireDelta(ts);
    if (leg) {
      this.run = null;
      this.rows.push(this.legRow(e, leg, arrowRow(e, bits, idx, ts, dt, from, to, c), ts));
      return;
    }

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
        this.rows.push(bundleRow(run, idx, e.seq, ts));
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

  /**
   * L7 The agent's summary of a bulk run (tcp.bundle) is one bundle row; the agent's later summaries of
   * the same run (same `bundle` id) update that row, as a run the builder bundles itself grows in place.
   */
  private agentBundle(e: TcpBundleEvent, idx: number): void {
    this.run = null;
    if (e.host && this.legs.legOf(e, this.model.link?.hosts) === 'arrive') return; // L8: the sender's copy stands for the run
    const known = this.agentBundles.get(e.bundle);
    if (known && this.rows.includes(known)) {
      known.segments = e.count;
      known.bytes = e.bytes;
      known.lastIdx = idx;
      known.lastSeq = e.seq;
      known.lastTs = e.wireEndTs;
      return;
    }
    const c = this.res.connScan({ ...e, type: 'tcp.segment', seqNo: e.firstSeq, ackNo: null, win: e.win, len: e.bytes, options: {}, inferred: false, bytes: '' }, flagBits(e.flags));
    const fromClient = e.src === c.client;
    const clientLane = this.res.clientLane(c);
    const serverLane = this.res.dataLane(c);
    const from = fromClient ? clientLane : serverLane;
    const to = fromClient ? serverLane : clientLane;
    this.res.lanes.touch(from, idx);
    this.res.lanes.touch(to, idx);
    this.wireDelta(e.wireEndTs);
    const row: BundleRow = {
      kind: 'bundle', idx, seq: e.seq, ts: e.wireTs, id: -1 - e.bundle, from, to, segments: e.count, acks: 0, bytes: e.bytes, inferred: false,
      firstIdx: idx, lastIdx: idx, lastSeq: e.seq, lastTs: e.wireEndTs, sender: e.src, expanded: false,
    };
    if (this.agentBundles.size > 4096) this.agentBundles.clear(); // bounded: a forgotten one only starts a new row
    this.agentBundles.set(e.bundle, row);
    this.rows.push(row);
  }

  private datagram(e: UdpDatagramEvent, idx: number): void {
    this.run = null;
    const from = this.res.udpLane(e.src, e.dst);
    const to = this.res.udpLane(e.dst, e.src);
    const fr = this.res.lanes.rec(from);
    fr.udpFirst ??= 'send';
    this.res.lanes.rec(to).udpFirst ??= 'recv';
    this.res.lanes.touch(from, idx);
    this.res.lanes.touch(to, idx);
    const ts = e.wireTs ?? e.ts;
    const dt = this.wireDelta(ts);
    const row = datagramRow(e, idx, ts, dt, from, to);
    const leg = e.host ? this.legs.legOf(e, this.model.link?.hosts) : null;
    this.rows.push(leg ? this.legRow(e, leg, row, ts) : row);
  }

  /** L8: a lab capture's row, paired with the other capture (or the drop) of the same packet. */
  private legRow(e: TcpSegmentEvent | UdpDatagramEvent, leg: 'depart' | 'arrive', row: ArrowRow, ts: number): ArrowRow {
    row.leg = leg;
    if (leg === 'depart') this.legs.depart(e, row, ts);
    else this.legs.arrive(e, row, ts);
    return row;
  }

  /** L8: the link dropped a packet: an arrow from the sender's lane to the link's middle, ending in ✕. */
  private linkDrop(e: LinkDropEvent, idx: number): void {
    this.run = null;
    let from: number;
    let to: number;
    let c: ConnScan | undefined;
    const bits = flagBits(e.flags ?? []);
    if (e.proto === 'tcp') {
      c = this.res.connScan({ ...e, type: 'tcp.segment', flags: e.flags ?? [], seqNo: e.seqNo ?? null, ackNo: null, win: null, options: {}, inferred: false, bytes: '' }, bits);
      const fromClient = e.src === c.client;
      // a lost SYN or SYN+ACK is the listening socket's, as its capture would have been (L2)
      const serverLane = (bits & FLAG_BIT.SYN) !== 0 ? this.res.listenLane(c, e.seq) : this.res.dataLane(c);
      const clientLane = this.res.clientLane(c);
      from = fromClient ? clientLane : serverLane;
      to = fromClient ? serverLane : clientLane;
    } else {
      from = this.res.udpLane(e.src, e.dst);
      to = this.res.udpLane(e.dst, e.src);
    }
    this.res.lanes.touch(from, idx);
    this.res.lanes.touch(to, idx);
    const ts = e.wireTs;
    const row = dropRow(e, bits, idx, ts, this.wireDelta(ts), from, to, c);
    this.legs.drop(e, row, ts);
    this.rows.push(row);
  }

  private call(e: ApiCallEvent, idx: number): void {
    if (!e.sock) return;
    this.run = null;
    let lane = this.res.linkSocket(e.sock, this.res.sockLane(e.sock));
    if (e.call === 'connect' && e.proto !== 'udp') {
      if (e.local && e.remote) {
        lane = this.res.lanes.union(lane, this.res.lanes.lane(`ep:${e.local}|${e.remote}`, { hint: 'client', proto: 'tcp', endpoint: e.local, peer: e.remote }));
      } else if (e.error) {
        // a refused connect() may not report its local port: take the SYN's lane aimed at the same server
        const remote = e.remote ?? remoteFromArgs(e.args);
        const pending = remote !== undefined ? this.res.takePendingClient(remote) : undefined;
        if (pending !== undefined) lane = this.res.lanes.union(lane, pending);
      }
    }
    if (e.call === 'accept' && e.newSock) {
      const child = this.res.sockLane(e.newSock);
      if (e.local && e.remote) this.res.lanes.union(child, this.res.lanes.lane(`ep:${e.local}|${e.remote}`, { hint: 'accepted', proto: 'tcp', endpoint: e.local, peer: e.remote }));
    }
    this.res.lanes.touch(lane, idx);
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
    const lane = this.res.linkSocket(e.sock, this.res.sockLane(e.sock));
    this.res.lanes.touch(lane, idx);
    this.rows.push({
      kind: 'mark', idx, seq: e.seq, ts: e.ts, lane, startIdx: idx,
      mark: { kind: 'notice', what: e.what, ...(e.error ? { code: e.error.code } : {}) },
    });
  }

  private kernelTcp(e: KernelTcpEvent, idx: number): void {
    const lane = this.res.kernelLane(e);
    const r = this.res.lanes.rec(lane);
    const to = e.gone ? 'CLOSED' : e.state;
    if (r.state === to || (e.gone && r.state === undefined)) return; // L1: a queue sample, no row
    this.run = null;
    const from = r.state ?? null;
    r.state = to;
    this.res.lanes.touch(lane, idx);
    // the kernel's own time where its tracepoints reported the change (as a packet's capture time)
    this.rows.push({ kind: 'state', idx, seq: e.seq, ts: e.kernelTs ?? e.ts, lane, from, to });
    this.states.push({ lane, idx, to });
  }

  private kernelUdp(e: KernelUdpEvent, idx: number): void {
    const lane = this.res.kernelLane(e);
    const r = this.res.lanes.rec(lane);
    const before = r.drops ?? 0;
    r.drops = e.drops;
    if (e.drops <= before) return;
    this.run = null;
    this.res.lanes.touch(lane, idx);
    this.rows.push({ kind: 'mark', idx, seq: e.seq, ts: e.ts, lane, startIdx: idx, mark: { kind: 'drops', added: e.drops - before, total: e.drops } });
  }

  // ---- snapshot ----------------------------------------------------------------------------

  /** The layout as it stands (see snapshot.ts); valid until the next update(). */
  snapshot(model: Model = this.model, expanded?: ReadonlySet<number>): LadderLayout {
    return buildSnapshot({
      model, rows: this.rows, lanes: this.res.lanes, states: this.states, phases: this.phases, events: this.events,
      processed: this.processed, base: this.base, ...(expanded ? { expanded } : {}), members: (b) => this.members(b),
    });
  }

  /** A bundle's segments as arrow rows, made on demand and cached until the bundle grows. */
  private members(b: BundleRow): ArrowRow[] {
    const cached = this.memberCache.get(b.id);
    if (cached && cached.lastIdx === b.lastIdx) return cached.rows;
    const rows: ArrowRow[] = [];
    let prevTs: number | null = null;
    for (let i = Math.max(b.firstIdx, this.base); i <= b.lastIdx; i++) {
      const e = this.events[i - this.base]!;
      if (e.type !== 'tcp.segment') continue;
      const ts = e.wireTs ?? e.ts;
      const fwd = e.src === b.sender;
      const row = arrowRow(e, flagBits(e.flags), i, ts, prevTs === null ? null : Math.max(0, ts - prevTs), fwd ? b.from : b.to, fwd ? b.to : b.from, this.res.connScan(e));
      row.bundle = b.id;
      rows.push(row);
      prevTs = ts;
    }
    this.memberCache.set(b.id, { lastIdx: b.lastIdx, rows });
    return rows;
  }
}

