import type { TcpOptions } from '../protocol/events.ts';
import type { TcpFlag } from '../protocol/primitives.ts';

/**
 * What the capture reader hands out: one record per packet record in the file (decoded, or not
 * TCP/UDP, or broken) and one error per broken container block. Nothing here throws.
 */

/** Fields every frame record carries, from the capture container. */
export interface FrameInfo {
  /** frame number, 1-based, counting every packet record in the file as Wireshark does */
  index: number;
  /** capture time, whole microseconds since the Unix epoch (0 where the file has none, e.g. pcapng SPB) */
  tsUs: number;
  /** pcapng interface id (0 for classic pcap) */
  iface: number;
  /** LINKTYPE_* of the frame's interface */
  linkType: number;
  /** length of the frame on the wire (Wireshark's frame.len) */
  frameLen: number;
  /** bytes of it in the file (frame.cap_len); less than frameLen when snaplen cut it */
  capLen: number;
}

interface PacketCommon extends FrameInfo {
  kind: 'packet';
  family: 4 | 6;
  /** "127.0.0.1:8888" / "[::1]:8888", spelled by endpoint() */
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /**
   * transport payload length in bytes, from the IP (and UDP) length fields: the true length even
   * when the capture kept only the first bytes
   */
  len: number;
  /** the captured part of the payload (at most len bytes; a view into the input, not a copy) */
  payload: Uint8Array;
}

export interface TcpPacket extends PacketCommon {
  proto: 'tcp';
  /** the flag byte: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80 */
  flagBits: number;
  /** flag names in TCP_FLAGS order; a shared array per flag combination, do not mutate */
  flags: readonly TcpFlag[];
  /** raw sequence and acknowledgement numbers (unsigned 32-bit) */
  seq: number;
  ack: number;
  /** window field as sent (not scaled) */
  win: number;
  /** TCP header length in bytes: the data offset field × 4 */
  headerLen: number;
  /** parsed options; a shared empty object when there are none, do not mutate */
  options: TcpOptions;
  /** an option was malformed; parsing of options stopped there, the segment is still decoded */
  badOptions: boolean;
}

/** len is the datagram's payload (the UDP length field − 8, or what the IP length allows when that field is impossible) */
export interface UdpPacket extends PacketCommon {
  proto: 'udp';
}

export type DecodedPacket = TcpPacket | UdpPacket;

/** A frame that is readable but not TCP/UDP over IP (ARP, ICMP, a non-first IP fragment, …). */
export interface OtherFrame extends FrameInfo {
  kind: 'other';
  /** short English reason, e.g. "ethertype 0x0806", "IPv4 fragment", "IP protocol 1" */
  reason: string;
}

/** A frame or block that could not be read. Decoding goes on after it unless `fatal`. */
export interface CaptureError {
  kind: 'error';
  /** frame number, when the error belongs to a packet record */
  index?: number;
  /** byte offset in the stream of the record or block */
  offset: number;
  message: string;
  /** decoding stopped here: the rest of the input cannot be trusted */
  fatal: boolean;
}

export type CaptureRecord = DecodedPacket | OtherFrame | CaptureError;

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureStats {
  format: CaptureFormat | null;
  bytes: number;
  frames: number;
  tcp: number;
  udp: number;
  other: number;
  errors: number;
}
