import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, parseHost } from './endpoint.ts';

/**
 * One parser for hosts (issue 16, items 3 and 6): every spelling of a loopback address is loopback, a
 * host that looks like a number but is none is invalid (never a name to look up), and the agent uses
 * the canonical address it returns. The agent's side (R1, R3 on real sockets) is engine-targets.test.ts.
 */
describe('parseHost', () => {
  it('every spelling of 127.0.0.1 and ::1 in issue 16 is loopback and parses to the canonical address', () => {
    const v4 = ['127.1', '2130706433', '0x7f000001', '0177.0.0.1', '127.0.0.1', '127.0.0.1.', '0:0:0:0:0:ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:127.0.0.1', '[::ffff:127.0.0.1]'];
    for (const h of v4) {
      expect(parseHost(h), h).toMatchObject({ kind: 'ip', family: 4, address: '127.0.0.1' });
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of ['::1', '::0:1', '::0001', '0:0:0:0:0:0:0:1', '::1%lo', '[::1]', '[::1%lo]']) {
      expect(parseHost(h), h).toEqual({ kind: 'ip', family: 6, address: '::1' });
      expect(isLoopbackHost(h), h).toBe(true);
    }
    expect(parseHost('::ffff:127.0.0.1')).toMatchObject({ mapped: true });
    expect(parseHost('127.45.6.7')).toEqual({ kind: 'ip', family: 4, address: '127.45.6.7' });
  });

  it('localhost names are loopback without resolving: localhost, localhost., LOCALHOST, *.localhost', () => {
    for (const h of ['localhost', 'localhost.', 'LOCALHOST', 'lab.localhost', 'lab.localhost.']) expect(isLoopbackHost(h), h).toBe(true);
    expect(parseHost('localhost.')).toEqual({ kind: 'name', name: 'localhost.' });
  });

  it('a host that looks like an address but is none is invalid, not a name (so nobody looks it up)', () => {
    for (const h of ['127.0.0.999', '127.0.0.08', '127.0.0.1.2', '999.1', '0x1ffffffff', '4294967296', 'foo.123', '::1::', '::g', '1:2:3:4:5:6:7:8:9', '::1%', '::1%a/b']) {
      expect(parseHost(h).kind, h).toBe('invalid');
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });

  it('what is not loopback is not, in any spelling; a name is a name', () => {
    for (const h of ['0.0.0.0', '0', '10.0.0.1', '167772161', '128.0.0.1', '::', '::2', '::ffff:10.0.0.1', '::127.0.0.1', 'fe80::1%lo', '126.255.255.255']) {
      expect(parseHost(h).kind, h).toBe('ip');
      expect(isLoopbackHost(h), h).toBe(false);
    }
    expect(parseHost('Example.COM')).toEqual({ kind: 'name', name: 'example.com' });
    expect(isLoopbackHost('example.com')).toBe(false);
    expect(isLoopbackHost('localhost.example.com')).toBe(false);
  });

  it('only a host, never a URL: userinfo, paths, ports and spaces are invalid', () => {
    for (const h of ['evil@127.0.0.1', '127.0.0.1/x', '127.0.0.1:80', 'a b', '127.0.0.1#', '%31%32%37.0.0.1', '', 'a'.repeat(254)]) {
      expect(parseHost(h).kind, h).toBe('invalid');
    }
  });

  it('any IPv4 or IPv6 address in its usual spelling parses to itself (IPv6 in its canonical form)', () => {
    fc.assert(fc.property(fc.ipV4(), (a) => {
      const p = parseHost(a);
      return p.kind === 'ip' && p.family === 4 && p.address === a && isLoopbackHost(a) === a.startsWith('127.');
    }));
    fc.assert(fc.property(fc.ipV6(), (a) => {
      const p = parseHost(a);
      if (p.kind !== 'ip') return false;
      // the same address again parses to the same thing: canonical
      const again = parseHost(p.address);
      return again.kind === 'ip' && again.address === p.address;
    }));
  });
});
