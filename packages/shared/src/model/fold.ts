import type {
  ApiBeginEvent, ApiCallEvent, ApiCallName, ApiNoticeEvent, ProcExitEvent, ProcInputEvent, ProcOutputEvent, ProcStartEvent, KernelTcpEvent, KernelUdpEvent, SessionEvent, TcpSegmentEvent, UdpDatagramEvent,
} from '../protocol/events.ts';
import { splitConnKey } from '../protocol/endpoint.ts';
import { OUTPUT_TAIL, type CallSummary, type ConnModel, type Model, type ProcModel, type SocketModel } from './model.ts';

/**
 * fold(model, event) → model: the one way a session's events become what the views show.
 * The agent's snapshots, the page's store, the CLI and the tests all use it, so live, replayed and
 * imported sessions look the same.
 *
 * It reads nothing but its arguments (no clock, no I/O) and costs O(1) per event. For that it
 * updates the model it is given in place; every socket or connection it changes is replaced by a new
 * object, so views can compare entities by identity. Take cloneModel() for a snapshot.
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
 * F13 Entities are replaced, never mutated: a changed socket or connection is a new object.
 * F14 A traced program's calls fold as the BSD call they make: connect_ex as connect (when it returns 0),
 *     sendall as send, recv_into as recv, recvfrom_into as recvfrom; settimeout, setblocking and name
 *     lookups change no socket state. A socket made by a traced program carries its run.
 * F15 proc.start creates the program's ProcModel (running, or paused when started in step mode is
 *     announced by its first api.begin); api.begin makes it paused (paused: true) or in-call, with the
 *     call pending and its line lit; the api.call that completes the pending call makes it running and
 *     lights the call's line; proc.input makes it wait for input with its prompt; proc.output appends to
 *     a bounded tail; proc.exit ends it with its status. Events for an unknown run are ignored.
 */
export function fold(model: Model, e: SessionEvent): Model {
  // F1
  if (e.seq <= model.lastSeq) return model;
  if (model.lastSeq >= 0 && e.seq > model.lastSeq + 1) model.missing += e.seq - model.lastSeq - 1;
  model.lastSeq = e.seq;
  model.events++;
  model.version++;
  model.counts[e.layer]++;

  switch (e.type) {
    case 'api.call': foldCall(model, e); break;
    case 'api.notice': foldNotice(model, e); break;
    case 'kernel.tcp':
    case 'kernel.udp': foldKernel(model, e); break;
    case 'tcp.segment': foldSegment(model, e); break;
    case 'udp.datagram': foldDatagram(model, e); break;
    case 'source.status':
      model.sources = { ...model.sources, [e.source]: e.status };
      break;
    case 'scenario.step':
      model.scenario = { name: e.scenario, step: e.step, index: e.index, status: e.status };
      break;
    case 'api.begin': foldBegin(model, e); break;
    case 'proc.start': foldProcStart(model, e); break;
    case 'proc.output': foldOutput(model, e); break;
    case 'proc.input': foldInput(model, e); break;
    case 'proc.exit': foldExit(model, e); break;
  }
  return model;
}

export function foldAll(model: Model, events: Iterable<SessionEvent>): Model {
  for (const e of events) fold(model, e);
  return model;
}

const RECENT_CALLS = 8;
const STATE_HISTORY = 16;

function newSocket(id: string, proto: 'tcp' | 'udp', owned: boolean, seq: number): SocketModel {
  return {
    id, proto, role: proto === 'udp' ? 'udp' : 'unknown', owned, apiState: 'open', stateHistory: [],
    sendQueue: 0, recvQueue: 0, pendingAccept: 0, bytesSent: 0, bytesReceived: 0, peerClosed: false,
    gone: false, recentCalls: [], firstSeq: seq, lastSeq: seq,
  };
}

function put(model: Model, s: SocketModel): void {
  if (!(s.id in model.sockets)) model.socketOrder = [...model.socketOrder, s.id];
  model.sockets[s.id] = s;
  if (s.local) model.byEndpoints[`${s.local}|${s.remote ?? ''}`] = s.id;
}

function putConn(model: Model, c: ConnModel): void {
  if (!(c.key in model.conns)) model.connOrder = [...model.connOrder, c.key];
  model.conns[c.key] = c;
}

function newConn(key: string, proto: 'tcp' | 'udp', client: string, server: string, e: SessionEvent): ConnModel {
  return {
    key, proto, client, server, stage: 'opening', segments: 0, capturedSegments: 0, inferredSegments: 0,
    bytesC2S: 0, bytesS2C: 0, finC2S: false, finS2C: false, rst: false,
    firstTs: e.ts, lastTs: e.ts, firstSeq: e.seq, lastSeq: e.seq,
  };
}

function touchConnFromSocket(model: Model, s: SocketModel, e: SessionEvent, stage: ConnModel['stage']): void {
  if (!s.conn) return;
  const ends = splitConnKey(s.conn);
  if (!ends) return;
  const prev = model.conns[s.conn] ?? newConn(s.conn, s.proto, ends.client, ends.server, e);
  const next: ConnModel = { ...prev, lastTs: e.ts, lastSeq: e.seq };
  if (s.role === 'client') next.clientSock = s.id;
  if (s.role === 'accepted') next.serverSock = s.id;
  if (prev.stage === 'opening' && stage === 'open') next.stage = 'open';
  putConn(model, next);
}

/** F14: the BSD call a traced Python call makes, for the socket's state. */
const AS_BSD: Partial<Record<ApiCallName, ApiCallName>> = {
  connect_ex: 'connect', sendall: 'send', recv_into: 'recv', recvfrom_into: 'recvfrom',
};

/** F14: the BSD call a call makes (the name itself for the engine's calls). */
export function bsdCall(call: ApiCallName): ApiCallName {
  return AS_BSD[call] ?? call;
}

function foldCall(model: Model, e: ApiCallEvent): void {
  if (e.proc) procCallDone(model, e);
  const id = e.sock;
  if (!id) return;
  const prev = model.sockets[id] ?? newSocket(id, e.proto ?? 'tcp', true, e.seq); // F2
  const ok = !e.error;
  const summary: CallSummary = { call: e.call, seq: e.seq, ts: e.ts, ok };
  if (e.error) summary.code = e.error.code;
  if (e.data) summary.len = e.data.len;
  const s: SocketModel = {
    ...prev,
    lastSeq: e.seq,
    recentCalls: [...prev.recentCalls.slice(-(RECENT_CALLS - 1)), summary],
  };
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
  const call = AS_BSD[e.call] ?? e.call;
  const done = ok && !(e.call === 'connect_ex' && e.result !== 0);
  if (done) {
    switch (call) {
      case 'bind': s.apiState = 'bound'; break;
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
          const child = newSocket(e.newSock, 'tcp', true, e.seq);
          if (s.run) child.run = s.run;
          child.role = 'accepted';
          child.parent = id;
          child.apiState = 'connected';
          if (e.remote) child.remote = e.remote;
          child.local = e.local ?? s.local;
          if (e.conn) child.conn = e.conn;
          adoptWaiting(model, child);
          put(model, child);
          touchConnFromSocket(model, child, e, 'open');
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
  }
  put(model, s);
  if (done && call === 'connect' && s.role === 'client') touchConnFromSocket(model, s, e, 'open');
}

function putProc(model: Model, p: ProcModel): void {
  if (!(p.run in model.procs)) model.procOrder = [...model.procOrder, p.run];
  model.procs[p.run] = p;
}

function foldProcStart(model: Model, e: ProcStartEvent): void { // F15
  putProc(model, {
    run: e.proc.run, pid: e.proc.pid, program: e.proc.program, file: e.file, args: e.args, python: e.python,
    status: 'running', step: e.step, output: '', outputBytes: 0, firstSeq: e.seq, lastSeq: e.seq,
  });
}

function foldBegin(model: Model, e: ApiBeginEvent): void {
  const prev = e.proc && model.procs[e.proc.run];
  if (!prev || prev.status === 'exited') return;
  const p: ProcModel = {
    ...prev, lastSeq: e.seq, status: e.paused ? 'paused' : 'in-call',
    pending: { call: e.call, seq: e.seq, ts: e.ts, ...(e.callId !== undefined ? { callId: e.callId } : {}) },
  };
  if (e.src) p.line = e.src.line;
  putProc(model, p);
}

function procCallDone(model: Model, e: ApiCallEvent): void {
  const prev = model.procs[e.proc!.run];
  if (!prev || prev.status === 'exited') return;
  const p: ProcModel = { ...prev, lastSeq: e.seq };
  if (e.src) p.line = e.src.line;
  if (!prev.pending || prev.pending.callId === e.callId) {
    delete p.pending;
    if (prev.status !== 'input') p.status = 'running';
  }
  putProc(model, p);
}

function foldOutput(model: Model, e: ProcOutputEvent): void {
  const prev = model.procs[e.run];
  if (!prev) return;
  const text = prev.output + e.text;
  const p: ProcModel = {
    ...prev, lastSeq: e.seq, output: text.length > OUTPUT_TAIL ? text.slice(text.length - OUTPUT_TAIL) : text,
    outputBytes: prev.outputBytes + (e.stream === 'stdin' ? 0 : Math.floor((e.b64.length * 3) / 4) - (e.b64.endsWith('==') ? 2 : e.b64.endsWith('=') ? 1 : 0)),
  };
  // a line typed on the page answers the input() that asked for it
  if (e.stream === 'stdin' && prev.status === 'input') { p.status = 'running'; delete p.prompt; }
  putProc(model, p);
}

function foldInput(model: Model, e: ProcInputEvent): void {
  const prev = model.procs[e.run];
  if (!prev || prev.status === 'exited') return;
  const p: ProcModel = { ...prev, lastSeq: e.seq, status: 'input', prompt: e.prompt };
  if (e.src) p.line = e.src.line;
  putProc(model, p);
}

function foldExit(model: Model, e: ProcExitEvent): void {
  const prev = model.procs[e.run];
  if (!prev) return;
  const p: ProcModel = {
    ...prev, lastSeq: e.seq, status: 'exited',
    exit: {
      code: e.code, signal: e.signal, reason: e.reason,
      ...(e.exception ? { exception: e.exception } : {}), ...(e.message ? { message: e.message } : {}),
    },
  };
  delete p.pending;
  delete p.prompt;
  if (e.exception?.frames.length) p.line = e.exception.frames[e.exception.frames.length - 1]!.line;
  putProc(model, p);
}

/** F5: the accepted socket takes over the kernel's view of the connection that waited for accept(). */
function adoptWaiting(model: Model, child: SocketModel): void {
  if (!child.local || !child.remote) return;
  const id = model.byEndpoints[`${child.local}|${child.remote}`];
  const waiting = id === undefined ? undefined : model.sockets[id];
  if (!waiting || waiting.owned || waiting.id === child.id) return;
  child.stateHistory = waiting.stateHistory;
  if (waiting.state) child.state = waiting.state;
  child.sendQueue = waiting.sendQueue;
  child.recvQueue = waiting.recvQueue;
  if (waiting.info) child.info = waiting.info;
  delete model.sockets[waiting.id];
  model.socketOrder = model.socketOrder.filter((s) => s !== waiting.id);
}

function foldNotice(model: Model, e: ApiNoticeEvent): void {
  const id = e.sock;
  if (!id) return;
  const prev = model.sockets[id] ?? newSocket(id, 'tcp', true, e.seq);
  const s: SocketModel = { ...prev, lastSeq: e.seq };
  switch (e.what) {
    case 'incoming': s.pendingAccept++; break; // F6
    case 'peer-closed': s.peerClosed = true; break;
    case 'closed': s.apiState = 'closed'; break;
    default: break;
  }
  if (e.error) s.lastError = { ...e.error, seq: e.seq }; // F12
  put(model, s);
}

function findSocket(model: Model, sock: string | undefined, local: string, remote: string | undefined): string | undefined {
  if (sock && model.sockets[sock]) return sock;
  return model.byEndpoints[`${local}|${remote ?? ''}`];
}

function foldKernel(model: Model, e: KernelTcpEvent | KernelUdpEvent): void { // F9
  const proto = e.type === 'kernel.tcp' ? 'tcp' : 'udp';
  const id = findSocket(model, e.sock, e.local, e.remote) ?? e.sock ?? `w:${e.local}|${e.remote ?? ''}`;
  const prev = model.sockets[id] ?? newSocket(id, proto, false, e.seq);
  const s: SocketModel = { ...prev, lastSeq: e.seq, sendQueue: e.sendQueue, recvQueue: e.recvQueue };
  if (!s.local) s.local = e.local;
  if (!s.remote && e.remote) s.remote = e.remote;
  if (e.gone) s.gone = true; // F10
  if (e.type === 'kernel.tcp') {
    if (e.acceptQueue !== undefined) s.acceptQueue = e.acceptQueue;
    if (e.backlog !== undefined) s.backlog = e.backlog;
    if (e.info) s.info = e.info;
    if (!e.gone && prev.state !== e.state) {
      s.stateHistory = [...prev.stateHistory.slice(-(STATE_HISTORY - 1)), { from: prev.state ?? null, to: e.state, seq: e.seq, ts: e.ts }];
      s.state = e.state;
    }
    if (!prev.owned && s.role === 'unknown') s.role = e.state === 'LISTEN' ? 'listener' : 'unknown';
    if (!s.conn && e.conn) s.conn = e.conn;
  } else {
    s.drops = e.drops;
  }
  put(model, s);
}

function sockFor(model: Model, local: string, remote: string): string | undefined {
  return model.byEndpoints[`${local}|${remote}`];
}

function foldSegment(model: Model, e: TcpSegmentEvent): void { // F11
  const syn = e.flags.includes('SYN');
  const ack = e.flags.includes('ACK');
  let key = e.conn;
  let client: string;
  let server: string;
  const ends = key ? splitConnKey(key) : null;
  if (ends) ({ client, server } = ends);
  else if (syn && !ack) { client = e.src; server = e.dst; }
  else if (syn && ack) { client = e.dst; server = e.src; }
  else {
    // No SYN seen and no key given: the existing connection in either direction, else src as client.
    const fwd = `${e.src}>${e.dst}`;
    const rev = `${e.dst}>${e.src}`;
    if (model.conns[rev]) { client = e.dst; server = e.src; } else if (model.conns[fwd]) { client = e.src; server = e.dst; } else { client = e.src; server = e.dst; }
  }
  key = `${client}>${server}`;
  const known = model.conns[key];
  // F11: a new SYN on a 4-tuple whose connection has ended starts a new connection with that key
  const reused = known && syn && !ack && (known.stage === 'closed' || known.stage === 'reset' || known.stage === 'refused');
  const prev = known && !reused ? known : newConn(key, 'tcp', client, server, e);
  const c2s = e.src === client;
  const c: ConnModel = {
    ...prev,
    segments: prev.segments + 1,
    capturedSegments: prev.capturedSegments + (e.inferred ? 0 : 1),
    inferredSegments: prev.inferredSegments + (e.inferred ? 1 : 0),
    lastTs: e.ts,
    lastSeq: e.seq,
  };
  if (c2s) c.bytesC2S += e.len; else c.bytesS2C += e.len;
  if (syn && e.seqNo !== null) {
    if (c2s && !ack) c.isnC2S = e.seqNo;
    if (!c2s && ack) c.isnS2C = e.seqNo;
  }
  if (!c.clientSock) c.clientSock = sockFor(model, client, server);
  if (!c.serverSock) c.serverSock = sockFor(model, server, client);
  if (e.flags.includes('RST')) {
    c.rst = true;
    c.stage = prev.stage === 'opening' && prev.bytesC2S === 0 && prev.bytesS2C === 0 && !c.isnS2C ? 'refused' : 'reset';
  } else {
    if (e.flags.includes('FIN')) { if (c2s) c.finC2S = true; else c.finS2C = true; }
    if (c.stage === 'opening' && ack && !syn) c.stage = 'open';
    if (c.stage === 'open' && (c.finC2S || c.finS2C)) c.stage = 'closing';
    if (c.stage === 'closing' && c.finC2S && c.finS2C && ack && !e.flags.includes('FIN')) c.stage = 'closed';
  }
  putConn(model, c);
}

function foldDatagram(model: Model, e: UdpDatagramEvent): void {
  // UDP has no connection; a "flow" per (sender, receiver) pair keeps the counts.
  const fwd = `${e.src}>${e.dst}`;
  const rev = `${e.dst}>${e.src}`;
  const key = model.conns[rev] ? rev : fwd;
  const ends = splitConnKey(key)!;
  const prev = model.conns[key] ?? { ...newConn(key, 'udp', ends.client, ends.server, e), stage: 'open' as const };
  const c2s = e.src === prev.client;
  const c: ConnModel = {
    ...prev,
    segments: prev.segments + 1,
    capturedSegments: prev.capturedSegments + (e.inferred ? 0 : 1),
    inferredSegments: prev.inferredSegments + (e.inferred ? 1 : 0),
    bytesC2S: prev.bytesC2S + (c2s ? e.len : 0),
    bytesS2C: prev.bytesS2C + (c2s ? 0 : e.len),
    lastTs: e.ts,
    lastSeq: e.seq,
  };
  putConn(model, c);
}
