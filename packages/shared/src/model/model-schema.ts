import { z } from 'zod';
import { ApiCallName, TcpInfo } from '../protocol/events.ts';
import { BytesPreview, ProbeStatus, SocketError, TcpState } from '../protocol/primitives.ts';
import { BUNDLES_KEPT, OUTPUT_PIECES, OUTPUT_TAIL, RECENT_DATA, type Model } from './model.ts';

/**
 * The whole folded model as a schema, to the last field: what a page checks before it takes a model
 * it did not fold itself (a recording's `base`, issue 16 item 4: a socket without `proto` passed a shallow
 * check and threw in a view). Typed as z.ZodType<Model>, so a field added to model.ts without being added
 * here fails the typecheck. Beyond the fields:
 * MS1 every id in socketOrder, connOrder and procOrder names an entry, once, and every entry is named
 *     there (views walk the order and look the entries up);
 * MS2 an entry's own id is its key (sockets[k].id, conns[k].key, procs[k].run);
 * MS3 byEndpoints points at sockets that exist, and a socket's parent is a socket.
 * MS4 A field newer than the recording may be absent: an entity's is optional (absent means none yet), and
 *     the model's counters pictureVersion and orderVersion read as 0 (the only values this adds).
 * MS5 A program's outputPieces joined are the end of its output (F20), so a view can show them in its place.
 * Strings and lists are bounded (the fold bounds them tighter) so a crafted file cannot make one
 * entry huge; nothing here transforms a value, so what passes is what the fold would have made.
 */
const Id = z.string().min(1).max(64);
const Key = z.string().min(1).max(160);
const Ep = z.string().max(64);
const Count = z.number().int().nonnegative();
const Seq = z.number().int().min(-1);
const Ts = z.number().nonnegative();

const StateChange = z.object({ from: TcpState.nullable(), to: TcpState, seq: Count, ts: Ts });

const CallSummary = z.object({
  call: ApiCallName, seq: Count, ts: Ts, ok: z.boolean(), code: z.string().max(64).optional(), len: Count.optional(),
});

const LastData = z.object({
  call: z.enum(['send', 'recv', 'sendto', 'recvfrom']), seq: Count, data: BytesPreview, peer: Ep.optional(),
});

const DataChunk = z.object({ seq: Count, call: z.enum(['send', 'recv']), len: Count, b64: z.string().max(4096) });

const BindFacts = z.object({
  seq: Count,
  port: z.number().int().min(0).max(65535).optional(),
  soReuseAddr: z.object({ requested: z.boolean(), actual: z.boolean() }).optional(),
  heldBy: z.partialRecord(TcpState, Count).optional(),
  noteCode: z.string().min(1).max(64).optional(),
  implicit: z.literal(true).optional(),
});

const SocketModel = z.object({
  id: Id,
  run: z.string().max(32).optional(),
  proto: z.enum(['tcp', 'udp']),
  role: z.enum(['listener', 'client', 'accepted', 'udp', 'unknown']),
  owned: z.boolean(),
  local: Ep.optional(),
  remote: Ep.optional(),
  conn: Key.optional(),
  parent: Id.optional(),
  apiState: z.enum(['open', 'bound', 'listening', 'connecting', 'connected', 'write-shut', 'closed']),
  state: TcpState.optional(),
  stateHistory: z.array(StateChange).max(256),
  sendQueue: Count,
  recvQueue: Count,
  acceptQueue: Count.optional(),
  backlog: Count.optional(),
  drops: Count.optional(),
  info: TcpInfo.optional(),
  pendingAccept: Count,
  bytesSent: Count,
  bytesReceived: Count,
  peerClosed: z.boolean(),
  gone: z.boolean(),
  recentCalls: z.array(CallSummary).max(256),
  lastError: SocketError.extend({ seq: Count }).optional(),
  lastData: LastData.optional(),
  recentData: z.array(DataChunk).max(RECENT_DATA).optional(),
  bind: BindFacts.optional(),
  firstSeq: Count,
  lastSeq: Count,
});

const ConnModel = z.object({
  key: Key,
  proto: z.enum(['tcp', 'udp']),
  client: Ep,
  server: Ep,
  clientSock: Id.optional(),
  serverSock: Id.optional(),
  stage: z.enum(['opening', 'open', 'closing', 'closed', 'reset', 'refused']),
  segments: Count,
  capturedSegments: Count,
  inferredSegments: Count,
  bytesC2S: Count,
  bytesS2C: Count,
  finC2S: z.boolean(),
  finS2C: z.boolean(),
  rst: z.boolean(),
  isnC2S: Count.optional(),
  isnS2C: Count.optional(),
  winC2S: Count.optional(),
  winS2C: Count.optional(),
  retransmissions: Count.optional(),
  handshake: z.object({ syn: Count.optional(), synAck: Count.optional(), ack: Count.optional() }).optional(),
  bundles: z.array(z.object({ id: Count, count: Count, bytes: Count, retransmissions: Count })).max(BUNDLES_KEPT).optional(),
  firstTs: Ts,
  lastTs: Ts,
  firstSeq: Count,
  lastSeq: Count,
});

const Frame = z.object({ file: z.string().max(512), line: Count, name: z.string().max(256) });

const ProcModel = z.object({
  run: z.string().min(1).max(32),
  pid: Count,
  program: z.string().max(256),
  file: z.string().max(512),
  args: z.array(z.string().max(1024)).max(64),
  python: z.string().max(64),
  status: z.enum(['running', 'paused', 'in-call', 'input', 'exited']),
  step: z.boolean(),
  line: Count.optional(),
  pending: z.object({ call: ApiCallName, callId: Count.optional(), seq: Count, ts: Ts }).optional(),
  prompt: z.string().max(1024).optional(),
  output: z.string().max(OUTPUT_TAIL),
  outputPieces: z.array(z.object({ seq: Count, stream: z.enum(['stdout', 'stderr', 'stdin']), text: z.string().max(OUTPUT_TAIL) })).max(OUTPUT_PIECES).optional(),
  outputBytes: Count,
  exit: z.object({
    code: z.number().int().nullable(),
    signal: z.string().max(32).nullable(),
    reason: z.string().max(64),
    exception: z.object({ type: z.string().max(256), message: z.string().max(2000), frames: z.array(Frame).max(64) }).optional(),
    message: z.string().max(2000).optional(),
  }).optional(),
  firstSeq: Count,
  lastSeq: Count,
});

const Running = ProbeStatus.extend({ running: z.boolean() });

const ModelFields = z.object({
  version: Count,
  pictureVersion: Count.default(0),
  orderVersion: Count.default(0),
  lastSeq: Seq,
  events: Count,
  missing: Count,
  counts: z.object({ api: Count, kernel: Count, wire: Count, session: Count }),
  sockets: z.record(z.string(), SocketModel),
  socketOrder: z.array(Id),
  conns: z.record(z.string(), ConnModel),
  connOrder: z.array(Key),
  byEndpoints: z.record(z.string(), Id),
  sources: z.object({ kernel: Running.optional(), wire: Running.extend({ kernelDrops: Count.optional() }).optional() }),
  scenario: z.object({ name: z.string().max(64), step: z.string().max(64), index: Count, status: z.enum(['start', 'done', 'failed']) }).optional(),
  procs: z.record(z.string(), ProcModel),
  procOrder: z.array(z.string().min(1).max(32)),
});

/** MS1 + MS2 for one record and its order list. */
function checkOrder(ctx: z.RefinementCtx, name: string, order: string[], record: Record<string, unknown>, idOf: (v: never) => string): void {
  const seen = new Set<string>();
  for (const [i, k] of order.entries()) {
    if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [`${name}Order`, i], message: `"${k}" appears twice` });
    seen.add(k);
    if (!Object.hasOwn(record, k)) ctx.addIssue({ code: 'custom', path: [`${name}Order`, i], message: `"${k}" is not in ${name}s` });
  }
  for (const [k, v] of Object.entries(record)) {
    if (!seen.has(k)) ctx.addIssue({ code: 'custom', path: [`${name}s`, k], message: `not in ${name}Order` });
    if (idOf(v as never) !== k) ctx.addIssue({ code: 'custom', path: [`${name}s`, k], message: `its id is not its key "${k}"` });
  }
}

export const ModelSchema: z.ZodType<Model> = ModelFields.superRefine((m, ctx) => {
  checkOrder(ctx, 'socket', m.socketOrder, m.sockets, (s: { id: string }) => s.id);
  checkOrder(ctx, 'conn', m.connOrder, m.conns, (c: { key: string }) => c.key);
  checkOrder(ctx, 'proc', m.procOrder, m.procs, (p: { run: string }) => p.run);
  // MS3
  for (const [k, id] of Object.entries(m.byEndpoints)) {
    if (!Object.hasOwn(m.sockets, id)) ctx.addIssue({ code: 'custom', path: ['byEndpoints', k], message: `socket "${id}" does not exist` });
  }
  // MS5
  for (const [k, p] of Object.entries(m.procs)) {
    if (p.outputPieces && !p.output.endsWith(p.outputPieces.map((q) => q.text).join(''))) {
      ctx.addIssue({ code: 'custom', path: ['procs', k, 'outputPieces'], message: 'the pieces are not the end of the output' });
    }
  }
  for (const [k, s] of Object.entries(m.sockets)) {
    if (s.parent !== undefined && !Object.hasOwn(m.sockets, s.parent)) ctx.addIssue({ code: 'custom', path: ['sockets', k, 'parent'], message: `socket "${s.parent}" does not exist` });
  }
});

/** A model from outside (a file, a message): the model, or the first problem in words. */
export function parseModel(raw: unknown): { ok: true; model: Model } | { ok: false; error: string } {
  const r = ModelSchema.safeParse(raw);
  if (r.success) return { ok: true, model: r.data };
  const first = r.error.issues[0];
  return { ok: false, error: first ? `${first.path.join('.') || '(model)'}: ${first.message}` : 'not a model' };
}
