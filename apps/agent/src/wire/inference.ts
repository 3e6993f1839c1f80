/**
 * Wire inference: where packet capture is off or not permitted, the wire layer is inferred from the
 * api and kernel layers and every inferred event says so. Rules it enforces:
 * - I1 Every event it emits has inferred: true and inferredFrom (the evidence, in English), and NO invented
 *   numbers: seqNo, ackNo, relSeq, relAck and win are null, options empty.
 * - I2 Nothing is inferred that did not happen: a failed call infers nothing (except connect refused,
 *   whose SYN and RST did happen); bytes the kernel shows still queued are not put on the wire until the
 *   kernel (or the reader) shows them leave; close() with unread bytes infers RST, as Linux sends.
 * - I3 Each packet is inferred once: a handshake, a FIN per direction, a RST per connection; evidence
 *   that comes later (the peer's accept, a kernel state, the capture itself) finds it already there.
 * - I4 It emits only while `enabled`: until a wire source.status says capture is running, and again
 *   whenever one says it stopped. Captured segments keep its bookkeeping right across the switch, and so
 *   do captured bundles (each event of a bundle counts the bytes it added since that bundle's last one).
 * Rules on kernel states live in inference-kernel.ts.
 */
import {
  bsdCall, endpoint, isLoopbackHost, type ApiCallEvent, type ApiNoticeEvent, type EventInput, type SessionEvent,
  type TcpBundleEvent, type TcpFlag, type TcpSegmentEvent,
} from '@socketscope/shared';
import type { Emit } from '../sources/source.ts';
import { Book, BundleDeltas, dirOf, F, peerOf, wireSource, type ConnBook } from './inference-book.ts';
import { kernelRules } from './inference-kernel.ts';

export class WireInference {
  readonly book = new Book();
  private captureRunning = false;
  private lastSeq = -1;
  private readonly bundles = new BundleDeltas();

  constructor(private readonly emitFn: Emit) {}

  /** True while capture is off, unavailable or not (yet) running: then the wire layer is inferred. */
  get enabled(): boolean {
    return !this.captureRunning;
  }

  /** Feed every session event here (session.subscribe). Never throws. */
  observe(e: SessionEvent): void {
    // a new session (seq starts again): forget the old one's sockets and connections
    if (e.seq <= this.lastSeq) {
      this.book.clear();
      this.bundles.clear();
    }
    this.lastSeq = e.seq;
    switch (e.type) {
      case 'source.status':
        if (e.source === 'wire') this.captureRunning = e.status.running;
        return;
      case 'api.call': this.call(e); return;
      case 'api.notice': this.notice(e); return;
      case 'kernel.tcp': kernelRules(this, e); return;
      case 'tcp.segment': if (!e.inferred) this.captured(e); return;
      case 'tcp.bundle': this.bundled(e); return;
      case 'udp.datagram': if (!e.inferred) this.book.flow(e.src, e.dst).sent++; return;
      default: return;
    }
  }

  // ---- api rules ------------------------------------------------------------------------------------

  private call(e: ApiCallEvent): void {
    const id = e.sock;
    if (!id) return;
    const s = this.book.sock(id, e.proto ?? 'tcp');
    if (!e.error && e.call !== 'accept') {
      if (e.local) s.local = e.local;
      if (e.remote && s.proto === 'tcp') s.remote = e.remote;
      if (e.conn) s.conn = e.conn;
    }
    // a traced Python program's calls are inferred from as the BSD calls they make (fold F14)
    const call = bsdCall(e.call);
    if (e.call === 'connect_ex' && e.result !== 0) {
      if (e.result === 111) this.refused(e); // ECONNREFUSED on Linux, as connect_ex returns it
      return;
    }
    if (e.error) {
      if (call === 'connect' && e.error.code === 'ECONNREFUSED') this.refused(e);
      return; // I2: a call that failed put nothing on the wire
    }
    const c = s.conn ? this.book.conn(s.conn) : null;
    switch (call) {
      case 'listen': s.listener = true; s.waiting = []; return;
      case 'connect':
        if (c && s.proto === 'tcp') this.handshake(c, 3, 'connect() returned: the three-way handshake had completed');
        return;
      case 'accept': {
        if (!e.newSock || !e.conn) return;
        const child = this.book.sock(e.newSock, 'tcp');
        if (e.local) child.local = e.local;
        if (e.remote) child.remote = e.remote;
        child.conn = e.conn;
        if (s.waiting) s.waiting = s.waiting.filter((k) => k !== e.conn);
        const cc = this.book.conn(e.conn);
        if (cc) this.handshake(cc, 3, 'accept() returned a connection: the kernel had completed its handshake');
        return;
      }
      case 'send': {
        const n = e.data?.len ?? 0;
        if (!c || !s.local || n === 0) return;
        const d = dirOf(c, s.local);
        const waiting = (e.result as { waiting?: number } | undefined)?.waiting ?? 0;
        if (!this.enabled) return;
        if (d.stalled || d.pending > 0 || waiting > 0) {
          // I2: the kernel (or the agent, when its buffer is full) holds them until the window opens
          d.pending += n;
          d.inAgent = Math.min(d.pending, waiting);
          if (waiting > 0) d.stalled = true;
          return;
        }
        this.data(c, s.local, n, `send() of ${n} bytes${n > 65483 ? ' (several segments on the wire)' : ''}`, e.data?.b64);
        return;
      }
      case 'recv': {
        const n = e.data?.len ?? 0;
        if (!c || !s.local) return;
        if (n === 0) {
          const peer = peerOf(c, s.local);
          this.settle(c, peer, dirOf(c, peer).consumed, 'recv() reached the end: every byte before the FIN had arrived');
          this.fin(c, peer, 'recv() returned 0 bytes: the peer had sent FIN');
          return;
        }
        this.consumed(c, s.local, n, e.data?.b64);
        return;
      }
      case 'shutdown':
        if (c && s.local) this.fin(c, s.local, 'shutdown(SHUT_WR): the kernel sends FIN after the queued bytes');
        return;
      case 'close': this.close(e, s.local, c, s.waiting); return;
      case 'sendto': this.sendto(e, s.local); return;
      case 'recvfrom': this.recvfrom(e, s.local); return;
      default: return;
    }
  }

  private close(e: ApiCallEvent, local: string | undefined, c: ConnBook | null, waiting: string[] | undefined): void {
    const r = (e.result ?? {}) as { rst?: boolean; resetWaiting?: number; alreadyClosedByRuntime?: boolean; discarded?: number };
    if (waiting && (r.resetWaiting ?? 0) > 0) {
      // a listener closed with connections still waiting for accept(): Linux resets each of them
      for (const k of waiting) {
        const w = this.book.conn(k);
        if (w) this.rst(w, w.server, 'the listening socket closed with this connection still waiting for accept(): reset');
      }
      return;
    }
    if (!c || !local || r.alreadyClosedByRuntime) return;
    const out = dirOf(c, local);
    if (r.discarded) {
      // bytes still waiting inside the agent die with the socket (at most that many: Node counts a chunk
      // the kernel took in part as wholly waiting), so the exact count comes from the receiver (settle)
      out.pending = Math.max(0, out.pending - r.discarded);
      out.inAgent = 0;
      out.awaitExact = true;
    }
    if (r.rst === true) {
      this.rst(c, local, 'abortive close (SO_LINGER 0): the kernel sends RST');
      return;
    }
    const incoming = dirOf(c, peerOf(c, local));
    const unread = incoming.delivered - incoming.consumed;
    if (unread > 0 && this.enabled) {
      this.rst(c, local, `close() with ${unread} unread bytes in the receive buffer: Linux sends RST instead of FIN`);
      return;
    }
    this.fin(c, local, 'close(): the kernel sends FIN');
  }

  private refused(e: ApiCallEvent): void {
    const host = typeof e.args['host'] === 'string' ? e.args['host'] : '';
    const port = typeof e.args['port'] === 'number' ? e.args['port'] : 0;
    // the address must be a literal we can show; Node does not report the client's port for a refused connect
    if (!port || (!isLoopbackHost(host) && !/^[\d.]+$|:/.test(host)) || host === 'localhost') return;
    const server = endpoint(host, port);
    const client = endpoint(host.includes(':') ? '::1' : '127.0.0.1', 0);
    const c = this.book.conn(`${client}>${server}`);
    if (!c || c.handshake > 0 || c.rst) return;
    const why = 'connect() failed with ECONNREFUSED: nobody listens there (client port not reported, shown as 0)';
    if (!this.enabled) return;
    this.seg(c, client, F.syn, 0, why);
    this.seg(c, server, F.rstAck, 0, why);
    c.handshake = 1;
    c.rst = true;
    this.book.conns.delete(c.key); // a later refused connect to the same port is a new attempt
  }

  private notice(e: ApiNoticeEvent): void {
    const c = e.conn ? this.book.conn(e.conn) : null;
    switch (e.what) {
      case 'incoming': {
        if (!c) return;
        const l = e.sock ? this.book.sock(e.sock) : undefined;
        if (l?.waiting) l.waiting = [...l.waiting.slice(-255), c.key]; // the engine holds at most backlog+1
        this.handshake(c, 3, 'a connection is waiting for accept(): the kernel completed the handshake');
        return;
      }
      case 'peer-closed': {
        const s = e.sock ? this.book.socks.get(e.sock) : undefined;
        const me = s?.local ?? e.local;
        if (c && me) this.fin(c, peerOf(c, me), "the event loop read the peer's FIN");
        return;
      }
      case 'error': {
        if (!c) return;
        if (e.error?.code === 'ECONNRESET') {
          const me = e.local ?? (e.sock ? this.book.socks.get(e.sock)?.local : undefined);
          if (me) this.rst(c, peerOf(c, me), 'the socket failed with ECONNRESET: the peer sent RST');
        } else if ((e.detail as { dropped?: boolean } | undefined)?.dropped) {
          this.handshake(c, 3, 'the kernel completed the handshake before the agent refused the connection');
          this.rst(c, c.server, 'the agent refused this connection (limit reached) by resetting it');
        }
        return;
      }
      case 'blocked':
      case 'writable': {
        const s = e.sock ? this.book.socks.get(e.sock) : undefined;
        if (!c || !s?.local) return;
        const d = dirOf(c, s.local);
        if (e.what === 'blocked') d.stalled = true;
        else d.inAgent = 0; // the agent's queue drained into the kernel (it may still hold them)
        return;
      }
      default: return;
    }
  }

  private sendto(e: ApiCallEvent, local: string | undefined): void {
    const n = e.data?.len ?? 0;
    if (!local || !e.remote || !this.enabled) return;
    const src = wireSource(local, e.remote);
    this.datagram(e.sock, src, e.remote, n, e.data?.b64, `sendto() of ${n} bytes returned`);
  }

  private recvfrom(e: ApiCallEvent, local: string | undefined): void {
    const n = e.data?.len ?? 0;
    if (!local || !e.remote) return;
    const me = wireSource(local, e.remote);
    const flow = this.book.flow(e.remote, me);
    flow.read++;
    // a datagram already on the wire (inferred at our sendto, or captured) is not inferred twice
    if (flow.read <= flow.sent) return;
    flow.sent = flow.read;
    if (this.enabled) this.datagram(e.sock, e.remote, me, n, e.data?.b64, 'recvfrom() returned a datagram from this sender', false);
  }

  /** Captured segments keep the bookkeeping honest, so inference resumes correctly if capture stops (I4). */
  private captured(e: TcpSegmentEvent): void {
    const c = e.conn ? this.book.conn(e.conn) : null;
    if (!c) return;
    const syn = e.flags.includes('SYN');
    const ack = e.flags.includes('ACK');
    if (syn && !ack) c.handshake = Math.max(c.handshake, 1) as ConnBook['handshake'];
    else if (syn && ack) c.handshake = Math.max(c.handshake, 2) as ConnBook['handshake'];
    else if (ack && c.handshake === 2) c.handshake = 3;
    const d = dirOf(c, e.src);
    d.delivered += e.len;
    if (e.flags.includes('FIN')) d.fin = true;
    // an ACK after the other side's FIN acknowledges it (close enough for bookkeeping)
    const other = dirOf(c, peerOf(c, e.src));
    if (ack && other.fin) other.finAcked = true;
    if (e.flags.includes('RST')) c.rst = true;
  }

  /** A captured run of data, summarised (capture-bundle.ts): only its new bytes count (I4). */
  private bundled(e: TcpBundleEvent): void {
    const added = this.bundles.added(e);
    const c = e.conn ? this.book.conn(e.conn) : null;
    if (c && added > 0) dirOf(c, e.src).delivered += added;
  }

  // ---- what the rules put on the wire ---------------------------------------------------------------

  /** Completes the handshake up to `upTo` (3 = established); steps already there are not repeated. */
  handshake(c: ConnBook, upTo: 1 | 2 | 3, why: string): void {
    if (!this.enabled || c.rst) return;
    while (c.handshake < upTo) {
      const step = c.handshake + 1;
      if (step === 1) this.seg(c, c.client, F.syn, 0, why);
      else if (step === 2) this.seg(c, c.server, F.synAck, 0, why);
      else this.seg(c, c.client, F.ack, 0, why);
      c.handshake = step as ConnBook['handshake'];
    }
  }

  /** n payload bytes from `src`, and the receiving kernel's ACK. */
  data(c: ConnBook, src: string, n: number, why: string, b64?: string): void {
    if (!this.enabled || c.rst || n <= 0) return;
    const d = dirOf(c, src);
    if (d.fin) return; // nothing is sent after FIN
    this.handshake(c, 3, why);
    this.seg(c, src, F.pshAck, n, why, b64);
    d.delivered += n;
    this.seg(c, peerOf(c, src), F.ack, 0, `the peer's kernel acknowledges data (${why})`);
  }

  /** The receiving program read n bytes from `me`'s side: bytes nobody saw sent crossed the wire first. */
  consumed(c: ConnBook, me: string, n: number, b64?: string): void {
    const src = peerOf(c, me);
    const d = dirOf(c, src);
    d.consumed += n;
    const unseen = d.consumed - d.delivered;
    if (unseen <= 0) return;
    if (!this.enabled) {
      d.delivered = d.consumed;
      return;
    }
    // bytes the reader got that nobody saw leave the sender had been waiting in its kernel: no longer
    d.pending = Math.max(0, d.pending - unseen);
    d.inAgent = Math.min(d.inAgent, d.pending);
    this.data(c, src, unseen, `recv() returned ${n} bytes that had crossed from the peer`, b64);
    if (d.pending === 0) this.flushFin(c, src);
  }

  /**
   * The sender's kernel shows `queued` bytes not yet acknowledged (kernel.tcp sendQueue). The oldest
   * leave first: bytes we had already put on the wire (owed) before bytes we held back (pending).
   */
  sendQueue(c: ConnBook, src: string, queued: number): void {
    const d = dirOf(c, src);
    d.stalled = queued > 0 || d.inAgent > 0;
    const inKernel = d.pending - d.inAgent;
    const total = d.owed + inKernel;
    if (queued >= total) {
      d.owed = queued - inKernel; // send() calls we put on the wire were in fact still queued
      return;
    }
    const leaving = total - queued;
    const fromOwed = Math.min(d.owed, leaving);
    const fromPending = Math.min(leaving - fromOwed, inKernel);
    d.owed -= fromOwed;
    if (fromPending > 0) {
      d.pending -= fromPending;
      if (this.enabled) this.data(c, src, fromPending, `the kernel send queue shrank: ${fromPending} waiting bytes went out`);
      else d.delivered += fromPending;
    }
    if (d.pending === 0) this.flushFin(c, src);
  }

  /**
   * The exact number of bytes that crossed from `src` before its FIN is now known (the receiver read to
   * the end, or its kernel holds the FIN behind the unread rest): put the missing ones on the wire, forget
   * what never left, then the FIN may follow.
   */
  settle(c: ConnBook, src: string, total: number, why: string): void {
    const d = dirOf(c, src);
    if (!d.awaitExact && d.pending === 0) return;
    const unseen = total - d.delivered;
    d.pending = 0;
    d.inAgent = 0;
    d.awaitExact = false;
    d.stalled = false;
    if (unseen > 0) {
      if (this.enabled) this.data(c, src, unseen, why);
      else d.delivered += unseen;
    }
    this.flushFin(c, src);
  }

  private flushFin(c: ConnBook, src: string): void {
    const d = dirOf(c, src);
    if (d.finAfterPending && d.pending === 0 && !d.awaitExact) {
      d.finAfterPending = false;
      this.fin(c, src, 'the FIN follows the bytes that were queued before shutdown/close');
    }
  }

  /**
   * FIN from `src`, once per direction and after any bytes still pending, and the peer's ACK of it
   * unless the evidence says that ACK has not come yet (FIN_WAIT1, LAST_ACK): then ackFin() adds it later.
   */
  fin(c: ConnBook, src: string, why: string, acked = true): void {
    if (!this.enabled || c.rst) return;
    const d = dirOf(c, src);
    if (!d.fin) {
      if (d.pending > 0 || d.awaitExact) {
        d.finAfterPending = true;
        return;
      }
      this.handshake(c, 3, why);
      this.seg(c, src, F.finAck, 0, why);
      d.fin = true;
    }
    if (acked) this.ackFin(c, src, why);
  }

  /** The peer's kernel acknowledges `src`'s FIN (once). */
  ackFin(c: ConnBook, src: string, why: string): void {
    const d = dirOf(c, src);
    if (!this.enabled || c.rst || !d.fin || d.finAcked) return;
    d.finAcked = true;
    this.seg(c, peerOf(c, src), F.ack, 0, `the peer's kernel acknowledges the FIN (${why})`);
  }

  rst(c: ConnBook, src: string, why: string): void {
    if (!this.enabled || c.rst) return;
    this.seg(c, src, F.rstAck, 0, why);
    c.rst = true;
  }

  private seg(c: ConnBook, src: string, flags: TcpFlag[], len: number, why: string, b64?: string): void {
    const dst = peerOf(c, src);
    const sock = this.book.sockAt(src, dst) ?? this.book.sockAt(dst, src);
    const e: EventInput = {
      layer: 'wire', type: 'tcp.segment', conn: c.key, src, dst, flags: [...flags],
      seqNo: null, ackNo: null, relSeq: null, relAck: null, win: null, len, options: {},
      inferred: true, inferredFrom: why.slice(0, 200), bytes: len > 0 && b64 ? b64 : '',
    };
    if (sock) e.sock = sock;
    this.emit(e);
  }

  private datagram(sock: string | undefined, src: string, dst: string, len: number, b64: string | undefined, why: string, count = true): void {
    if (count) this.book.flow(src, dst).sent++;
    const e: EventInput = { layer: 'wire', type: 'udp.datagram', src, dst, len, inferred: true, inferredFrom: why.slice(0, 200), bytes: b64 ?? '' };
    if (sock) e.sock = sock;
    this.emit(e);
  }

  private emit(e: EventInput): void {
    try {
      this.emitFn(e);
    } catch {
      // the session reports invalid events itself; inference must never break the subscriber chain
    }
  }
}
