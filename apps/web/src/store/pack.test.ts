import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import { PACK_SLICE, POST_BUDGET_MS, SliceJoiner, WorkerPacker, packJson, packJsonNative, unpackEvents, type FromPackWorker, type ToPackWorker } from './pack.ts';

const ev = (seq: number): SessionEvent => ({ v: 1, seq, ts: seq * 10, layer: 'kernel', type: 'kernel.tcp', sock: 's1', local: '127.0.0.1:1', state: 'ESTABLISHED', sendQueue: seq, recvQueue: 0 }) as SessionEvent;

/** A stand-in for the pack worker that does what pack.worker.ts does (its SliceJoiner), in this thread. */
class FakeWorker {
  readonly posted: ToPackWorker[] = [];
  private listener: ((ev: MessageEvent<FromPackWorker>) => void) | null = null;
  private readonly joiner = new SliceJoiner();
  addEventListener(_type: 'message', f: (ev: MessageEvent<FromPackWorker>) => void): void { this.listener = f; }
  postMessage(m: ToPackWorker): void {
    this.posted.push(m);
    const json = this.joiner.add(m);
    if (json !== null) this.listener?.({ data: { id: m.id, bytes: packJson(json) } } as MessageEvent<FromPackWorker>);
  }
}

describe('WorkerPacker', () => {
  it('posts a chunk in slices in idle time, as much as an idle period allows, and packs exactly the chunk', () => {
    const w = new FakeWorker();
    const idles: ((d?: { timeRemaining(): number }) => void)[] = [];
    const packer = new WorkerPacker(w as unknown as Worker, (run) => idles.push(run));
    const chunk = Array.from({ length: PACK_SLICE * 3 + 7 }, (_, i) => ev(i));
    let bytes: Uint8Array | null = null;
    packer.pack(chunk, (b) => { bytes = b; });
    expect(w.posted).toHaveLength(0); // nothing until the page is idle
    // a short idle period: one slice, then it stops
    let left = 3;
    idles.shift()!({ timeRemaining: () => (left -= 2) });
    expect(w.posted).toHaveLength(1);
    expect(w.posted[0]!.count).toBe(PACK_SLICE);
    expect(JSON.parse(w.posted[0]!.json)).toHaveLength(PACK_SLICE);
    expect(w.posted[0]!.last).toBe(false);
    // a long one: the rest
    idles.shift()!({ timeRemaining: () => 40 });
    expect(w.posted.map((p) => p.count)).toEqual([PACK_SLICE, PACK_SLICE, PACK_SLICE, 7]);
    expect(w.posted.map((p) => p.last)).toEqual([false, false, false, true]);
    expect(bytes).not.toBeNull();
    expect(unpackEvents(bytes!)).toEqual(chunk);
    expect(idles).toHaveLength(0); // nothing left to schedule
  });

  it('timed-out idle callbacks (no deadline) post everything queued, chunk after chunk', () => {
    const w = new FakeWorker();
    const idles: ((d?: { timeRemaining(): number }) => void)[] = [];
    const packer = new WorkerPacker(w as unknown as Worker, (run) => idles.push(run));
    const a = Array.from({ length: PACK_SLICE + 1 }, (_, i) => ev(i));
    const b = Array.from({ length: 10 }, (_, i) => ev(1000 + i));
    const got: SessionEvent[][] = [];
    packer.pack(a, (x) => got.push(unpackEvents(x)));
    packer.pack(b, (x) => got.push(unpackEvents(x)));
    for (let k = 0; k < 10 && idles.length > 0; k++) idles.shift()!();
    expect(got).toEqual([a, b]);
    expect(idles).toHaveLength(0);
  });

  it('a page never idle (timed-out callbacks) posts for POST_BUDGET_MS at a time, then asks again soon', () => {
    const w = new FakeWorker();
    const idles: { run: (d?: { timeRemaining(): number }) => void; soon: boolean }[] = [];
    let clock = 0;
    // every JSON.stringify of a slice "takes" 2 ms
    const packer = new WorkerPacker(w as unknown as Worker, (run, soon) => idles.push({ run, soon }), () => (clock += 1));
    const chunk = Array.from({ length: PACK_SLICE * 5 }, (_, i) => ev(i));
    let bytes: Uint8Array | null = null;
    packer.pack(chunk, (b) => { bytes = b; });
    expect(idles.map((i) => i.soon)).toEqual([false]);
    idles.shift()!.run();
    const first = w.posted.length;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(Math.ceil(POST_BUDGET_MS / 2) + 1);
    expect(bytes).toBeNull();
    expect(idles.map((i) => i.soon)).toEqual([true]); // the rest comes soon, not in a second
    for (let k = 0; k < 10 && idles.length > 0; k++) idles.shift()!.run();
    expect(w.posted.map((p) => p.count).reduce((a, b) => a + b, 0)).toBe(chunk.length);
    expect(unpackEvents(bytes!)).toEqual(chunk);
  });

  it('the native packer (CompressionStream, as in the worker) writes what unpackEvents reads', async () => {
    const chunk = Array.from({ length: 4096 }, (_, i) => ev(i));
    const bytes = await packJsonNative(JSON.stringify(chunk));
    expect(typeof CompressionStream).toBe('function'); // Node and Chromium both have it: the native path ran
    expect(unpackEvents(bytes)).toEqual(chunk);
    expect(bytes.length).toBeLessThan(JSON.stringify(chunk).length / 5);
  });
});

