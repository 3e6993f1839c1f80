import type { Model, SessionEvent } from '@socketscope/shared';
import type { LessonResult as RunResult } from '../lessons/lesson-run.ts';

/** Human-readable lines for the CLI (without --json). The page has its own, translated views. */

function ms(ts: number): string {
  return `${(ts / 1000).toFixed(3).padStart(9)} ms`;
}

function text(b64: string | undefined, truncated: boolean): string {
  if (b64 === undefined) return '';
  const bytes = Buffer.from(b64, 'base64');
  const printable = bytes.every((c) => c >= 0x20 && c < 0x7f);
  const body = printable ? JSON.stringify(bytes.toString('latin1')) : `${bytes.subarray(0, 16).toString('hex')}${bytes.length > 16 ? '…' : ''}`;
  return truncated ? `${body}…` : body;
}

function line(src: { file: string; line: number } | undefined): string {
  return src ? ` [line ${src.line}]` : '';
}

export function formatEvent(e: SessionEvent): string {
  const head = `${String(e.seq).padStart(5)} ${ms(e.ts)}  ${e.layer.padEnd(7)}`;
  switch (e.type) {
    case 'api.call': {
      const res = e.error ? `→ ${e.error.code}` : e.data ? `→ ${e.data.len} bytes ${text(e.data.b64, e.data.truncated)}` : e.newSock ? `→ ${e.newSock}` : '';
      const where = [e.local, e.remote].filter(Boolean).join(' ↔ ');
      return `${head} ${e.sock ?? '-'} ${e.call}()${line(e.src)} ${where} ${res}`.trimEnd();
    }
    case 'api.begin':
      return `${head} ${e.sock ?? '-'} ${e.call}()${line(e.src)} ${e.paused ? 'paused before the call' : 'waiting…'}`;
    case 'api.notice':
      return `${head} ${e.sock ?? '-'} (${e.what}${e.error ? ` ${e.error.code}` : ''})`;
    case 'kernel.tcp':
      return `${head} ${e.local}${e.remote ? ` ↔ ${e.remote}` : ''} ${e.gone ? `gone (was ${e.state})` : e.state} send-q ${e.sendQueue} recv-q ${e.recvQueue}${e.acceptQueue !== undefined ? ` accept-q ${e.acceptQueue}/${e.backlog ?? '?'}` : ''}`;
    case 'kernel.notice':
      return `${head} ${e.local}${e.remote ? ` ↔ ${e.remote}` : ''} ${e.what}${e.state ? ` in ${e.state}` : ''}`;
    case 'kernel.udp':
      return `${head} ${e.local}${e.gone ? ' gone' : ''} send-q ${e.sendQueue} recv-q ${e.recvQueue} drops ${e.drops}`;
    case 'tcp.segment':
      return `${head} ${e.src} → ${e.dst} [${e.flags.join(',')}]${e.seqNo !== null ? ` seq ${e.relSeq ?? e.seqNo}` : ''}${e.ackNo !== null ? ` ack ${e.relAck ?? e.ackNo}` : ''} len ${e.len}${e.inferred ? ' (inferred)' : ''}`;
    case 'tcp.bundle': {
      // bytes 0: the receiver's pure ACKs during a run of data (capture-bundle.ts B4)
      const what = e.bytes > 0 ? `${e.count} segments, ${e.bytes} bytes, seq ${e.relFirstSeq ?? e.firstSeq}–${e.relEndSeq ?? e.endSeq}` : `${e.count} ACKs`;
      const retrans = e.retransmissions > 0 ? `, ${e.retransmissions} retransmitted` : '';
      const span = `${((e.wireEndTs - e.wireTs) / 1000).toFixed(1)} ms`;
      return `${head} ${e.src} → ${e.dst} bundle #${e.bundle} [${e.flags.join(',')}] ${what}${retrans} in ${span}${e.open ? ' (growing)' : ''}`;
    }
    case 'udp.datagram':
      return `${head} ${e.src} → ${e.dst} len ${e.len}${e.inferred ? ' (inferred)' : ''}`;
    case 'link.drop':
      return `${head} ${e.src} → ${e.dst} ${e.proto}${e.flags ? ` [${e.flags.join(',')}]` : ''}${e.seqNo !== undefined ? ` seq ${e.seqNo}` : ''} len ${e.len} dropped by the link (${e.reason})`;
    case 'link.state': {
      if (!e.up) return `${head} lab link down`;
      const c = e.conditions;
      const hosts = e.hosts ? ` client ${e.hosts.client}, server ${e.hosts.server}` : '';
      return `${head} lab link up${e.how ? ` (${e.how})` : ''}${hosts}: delay ${c.delayMs} ms${c.jitterMs ? ` ± ${c.jitterMs} ms` : ''}, loss ${c.lossPct} %, rate ${c.rateKbit === null ? 'unlimited' : `${c.rateKbit} kbit/s`}`;
    }
    case 'source.status':
      return `${head} ${e.source} ${e.status.running ? 'running' : 'not running'}${e.status.reason ? `: ${e.status.reason}` : ''}`;
    case 'scenario.step':
      return `${head} ${e.scenario} step ${e.index} ${e.step} (${e.role ?? '-'}) ${e.status}`;
    case 'proc.start':
      return `${head} ${e.proc.run} started ${e.file} ${e.args.join(' ')} (pid ${e.proc.pid}, Python ${e.python})`.trimEnd();
    case 'proc.output':
      return `${head} ${e.run} ${e.stream}: ${JSON.stringify(e.text)}`;
    case 'proc.input':
      return `${head} ${e.run} input(${JSON.stringify(e.prompt)})`;
    case 'proc.exit': {
      const how = e.signal ? `killed by ${e.signal}` : `exit ${e.code}`;
      const exc = e.exception ? ` ${e.exception.type}: ${e.exception.message}` : '';
      return `${head} ${e.run} ended (${e.reason}, ${how})${exc}`;
    }
  }
}

/** The end of `run` without --json: what the lesson did, folded with the shared model. */
export function formatSummary(result: RunResult, model: Model): string {
  const lines = ['', `${result.scenario}: ${result.ok ? 'completed' : `FAILED at ${result.failedStep}: ${result.error?.code} ${result.error?.message}`} — ${result.steps} steps, ${model.events} events (api ${model.counts.api}, kernel ${model.counts.kernel}, wire ${model.counts.wire})`];
  for (const id of model.socketOrder) {
    const s = model.sockets[id]!;
    const states = s.stateHistory.map((h) => h.to).join(' → ');
    lines.push(`  ${id.padEnd(6)} ${s.proto} ${s.role.padEnd(8)} ${s.local ?? '?'}${s.remote ? ` ↔ ${s.remote}` : ''}  sent ${s.bytesSent} B, received ${s.bytesReceived} B${states ? `  kernel: ${states}` : ''}${s.drops ? `  drops ${s.drops}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
