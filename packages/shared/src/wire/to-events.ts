import type { EventInput } from '../protocol/events.ts';
import type { DecodedPacket, TcpPacket, UdpPacket } from '../pcap/types.ts';
import { bytesToBase64 } from './base64.ts';
import type { TcpTracker } from './tracker.ts';

/**
 * Decoded packet → the session's wire event (tcp.segment / udp.datagram). The agent's live capture
 * and pcap import both go through here, so a capture folds into the same connections either way.
 */

/** Payload bytes a wire event carries (as base64); the event's len keeps the true length. */
export const WIRE_PREVIEW_BYTES = 64;

export type TcpSegmentInput = Extract<EventInput, { type: 'tcp.segment' }>;
export type UdpDatagramInput = Extract<EventInput, { type: 'udp.datagram' }>;
export type WireEventInput = TcpSegmentInput | UdpDatagramInput;

export interface WireEventOptions {
  /** capture time (µs since the epoch) at which the session started: sets wireTs = tsUs − tsOrigin */
  tsOrigin?: number;
  /** also set the envelope's ts to wireTs (for imports, where capture time is the only time) */
  stampTs?: boolean;
  /** payload bytes to keep (default 64) */
  previewBytes?: number;
}

export function toWireEvents(p: TcpPacket, tracker: TcpTracker, opts?: WireEventOptions): TcpSegmentInput;
export function toWireEvents(p: UdpPacket, tracker: TcpTracker, opts?: WireEventOptions): UdpDatagramInput;
export function toWireEvents(p: DecodedPacket, tracker: TcpTracker, opts?: WireEventOptions): WireEventInput;
export function toWireEvents(p: DecodedPacket, tracker: TcpTracker, opts: WireEventOptions = {}): WireEventInput {
  return p.proto === 'tcp' ? tcpSegment(p, tracker, opts) : udpDatagram(p, opts);
}

function tcpSegment(p: TcpPacket, tracker: TcpTracker, opts: WireEventOptions): TcpSegmentInput {
  const t = tracker.track(p);
  const e: TcpSegmentInput = {
    layer: 'wire',
    type: 'tcp.segment',
    conn: t.conn,
    src: p.src,
    dst: p.dst,
    // shared, frozen per flag combination: events are records, never edited (fold F13)
    flags: p.flags as TcpSegmentInput['flags'],
    seqNo: p.seq,
    ackNo: p.ack,
    relSeq: t.relSeq,
    relAck: t.relAck,
    win: t.win,
    len: p.len,
    // the decoder made this object for this packet alone (or it is the shared frozen empty one)
    options: p.options,
    inferred: false,
    bytes: bytesToBase64(p.payload, opts.previewBytes ?? WIRE_PREVIEW_BYTES),
  };
  if (t.analysis) e.analysis = t.analysis;
  stamp(e, p, opts);
  return e;
}

function udpDatagram(p: UdpPacket, opts: WireEventOptions): UdpDatagramInput {
  const e: UdpDatagramInput = {
    layer: 'wire',
    type: 'udp.datagram',
    src: p.src,
    dst: p.dst,
    len: p.len,
    inferred: false,
    bytes: bytesToBase64(p.payload, opts.previewBytes ?? WIRE_PREVIEW_BYTES),
  };
  stamp(e, p, opts);
  return e;
}

function stamp(e: { wireTs?: number; ts?: number }, p: DecodedPacket, opts: WireEventOptions): void {
  if (opts.tsOrigin === undefined) return;
  const t = Math.max(0, p.tsUs - opts.tsOrigin);
  e.wireTs = t;
  if (opts.stampTs) e.ts = t;
}
