import type { SessionEvent, TcpSegmentEvent, UdpDatagramEvent } from '../protocol/events.ts';
import { buildIpPacket } from '../pcap/build.ts';
import { LINKTYPE_RAW } from '../pcap/constants.ts';
import { writePcap, type PcapFrame } from '../pcap/writer.ts';
import { base64ToBytes } from './base64.ts';

/**
 * A session's wire layer → a classic pcap (raw IP) that Wireshark opens: the way to export a
 * recorded or imported session, in the browser or the agent. Each captured tcp.segment and
 * udp.datagram becomes one packet: headers rebuilt from the event's fields, the payload bytes the
 * event kept, and the true length on the wire (so Wireshark shows "[Packet size limited during
 * capture]" where the preview is shorter than the segment).
 *
 * Inferred events are left out: they did not happen on a wire. The window is written back as the
 * raw field: divided by the window-scale shift of the conversation's handshake when the event's
 * win was scaled (both SYNs carried the option), exactly inverting TcpTracker's T3.
 */

export interface ExportOptions {
  /** epoch µs of the session's start; timestamps in the file are this plus each event's capture time */
  startUs?: number;
}

export interface ExportResult {
  pcap: Uint8Array;
  packets: number;
  /** inferred events, left out */
  inferred: number;
  /** events whose endpoints could not be rebuilt into an IP packet */
  skipped: number;
}

interface Handshake { client?: number; server?: number }

export function exportPcap(events: Iterable<SessionEvent>, opts: ExportOptions = {}): ExportResult {
  const start = opts.startUs ?? 0;
  const frames: PcapFrame[] = [];
  const shakes = new Map<string, Handshake>();
  let inferred = 0;
  let skipped = 0;
  for (const e of events) {
    if (e.type !== 'tcp.segment' && e.type !== 'udp.datagram') continue;
    if (e.inferred) { inferred++; continue; }
    const tsUs = start + (e.wireTs ?? e.ts);
    try {
      const built = e.type === 'tcp.segment' ? segment(e, shakes) : datagram(e);
      if (!built) { skipped++; continue; }
      frames.push({ tsUs, data: built.data, origLen: built.origLen });
    } catch {
      skipped++;
    }
  }
  return { pcap: writePcap(frames, LINKTYPE_RAW, 262144), packets: frames.length, inferred, skipped };
}

function payloadOf(e: { bytes: string; len: number }): Uint8Array | null {
  const p = base64ToBytes(e.bytes);
  return p && p.length <= e.len ? p : null;
}

function segment(e: TcpSegmentEvent, shakes: Map<string, Handshake>): ReturnType<typeof buildIpPacket> | null {
  if (e.seqNo === null || e.ackNo === null || e.win === null) return null;
  const payload = payloadOf(e);
  if (!payload) return null;
  const syn = e.flags.includes('SYN');
  const key = e.conn ?? `${e.src}>${e.dst}`;
  const fromClient = !e.conn || e.conn.startsWith(`${e.src}>`);
  let win = e.win;
  if (syn) {
    const h = shakes.get(key) ?? {};
    const ws = e.options.wscale ?? -1;
    if (fromClient) h.client = ws; else h.server = ws;
    shakes.set(key, h);
  } else {
    const h = shakes.get(key);
    if (h && h.client !== undefined && h.server !== undefined && h.client >= 0 && h.server >= 0) {
      win = Math.floor(win / 2 ** Math.min(fromClient ? h.client : h.server, 14));
    }
  }
  return buildIpPacket({
    proto: 'tcp', src: e.src, dst: e.dst, flags: e.flags, seq: e.seqNo, ack: e.ackNo, win: Math.min(win, 65535),
    options: e.options, payload, len: e.len,
  });
}

function datagram(e: UdpDatagramEvent): ReturnType<typeof buildIpPacket> | null {
  const payload = payloadOf(e);
  return payload ? buildIpPacket({ proto: 'udp', src: e.src, dst: e.dst, payload, len: e.len }) : null;
}
