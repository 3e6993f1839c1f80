/**
 * `capture.packets {bundle}`: a bundle's segments, decoded again from the capture ring, as the
 * tcp.segment events they would have been (capture-bundle.ts B7). The shape is built by the shared
 * toWireEvents; what only the live tracker knew when they were captured (relative numbers from the
 * connection's ISN, the scaled window, the retransmission flag) comes from the bundle's record.
 * Bounded: at most MAX_BUNDLE_PACKETS segments per reply (`truncated` when the bundle has more).
 */
import { FrameDecoder } from '@socketscope/shared/pcap/index';
import { TcpTracker, toWireEvents, type TcpSegmentInput } from '@socketscope/shared/wire/index';
import type { BundleRecord } from './capture-bundle.ts';
import type { FrameRing } from './capture-ring.ts';

export const MAX_BUNDLE_PACKETS = 5000;

export interface BundlePackets {
  bundle: number;
  /** 'data': the run's data segments; 'ack': the receiver's pure ACKs during the run (bytes 0) */
  kind: 'data' | 'ack';
  conn: string;
  src: string;
  dst: string;
  /** segments the bundle summarised */
  count: number;
  /** in capture order; without the envelope's v, seq and ts (they were never session events) */
  segments: TcpSegmentInput[];
  /** more segments than MAX_BUNDLE_PACKETS: only the first ones are here */
  truncated: boolean;
  /** segments no longer in the capture ring (it keeps the newest packets) */
  missing: number;
}

export function readBundle(rec: BundleRecord, ring: FrameRing, tsOrigin: number, max = MAX_BUNDLE_PACKETS): BundlePackets {
  const decoder = new FrameDecoder();
  // only for the shape: its relative numbers and windows are replaced from the record below
  const scratch = new TcpTracker();
  const segments: TcpSegmentInput[] = [];
  const retransmitted = new Set(rec.retransmitted);
  let found = 0;
  for (let i = Math.max(rec.firstIndex, ring.firstIndex); i <= rec.lastIndex && found < rec.count; i++) {
    const f = ring.at(i);
    if (!f || f.host !== rec.host) continue; // B8: the other lab host's copies of the same packets
    const p = decoder.decode(f.data, 0, f.data.length, f.origLen, ring.linkType, f.tsUs, i, 0, 0);
    if (p.kind !== 'packet' || p.proto !== 'tcp' || p.src !== rec.src || p.dst !== rec.dst) continue;
    if ((rec.kind === 'data') !== (p.len > 0)) continue;
    found++;
    if (segments.length >= max) continue;
    const e = toWireEvents(p, scratch, { tsOrigin });
    e.conn = rec.conn;
    if (rec.sock !== undefined) e.sock = rec.sock;
    e.relSeq = (p.seq - rec.seqBase) >>> 0;
    e.relAck = rec.ackBase === null || (p.flagBits & 0x10) === 0 ? null : (p.ack - rec.ackBase) >>> 0;
    e.win = rec.winMul === null ? p.win : p.win * rec.winMul;
    if (retransmitted.has(i)) e.analysis = ['retransmission'];
    else delete e.analysis;
    segments.push(e);
  }
  return {
    bundle: rec.id, kind: rec.kind, conn: rec.conn, src: rec.src, dst: rec.dst, count: rec.count, segments,
    truncated: found > max, missing: rec.count - found,
  };
}
