import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import { happenedAt, inHappenedOrder } from './reorder.ts';

const ev = (seq: number, ts: number, extra: Record<string, unknown>): SessionEvent => ({ v: 1, seq, ts, ...extra }) as SessionEvent;

describe('events in the order they happened', () => {
  it('a kernel state the tracepoints reported is placed at the kernel\'s time, before the SYN it preceded', () => {
    const syn = ev(1, 100, { layer: 'wire', type: 'tcp.segment', src: '127.0.0.1:5000', dst: '127.0.0.1:12000', flags: ['SYN'], seqNo: 1, ackNo: 0, win: 1, len: 0, options: {}, inferred: false, bytes: '', wireTs: 50 });
    const synSent = ev(2, 120, { layer: 'kernel', type: 'kernel.tcp', local: '127.0.0.1:5000', remote: '127.0.0.1:12000', state: 'SYN_SENT', sendQueue: 0, recvQueue: 0, via: 'tracepoint', kernelTs: 40 });
    expect(happenedAt(synSent)).toBe(40);
    expect(inHappenedOrder([syn, synSent]).map((e) => e.seq)).toEqual([2, 1]);
    // a /proc sample has no kernel time: heard is when it happened, as far as anyone knows
    const sampled = ev(3, 130, { layer: 'kernel', type: 'kernel.tcp', local: '127.0.0.1:5000', remote: '127.0.0.1:12000', state: 'ESTABLISHED', sendQueue: 0, recvQueue: 0 });
    expect(happenedAt(sampled)).toBe(130);
  });
});
