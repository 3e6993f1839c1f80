import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import { buildIpPacket, writePcap } from '@socketscope/shared/pcap/index';
import { captureFormat, parseCapture } from './capture.ts';
import { parseSession, serializeSession, SESSION_FORMAT } from './format.ts';

const events: SessionEvent[] = [
  { v: 1, seq: 3, ts: 10, layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 5 }, durationUs: 3, proto: 'tcp', local: '127.0.0.1:8888' },
  { v: 1, seq: 4, ts: 20, layer: 'wire', type: 'tcp.segment', src: '127.0.0.1:5', dst: '127.0.0.1:8888', flags: ['SYN'], seqNo: 1, ackNo: 0, win: 10, len: 0, options: { mss: 65495 }, inferred: false, bytes: '', wireTs: 19 },
];

describe('recording files (JSON Lines with a header)', () => {
  it('R1–R3: a saved session reads back as the same events, with its header', () => {
    const text = serializeSession({ lesson: 'tcp-hello', savedAt: '2025-01-01T00:00:00Z' }, events);
    expect(text.split('\n')[0]).toContain(`"format":"${SESSION_FORMAT}"`);
    const r = parseSession(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.events).toEqual(events);
    expect(r.header.lesson).toBe('tcp-hello');
    expect(r.header.events).toBe(2);
  });

  it('R3: a file cut at a line boundary is truncated, not a shorter session', () => {
    const text = serializeSession({}, events).split('\n').slice(0, 2).join('\n');
    const r = parseSession(text);
    expect(r.ok ? null : r.problem).toEqual({ key: 'load.err.truncated', params: { expected: 2, found: 1 } });
  });

  it('R2: a damaged line is reported by its number', () => {
    const lines = serializeSession({}, events).split('\n');
    lines[2] = lines[2]!.slice(0, 40);
    const r = parseSession(lines.join('\n'));
    expect(r.ok ? null : r.problem.key).toBe('load.err.line');
    expect(r.ok ? null : r.problem.params['line']).toBe(3);
    const bad = serializeSession({}, events).replace('"flags":["SYN"]', '"flags":["NOPE"]');
    expect(parseSession(bad).ok).toBe(false);
  });

  it('R2: events out of order are refused', () => {
    const r = parseSession(serializeSession({}, [events[1]!, events[0]!]));
    expect(r.ok ? null : r.problem.key).toBe('load.err.order');
  });

  it('R1: other files and newer versions are refused with a reason', () => {
    expect(parseSession('').ok).toBe(false);
    expect(parseSession('hello world\n').ok ? '' : (parseSession('hello world\n') as { problem: { key: string } }).problem.key).toBe('load.err.notSession');
    const newer = serializeSession({}, events).replace('"version":1', '"version":7');
    const r = parseSession(newer);
    expect(r.ok ? null : r.problem).toEqual({ key: 'load.err.version', params: { version: 7 } });
  });
});

describe('capture import', () => {
  const syn = buildIpPacket({ proto: 'tcp', src: '127.0.0.1:50000', dst: '127.0.0.1:8888', flags: ['SYN'], seq: 100, win: 65495, options: { mss: 65495 } });
  const synack = buildIpPacket({ proto: 'tcp', src: '127.0.0.1:8888', dst: '127.0.0.1:50000', flags: ['SYN', 'ACK'], seq: 900, ack: 101, win: 65483 });
  const pcap = writePcap([{ tsUs: 1_000_000, data: syn.data }, { tsUs: 1_000_020, data: synack.data }]);

  it('a .pcap becomes wire events with relative sequence numbers, like a live capture', () => {
    expect(captureFormat(pcap)).toBe('pcap');
    const r = parseCapture(pcap, 1000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.events.map((e) => (e.type === 'tcp.segment' ? e.flags.join('+') : e.type))).toEqual(['SYN', 'SYN+ACK']);
    expect(r.events.map((e) => (e.type === 'tcp.segment' ? [e.relSeq, e.relAck] : null))).toEqual([[0, null], [0, 1]]);
  });

  it('a capture cut short is refused as a whole, with the decoder’s reason', () => {
    const r = parseCapture(pcap.slice(0, pcap.length - 7), 1000);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.key).toBe('load.err.capture');
    expect(String(r.problem.params['detail'])).toMatch(/truncated|ends inside/);
  });
});
