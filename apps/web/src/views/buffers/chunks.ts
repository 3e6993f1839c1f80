import type { SessionEvent } from '@socketscope/shared';
import type { BufferChunk } from './layout.ts';

/**
 * A socket's recent send()/recv() chunks (sendto/recvfrom count as send/recv) from the api layer, for
 * <Buffers recentData>. Failed calls and calls without data are skipped; only the last `max` are kept.
 */
export function chunksFromEvents(events: readonly SessionEvent[], sock: string, max = 32): BufferChunk[] {
  const out: BufferChunk[] = [];
  for (const e of events) {
    if (e.type !== 'api.call' || e.sock !== sock || e.error || !e.data) continue;
    const call = e.call === 'send' || e.call === 'sendto' ? 'send' : e.call === 'recv' || e.call === 'recvfrom' ? 'recv' : null;
    if (!call) continue;
    out.push({ seq: e.seq, call, len: e.data.len, b64: e.data.b64 });
    if (out.length > max) out.shift();
  }
  return out;
}
