import type { LinkStateEvent, ProcModel, SessionEvent, SourceLine } from '@socketscope/shared';
import type { MessageKey, Translate } from '../i18n/index.ts';
import { NOTE_KEYS, type LogRow } from '../store/slices.ts';
import { bindNote, bindNoteBadge } from './bindNote.ts';
import { formatBytes, previewText } from './bytes.ts';

/**
 * One log row as a line of text in the page's language. Presentation only: it reads the event and
 * formats it; nothing here feeds back into the model.
 */
export interface RowText {
  text: string;
  /** course names for what the row shows (三次握手 1/3, 四次挥手 …) */
  badge?: string;
  inferred: boolean;
  error?: string;
  /** what an inferred wire event was inferred from (the agent's words) */
  inferredFrom?: string;
  /** secondary numbers (RTT, cwnd) a projector view may leave out */
  detail?: string;
}

export function describeRow(row: LogRow, t: Translate): RowText {
  if (row.note) return { text: t(NOTE_KEYS[row.note.kind], row.note.params), inferred: false };
  const d = describeEvent(row.event, t);
  if (row.mark === 'hs3') d.badge = t('ev.hs3');
  return d;
}

export function describeEvent(e: SessionEvent, t: Translate): RowText {
  switch (e.type) {
    case 'api.call': {
      const args = formatArgs(e.args);
      if (e.error) return { text: t('ev.call.err', { call: e.call, args, code: e.error.code }), inferred: false, error: e.error.code };
      const note = bindNote(e);
      const ok: RowText = { text: t('ev.call.ok', { call: e.call, args, result: formatResult(e) }), inferred: false };
      if (note) ok.badge = bindNoteBadge(note, t);
      if (e.src) ok.detail = srcText(e.src, t);
      else if (e.seenBy === 'kernel') ok.detail = t('ksrc.seenByKernel');
      return ok;
    }
    // a traced program's call: paused before it (step mode), or made and not returned yet
    case 'api.begin': {
      const d: RowText = { text: t(e.paused ? 'ev.begin.paused' : 'ev.begin', { call: e.call, args: formatArgs(e.args) }), inferred: false };
      if (e.src) d.detail = srcText(e.src, t);
      return d;
    }
    case 'proc.start':
      return { text: t(e.step ? 'ev.proc.startStep' : 'ev.proc.start', { program: e.proc.program, pid: e.proc.pid, python: e.python }), inferred: false };
    case 'proc.output':
      return { text: t('ev.proc.output', { run: e.run, stream: e.stream, text: oneLine(e.text) }), inferred: false };
    case 'proc.input':
      return { text: t('ev.proc.input', { run: e.run, prompt: oneLine(e.prompt) }), inferred: false };
    case 'proc.exit': {
      const status = procExitText(e, t) + (e.exception ? ` — ${e.exception.type}: ${e.exception.message}` : '');
      return e.exception || e.reason === 'failed-to-start'
        ? { text: t('ev.proc.exit', { run: e.run, status }), inferred: false, error: e.exception?.type ?? e.reason }
        : { text: t('ev.proc.exit', { run: e.run, status }), inferred: false };
    }
    case 'api.notice': {
      const text = t(`ev.notice.${e.what}` as MessageKey, { remote: e.remote ?? '?', code: e.error?.code ?? '' });
      return e.error ? { text, inferred: false, error: e.error.code } : { text, inferred: false };
    }
    case 'kernel.tcp': {
      if (e.gone) return { text: t('ev.kernel.gone', { local: e.local, remote: e.remote ?? '*', state: e.state }), inferred: false };
      if (e.state === 'LISTEN') {
        return { text: t('ev.kernel.listen', { local: e.local, acceptQueue: e.acceptQueue ?? 0, backlog: e.backlog ?? '?' }), inferred: false };
      }
      const info = e.info && (e.info.rttMs !== undefined || e.info.cwnd !== undefined)
        ? t('ev.kernel.info', { rtt: e.info.rttMs !== undefined ? e.info.rttMs.toFixed(3) : '–', cwnd: e.info.cwnd ?? '–' })
        : '';
      const text = t('ev.kernel.tcp', { local: e.local, remote: e.remote ?? '*', state: e.state, sendQueue: e.sendQueue, recvQueue: e.recvQueue });
      return info ? { text, detail: info, inferred: false } : { text, inferred: false };
    }
    case 'kernel.notice':
      return { text: t(`ev.kernel.notice.${e.what}`, { local: e.local, remote: e.remote ?? '*', state: e.state ?? '' }), inferred: false };
    case 'kernel.udp':
      if (e.gone) return { text: t('ev.kernel.gone', { local: e.local, remote: e.remote ?? '*', state: 'UDP' }), inferred: false };
      return { text: t('ev.kernel.udp', { local: e.local, recvQueue: e.recvQueue, drops: e.drops }), inferred: false };
    // what the lost packet was (its flags and raw seq, as its capture would show them) and why the link lost it
    case 'link.drop': {
      const what = [e.flags && e.flags.length > 0 ? ` [${e.flags.join(',')}]` : '', e.seqNo !== undefined ? ` seq=${e.seqNo}` : ''].join('');
      return {
        text: t('ev.drop', { src: e.src, dst: e.dst, proto: e.proto.toUpperCase(), len: e.len, flags: what, reason: t(`ev.drop.reason.${e.reason}`) }),
        inferred: false, error: e.reason,
      };
    }
    case 'link.state': {
      if (!e.up) return { text: t('ev.link.down'), inferred: false };
      const d: RowText = { text: t('ev.link.up', { conditions: linkConditionsText(e.conditions, t) }), inferred: false };
      if (e.hosts) d.detail = t('lab.strip.hosts', { client: e.hosts.client, server: e.hosts.server });
      return d;
    }
    // the receiver's pure ACKs during a bulk run are summarised too (bytes 0): they carry no data
    case 'tcp.bundle':
      if (e.bytes === 0) return { text: t('ev.bundle.acks', { src: e.src, dst: e.dst, count: e.count, more: e.open ? t('ev.bundle.open') : '' }), inferred: false };
      return {
        text: t('ev.bundle', {
          src: e.src, dst: e.dst, count: e.count, bytes: e.bytes, first: e.relFirstSeq ?? e.firstSeq, end: e.relEndSeq ?? e.endSeq,
          retx: e.retransmissions > 0 ? t('ev.bundle.retx', { n: e.retransmissions }) : '', more: e.open ? t('ev.bundle.open') : '',
        }),
        inferred: false,
      };
    case 'tcp.segment': {
      // inferred segments have no sequence numbers: say nothing rather than show placeholders
      const nums = e.seqNo === null && e.ackNo === null && e.win === null ? ''
        : t('ev.segment.nums', { seq: e.relSeq ?? e.seqNo ?? '–', ack: e.relAck ?? e.ackNo ?? '–', win: e.win ?? '–' });
      const text = t('ev.segment', { src: e.src, dst: e.dst, flags: e.flags.join(','), nums, len: e.len });
      const d: RowText = { text, inferred: e.inferred };
      const badge = segmentBadge(e.flags, t);
      if (badge) d.badge = badge;
      if (e.inferredFrom) d.inferredFrom = e.inferredFrom;
      return d;
    }
    case 'udp.datagram':
      return e.inferredFrom
        ? { text: t('ev.datagram', { src: e.src, dst: e.dst, len: e.len }), inferred: e.inferred, inferredFrom: e.inferredFrom }
        : { text: t('ev.datagram', { src: e.src, dst: e.dst, len: e.len }), inferred: e.inferred };
    case 'source.status': {
      const status = t(e.status.running ? 'ev.source.running' : 'ev.source.stopped') + (e.status.reason ? ` — ${e.status.reason}` : '');
      return { text: t('ev.source', { source: t(e.source === 'kernel' ? 'caps.kernel' : 'caps.wire'), status }), inferred: false };
    }
    case 'scenario.step':
      return { text: t('ev.scenario', { scenario: e.scenario, step: e.step, index: e.index + 1, status: e.status }), inferred: false };
  }
}

/** A lab link's conditions in words: "100 ms each way, 2 % loss, 800 kbit/s"; nothing set says so. */
export function linkConditionsText(c: LinkStateEvent['conditions'], t: Translate): string {
  const parts: string[] = [];
  if (c.delayMs > 0) parts.push(c.jitterMs > 0 ? t('lab.cond.delayJitter', { ms: num(c.delayMs), jitter: num(c.jitterMs) }) : t('lab.cond.delay', { ms: num(c.delayMs) }));
  if (c.lossPct > 0) parts.push(t('lab.cond.loss', { pct: num(c.lossPct) }));
  if (c.rateKbit !== null) parts.push(t('lab.cond.rate', { kbit: num(c.rateKbit) }));
  return parts.length > 0 ? parts.join(t('lab.cond.sep')) : t('lab.cond.none');
}

/** 2 → "2", 0.5 → "0.5", 12.345 → "12.35": a condition as a person typed it */
function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** How a traced program ended, in words: its reason, and its exit code or signal. */
export function procExitText(exit: Pick<NonNullable<ProcModel['exit']>, 'code' | 'signal' | 'reason'>, t: Translate): string {
  const status = exit.signal !== null ? t('prog.exit.signal', { signal: exit.signal }) : exit.code !== null ? t('prog.exit.code', { code: exit.code }) : '';
  if (exit.reason === 'exited') return status || t('prog.status.exited');
  const why = t(`prog.exit.${exit.reason}` as MessageKey);
  return status ? `${why} · ${status}` : why;
}

/** The student's line that made a call: the file's own name (its folder says nothing) and the line. */
function srcText(src: SourceLine, t: Translate): string {
  return t('ev.src', { file: src.file.slice(src.file.lastIndexOf('/') + 1), line: src.line });
}

/** Program output in one log row: line breaks shown as ⏎, long text cut. */
function oneLine(text: string): string {
  const flat = text.replace(/\r?\n/g, '⏎');
  return `“${flat.length > 80 ? `${flat.slice(0, 80)}…` : flat}”`;
}

function segmentBadge(flags: readonly string[], t: Translate): string | undefined {
  const has = (f: string) => flags.includes(f);
  if (has('RST')) return t('ev.rst');
  if (has('SYN') && !has('ACK')) return t('ev.hs1');
  if (has('SYN') && has('ACK')) return t('ev.hs2');
  if (has('FIN')) return t('ev.fin');
  return undefined;
}

/** Call arguments, short: host:port together, bytes as a size, everything else key=value. */
export function formatArgs(args: Record<string, unknown>): string {
  const parts: string[] = [];
  const host = args['host'];
  const port = args['port'];
  if (typeof port === 'number') parts.push(`${typeof host === 'string' ? host : ''}:${port}`);
  for (const [k, v] of Object.entries(args)) {
    if (k === 'host' || k === 'port' || v === undefined) continue;
    parts.push(`${k}=${short(v)}`);
  }
  return parts.join(', ');
}

function formatResult(e: Extract<SessionEvent, { type: 'api.call' }>): string {
  if (e.data) {
    const text = previewText(e.data.b64, 'utf8', 40);
    return e.data.len === 0 ? '0 B' : `${formatBytes(e.data.len)} “${text}”${e.data.truncated ? '…' : ''}`;
  }
  if (e.newSock) return `${e.newSock}${e.remote ? ` (${e.remote})` : ''}`;
  if (e.local && (e.call === 'listen' || e.call === 'bind' || e.call === 'connect')) return e.remote ? `${e.local} → ${e.remote}` : e.local;
  if (e.result === undefined || e.result === null) return 'ok';
  const sock = typeof e.result === 'object' ? (e.result as Record<string, unknown>)['sock'] : undefined;
  if (typeof sock === 'string') return sock;
  return short(e.result);
}

function short(v: unknown): string {
  if (typeof v === 'string') return v.length > 40 ? `"${v.slice(0, 40)}…"` : `"${v}"`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 60)}…` : s;
  } catch {
    return '?';
  }
}
