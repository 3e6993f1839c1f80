import { describe, expect, it } from 'vitest';
import type { SocketModel } from '@socketscope/shared';
import { emptyModel, foldAll } from '@socketscope/shared';
import { demoTcpHello } from '../ladder/demo.ts';
import { layoutBuffers, type BufferChunk } from './layout.ts';
import { windowsFromEvents } from './windows.ts';

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
const chunk = (seq: number, call: 'send' | 'recv', text: string): BufferChunk => ({ seq, call, len: new TextEncoder().encode(text).length, b64: b64(text) });

function sock(over: Partial<SocketModel>): SocketModel {
  return {
    id: 's', proto: 'tcp', role: 'accepted', owned: true, apiState: 'connected', stateHistory: [], state: 'ESTABLISHED',
    sendQueue: 0, recvQueue: 0, pendingAccept: 0, bytesSent: 0, bytesReceived: 0, peerClosed: false, gone: false,
    recentCalls: [], firstSeq: 0, lastSeq: 0, ...over,
  };
}

const text = (g: { text: string }[] | null) => g?.map((x) => x.text).join('') ?? null;

describe('layoutBuffers', () => {
  it('B2/B3: the send buffer holds the last sendQueue bytes sent, each with the send() that wrote it', () => {
    const l = layoutBuffers(sock({ bytesSent: 8, sendQueue: 5 }), [chunk(1, 'send', 'abc'), chunk(2, 'send', 'hel'), chunk(3, 'send', 'lo')]);
    expect(text(l.send.glyphs)).toBe('hello');
    expect(l.send.glyphs!.map((g) => g.chunk)).toEqual([1, 1, 1, 2, 2]);
    expect(l.send.glyphs!.map((g) => g.boundary)).toEqual([true, false, false, true, false]);
    expect(l.send.chunks).toBe(2);
  });

  it('粘包: two send()s waiting in the receive buffer keep their boundary, then one recv() returns both', () => {
    const peerSends = [chunk(1, 'send', 'hel'), chunk(2, 'send', 'lo')];
    const waiting = layoutBuffers(sock({ recvQueue: 5 }), [], { socket: sock({ bytesSent: 5 }), recentData: peerSends });
    expect(text(waiting.recv.glyphs)).toBe('hello');
    expect(waiting.recv.chunks).toBe(2);
    const read = layoutBuffers(sock({ bytesReceived: 5 }), [chunk(3, 'recv', 'hello')], { socket: sock({ bytesSent: 5 }), recentData: peerSends });
    expect(read.recv.used).toBe(0);
    expect(read.recentRecvs).toEqual([expect.objectContaining({ seq: 3, len: 5, fromSends: 2, partOfSend: false })]);
    expect(read.recentRecvs[0]!.glyphs.filter((g) => g.boundary)).toHaveLength(2);
  });

  it('one send() read by several recv(4) calls: each recv took part of it', () => {
    const l = layoutBuffers(sock({ bytesReceived: 10 }), [chunk(5, 'recv', 'abcd'), chunk(6, 'recv', 'efgh'), chunk(7, 'recv', 'ij')],
      { socket: sock({ bytesSent: 10 }), recentData: [chunk(1, 'send', 'abcdefghij')] });
    expect(l.recentRecvs.map((r) => [text(r.glyphs), r.fromSends, r.partOfSend])).toEqual([['abcd', 1, true], ['efgh', 1, true], ['ij', 1, true]]);
  });

  it('UTF-8 characters are shown whole, with their byte count; invalid bytes as hex', () => {
    const l = layoutBuffers(sock({ bytesSent: 8, sendQueue: 8 }), [chunk(1, 'send', '你好'), { seq: 2, call: 'send', len: 2, b64: btoa('\xff\n') }]);
    expect(l.send.glyphs!.map((g) => [g.text, g.bytes, g.hex])).toEqual([['你', 3, false], ['好', 3, false], ['ff', 1, true], ['\\n', 1, false]]);
  });

  it('B1: without a kernel observation the counts are unknown, not zero; contents unknown without the peer', () => {
    expect(layoutBuffers(sock({ state: undefined, recvQueue: 0 })).recv.used).toBeNull();
    const l = layoutBuffers(sock({ recvQueue: 10 }));
    expect(l.recv.used).toBe(10);
    expect(l.recv.glyphs).toBeNull();
    expect(l.kernelUnknown).toBe(false);
  });

  it('B3: a truncated preview leaves the bytes unknown rather than guessed', () => {
    const l = layoutBuffers(sock({ bytesSent: 20, sendQueue: 20 }), [{ seq: 1, call: 'send', len: 20, b64: b64('only8byt') }]);
    expect(l.send.glyphs).toBeNull();
    expect(l.send.used).toBe(20);
  });

  it('B4: capacity from the kernel when known, otherwise a labelled automatic scale', () => {
    const known = layoutBuffers(sock({ recvQueue: 1000, info: { rcvSpace: 65483, sndWnd: 65536 } }));
    expect(known.recv).toMatchObject({ capacity: 65483, capacitySource: 'rcvSpace', scale: 65483 });
    expect(known.send).toMatchObject({ capacity: 65536, capacitySource: 'sndWnd' });
    // the buffer sizes (ss -m skmem rb/tb) win over the windows: a full receive buffer reads "126 KiB of 128 KiB"
    const sized = layoutBuffers(sock({ recvQueue: 129_024, sendQueue: 4_000_000, info: { rcvSpace: 65483, sndWnd: 65536, rcvBuf: 131072, sndBuf: 4194304 } }));
    expect(sized.recv).toMatchObject({ capacity: 131072, capacitySource: 'rcvBuf', scale: 131072 });
    expect(sized.send).toMatchObject({ capacity: 4194304, capacitySource: 'sndBuf', scale: 4194304 });
    expect(sized.recv.fill).toBeCloseTo(129_024 / 131072);
    const unknown = layoutBuffers(sock({ recvQueue: 3000 }));
    expect(unknown.recv).toMatchObject({ capacity: null, capacitySource: null, scale: 4096 });
    expect(unknown.recv.fill).toBeCloseTo(3000 / 4096);
  });

  it('a listener shows its accept queue against the backlog and what the agent holds for accept()', () => {
    const l = layoutBuffers(sock({ role: 'listener', state: 'LISTEN', acceptQueue: 2, backlog: 5, pendingAccept: 1 }));
    expect(l.kind).toBe('listener');
    expect(l.accept).toEqual({ queued: 2, backlog: 5, heldByAgent: 1, slots: 5 });
  });

  it('a UDP socket shows its receive queue, its drops, and datagrams with their boundaries', () => {
    const l = layoutBuffers(sock({ proto: 'udp', role: 'udp', state: undefined, drops: 17, recvQueue: 4096, bytesReceived: 12 }),
      [chunk(1, 'recv', 'ping 1'), chunk(2, 'recv', 'ping 2')]);
    expect(l.kind).toBe('udp');
    expect(l.udp).toEqual({ drops: 17 });
    expect(l.recv.used).toBe(4096);
    expect(l.recentRecvs.map((r) => text(r.glyphs))).toEqual(['ping␣1', 'ping␣2']);
  });

  it('windowsFromEvents reads the last advertised window each way from the wire', () => {
    const events = demoTcpHello();
    const model = foldAll(emptyModel(), events);
    expect(windowsFromEvents(events, model.sockets['s2']!)).toEqual({ advertised: 65536, peerAdvertised: 65536 });
    expect(windowsFromEvents(events, model.sockets['s1']!)).toEqual({ advertised: null, peerAdvertised: null });
  });
});
