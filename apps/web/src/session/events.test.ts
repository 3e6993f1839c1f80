import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import { EventStore } from './events.ts';
import { inlinePacker, packEvents, unpackEvents, type Packer } from './pack.ts';

const ev = (i: number): SessionEvent => (i % 3 === 0
  ? { v: 1, seq: i, ts: i * 10, wireTs: i * 10 + 1, layer: 'wire', type: 'tcp.segment', conn: `c${i % 4}`, src: 'a:1', dst: 'b:2', flags: ['ACK'], seqNo: i, ackNo: 1, win: 10, len: 0, options: {}, inferred: false, bytes: '' }
  : { v: 1, seq: i, ts: i * 10, layer: 'api', type: 'api.call', sock: `s${i % 5}`, call: 'send', args: {}, durationUs: 1, data: { len: 3, b64: 'YWJj', truncated: false } });

/** A packer that answers only when told, like the worker does. */
function laterPacker(): Packer & { run(): void; waiting: number } {
  const queue: (() => void)[] = [];
  return {
    pack: (events, done) => { const copy = JSON.parse(JSON.stringify(events)) as SessionEvent[]; queue.push(() => done(packEvents(copy))); },
    run: () => { while (queue.length) queue.shift()!(); },
    get waiting() { return queue.length; },
  };
}

describe('EventStore: a million events in a tab', () => {
  it('packs full chunks, keeps only the newest as objects, and reads every event back the same', () => {
    const store = new EventStore({ chunkSize: 16, hotChunks: 2, cacheChunks: 1, packer: inlinePacker });
    const all = Array.from({ length: 200 }, (_, i) => ev(i));
    for (const e of all) store.push(e, e.seq + 1000);
    expect(store.footprint.objectChunks).toBeLessThanOrEqual(3);
    expect(store.footprint.packedBytes).toBeGreaterThan(0);
    for (const i of [0, 15, 16, 100, 199, 37, 3]) expect(store.at(i)).toEqual(all[i]);
    expect(store.at(200)).toBeUndefined();
    expect(store.agentSeqAt(5)).toBe(1005);
  });

  it('keeps a chunk as objects until its packed bytes come back (the worker answers later)', () => {
    const packer = laterPacker();
    const store = new EventStore({ chunkSize: 8, hotChunks: 1, packer });
    for (let i = 0; i < 40; i++) store.push(ev(i), i);
    expect(packer.waiting).toBe(5);
    expect(store.at(2)).toEqual(ev(2)); // not packed yet: still there
    packer.run();
    expect(store.footprint.objectChunks).toBeLessThanOrEqual(1);
    expect(store.at(2)).toEqual(ev(2)); // unpacked on demand
  });

  it('filters need no unpacking: layer, socket and connection per event are numbers', () => {
    const store = new EventStore({ chunkSize: 8, hotChunks: 1, packer: inlinePacker });
    for (let i = 0; i < 30; i++) store.push(ev(i), i);
    expect(store.layerAt(3)).toBe('wire');
    expect(store.layerAt(4)).toBe('api');
    expect(store.sockIdAt(4)).toBe(store.idOf('s4'));
    expect(store.connIdAt(3)).toBe(store.idOf('c3'));
    expect(store.idOf('nobody')).toBe(-1);
  });

  it('gives back what the agent sent: its own seq and the capture time it sent', () => {
    const store = new EventStore({ chunkSize: 8, packer: inlinePacker });
    const shown = { ...ev(3), seq: 0, wireTs: 30.5 } as SessionEvent;
    store.push(shown, 3, 31);
    expect(store.agentEventAt(0)).toEqual(ev(3));
    expect(store.at(0)).toBe(shown);
  });

  it('pack/unpack is lossless', () => {
    const all = Array.from({ length: 50 }, (_, i) => ev(i));
    expect(unpackEvents(packEvents(all))).toEqual(all);
  });
});
