import { LINKTYPE_RAW, PCAP_MAGIC_US } from './constants.ts';

/**
 * Classic pcap writing (little-endian, microsecond timestamps): what Wireshark, tshark and tcpdump
 * all open. Used for `--pcap FILE` export and to build test and benchmark captures.
 */

export const PCAP_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

export function writePcapHeader(snaplen = 262144, linkType = LINKTYPE_RAW): Uint8Array {
  const out = new Uint8Array(PCAP_HEADER_LEN);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PCAP_MAGIC_US, true);
  dv.setUint16(4, 2, true); // version 2.4
  dv.setUint16(6, 4, true);
  // 8: thiszone, 12: sigfigs, both 0
  dv.setUint32(16, snaplen >>> 0, true);
  dv.setUint32(20, linkType >>> 0, true);
  return out;
}

/**
 * Writes one record into out at off (which must have 16 + data.length bytes free); returns the
 * offset after it. origLen is the frame's length on the wire when data holds only its first bytes.
 */
export function writePcapRecordInto(out: Uint8Array, off: number, tsUs: number, data: Uint8Array, origLen = data.length): number {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const t = Number.isFinite(tsUs) && tsUs > 0 ? Math.floor(tsUs) : 0;
  const sec = Math.floor(t / 1e6);
  dv.setUint32(off, sec >>> 0, true);
  dv.setUint32(off + 4, t - sec * 1e6, true);
  dv.setUint32(off + 8, data.length, true);
  dv.setUint32(off + 12, Math.max(origLen, data.length) >>> 0, true);
  out.set(data, off + PCAP_RECORD_HEADER_LEN);
  return off + PCAP_RECORD_HEADER_LEN + data.length;
}

export function writePcapRecord(tsUs: number, data: Uint8Array, origLen = data.length): Uint8Array {
  const out = new Uint8Array(PCAP_RECORD_HEADER_LEN + data.length);
  writePcapRecordInto(out, 0, tsUs, data, origLen);
  return out;
}

export interface PcapFrame {
  tsUs: number;
  data: Uint8Array;
  origLen?: number;
}

/** A whole pcap file in one buffer. */
export function writePcap(frames: Iterable<PcapFrame>, linkType = LINKTYPE_RAW, snaplen = 262144): Uint8Array {
  const list = [...frames];
  let size = PCAP_HEADER_LEN;
  for (const f of list) size += PCAP_RECORD_HEADER_LEN + f.data.length;
  const out = new Uint8Array(size);
  out.set(writePcapHeader(snaplen, linkType), 0);
  let off = PCAP_HEADER_LEN;
  for (const f of list) off = writePcapRecordInto(out, off, f.tsUs, f.data, f.origLen ?? f.data.length);
  return out;
}
