/**
 * The pure parts of capture: which packets are the session's (M1–M3), the frame ring and pcap export,
 * and the tools' exit summaries. Packets are real pcap bytes built with the shared builder and decoded
 * by the shared reader.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import {
  LINKTYPE_ETHERNET, buildIpPacket, ethernetFrame, readCapture, writePcap, type DecodedPacket, type PacketSpec,
} from '@socketscope/shared/pcap/index';
import type { TrackedSocket } from '../sources/source.ts';
import { LIMBO_MS, PacketMatcher } from './capture-match.ts';
import { parseKernelDrops, toolArgs } from './capture-process.ts';
import { FrameRing, frameBytes } from './capture-ring.ts';

function packets(specs: PacketSpec[]): { decoded: DecodedPacket[]; frames: Uint8Array[] } {
  const frames = specs.map((s) => ethernetFrame(buildIpPacket(s)).data);
  const file = writePcap(frames.map((data, i) => ({ tsUs: 1_700_000_000_000_000 + i, data })), LINKTYPE_ETHERNET);
  const decoded = readCapture(file).records.filter((r): r is DecodedPacket => r.kind === 'packet');
  return { decoded, frames };
}

const tcp = (src: string, dst: string, flags: string[] = ['ACK']): PacketSpec => ({ proto: 'tcp', src, dst, flags, seq: 1000, ack: 1 });
const udp = (src: string, dst: string): PacketSpec => ({ proto: 'udp', src, dst, payload: new TextEncoder().encode('x') });

const connectEvent = (port: number, seq = 1): SessionEvent => ({
  v: 1, seq, ts: 0, layer: 'api', type: 'api.call', call: 'connect', args: { host: '127.0.0.1', port }, durationUs: 1,
  error: { code: 'ECONNREFUSED', message: 'refused' }, sock: 's9',
});

describe('PacketMatcher', () => {
  it('M1: claims packets on a port of the session’s sockets, per protocol, and watched ports for both', () => {
    const targets: TrackedSocket[] = [{ sock: 's1', proto: 'tcp', role: 'listener', local: '127.0.0.1:8888', closed: false }];
    const m = new PacketMatcher({ targets: () => targets, watchedPorts: () => [9998] });
    const { decoded } = packets([
      tcp('127.0.0.1:50000', '127.0.0.1:8888'), udp('127.0.0.1:50001', '127.0.0.1:8888'),
      udp('127.0.0.1:50002', '127.0.0.1:9998'), tcp('127.0.0.1:50003', '127.0.0.1:7777'),
    ]);
    const out = m.take(decoded, [], 0);
    expect(out.map((p) => `${p.proto} ${p.dstPort}`)).toEqual(['tcp 8888', 'udp 9998']);
    expect(m.pending).toBe(2);
  });

  it('M2: a packet waits in limbo and is released, in order, once a connect names its port; never after LIMBO_MS', () => {
    const m = new PacketMatcher({});
    const { decoded } = packets([tcp('127.0.0.1:40000', '127.0.0.1:9', ['SYN']), tcp('127.0.0.1:9', '127.0.0.1:40000', ['ACK', 'RST'])]);
    expect(m.take(decoded, [], 1000)).toEqual([]);
    m.observe(connectEvent(9));
    const out = m.flush(1010);
    expect(out.map((p) => (p.proto === 'tcp' ? p.flags.join('+') : 'udp'))).toEqual(['SYN', 'ACK+RST']);
    expect(m.pending).toBe(0);

    const late = new PacketMatcher({});
    late.take(packets([tcp('127.0.0.1:40001', '127.0.0.1:10', ['SYN'])]).decoded, [], 1000);
    late.observe(connectEvent(10));
    expect(late.flush(1000 + LIMBO_MS + 1)).toEqual([]);
    expect(late.limboDropped).toBe(1);
  });

  it('M2: a connect target claims TCP only, a sendto target UDP only', () => {
    const m = new PacketMatcher({});
    m.observe(connectEvent(5000));
    const { decoded } = packets([udp('127.0.0.1:1234', '127.0.0.1:5000'), tcp('127.0.0.1:1235', '127.0.0.1:5000')]);
    expect(m.take(decoded, [], Date.now()).map((p) => p.proto)).toEqual(['tcp']);
  });

  it('M3: names the sending socket, else the receiving one; wildcard listeners and UDP sockets match by port', () => {
    const targets: TrackedSocket[] = [
      { sock: 's1', proto: 'tcp', role: 'listener', local: '0.0.0.0:8888', closed: false },
      { sock: 's2', proto: 'tcp', role: 'client', local: '127.0.0.1:50000', remote: '127.0.0.1:8888', closed: false },
      { sock: 's4', proto: 'udp', role: 'udp', local: '0.0.0.0:9998', closed: false },
    ];
    const m = new PacketMatcher({ targets: () => targets });
    const { decoded } = packets([
      tcp('127.0.0.1:50000', '127.0.0.1:8888', ['SYN']), tcp('127.0.0.1:8888', '127.0.0.1:50000', ['SYN', 'ACK']),
      tcp('127.0.0.1:50001', '127.0.0.1:8888', ['SYN']), udp('127.0.0.1:40000', '127.0.0.1:9998'),
    ]);
    const out = m.take(decoded, [], 0);
    expect(out.map((p) => m.sockFor(p))).toEqual(['s2', 's2', 's1', 's4']);
  });
});

describe('FrameRing and pcap export', () => {
  it('recovers the exact captured frame bytes from a decoded packet', () => {
    const { decoded, frames } = packets([tcp('127.0.0.1:1', '127.0.0.1:2', ['SYN']), udp('[::1]:3', '[::1]:4')]);
    expect(decoded.map((p) => [...frameBytes(p)])).toEqual(frames.map((f) => [...f]));
  });

  it('keeps the newest packets within its bounds and counts the ones it dropped', () => {
    const ring = new FrameRing(3, 1 << 20);
    for (let i = 0; i < 5; i++) ring.push({ tsUs: i, data: new Uint8Array([i]), origLen: 1 });
    expect([...ring.all()].map((f) => f.tsUs)).toEqual([2, 3, 4]);
    expect(ring.dropped).toBe(2);
    const small = new FrameRing(100, 10);
    for (let i = 0; i < 4; i++) small.push({ tsUs: i, data: new Uint8Array(4), origLen: 4 });
    expect(small.size).toBe(2);
  });

  it('writes a pcap the shared reader decodes back to the same packets', async () => {
    const { decoded } = packets([tcp('127.0.0.1:1', '127.0.0.1:2', ['SYN']), tcp('127.0.0.1:2', '127.0.0.1:1', ['SYN', 'ACK'])]);
    const ring = new FrameRing();
    for (const p of decoded) ring.push({ tsUs: p.tsUs, data: frameBytes(p), origLen: p.frameLen });
    const dir = mkdtempSync(path.join(tmpdir(), 'ring-'));
    try {
      const r = await ring.writePcap(path.join(dir, 'x.pcap'));
      expect(r.packets).toBe(2);
      const back = readCapture(readFileSync(path.join(dir, 'x.pcap'))).records.filter((x): x is DecodedPacket => x.kind === 'packet');
      expect(back.map((p) => [p.src, p.dst, p.tsUs])).toEqual(decoded.map((p) => [p.src, p.dst, p.tsUs]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('capture tools', () => {
  it('reads the kernel drop count from tcpdump and dumpcap exit summaries', () => {
    expect(parseKernelDrops('tcpdump: listening on lo\n12 packets captured\n40 packets received by filter\n7 packets dropped by kernel\n')).toBe(7);
    expect(parseKernelDrops("Packets captured: 8\nPackets received/dropped on interface 'Loopback: lo': 8/3 (pcap:3/dumpcap:0/flushed:0/ps_ifdrop:0) (72.7%)\n")).toBe(3);
    expect(parseKernelDrops('tcpdump: lo: No such device exists\n')).toBeNull();
  });

  it('asks tcpdump for packet-buffered pcap on stdout, no name lookups, the filter last', () => {
    const args = toolArgs({ name: 'tcpdump', path: '/usr/bin/tcpdump', version: 'tcpdump 4.99' }, { iface: 'lo', snaplen: 128, filter: '(tcp or udp) and not port 8080' });
    expect(args).toEqual(['-i', 'lo', '-n', '--immediate-mode', '-U', '-s', '128', '-w', '-', '(tcp or udp) and not port 8080']);
  });
});
