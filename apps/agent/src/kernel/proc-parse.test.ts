import { describe, expect, it } from 'vitest';
import { decodeHexAddress, formatIPv6, parseProcNet, rowKey } from './proc-parse.ts';

// Captured from this project's machine (Linux 6.18, x86_64) with real sockets; see the port numbers in hex.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1598 1 000000002f99ab7f 100 0 0 10 0
   1: 0100007F:B26E 00000000:0000 0A 00000003:00000002 00:00000000 00000000     0        0 7723 1 0000000002775410 100 0 0 10 0
   2: 0100007F:BF5A 0100007F:B26E 08 00000000:0000000D 00:00000000 00000000     0        0 7724 1 0000000040268012 20 4 28 11 -1
   3: 0100007F:B26E 0100007F:BF5A 05 0039F200:00000000 00:00000000 00000000     0        0 7725 1 000000008a430c45 20 4 31 12 -1
   4: 0100007F:22B8 0100007F:D2C4 06 00000000:00000000 03:00001767 00000000     0        0 0 3 000000007a5e3c0f
`;

const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:B01D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12025 1 00000000d37e0ae0 100 0 0 10 0
   1: 00000000000000000000000001000000:A151 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12024 1 000000006f8cacd8 100 0 0 10 0
   2: 00000000000000000000000001000000:DED0 00000000000000000000000001000000:A151 01 00000000:00000000 00:00000000 00000000     0        0 12026 2 0000000060898b66 20 0 0 11 -1
   3: 0000000000000000FFFF00000100007F:B01D 0000000000000000FFFF00000100007F:C4D4 01 00000000:00000000 00:00000000 00000000     0        0 12029 1 000000009bd61075 20 0 0 10 -1
   4: 00000000000000000000000001000000:A151 00000000000000000000000001000000:DED0 01 00000000:00000003 00:00000000 00000000     0        0 12027 1 00000000ee923328 20 4 30 10 -1
`;

const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
11849: 0100007F:D004 00000000:0000 07 00000000:00001D40 00:00000000 00000000     0        0 12031 2 0000000093a05123 191
`;

const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 7214: 00000000000000000000000001000000:BDE9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 12030 2 000000007dd4b536 0
`;

describe('decodeHexAddress', () => {
  it('reads IPv4 words in little-endian host order', () => {
    expect(decodeHexAddress('0100007F', true)).toBe('127.0.0.1');
    expect(decodeHexAddress('00000000', true)).toBe('0.0.0.0');
    expect(decodeHexAddress('0101A8C0', true)).toBe('192.168.1.1');
  });
  it('reads big-endian hosts too', () => {
    expect(decodeHexAddress('7F000001', false)).toBe('127.0.0.1');
  });
  it('decodes IPv6 loopback, any and IPv4-mapped addresses', () => {
    expect(decodeHexAddress('00000000000000000000000001000000', true)).toBe('::1');
    expect(decodeHexAddress('00000000000000000000000000000000', true)).toBe('::');
    expect(decodeHexAddress('0000000000000000FFFF00000100007F', true)).toBe('::ffff:127.0.0.1');
    // fe80::1 on a little-endian host: first word fe80:0000 is stored as bytes fe 80 00 00 → "000080FE"
    expect(decodeHexAddress('000080FE000000000000000001000000', true)).toBe('fe80::1');
  });
  it('compresses the longest zero run only', () => {
    expect(formatIPv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6])).toBe('2001:db8:1:2:3:4:5:6');
  });
});

describe('parseProcNet', () => {
  it('parses tcp rows: states, queues, listeners without remote, TIME_WAIT without inode', () => {
    const rows = parseProcNet(TCP, 'tcp', { littleEndian: true });
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.family === 4)).toBe(true);
    expect(rows[0]).toMatchObject({ local: '0.0.0.0:2024', state: 'LISTEN', inode: 1598 });
    expect(rows[0]!.remote).toBeUndefined();
    expect(rows[1]).toMatchObject({ local: '127.0.0.1:45678', state: 'LISTEN', rxQueue: 2, txQueue: 3 });
    expect(rows[2]).toMatchObject({ local: '127.0.0.1:48986', remote: '127.0.0.1:45678', state: 'CLOSE_WAIT', rxQueue: 13 });
    expect(rows[3]).toMatchObject({ state: 'FIN_WAIT2', txQueue: 0x39f200, localPort: 45678, remotePort: 48986 });
    expect(rows[4]).toMatchObject({ local: '127.0.0.1:8888', remote: '127.0.0.1:53956', state: 'TIME_WAIT', inode: 0 });
  });

  it('parses tcp6 rows and shows IPv4-mapped endpoints as IPv4', () => {
    const rows = parseProcNet(TCP6, 'tcp', { littleEndian: true });
    expect(rows.map((r) => rowKey(r.local, r.remote))).toEqual([
      '[::]:45085|',
      '[::1]:41297|',
      '[::1]:57040|[::1]:41297',
      '127.0.0.1:45085|127.0.0.1:50388',
      '[::1]:41297|[::1]:57040',
    ]);
    expect(rows[4]).toMatchObject({ state: 'ESTABLISHED', rxQueue: 3 });
    expect(rows.every((r) => r.family === 6)).toBe(true); // the v4-mapped one too: it lives in tcp6
  });

  it('parses udp rows with the drops column', () => {
    const [u4] = parseProcNet(UDP, 'udp', { littleEndian: true });
    expect(u4).toMatchObject({ proto: 'udp', local: '127.0.0.1:53252', rxQueue: 7488, drops: 191, state: 'CLOSE' });
    expect(u4!.remote).toBeUndefined();
    const [u6] = parseProcNet(UDP6, 'udp', { littleEndian: true });
    expect(u6).toMatchObject({ local: '[::1]:48617', drops: 0 });
  });

  it('filters by port before decoding', () => {
    const rows = parseProcNet(TCP, 'tcp', { littleEndian: true, ports: (l, r) => l === 45678 || r === 45678 });
    expect(rows.map((r) => r.state)).toEqual(['LISTEN', 'CLOSE_WAIT', 'FIN_WAIT2']);
  });

  it('skips blank, header-only and malformed text', () => {
    expect(parseProcNet('', 'tcp')).toEqual([]);
    expect(parseProcNet(TCP.split('\n')[0]!, 'tcp')).toEqual([]);
    expect(parseProcNet('header\n garbage line\n\n', 'tcp')).toEqual([]);
  });
});
