/**
 * One browser's WebSocket, after the upgrade was allowed (security.ts). Rules enforced here
 * (tests in test/server-protocol.test.ts, test/security-limits.test.ts, test/share-server.test.ts):
 *
 * P1 The first message from the agent is `hello` (protocol version, capabilities, session id).
 * P2 The client answers `sync {protocolVersion, since}`; another protocol version closes the socket
 *    with CloseCode.protocolMismatch and a reason saying both versions. Events flow only after sync.
 * P3 Every frame that is not JSON, not a ClientMessage, binary or larger than MAX_FRAME gets an error
 *    reply (E_INVALID) and changes nothing; the connection keeps being served.
 * P4 Every `cmd` gets exactly one reply `{re: id}`: its command is validated with parseCommand first;
 *    an invalid one changes nothing. A CommandError becomes an error reply with its code.
 * P5 At most MAX_IN_FLIGHT commands per client run at once; more get E_LIMIT.
 * P6 A session reset sends a new `hello` (new session id); the client syncs again.
 * P7 A read-only (viewer) connection: its hello says `readOnly: true` and never carries `share` (the
 *    viewer link and count are the teacher's); EVERY `cmd` it sends is refused with E_READ_ONLY before
 *    it is even parsed, so nothing of a viewer's reaches the agent.
 * P8 Every frame (of any kind, from any role) takes a token from the client's bucket (rate.ts). Over
 *    the rate a frame is refused with E_LIMIT and changes nothing; a client that keeps flooding is
 *    closed with CloseCode.tooManyMessages.
 * P9 One `sync` per `hello`: a second one is refused with E_INVALID. (Each sync may resend the whole
 *    recording; a client must not be able to ask for it over and over.)
 * P10 A read-only connection's stream is one of the server's viewer pool (session/viewer-pool.ts V1–V7:
 *    bounded per page and in total, served in slices after the teacher); a teacher's is its own Outbound.
 * P11 `share.payloads` is answered here, never by the agent: only a teacher's page may turn the hiding of
 *    payload bytes from read-only pages on or off (P7 refuses it from a viewer like any command); without
 *    sharing it is E_UNAVAILABLE.
 * AN1 A student's `answer` and the teacher's `poll` (questions put to the class) go to the server's class
 *    poll (answers/class-poll.ts AN1–AN8) and nowhere else; they get one reply each. An answer is the only
 *    message a viewer may send besides `sync`. Without sharing there is no poll: E_UNAVAILABLE.
 */
import type { WebSocket } from 'ws';
import {
  ClientMessage, CloseCode, errorHint, parseCommand, PROTOCOL_VERSION,
  type Command, type ServerMessage, type ShareInfo, type SocketError,
} from '@socketscope/shared';
import { CommandError } from '../engine/types.ts';
import { Outbound, type EventStream, type OutboundOptions } from '../session/outbound.ts';
import type { ViewerPool } from '../session/viewer-pool.ts';
import type { Session } from '../session/session.ts';
import type { ClassPoll, PollPeer } from './answers/class-poll.ts';
import { DEFAULT_RATE, TokenBucket, type RateOptions } from './rate.ts';
import type { Role } from './security.ts';

export type HelloMessage = Extract<ServerMessage, { t: 'hello' }>;

/** What the server needs of the agent. */
export interface AgentPort {
  readonly session: Session;
  hello(): HelloMessage;
  /** carries out a validated command; rejects with CommandError for a call that could not be made */
  exec(cmd: Command): Promise<unknown>;
}

export const MAX_FRAME = 256 * 1024;
export const MAX_IN_FLIGHT = 32;

export interface ConnectionOptions {
  role?: Role;
  outbound?: OutboundOptions;
  rate?: RateOptions;
  /** the teacher's share info (viewer link, count), added to a full connection's hello while sharing */
  share?: () => ShareInfo | undefined;
  /** P10: while sharing, the pool that serves read-only pages (and holds the payload switch, P11) */
  pool?: ViewerPool | undefined;
  /** AN1: while sharing, the class poll, and this page's remote address (for AN4) */
  poll?: ClassPoll | undefined;
  address?: string;
  log?: (line: string) => void;
}

export class ClientConnection {
  readonly out: EventStream;
  readonly role: Role;
  private readonly pool: ViewerPool | undefined;
  private readonly poll: ClassPoll | undefined;
  private readonly peer: PollPeer;
  private inFlight = 0;
  private readonly bucket: TokenBucket;
  private readonly share: () => ShareInfo | undefined;
  private readonly log: (line: string) => void;
  /** P9: a sync was accepted since the last hello */
  private syncedSinceHello = false;
  closed = false;

  constructor(private readonly ws: WebSocket, private readonly agent: AgentPort, opts: ConnectionOptions = {}) {
    this.role = opts.role ?? 'full';
    this.log = opts.log ?? (() => {});
    this.share = opts.share ?? (() => undefined);
    this.bucket = new TokenBucket(opts.rate ?? DEFAULT_RATE);
    this.pool = opts.pool;
    this.poll = opts.poll;
    this.peer = { role: this.role, address: opts.address ?? '', send: (m) => this.reply(m) };
    this.out = this.role === 'viewer' && opts.pool ? opts.pool.open(ws) : new Outbound(agent.session, ws, opts.outbound ?? {}); // P10
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.dispose());
    ws.on('error', (err) => this.log(`websocket error: ${err.message}`));
    this.sendHello(); // P1
    this.poll?.join(this.peer); // where the class poll stands, right after the hello
  }

  /** P1, P6, P7: the hello this role gets. */
  private sendHello(): void {
    const hello = this.agent.hello();
    this.syncedSinceHello = false;
    if (this.role === 'viewer') {
      // P7: built field by field, so nothing meant for the teacher can ride along
      const { t, protocolVersion, agentVersion, session, capabilities } = hello;
      this.out.control({ t, protocolVersion, agentVersion, session, capabilities, readOnly: true });
      return;
    }
    const share = this.share();
    this.out.control(share ? { ...hello, share } : hello);
  }

  /** P6 */
  sessionReset(): void {
    this.out.restart();
    this.sendHello();
  }

  /** While sharing: tell the teacher's page how many are watching. */
  viewers(count: number): void {
    if (this.role === 'full') this.reply({ t: 'viewers', count });
  }

  private onFrame(data: unknown, isBinary: boolean): void {
    if (this.closed) return;
    const take = this.bucket.take(); // P8
    if (take === 'flooding') {
      this.log(`closed a ${this.role} connection that kept sending faster than allowed`);
      this.out.close(CloseCode.tooManyMessages, 'too many messages: slow down and reconnect');
      this.closed = true;
      return;
    }
    if (take === 'limited') return this.replyError(idOf(safeJson(data, isBinary)), 'E_LIMIT', 'too many messages per second from this page; this one was ignored');
    if (isBinary) return this.replyError('', 'E_INVALID', 'binary frames are not part of the protocol; send JSON text');
    const size = frameSize(data);
    if (size > MAX_FRAME) return this.replyError('', 'E_INVALID', `message of ${size} bytes is larger than the ${MAX_FRAME} allowed`);
    let raw: unknown;
    try {
      raw = JSON.parse(frameText(data));
    } catch {
      return this.replyError('', 'E_INVALID', 'message is not JSON');
    }
    const id = idOf(raw);
    const r = ClientMessage.safeParse(raw);
    if (!r.success) {
      const first = r.error.issues[0];
      return this.replyError(id, 'E_INVALID', `not a client message: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'wrong shape'}`);
    }
    const msg = r.data;
    if (msg.t === 'sync') {
      if (this.syncedSinceHello) return this.replyError(id, 'E_INVALID', 'already synced: a page syncs once after each hello'); // P9 (re: the id if readable, as P3)
      if (msg.protocolVersion !== PROTOCOL_VERSION) {
        // P2: close with the reason; nothing else is sent
        this.out.close(CloseCode.protocolMismatch, `protocol mismatch: agent speaks ${PROTOCOL_VERSION}, page speaks ${msg.protocolVersion}; reload the page`);
        return;
      }
      this.syncedSinceHello = true;
      this.out.sync(msg.since);
      return;
    }
    if (msg.t === 'answer' || msg.t === 'poll') return this.onPoll(msg); // AN1
    if (this.role !== 'full') return this.replyError(msg.id, 'E_READ_ONLY', 'this page only watches the session; commands come from the teacher’s page'); // P7
    this.onCommand(msg.id, msg.cmd);
  }

  /** AN1: to the class poll, never to the agent. */
  private onPoll(msg: Extract<ClientMessage, { t: 'answer' | 'poll' }>): void {
    if (!this.poll) return this.replyError(msg.id, 'E_UNAVAILABLE', 'the session is not shared (start the agent with --share), so there is no class to ask');
    const r = msg.t === 'answer' ? this.poll.answer(this.peer, msg) : this.poll.act(this.peer, msg.act);
    if (r.ok) this.reply({ t: 'reply', re: msg.id, ok: true, result: r.result });
    else this.replyError(msg.id, r.code, r.message);
  }

  private onCommand(id: string, body: unknown): void {
    const parsed = parseCommand(body);
    if (!parsed.ok) return this.replyError(id, 'E_INVALID', parsed.error); // P4
    if (parsed.cmd.op === 'share.payloads') return this.sharePayloads(id, parsed.cmd.hide); // P11
    if (this.inFlight >= MAX_IN_FLIGHT) return this.replyError(id, 'E_LIMIT', `more than ${MAX_IN_FLIGHT} commands at once; wait for replies`);
    this.inFlight++;
    let done: Promise<unknown>;
    try {
      done = this.agent.exec(parsed.cmd);
    } catch (err) {
      done = Promise.reject(err);
    }
    done.then(
      (result) => this.reply({ t: 'reply', re: id, ok: true, result: result ?? null }),
      (err: unknown) => this.reply({ t: 'reply', re: id, ok: false, error: toSocketError(err, this.log) }),
    ).finally(() => { this.inFlight--; });
  }

  /** P11 (only a full connection gets here: P7) */
  private sharePayloads(id: string, hide: boolean | undefined): void {
    if (!this.pool) return this.replyError(id, 'E_UNAVAILABLE', 'the session is not shared (start the agent with --share), so no page is read-only');
    if (hide !== undefined) {
      this.pool.setHidePayloads(hide);
      this.log(`payload bytes are now ${hide ? 'hidden from' : 'shown to'} read-only pages`);
    }
    this.reply({ t: 'reply', re: id, ok: true, result: { hidden: this.pool.hidePayloads } });
  }

  private replyError(re: string, code: string, message: string): void {
    const error: SocketError = { code, message: message.slice(0, 1000) };
    const hint = errorHint(code);
    if (hint) error.hint = hint;
    this.reply({ t: 'reply', re, ok: false, error });
  }

  private reply(msg: ServerMessage): void {
    if (this.closed) return;
    this.out.control(msg);
  }

  dispose(): void {
    this.closed = true;
    this.poll?.leave(this.peer);
    this.out.dispose();
  }

  /** Shutdown: send what is waiting, then close with a stated reason. */
  shutdown(): void {
    if (this.closed) return;
    this.out.flush(true);
    this.out.close(CloseCode.shuttingDown, 'agent shutting down');
    this.closed = true;
  }
}

function frameSize(data: unknown): number {
  if (Buffer.isBuffer(data)) return data.length;
  if (Array.isArray(data)) return data.reduce((n: number, b: Buffer) => n + b.length, 0);
  if (data instanceof ArrayBuffer) return data.byteLength;
  return 0;
}

function frameText(data: unknown): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return String(data);
}

/** The frame as JSON if it is small text that parses, for the id of a refusal; otherwise null. */
function safeJson(data: unknown, isBinary: boolean): unknown {
  if (isBinary || frameSize(data) > 4096) return null;
  try {
    return JSON.parse(frameText(data));
  } catch {
    return null;
  }
}

function idOf(raw: unknown): string {
  if (raw && typeof raw === 'object' && 'id' in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === 'string' && id.length <= 64) return id;
  }
  return '';
}

export function toSocketError(err: unknown, log: (line: string) => void): SocketError {
  if (err instanceof CommandError) {
    const e: SocketError = { code: err.code.slice(0, 64), message: err.message.slice(0, 1000) };
    const hint = errorHint(err.code);
    if (hint) e.hint = hint;
    return e;
  }
  // a bug, not a refusal: the page gets a plain message, the details go to the agent's log
  log(`command failed unexpectedly: ${(err as Error)?.stack ?? String(err)}`);
  return { code: 'E_INTERNAL', message: `the agent failed to carry out the command: ${(err as Error)?.message ?? String(err)}`.slice(0, 1000) };
}
