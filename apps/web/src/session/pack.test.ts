import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import { inlinePacker, packEvents, packJson, packJsonNative, unpackEvents } from './pack.ts';

const ev = (seq: number): SessionEvent => ({ v: 1, seq, ts: seq * 10, layer: 'kernel', type: 'kernel.tcp', sock: 's1', local: '127.0.0.1:1', state: 'ESTABLISHED', sendQueue: seq, recvQueue: 0 }) as SessionEvent;

describe('packing', () => {
  it('unpacks exactly what was packed, by fflate or by the platform zlib', async () => {
    const chunk = Array.from({ length: 1000 }, (_, i) => ev(i));
    expect(unpackEvents(packEvents(chunk))).toEqual(chunk);
    expect(unpackEvents(await packJsonNative(JSON.stringify(chunk)))).toEqual(chunk);
    let got: Uint8Array | null = null;
    inlinePacker.pack(chunk, (b) => { got = b; });
    expect(unpackEvents(got!)).toEqual(chunk);
  });

  it('packs repetitive events to a small fraction of their JSON', () => {
    const chunk = Array.from({ length: 4096 }, (_, i) => ev(i));
    const json = JSON.stringify(chunk);
    expect(packJson(json).length).toBeLessThan(json.length / 5);
  });
});
