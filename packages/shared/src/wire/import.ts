import type { SessionEvent } from '../protocol/events.ts';
import { CaptureReader } from '../pcap/reader.ts';
import type { CaptureError, CaptureRecord, CaptureStats } from '../pcap/types.ts';
import { toWireEvents } from './to-events.ts';
import { TcpTracker } from './tracker.ts';

/**
 * A .pcap/.pcapng file → session events, so an imported capture is folded, drawn and replayed like
 * a live session: seq from 0 (or firstSeq), ts and wireTs in µs since the first packet.
 */

export interface ImportOptions {
  firstSeq?: number;
  /** events kept at most; the rest is counted in `dropped` (default 1 000 000) */
  maxEvents?: number;
  /** errors kept at most (they are counted in stats either way; default 1000) */
  maxErrors?: number;
}

export interface ImportResult {
  events: SessionEvent[];
  errors: CaptureError[];
  stats: CaptureStats;
  /** TCP/UDP packets not turned into events because maxEvents was reached */
  dropped: number;
}

export function importCapture(bytes: Uint8Array, opts: ImportOptions = {}): ImportResult {
  const reader = new CaptureReader();
  const records = reader.push(bytes);
  reader.end(records);
  return importRecords(records, reader.stats, opts);
}

/** The same from records already read (e.g. a file read in chunks with CaptureReader). */
export function importRecords(records: Iterable<CaptureRecord>, stats: CaptureStats, opts: ImportOptions = {}): ImportResult {
  const maxEvents = opts.maxEvents ?? 1_000_000;
  const maxErrors = opts.maxErrors ?? 1000;
  const tracker = new TcpTracker();
  const events: SessionEvent[] = [];
  const errors: CaptureError[] = [];
  let seq = opts.firstSeq ?? 0;
  let origin: number | undefined;
  let dropped = 0;
  for (const r of records) {
    if (r.kind === 'error') {
      if (errors.length < maxErrors) errors.push(r);
      continue;
    }
    if (r.kind !== 'packet') continue;
    if (events.length >= maxEvents) { dropped++; continue; }
    // ts is µs since the first packet; a packet stamped earlier than it (clock steps) gets 0
    origin ??= r.tsUs;
    const input = toWireEvents(r, tracker, { tsOrigin: origin, stampTs: true });
    events.push({ ...input, v: 1, seq: seq++, ts: input.ts ?? 0 } as SessionEvent);
  }
  return { events, errors, stats, dropped };
}
