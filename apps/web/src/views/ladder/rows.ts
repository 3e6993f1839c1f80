import type { LinkDropEvent, SessionEvent, TcpSegmentEvent } from '@socketscope/shared';
import { endpoint } from '@socketscope/shared';
import { FLAG_BIT, flagsLabelOf } from './marks.ts';
import type { ConnScan } from './resolve.ts';
import type { ArrowRow, BundleRow } from './types.ts';

/** Row builders and small lookups of the ladder layout (layout.ts). */

/** A run of data segments one way on one connection, a bundle once it is long enough (rule L4). */
export interface Run {
  conn: string;
  senderEp: string;
  inferred: boolean;
  /** position in the rows of the run's first row */
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

const U32 = 2 ** 32;
const NO_ANALYSIS: readonly string[] = Object.freeze([]);

/** Relative to the direction's ISN (mod 2^32), as Wireshark shows; the event's own relSeq/relAck win. */
function relative(raw: number | null, isn: number | undefined): number | null {
  return raw === null || isn === undefined ? null : (((raw - isn) % U32) + U32) % U32;
}

export function arrowRow(e: TcpSegmentEvent, bits: number, idx: number, ts: number, dt: number | null, from: number, to: number, c: ConnScan): ArrowRow {
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

export function datagramRow(e: Extract<SessionEvent, { type: 'udp.datagram' }>, idx: number, ts: number, dt: number | null, from: number, to: number): ArrowRow {
  return {
    kind: 'arrow', idx, seq: e.seq, ts, proto: 'udp', from, to, flags: '', hasAck: false, relSeq: null, relAck: null,
    len: e.len, win: null, inferred: e.inferred, analysis: NO_ANALYSIS, dt, bytes: e.bytes,
  };
}

/** A packet the lab's link dropped (L8): its flags and numbers as its capture would show them, and why. */
export function dropRow(e: LinkDropEvent, bits: number, idx: number, ts: number, dt: number | null, from: number, to: number, c: ConnScan | undefined): ArrowRow {
  const fromClient = c !== undefined && e.src === c.client;
  return {
    kind: 'arrow', idx, seq: e.seq, ts, proto: e.proto, from, to, flags: e.proto === 'tcp' ? flagsLabelOf(bits) : '', hasAck: false,
    relSeq: c ? relative(e.seqNo ?? null, fromClient ? c.isnC : c.isnS) : null, relAck: null,
    len: e.len, win: null, inferred: false, analysis: NO_ANALYSIS, dt, bytes: '', lost: e.reason,
  };
}

export function bundleRow(run: Run, lastIdx: number, lastSeq: number, lastTs: number): BundleRow {
  return {
    kind: 'bundle', idx: run.firstIdx, seq: run.firstSeq, ts: run.firstTs, id: run.firstSeq, from: run.from, to: run.to,
    segments: run.data, acks: run.acks, bytes: run.bytes, inferred: run.inferred, firstIdx: run.firstIdx, lastIdx, lastSeq, lastTs,
    sender: run.senderEp, expanded: false,
  };
}

/** Position of the event with this seq (events are in seq order), or −1. */

/** connect()'s target from its arguments, when the event has no `remote`. */
export function remoteFromArgs(args: Record<string, unknown>): string | undefined {
  const host = args['host'];
  const port = args['port'];
  return typeof port === 'number' ? endpoint(typeof host === 'string' ? host : '127.0.0.1', port) : undefined;
}
