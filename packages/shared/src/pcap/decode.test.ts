import { describe, expect, it } from 'vitest';
import { buildIpPacket, type PacketSpec } from './build.ts';
import { FrameDecoder } from './decode.ts';
import { ascii, asciiOf, concat, link } from './testkit.ts';
import type { CaptureRecord, DecodedPacket, TcpPacket } from './types.ts';

const dec = new FrameDecoder();
function decode(frame: Uint8Array, linkType: number, origLen = frame.length): CaptureRecord {
  return dec.decode(frame, 0, frame.length, origLen, linkType, 1_000_000, 1, 0, 0);
}
function packet(frame: Uint8Array, linkType: number, origLen = frame.length): DecodedPacket {
  const r = decode(frame, linkType, origLen);
  if (r.kind !== 'packet') throw new Error(`expected a packet, got ${JSON.stringify(r)}`);
  return r;
}
function tcp(frame: Uint8Array, linkType: number, origLen = frame.length): TcpPacket {
  const p = packet(frame, linkType, origLen);
  if (p.proto !== 'tcp') throw new Error('expected TCP');
  return p;
}

const hello = ascii('hello, server');
const v4: PacketSpec = { proto: 'tcp', src: '127.0.0.1:51234', dst: '127.0.0.1:8888', flags: ['ACK', 'PSH'], seq: 0xfffffff0, ack: 77, win: 512, payload: hello };
const v6: PacketSpec = { ...v4, src: '[::1]:51234', dst: '[fd00::2:0:0:1]:8888' };

describe('link layers', () => {
  const ip4 = buildIpPacket(v4).data;
  const ip6 = buildIpPacket(v6).data;
  const cases: [string, Uint8Array, number, string][] = [
    ['Ethernet', link.ethernet(ip4), 1, '127.0.0.1:51234'],
    ['Ethernet + 802.1Q VLAN tag', link.ethernet(ip4, 42), 1, '127.0.0.1:51234'],
    ['Ethernet IPv6', link.ethernet(ip6), 1, '[::1]:51234'],
    ['Linux cooked SLL', link.sll(ip4), 113, '127.0.0.1:51234'],
    ['Linux cooked SLL IPv6', link.sll(ip6), 113, '[::1]:51234'],
    ['Linux cooked SLL2', link.sll2(ip4), 276, '127.0.0.1:51234'],
    ['Linux cooked SLL2 IPv6', link.sll2(ip6), 276, '[::1]:51234'],
    ['BSD NULL AF_INET little-endian', link.null(ip4, 2, true), 0, '127.0.0.1:51234'],
    ['BSD NULL AF_INET big-endian', link.null(ip4, 2, false), 0, '127.0.0.1:51234'],
    ['BSD NULL AF_INET6 24 (NetBSD/OpenBSD)', link.null(ip6, 24, true), 0, '[::1]:51234'],
    ['BSD NULL AF_INET6 28 (FreeBSD) big-endian', link.null(ip6, 28, false), 0, '[::1]:51234'],
    ['BSD NULL AF_INET6 30 (macOS)', link.null(ip6, 30, true), 0, '[::1]:51234'],
    ['OpenBSD LOOP (big-endian AF)', link.null(ip4, 2, false), 108, '127.0.0.1:51234'],
    ['raw IP 101', ip4, 101, '127.0.0.1:51234'],
    ['raw IP 101 IPv6', ip6, 101, '[::1]:51234'],
    ['raw IP 12 (BSD DLT_RAW)', ip4, 12, '127.0.0.1:51234'],
    ['raw IP 14 (BSD DLT_RAW)', ip6, 14, '[::1]:51234'],
    ['LINKTYPE_IPV4 228', ip4, 228, '127.0.0.1:51234'],
    ['LINKTYPE_IPV6 229', ip6, 229, '[::1]:51234'],
  ];
  it.each(cases)('decodes TCP over %s', (_name, frame, lt, src) => {
    const p = tcp(frame, lt);
    expect(p.src).toBe(src);
    expect(p.dst).toBe(src.startsWith('[') ? '[fd00::2:0:0:1]:8888' : '127.0.0.1:8888');
    expect(p.family).toBe(src.startsWith('[') ? 6 : 4);
    expect([p.srcPort, p.dstPort, p.seq, p.ack, p.win, p.len, p.headerLen]).toEqual([51234, 8888, 0xfffffff0, 77, 512, hello.length, 20]);
    expect(p.flags).toEqual(['ACK', 'PSH']);
    expect(p.flagBits).toBe(0x18);
    expect(asciiOf(p.payload)).toBe('hello, server');
    expect(p.frameLen).toBe(frame.length);
  });

  it('reports an unknown loopback address family and an unknown link type as other frames', () => {
    expect(decode(link.null(ip4, 7, true), 0)).toMatchObject({ kind: 'other', reason: 'loopback address family 7' });
    expect(decode(ip4, 147)).toMatchObject({ kind: 'other', reason: 'link type 147 not supported' });
  });

  it('reports ARP and 802.3 frames as other, not as errors', () => {
    const arp = concat([new Uint8Array(12), Uint8Array.from([0x08, 0x06]), new Uint8Array(28)]);
    expect(decode(arp, 1)).toMatchObject({ kind: 'other', reason: 'ethertype 0x0806' });
  });

  it('errors on link headers cut short', () => {
    expect(decode(new Uint8Array(13), 1)).toMatchObject({ kind: 'error', index: 1 });
    expect(decode(new Uint8Array(15), 113)).toMatchObject({ kind: 'error' });
    expect(decode(new Uint8Array(19), 276)).toMatchObject({ kind: 'error' });
    expect(decode(new Uint8Array(3), 0)).toMatchObject({ kind: 'error' });
    expect(decode(Uint8Array.from([0x81, 0x00, 0, 1]).slice(0, 2), 1)).toMatchObject({ kind: 'error' });
    expect(decode(Uint8Array.from([0x50]), 101)).toMatchObject({ kind: 'error', message: expect.stringContaining('IP version 5') });
  });
});

describe('IPv4', () => {
  it('skips IPv4 options using the header length', () => {
    const ip = buildIpPacket(v4).data;
    const opts = Uint8Array.from([0x94, 0x04, 0, 0, 1, 1, 1, 0]); // router alert, NOP NOP NOP EOL
    const withOpts = concat([ip.subarray(0, 20), opts, ip.subarray(20)]);
    withOpts[0] = 0x47;
    const total = withOpts.length;
    withOpts[2] = total >> 8; withOpts[3] = total & 255;
    const p = tcp(withOpts, 101);
    expect(p.len).toBe(hello.length);
    expect(p.srcPort).toBe(51234);
  });

  it('takes the payload length from the IP total length, not the captured bytes (snaplen)', () => {
    const full = buildIpPacket({ ...v4, payload: new Uint8Array(1400).fill(7) });
    const cut = full.data.slice(0, 60);
    const p = tcp(link.ethernet(cut), 1, full.origLen + 14);
    expect(p.len).toBe(1400);
    expect(p.payload.length).toBe(20);
    expect(p.frameLen).toBe(full.origLen + 14);
    expect(p.capLen).toBe(74);
  });

  it('ignores Ethernet padding after a short IP packet', () => {
    const ip = buildIpPacket({ ...v4, payload: new Uint8Array(0) }).data;
    const padded = concat([link.ethernet(ip), new Uint8Array(6)]);
    const p = tcp(padded, 1);
    expect(p.len).toBe(0);
    expect(p.payload.length).toBe(0);
  });

  it('uses the frame length when the total length is 0 (TSO capture) and clamps one that claims too much', () => {
    const ip = buildIpPacket(v4).data;
    const zero = ip.slice(); zero[2] = 0; zero[3] = 0;
    expect(tcp(zero, 101).len).toBe(hello.length);
    const big = ip.slice(); big[2] = 0x10; big[3] = 0;
    expect(tcp(big, 101).len).toBe(hello.length);
  });

  it('reports non-first fragments as unparsed and decodes a first fragment', () => {
    const ip = buildIpPacket(v4).data;
    const later = ip.slice(); later[6] = 0x00; later[7] = 0xb9; // offset 185×8
    expect(decode(later, 101)).toMatchObject({ kind: 'other', reason: 'IPv4 fragment (not the first)' });
    const first = ip.slice(); first[6] = 0x20; first[7] = 0; // MF, offset 0
    expect(tcp(first, 101).seq).toBe(0xfffffff0);
  });

  it('reports other IP protocols by number and name', () => {
    const ip = buildIpPacket(v4).data.slice(); ip[9] = 1;
    expect(decode(ip, 101)).toMatchObject({ kind: 'other', reason: 'IP protocol 1 (ICMP)' });
  });

  it('errors on bad header fields and truncated headers', () => {
    const ip = buildIpPacket(v4).data;
    const badIhl = ip.slice(); badIhl[0] = 0x44;
    expect(decode(badIhl, 101)).toMatchObject({ kind: 'error', message: expect.stringContaining('header length 16') });
    const shortTotal = ip.slice(); shortTotal[3] = 10; shortTotal[2] = 0;
    expect(decode(shortTotal, 101)).toMatchObject({ kind: 'error' });
    for (let n = 1; n < 40; n++) expect(decode(ip.slice(0, n), 101).kind).toBe('error');
  });
});

function withExt(headers: number[][], nextHeaders: number[]): Uint8Array {
  // headers[i] is an extension header body (its first byte is replaced by the next header)
  const ip = buildIpPacket(v6).data;
  const tcpPart = ip.subarray(40);
  const chain = headers.map((h, i) => { const c = Uint8Array.from(h); c[0] = i + 1 < headers.length ? nextHeaders[i + 1]! : 6; return c; });
  const out = concat([ip.subarray(0, 40), ...chain, tcpPart]);
  out[6] = nextHeaders[0]!;
  const plen = out.length - 40;
  out[4] = plen >> 8; out[5] = plen & 255;
  return out;
}

describe('IPv6', () => {
  it('skips hop-by-hop, routing, destination-options and first-fragment headers', () => {
    const hop = [0, 0, 1, 4, 0, 0, 0, 0];
    const routing = [0, 2, 0, 0, 0, 0, 0, 0, ...Array.from({ length: 16 }, () => 0)];
    const dest = [0, 0, 1, 4, 0, 0, 0, 0];
    const frag = [0, 0, 0, 1, 0, 0, 0, 9];
    const p = tcp(withExt([hop, routing, dest, frag], [0, 43, 60, 44]), 101);
    expect(p.len).toBe(hello.length);
    expect(p.dstPort).toBe(8888);
  });

  it('reports a non-first IPv6 fragment as unparsed', () => {
    const frag = [0, 0, 0, 0x10, 0, 0, 0, 9];
    expect(decode(withExt([frag], [44]), 101)).toMatchObject({ kind: 'other', reason: 'IPv6 fragment (not the first)' });
  });

  it('bounds the extension header chain', () => {
    const h = [0, 0, 1, 4, 0, 0, 0, 0];
    const r = decode(withExt(Array.from({ length: 9 }, () => h), Array.from({ length: 9 }, () => 60)), 101);
    expect(r).toMatchObject({ kind: 'other', reason: 'too many IPv6 extension headers' });
  });

  it('errors on an extension header longer than the packet', () => {
    const r = decode(withExt([[0, 200, 0, 0, 0, 0, 0, 0]], [0]), 101);
    expect(r.kind).toBe('error');
  });

  it('spells IPv6 endpoints as endpoint() does, including IPv4-mapped ones', () => {
    expect(packet(buildIpPacket({ ...v6, src: '[2001:db8:0:0:1:0:0:1]:1' }).data, 101).src).toBe('[2001:db8::1:0:0:1]:1');
    expect(packet(buildIpPacket({ ...v6, src: '[::ffff:10.1.2.3]:5' }).data, 101).src).toBe('10.1.2.3:5');
    expect(packet(buildIpPacket({ ...v6, src: '[fe80::a:0:0:0]:5' }).data, 101).src).toBe('[fe80::a:0:0:0]:5'); // equal runs: the first is compressed (RFC 5952)
  });
});

describe('TCP', () => {
  it('names every flag in TCP_FLAGS order', () => {
    const p = tcp(buildIpPacket({ ...v4, flags: 0xff }).data, 101);
    expect(p.flags).toEqual(['SYN', 'ACK', 'FIN', 'RST', 'PSH', 'URG', 'ECE', 'CWR']);
    expect(tcp(buildIpPacket({ ...v4, flags: ['SYN', 'ECE', 'CWR'] }).data, 101).flags).toEqual(['SYN', 'ECE', 'CWR']);
  });

  it('parses MSS, window scale, SACK-permitted, SACK blocks and timestamps', () => {
    const options = { mss: 1460, wscale: 7, sackPermitted: true, ts: [4000000000, 7] as [number, number] };
    const p = tcp(buildIpPacket({ ...v4, flags: ['SYN'], options }).data, 101);
    expect(p.options).toEqual(options);
    expect(p.badOptions).toBe(false);
    const sack: [number, number][] = [[100, 200], [300, 400], [0xfffffff0, 5]];
    const q = tcp(buildIpPacket({ ...v4, options: { sack } }).data, 101);
    expect(q.options.sack).toEqual(sack);
    expect(q.len).toBe(hello.length);
  });

  it('stops option parsing at a malformed option but keeps the segment', () => {
    const ip = buildIpPacket({ ...v4, options: { mss: 1460, ts: [1, 2] } }).data.slice();
    ip[20 + 20 + 4 + 1] = 40; // the timestamp option claims to run past the header
    const p = tcp(ip, 101);
    expect(p.options).toEqual({ mss: 1460 });
    expect(p.badOptions).toBe(true);
    expect(p.len).toBe(hello.length);
    const zeroLen = buildIpPacket({ ...v4, options: { mss: 1460 } }).data.slice();
    zeroLen[40 + 1] = 0;
    expect(tcp(zeroLen, 101)).toMatchObject({ options: {}, badOptions: true });
    const wrongFixed = buildIpPacket({ ...v4, options: { mss: 1460 } }).data.slice();
    wrongFixed[40 + 1] = 3;
    expect(tcp(wrongFixed, 101).badOptions).toBe(true);
  });

  it('skips unknown options by their length', () => {
    const ip = buildIpPacket({ ...v4, options: { mss: 1 } }).data.slice();
    ip[40] = 30; // an MPTCP-like option of length 4
    expect(tcp(ip, 101)).toMatchObject({ options: {}, badOptions: false });
  });

  it('errors on a data offset below 5 or beyond the IP payload, and on a cut header', () => {
    const ip = buildIpPacket(v4).data;
    const small = ip.slice(); small[32] = 0x40;
    expect(decode(small, 101)).toMatchObject({ kind: 'error', message: expect.stringContaining('data offset 16') });
    const big = buildIpPacket({ ...v4, payload: new Uint8Array(0) }).data.slice(); big[32] = 0xf0;
    expect(decode(big, 101)).toMatchObject({ kind: 'error' });
    const withOpts = buildIpPacket({ ...v4, options: { mss: 1460, ts: [1, 2] } }).data;
    expect(decode(withOpts.slice(0, 45), 101, withOpts.length)).toMatchObject({ kind: 'error', message: expect.stringContaining('options truncated') });
  });
});

describe('UDP', () => {
  it('decodes ports, the length from the UDP header and the payload', () => {
    const pkt = buildIpPacket({ proto: 'udp', src: '127.0.0.1:40000', dst: '127.0.0.1:9998', payload: hello });
    const p = packet(link.ethernet(pkt.data), 1);
    expect(p).toMatchObject({ proto: 'udp', src: '127.0.0.1:40000', dst: '127.0.0.1:9998', len: hello.length });
    expect(asciiOf(p.payload)).toBe('hello, server');
  });

  it('keeps the true length of a datagram cut by snaplen, and falls back to the IP length for a bad UDP length', () => {
    const full = buildIpPacket({ proto: 'udp', src: '[::1]:1', dst: '[::1]:2', payload: new Uint8Array(3000) });
    const p = packet(full.data.slice(0, 100), 101, full.origLen);
    expect(p.len).toBe(3000);
    expect(p.payload.length).toBe(52);
    const bad = buildIpPacket({ proto: 'udp', src: '127.0.0.1:1', dst: '127.0.0.1:2', payload: hello }).data.slice();
    bad[24] = 0xff; bad[25] = 0xff;
    expect(packet(bad, 101).len).toBe(hello.length);
  });

  it('errors on a UDP header cut short', () => {
    const d = buildIpPacket({ proto: 'udp', src: '127.0.0.1:1', dst: '127.0.0.1:2' }).data;
    expect(decode(d.slice(0, 25), 101, d.length).kind).toBe('error');
  });
});
