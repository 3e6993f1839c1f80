import type { ApiCallEvent, ApiCallName, ApiNoticeEvent, KernelTcpEvent, KernelUdpEvent, SessionEvent } from '../protocol/events.ts';
import { TCP_STATES, type TcpState } from '../protocol/primitives.ts';
import { splitConnKey } from '../protocol/endpoint.ts';
import { foldBegin, foldExit, foldInput, foldOutput, foldProcStart, procCallDone } from './fold-procs.ts';
import { dropSocket, endEpoch, epochOf, newConn, newSocket, own, pushBounded, put, putConn, writableConn, writableSocket } from './fold-store.ts';
import { foldBundle, foldDatagram, foldSegment } from './fold-wire.ts';
import { RECENT_DATA, type BindFacts, type CallSummary, type ConnModel, type DataChunk, type Model, type SocketModel } from './model.ts';

/**
 * fold(model, event) → model: the one way a session's events become what the views show.
 * The agent's snapshots, the page's store, the CLI and the tests all use it, so live, replayed and
 * imported sessions look the same. A fact a view shows is made here, not re-derived beside it.
 *
 * It reads nothing but its arguments (no clock, no I/O) and costs O(1) per event. For that it
 * updates the model it is given in place, and the entities it made or copied in the model's current epoch
 * too (F13): to keep the model, or an entity of it, as it is now, take shareModel() or cloneModel() first.
 *
 * Rules (the tests quote them by id):
 * F1  An event whose seq is not above lastSeq is ignored; a jump in seq counts the missing events.
 * F2  api socket() creates the socket with its protocol; any api event for an unknown sock creates it too.
 * F3  listen() that succeeds makes a listener: apiState listening, local address, backlog.
 * F4  connect() that succeeds makes a client: connected, with local, remote and its connection.
 * F5  accept() that succeeds creates the accepted socket (newSock) with its parent listener, and
 *     takes one connection off the listener's pending count (never below zero). A connection the kernel
 *     showed waiting for accept() (a socket no program held, with the same addresses) becomes the accepted
 *     socket: its kernel state and history move to it and it leaves the model.
 * F6  An `incoming` notice adds one pending connection to the listener.
 * F7  send/recv/sendto/recvfrom that succeed add their bytes; recv() returning 0 bytes means the
 *     peer closed (peerClosed).
 * F8  shutdown() makes the socket write-shut; close() makes it closed (the kernel may keep it longer).
 * F9  kernel.tcp/kernel.udp find their socket by sock, else by local|remote, else create a watched
 *     socket (owned: false). A TCP state change is appended to the socket's bounded history (16).
 * F10 A kernel event with gone: true marks the socket gone and keeps its last state.
 * F11 tcp.segment creates or updates its connection: a SYN without ACK fixes who is client and
 *     records that direction's ISN, SYN+ACK the other's; FIN marks its direction; RST ends the
 *     connection as reset, or refused when it answers a SYN before any data. A SYN on a 4-tuple whose
 *     connection has ended (closed, reset, refused) starts a new connection under the same key.
 * F12 Every error sets the socket's lastError.
 * F13 Entities are copied on write, per epoch. A model's epoch ends at shareModel (for both copies) and when
 *     foldAll returns. Fold changes in place only a socket, connection or program (or one of its lists:
 *     recentCalls, recentData, stateHistory, outputPieces, bundles) that it made or copied on this model in
 *     the current epoch; anything older it copies on its first change, and the copy is the epoch's. So:
 *     a shareModel or cloneModel snapshot never changes when the original folds on, nor the original when
 *     the snapshot does; after a shareModel, the next change to an entity gives a new object (the page's
 *     session worker finds what changed by identity against a shareModel copy); an entity that did not
 *     change keeps its identity. Whoever keeps an entity across a fold takes a snapshot first.
 * F14 A traced program's calls fold as the BSD call they make: connect_ex as connect (when it returns 0),
 *     sendall as send, recv_into as recv, recvfrom_into as recvfrom; settimeout, setblocking and name
 *     lookups change no socket state. A socket made by a traced program carries its run.
 * F15 proc.start creates the program's ProcModel (running, or paused when started in step mode is
 *     announced by its first api.begin); api.begin makes it paused (paused: true) or in-call, with the
 *     call pending and its line lit; the api.call that completes the pending call makes it running and
 *     lights the call's line; proc.input makes it wait for input with its prompt; proc.output appends to
 *     a bounded tail; proc.exit ends it with its status. Events for an unknown run are ignored.
 * F16 A send/recv/sendto/recvfrom that succeeds with data (as its BSD call, F14) is the socket's lastData:
 *     the call, its seq, its bytes and, for sendto/recvfrom, the other end.
 * F17 The same calls append {seq, call: send|recv, len, b64} to the socket's recentData, the last
 *     RECENT_DATA (8), oldest first: the chunks its buffers are drawn from.
 * F18 A captured segment's or bundle's advertised window is kept per direction (winC2S, winS2C); windowsOf
 *     gives a socket's own and its peer's from its connection.
 * F19 A bind() that succeeds keeps its facts on the socket (bind): seq, the port asked for, and from its
 *     result the SO_REUSEADDR account (soReuseAddr, portHeldBy as heldBy, noteCode, implicit), each taken
 *     only when it has its type.
 * F20 proc.output also appends to the program's outputPieces, one per run of the same stream; their texts
 *     joined are the end of `output` (all of it unless more than OUTPUT_PIECES changes of stream fall in it).
 * F21 A connection keeps the seqs of its handshake: the client's SYN (a new SYN starts over), the
 *     server's SYN+ACK, and the client's first bare ACK after the SYN+ACK, unless a RST came first.
 * F22 pictureVersion goes up with every event that changes the picture: every api call and notice, every
 *     segment, bundle and datagram; a kernel.tcp that makes a socket, changes its state or ends it (gone);
 *     a kernel.udp whose drop count or gone changed while it has drops or is gone. Queue samples alone,
 *     scenario markers, program events and source status do not.
 * F23 A new socket, connection or program is appended to its order list in place (O(1)); every change of
 *     socketOrder, connOrder or procOrder bumps orderVersion. shareModel copies the lists.
 * F24 tcp.bundle counts as the segments it summarises: count segments (captured), bytes in its direction,
 *     its flags as F11's, its window (F18), its retransmissions. A newer event with the same bundle id
 *     replaces what the earlier one added (the connection keeps its newest BUNDLES_KEPT bundles' totals).
 *     A captured segment the analysis calls a retransmission counts in retransmissions too.
 * F25 link.state sets model.link (up, conditions, hosts; the drop counts carry over while the link is up and
 *     start at zero when it comes up again); link.drop counts in model.link.drops by its reason and changes
 *     the picture (an arrow that leaves and never arrives).
 */
export function fold(model: Model, e: SessionEvent): Model {
  // F1
  if (e.seq <= model.lastSeq) return model;
  if (model.lastSeq >= 0 && e.seq > model.lastSeq + 1) model.missing += e.seq - model.lastSeq - 1;
  model.lastSeq = e.seq;
  model.events++;
  model.version++;
  model.counts[e.layer]++;
  const epoch = epochOf(model); // F13

  let picture = false; // F22
  switch (e.type) {
    case 'api.call': foldCall(model, e, epoch); picture = true; break;
    case 'api.notice': foldNotice(model, e, epoch); picture = true; break;
    case 'kernel.tcp': picture = foldKernel(model, e, epoch); break;
    case 'kernel.udp': picture = foldKernel(model, e, epoch); break;
    case 'tcp.segment': foldSegment(model, e, epoch); picture = true; break;
    case 'tcp.bundle': foldBundle(model, e, epoch); picture = true; break;
    case 'udp.datagram': foldDatagram(model, e, epoch); picture = true; break;
    case 'source.status':
      model.sources = { ...model.sources, [e.source]: e.status };
      break;
    case 'scenario.step':
      model.scenario = { name: e.scenario, step: e.step, index: e.index, status: e.status };
      break;
    case 'api.begin': foldBegin(model, e, epoch); break;
    case 'proc.start': foldProcStart(model, e, epoch); break;
    case 'proc.output': foldOutput(model, e, epoch); break;
    case 'proc.input': foldInput(model, e, epoch); break;
    case 'proc.exit': foldExit(model, e, epoch); break;
    case 'link.state': { // F25
      const kept = model.link?.up && e.up ? model.link.drops : { loss: 0, oneshot: 0, queue: 0 };
      model.link = { up: e.up, conditions: { ...e.conditions }, ...(e.hosts ? { hosts: { ...e.hosts } } : {}), drops: kept };
      break;
    }
    case 'link.drop': { // F25
      const link = model.link ?? { up: true, conditions: { delayMs: 0, jitterMs: 0, lossPct: 0, rateKbit: null }, drops: { loss: 0, oneshot: 0, queue: 0 } };
      model.link = { ...link, drops: { ...link.drops, [e.reason]: link.drops[e.reason] + 1 } };
      picture = true;
      break;
    }
    default: break;
  }
  if (picture) model.pictureVersion++;
  return model;
}

/** Folds the events in order, then ends the model's epoch (F13): what the caller reads from it stays as it is. */
export function foldAll(model: Model, events: Iterable<SessionEvent>): Model {
  for (const e of events) fold(model, e);
  endEpoch(model);
  return model;
}

const RECENT_CALLS = 8;
const STATE_HISTORY = 16;

function touchConnFromSocket(model: Model, s: SocketModel, e: SessionEvent, stage: ConnModel['stage'], epoch: number): void {
  if (!s.conn) return;
  const ends = splitConnKey(s.conn);
  if (!ends) return;
  const was = own(model.conns, s.conn);
  const c = was ? writableConn(was, epoch) : newConn(s.conn, s.proto, ends.client, ends.server, e, epoch);
  c.lastTs = e.ts;
  c.lastSeq = e.seq;
  if (s.role === 'client') c.clientSock = s.id;
  if (s.role === 'accepted') c.serverSock = s.id;
  if (c.stage === 'opening' && stage === 'open') c.stage = 'open';
  putConn(model, c, was);
}

/** F14: the BSD call a traced Python call makes, for the socket's state. */
const AS_BSD: Partial<Record<ApiCallName, ApiCallName>> = {
  connect_ex: 'connect', sendall: 'send', recv_into: 'recv', recvfrom_into: 'recvfrom',
};

/** F14: the BSD call a call makes (the name itself for the engine's calls). */
export function bsdCall(call: ApiCallName): ApiCallName {
  return AS_BSD[call] ?? call;
}

function foldCall(model: Model, e: ApiCallEvent, epoch: number): void {
  if (e.proc) procCallDone(model, e, e.proc.run, epoch);
  const id = e.sock;
  if (!id) return;
  let was = own(model.sockets, id);
  const s = was ? writableSocket(was, epoch) : newSocket(id, e.proto ?? 'tcp', true, e.seq, epoch); // F2
  const ok = !e.error;
  const summary: CallSummary = { call: e.call, seq: e.seq, ts: e.ts, ok };
  if (e.error) summary.code = e.error.code;
  if (e.data) summary.len = e.data.len;
  s.lastSeq = e.seq;
  pushBounded(s.recentCalls, summary, RECENT_CALLS);
  if (e.proto) s.proto = e.proto;
  if (e.proc && !s.run) s.run = e.proc.run;
  if (e.error) s.lastError = { ...e.error, seq: e.seq }; // F12
  // accept() reports the new connection's addresses; the listener keeps its own
  if (ok && e.call !== 'accept') {
    if (e.local) s.local = e.local;
    if (e.remote) s.remote = e.remote;
    if (e.conn) s.conn = e.conn;
  }

  // connect_ex reports its errno as a result, not an exception
  const call = bsdCall(e.call);
  const done = ok && !(e.call === 'connect_ex' && e.result !== 0);
  if (done) {
    switch (call) {
      case 'bind': s.apiState = 'bound'; s.bind = bindFacts(e); break; // F19
      case 'listen': { // F3
        s.role = 'listener';
        s.apiState = 'listening';
        const backlog = e.args['backlog'];
        if (typeof backlog === 'number') s.backlog = backlog;
        break;
      }
      case 'connect': // F4
        if (s.proto === 'tcp') { s.role = 'client'; s.apiState = 'connected'; }
        break;
      case 'accept': { // F5
        s.pendingAccept = Math.max(0, s.pendingAccept - 1);
        if (e.newSock) {
          const child = newSocket(e.newSock, 'tcp', true, e.seq, epoch);
          if (s.run) child.run = s.run;
          child.role = 'accepted';
          child.parent = id;
          child.apiState = 'connected';
          if (e.remote) child.remote = e.remote;
          child.local = e.local ?? s.local;
          if (e.conn) child.conn = e.conn;
          adoptWaiting(model, child);
          put(model, child, undefined);
          touchConnFromSocket(model, child, e, 'open', epoch);
          // a crafted event may name the listener itself as the new socket: store the listener again below
          was = own(model.sockets, id);
        }
        break;
      }
      case 'send': case 'sendto': s.bytesSent += e.data?.len ?? 0; break;
      case 'recv': case 'recvfrom': // F7
        s.bytesReceived += e.data?.len ?? 0;
        if (call === 'recv' && e.data && e.data.len === 0) s.peerClosed = true;
        break;
      case 'shutdown': s.apiState = 'write-shut'; break; // F8
      case 'close': s.apiState = 'closed'; break;
      default: break;
    }
    if (e.data && (call === 'send' || call === 'recv' || call === 'sendto' || call === 'recvfrom')) { // F16, F17
      s.lastData = { call, seq: e.seq, data: e.data };
      if (e.remote && (call === 'sendto' || call === 'recvfrom')) s.lastData.peer = e.remote;
      const chunk: DataChunk = { seq: e.seq, call: call === 'send' || call === 'sendto' ? 'send' : 'recv', len: e.data.len, b64: e.data.b64 };
      if (s.recentData) pushBounded(s.recentData, chunk, RECENT_DATA); else s.recentData = [chunk];
    }
  }
  put(model, s, was);
  if (done && call === 'connect' && s.role === 'client') touchConnFromSocket(model, s, e, 'open', epoch);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const STATES = new Set<string>(TCP_STATES);

/** F19: the bind's facts, each only where it has its type (a result is any JSON). */
function bindFacts(e: ApiCallEvent): BindFacts {
  const b: BindFacts = { seq: e.seq };
  const port = e.args['port'];
  if (typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535) b.port = port;
  const r = e.result;
  if (!isObject(r)) return b;
  const reuse = r['soReuseAddr'];
  if (isObject(reuse) && typeof reuse['requested'] === 'boolean' && typeof reuse['actual'] === 'boolean') {
    b.soReuseAddr = { requested: reuse['requested'], actual: reuse['actual'] };
  }
  const held = r['portHeldBy'];
  if (isObject(held)) {
    const heldBy: Partial<Record<TcpState, number>> = {};
    for (const [state, n] of Object.entries(held)) {
      if (STATES.has(state) && typeof n === 'number' && Number.isInteger(n) && n > 0) heldBy[state as TcpState] = n;
    }
    b.heldBy = heldBy;
  }
  const code = r['noteCode'];
  if (typeof code === 'string' && code.length > 0 && code.length <= 64) b.noteCode = code;
  if (r['implicit'] === true) b.implicit = true;
  return b;
}

/** F5: the accepted socket takes over the kernel's view of the connection that waited for accept(). */
function adoptWaiting(model: Model, child: SocketModel): void {
  if (!child.local || !child.remote) return;
  const id = own(model.byEndpoints, `${child.local}|${child.remote}`);
  const waiting = id === undefined ? undefined : own(model.sockets, id);
  if (!waiting || waiting.owned || waiting.id === child.id) return;
  // a copy: the child changes its lists in place, and the waiting socket may be a snapshot's too (F13)
  child.stateHistory = waiting.stateHistory.slice();
  if (waiting.state) child.state = waiting.state;
  child.sendQueue = waiting.sendQueue;
  child.recvQueue = waiting.recvQueue;
  if (waiting.info) child.info = waiting.info;
  dropSocket(model, waiting.id);
}

function foldNotice(model: Model, e: ApiNoticeEvent, epoch: number): void {
  const id = e.sock;
  if (!id) return;
  const was = own(model.sockets, id);
  const s = was ? writableSocket(was, epoch) : newSocket(id, 'tcp', true, e.seq, epoch);
  s.lastSeq = e.seq;
  switch (e.what) {
    case 'incoming': s.pendingAccept++; break; // F6
    case 'peer-closed': s.peerClosed = true; break;
    case 'closed': s.apiState = 'closed'; break;
    default: break;
  }
  if (e.error) s.lastError = { ...e.error, seq: e.seq }; // F12
  put(model, s, was);
}

function findSocket(model: Model, sock: string | undefined, local: string, remote: string | undefined): string | undefined {
  if (sock && Object.hasOwn(model.sockets, sock)) return sock;
  return own(model.byEndpoints, `${local}|${remote ?? ''}`);
}

/** F9, F10; returns whether the event changes the picture (F22). */
function foldKernel(model: Model, e: KernelTcpEvent | KernelUdpEvent, epoch: number): boolean {
  const proto = e.type === 'kernel.tcp' ? 'tcp' : 'udp';
  const id = findSocket(model, e.sock, e.local, e.remote) ?? e.sock ?? `w:${e.local}|${e.remote ?? ''}`;
  const known = own(model.sockets, id);
  const s = known ? writableSocket(known, epoch) : newSocket(id, proto, false, e.seq, epoch);
  // what the socket was before this event (s may be changed in place)
  const prevState = s.state;
  const prevGone = s.gone;
  const prevDrops = s.drops;
  s.lastSeq = e.seq;
  s.sendQueue = e.sendQueue;
  s.recvQueue = e.recvQueue;
  if (!s.local) s.local = e.local;
  if (!s.remote && e.remote) s.remote = e.remote;
  if (e.gone) s.gone = true; // F10
  let picture: boolean;
  if (e.type === 'kernel.tcp') {
    if (e.acceptQueue !== undefined) s.acceptQueue = e.acceptQueue;
    if (e.backlog !== undefined) s.backlog = e.backlog;
    if (e.info) s.info = e.info;
    if (!e.gone && prevState !== e.state) {
      pushBounded(s.stateHistory, { from: prevState ?? null, to: e.state, seq: e.seq, ts: e.ts }, STATE_HISTORY);
      s.state = e.state;
    }
    if (!s.owned && s.role === 'unknown') s.role = e.state === 'LISTEN' ? 'listener' : 'unknown';
    if (!s.conn && e.conn) s.conn = e.conn;
    picture = !known || (e.gone ? !prevGone : prevState !== e.state);
  } else {
    s.drops = e.drops;
    picture = (prevDrops !== e.drops || prevGone !== s.gone) && (e.drops > 0 || e.gone === true);
  }
  put(model, s, known);
  return picture;
}
