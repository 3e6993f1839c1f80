import type { SessionEvent } from '@socketscope/shared';
import { importCapture } from '@socketscope/shared/wire/index';
import type { Problem } from './format.ts';

/**
 * A .pcap / .pcapng file → session events with the shared decoder (the agent's CLI `import` uses the
 * same one), so an imported capture is folded and drawn exactly like a live session's wire layer.
 * A damaged or cut-short file is refused as a whole, with the decoder's reason: the page shows a
 * capture completely or not at all, never a silently shortened one.
 */

const PCAP_MAGICS = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1];
const PCAPNG_MAGIC = 0x0a0d0d0a;

/** The container format by its magic number, or null for anything else. */
export function captureFormat(bytes: Uint8Array): 'pcap' | 'pcapng' | null {
  if (bytes.length < 4) return null;
  const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  if (magic === PCAPNG_MAGIC) return 'pcapng';
  return PCAP_MAGICS.includes(magic) ? 'pcap' : null;
}

export type ParsedCapture =
  | { ok: true; format: 'pcap' | 'pcapng'; events: SessionEvent[]; frames: number; other: number }
  | { ok: false; problem: Problem };

export function parseCapture(bytes: Uint8Array, maxEvents: number): ParsedCapture {
  const r = importCapture(bytes, { maxEvents, maxErrors: 1 });
  const format = r.stats.format ?? captureFormat(bytes);
  const first = r.errors[0];
  if (first || format === null) {
    const where = first?.index !== undefined ? `frame ${first.index}, byte ${first.offset}` : `byte ${first?.offset ?? 0}`;
    return { ok: false, problem: { key: 'load.err.capture', params: { detail: first ? `${first.message} (${where})` : 'not a capture file' } } };
  }
  if (r.dropped > 0) return { ok: false, problem: { key: 'load.err.tooMany', params: { max: maxEvents.toLocaleString('en-US') } } };
  if (r.events.length === 0) return { ok: false, problem: { key: 'load.err.captureEmpty', params: { frames: r.stats.frames } } };
  return { ok: true, format, events: r.events, frames: r.stats.frames, other: r.stats.other };
}
