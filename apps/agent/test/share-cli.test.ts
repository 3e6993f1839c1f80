import { describe, expect, it } from 'vitest';
import { CloseCode } from '@socketscope/shared';
import { pickShareHost, shareHostProblem } from '../src/server/share.ts';
import { dial, links, live, refused, SHARE_HOST, startCli } from './share-harness.ts';

const TOKEN = 'd'.repeat(64);

describe('socketscope start --share (C5)', () => {
  it('C5: prints the teacher’s link and a second read-only link with its own token; neither token reaches stderr', async () => {
    const s = startCli(['--port', '0', '--share-host', SHARE_HOST], { SOCKETSCOPE_TOKEN: TOKEN });
    try {
      const { teacher, students } = await links(s);
      expect(teacher.hostname).toBe('127.0.0.1');
      expect(students.hostname).toBe(SHARE_HOST);
      expect(students.port).toBe(teacher.port);
      const viewerToken = students.searchParams.get('token')!;
      expect(viewerToken).toMatch(/^[0-9a-f]{64}$/); // S1: its own random token
      expect(viewerToken).not.toBe(TOKEN);
      expect(s.stdout().trim().split('\n')).toHaveLength(2);
      const port = Number(teacher.port);
      const v = await live(port, { addr: SHARE_HOST, token: viewerToken });
      expect(v.hello.readOnly).toBe(true);
      expect((await refused(dial(port, { addr: SHARE_HOST, token: TOKEN }))).status).toBe(403);
      const t = await live(port, { token: TOKEN });
      expect(t.hello.share).toEqual({ viewerUrl: students.toString(), viewers: 1 });
      expect(s.stderr()).toContain(`sharing on ${SHARE_HOST}`);
      s.child.kill('SIGINT');
      expect((await v.inbox.whenClosed(10_000)).code).toBe(CloseCode.shuttingDown);
      expect(await s.exit).toBe(0);
      expect(s.stderr()).not.toContain(TOKEN);
      expect(s.stderr()).not.toContain(viewerToken);
    } finally {
      s.child.kill('SIGKILL');
    }
  });

  it('C5: without --share there is one link line and nothing listens on the share address', async () => {
    const s = startCli(['--port', '0'], { SOCKETSCOPE_TOKEN: TOKEN });
    try {
      const end = Date.now() + 20_000;
      while (!/^SocketScope: /m.test(s.stdout()) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      const port = Number(new URL(/^SocketScope: (\S+)$/m.exec(s.stdout())![1]!).port);
      expect(s.stdout()).not.toContain('read-only link');
      const e = await refused(dial(port, { addr: SHARE_HOST, token: TOKEN })).catch((x: unknown) => x as { code?: string });
      expect((e as { code?: string }).code).toBe('ECONNREFUSED');
      s.child.kill('SIGINT');
      expect(await s.exit).toBe(0);
    } finally {
      s.child.kill('SIGKILL');
    }
  });

  it('C5: usage errors are clear and exit 2; an address that is not this machine’s exits 1', async () => {
    const cases: [string[], RegExp][] = [
      [['--share', '--host', '0.0.0.0'], /leave out --host/],
      [['--share-host', '0.0.0.0'], /one address, not every address/],
      [['--share-host', 'classroom.example'], /must be an IP address/],
      [['--share-host', '239.1.2.3'], /multicast/],
    ];
    for (const [args, why] of cases) {
      const s = startCli(['--port', '0', ...args]);
      expect(await s.exit, args.join(' ')).toBe(2);
      expect(s.stderr(), args.join(' ')).toMatch(why);
      expect(s.stdout()).toBe('');
    }
    // binding an address this machine does not have fails before any packet is sent
    const s = startCli(['--port', '0', '--share-host', '192.0.2.77']);
    expect(await s.exit).toBe(1);
    expect(s.stderr()).toMatch(/not an address of this machine/);
    expect(s.stdout()).toBe('');
  });
});

function iface(address: string, family: 'IPv4' | 'IPv6', internal: boolean) {
  return { address, family, internal, netmask: '', mac: '', cidr: null };
}

describe('the share address', () => {
  it('C5: --share picks the first non-internal IPv4 (not loopback, not link-local, not IPv6)', () => {
    expect(pickShareHost({
      lo: [iface('127.0.0.1', 'IPv4', true)],
      eth0: [iface('fe80::1', 'IPv6', false), iface('169.254.3.4', 'IPv4', false), iface('192.168.5.20', 'IPv4', false)],
      wlan0: [iface('10.1.2.3', 'IPv4', false)],
    } as never)).toBe('192.168.5.20');
    expect(pickShareHost({ lo: [iface('127.0.0.1', 'IPv4', true)] } as never)).toBeNull();
  });

  it('S9: a share host must be one concrete IP address (its Host and Origin are checked against it)', () => {
    expect(shareHostProblem('192.168.5.20')).toBeNull();
    expect(shareHostProblem('fd00::5')).toBeNull();
    expect(shareHostProblem('0.0.0.0')).toMatch(/every address/);
    expect(shareHostProblem('::')).toMatch(/every address/);
    expect(shareHostProblem('school.example')).toMatch(/IP address/);
  });
});
