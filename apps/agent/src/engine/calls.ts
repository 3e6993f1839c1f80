import {
  errorHint, type ApiCallName, type ApiNoticeEvent, type BytesPreview, type EventInput, type SocketError,
} from '@socketscope/shared';
import type { Emit } from '../sources/source.ts';
import { CommandError } from './types.ts';

/** The typed facts an api event can carry (events.ts ApiCallEvent); set only what the call established. */
export interface CallFacts {
  sock?: string;
  conn?: string;
  proto?: 'tcp' | 'udp';
  local?: string;
  remote?: string;
  newSock?: string;
  data?: BytesPreview;
}

const PREVIEW_BYTES = 256;

export function preview(buf: Uint8Array): BytesPreview {
  const head = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.length, PREVIEW_BYTES));
  return { len: buf.length, b64: head.toString('base64'), truncated: buf.length > PREVIEW_BYTES };
}

/** Monotonic start mark for durationUs. */
export function mark(): bigint {
  return process.hrtime.bigint();
}

function micros(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1000;
}

/** Node's own error codes mapped to the errno a BSD program would have seen for the same mistake. */
const NODE_CODES: Record<string, string> = {
  ERR_STREAM_DESTROYED: 'EPIPE',
  ERR_STREAM_WRITE_AFTER_END: 'EPIPE',
  ERR_SOCKET_CLOSED: 'EBADF',
  ERR_SOCKET_DGRAM_NOT_RUNNING: 'EBADF',
  ERR_SOCKET_BAD_PORT: 'EINVAL',
  ERR_SOCKET_BUFFER_SIZE: 'EINVAL',
  ERR_INVALID_ARG_VALUE: 'EINVAL',
  ERR_INVALID_IP_ADDRESS: 'EINVAL',
  ERR_SOCKET_CONNECTION_TIMEOUT: 'ETIMEDOUT',
  ENOTFOUND: 'EAI_NONAME',
};

/** Any thrown thing as a CommandError with an errno-like code (never loses the system's message). */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  const raw = typeof e?.code === 'string' ? e.code : 'E_INTERNAL';
  const code = NODE_CODES[raw] ?? raw;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return new CommandError(code.slice(0, 64), message.slice(0, 1000));
}

export function socketError(err: unknown): SocketError {
  const ce = toCommandError(err);
  const out: SocketError = { code: ce.code, message: ce.message };
  const hint = errorHint(ce.code);
  if (hint) out.hint = hint;
  return out;
}

/**
 * Turns socket calls into api events. emit() is the session's; if it ever throws (a bug elsewhere) the
 * engine logs it and goes on, because an exception in a socket callback would otherwise end the process.
 */
export class Recorder {
  private emitFailures = 0;

  constructor(private readonly emitFn: Emit, private readonly log: (line: string) => void = () => {}) {}

  emit(e: EventInput): void {
    try {
      this.emitFn(e);
    } catch (err) {
      if (this.emitFailures++ < 5) this.log(`engine: emit failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  /** A call that succeeded. */
  ok(call: ApiCallName, args: Record<string, unknown>, facts: CallFacts, since: bigint, result?: unknown): void {
    const e: EventInput = { layer: 'api', type: 'api.call', call, args, durationUs: micros(since), ...clean(facts) };
    if (result !== undefined) e.result = result;
    this.emit(e);
  }

  /** A call that failed: emits it and returns the CommandError for the caller to throw. */
  fail(call: ApiCallName, args: Record<string, unknown>, facts: CallFacts, since: bigint, err: unknown): CommandError {
    const ce = toCommandError(err);
    this.emit({ layer: 'api', type: 'api.call', call, args, durationUs: micros(since), error: socketError(ce), ...clean(facts) });
    return ce;
  }

  notice(what: ApiNoticeEvent['what'], facts: Pick<CallFacts, 'sock' | 'conn' | 'local' | 'remote'>, detail?: Record<string, unknown>, err?: unknown): void {
    const { sock, conn, local, remote } = facts; // a notice carries no proto
    const e: EventInput = { layer: 'api', type: 'api.notice', what, ...clean({ sock, conn, local, remote }) };
    if (detail) e.detail = detail;
    if (err !== undefined) e.error = socketError(err);
    this.emit(e);
  }
}

/** Drops undefined fields, so events carry only facts that exist (for-in: no entries array per event). */
function clean<T extends object>(facts: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const k in facts) {
    const v = facts[k];
    if (v !== undefined) out[k] = v;
  }
  return out as Partial<T>;
}
