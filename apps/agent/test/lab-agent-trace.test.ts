/**
 * `socketscope trace --lab` (cli.ts C6): students' scripts, written for 127.0.0.1, run on the lab: with
 * --then the first on the server host and the others on the client host, a single one on the client host;
 * their '127.0.0.1' is the server host (attach.ts A1). The lab is gone when trace ends.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, root, tsx } from './cli-kit.ts';
import { LAB_SKIP, tempDir, warnIfSkipped } from './lab-kit.ts';

warnIfSkipped('lab-agent-trace (trace --lab)');

/** the lab namespaces on the machine, by the pid in their names */
const labNamespaces = (): { name: string; pid: number }[] => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n')
  .map((l) => /^ss-(\d+)-\w+/.exec(l)).filter((m) => m !== null).map((m) => ({ name: m[0], pid: Number(m[1]) }));

/** whether pid is `ancestor` or one of its descendants (other runs on this machine make labs of their own) */
function descends(pid: number, ancestor: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 16; hops++) {
    if (p === ancestor) return true;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

const SERVER = `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 9320))
s.listen(5)
conn, addr = s.accept()
data = conn.recv(1024)
conn.send(data)
conn.close()
s.close()
`;
const CLIENT = `import socket
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.connect(("127.0.0.1", 9320))
c.sendall(b"Hello, world")
print("Received", repr(c.recv(1024)))
c.close()
`;
const UDP = `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", 9321))
s.send(b"hi")
print(s.getsockname()[0])
`;

interface Ev { type: string; host?: string; call?: string; local?: string; remote?: string; flags?: string[]; src?: string; wireTs?: number; code?: number | null; text?: string }

/** the CLI's run; `ours`: the lab namespaces its process made, seen while it ran */
function runCli(args: string[], ms: number): Promise<{ code: number | null; out: string; err: string; ours: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, [cli, ...args], { cwd: root, env: process.env });
    let out = '';
    let err = '';
    const ours = new Set<string>();
    const look = setInterval(() => {
      for (const ns of labNamespaces()) if (!ours.has(ns.name) && descends(ns.pid, child.pid!)) ours.add(ns.name);
    }, 100);
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code) => { clearTimeout(t); clearInterval(look); resolve({ code, out, err, ours: [...ours] }); });
  });
}

describe.skipIf(LAB_SKIP !== null)('trace --lab', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('server.py --then client.py: the server on the server host, the client on the client host, across a 50 ms link', async () => {
    const server = path.join(tmp.dir, 'echo_server.py');
    const client = path.join(tmp.dir, 'echo_client.py');
    writeFileSync(server, SERVER);
    writeFileSync(client, CLIENT);
    const t0 = performance.now();
    const r = await runCli(['trace', '--json', '--lab', '--delay', '50', server, '--then', client], 60_000);
    console.log(`lab-agent-trace: trace --lab of two programs took ${(performance.now() - t0).toFixed(0)} ms`);
    expect(r.code, r.err).toBe(0);
    const ev = r.out.trim().split('\n').map((l) => JSON.parse(l) as Ev);
    expect(ev.find((e) => e.type === 'api.call' && e.call === 'bind')?.local).toBe('10.77.0.2:9320');
    const connect = ev.find((e) => e.type === 'api.call' && e.call === 'connect');
    expect(connect?.local).toMatch(/^10\.77\.0\.1:\d+$/);
    expect(connect?.remote).toBe('10.77.0.2:9320');
    expect(ev.some((e) => e.type === 'proc.output' && /Received b'Hello, world'/.test(e.text ?? ''))).toBe(true);
    expect(ev.filter((e) => e.type === 'proc.exit').map((e) => e.code)).toEqual([0, 0]);
    const link = ev.find((e) => e.type === 'link.state') as { conditions?: { delayMs: number } } | undefined;
    expect(link?.conditions?.delayMs).toBe(50);
    // captured on the lab: the handshake a round trip (≥ 100 ms) long
    const segs = ev.filter((e) => e.type === 'tcp.segment' && (e.host === undefined || e.host === 'client')); // both hosts are captured: time the round trip on one
    const syn = segs.find((e) => e.flags?.includes('SYN') && !e.flags.includes('ACK'));
    const synAck = segs.find((e) => e.flags?.includes('SYN') && e.flags.includes('ACK'));
    expect(syn && synAck, 'the handshake was captured').toBeTruthy();
    const rtt = (synAck!.wireTs! - syn!.wireTs!) / 1000;
    console.log(`lab-agent-trace: SYN → SYN-ACK ${rtt.toFixed(1)} ms on the client host`);
    expect(rtt).toBeGreaterThanOrEqual(100);
    // the lab was made (and seen), and none of it is left
    expect(r.ours.length).toBe(3);
    const left = new Set(labNamespaces().map((n) => n.name));
    expect(r.ours.filter((n) => left.has(n))).toEqual([]);
  }, 90_000);

  it('a single program runs on the client host', async () => {
    const file = path.join(tmp.dir, 'udp_client.py');
    writeFileSync(file, UDP);
    const r = await runCli(['trace', '--json', '--lab', file], 60_000);
    expect(r.code, r.err).toBe(0);
    const ev = r.out.trim().split('\n').map((l) => JSON.parse(l) as Ev);
    const connect = ev.find((e) => e.type === 'api.call' && e.call === 'connect');
    expect(connect?.remote).toBe('10.77.0.2:9321');
    expect(ev.some((e) => e.type === 'proc.output' && (e.text ?? '').startsWith('10.77.0.1'))).toBe(true);
  }, 60_000);
});
