/**
 * The lab's delay is real (lab.ts, link_forwarder.py F1): with 100 ms each way, an independent capture on
 * each host shows ≥ 200 ms between the SYN and the ACK that completes the handshake, and the hosts' kernels
 * hold SYN_SENT (client) and SYN_RECV (server) meanwhile, read where the kernel probe will read them
 * (lab.procNet); a program on a host is the agent's direct child with the pid spawn() gave (what the Python
 * runner relies on). Skipped, loudly, without root, ip, ethtool, tcpdump or tshark.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProcNet } from '../src/kernel/proc-parse.ts';
import { Lab } from '../src/lab/index.ts';
import type { HostName } from '../src/lab/names.ts';
import { captureOn, LAB_SKIP, runOn, sleep, tempDir, tshark, warnIfSkipped } from './lab-kit.ts';

warnIfSkipped('lab-delay (delay on real packets, SYN to ACK ≥ 200 ms)');

const SERVER = `
import socket
s = socket.socket()
s.bind(("10.77.0.2", 9000))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
print("got", c.recv(100).decode(), flush=True)
c.close()
`;
const CLIENT = `
import socket, time
t = time.monotonic()
s = socket.create_connection(("10.77.0.2", 9000), timeout=10)
print("connected %.1f" % ((time.monotonic() - t) * 1000), flush=True)
s.sendall(b"hello")
s.close()
`;

interface Handshake { syn: number; ack: number }

/** capture times (s) of the client's SYN and of the client's first ACK of the server's SYN (seq 1, ack 1) */
function handshake(file: string): Handshake {
  const rows = tshark(file, 'tcp.port == 9000', ['frame.time_epoch', 'tcp.dstport', 'tcp.flags', 'tcp.seq', 'tcp.ack']);
  const fromClient = rows.filter((r) => r[1] === '9000');
  const syn = fromClient.find((r) => Number(r[2]) === 0x002);
  const ack = fromClient.find((r) => Number(r[2]) === 0x010 && r[3] === '1' && r[4] === '1');
  if (!syn || !ack) throw new Error(`no handshake in ${file}: ${JSON.stringify(rows)}`);
  return { syn: Number(syn[0]), ack: Number(ack[0]) };
}

describe.skipIf(LAB_SKIP !== null)('lab: a delayed link', () => {
  const lab = new Lab({ log: () => {} });
  const tmp = tempDir();
  afterAll(async () => {
    await lab.down();
    tmp.remove();
  });

  it('with 100 ms each way, ≥ 200 ms lie between the SYN and the completing ACK on both hosts, and the kernels show SYN_SENT and SYN_RECV', async () => {
    await lab.up({ delayMs: 100 });
    expect(lab.conditions).toMatchObject({ delayMs: 100, lossPct: 0 });
    const caps = [await captureOn(lab, 'client', tmp.dir), await captureOn(lab, 'server', tmp.dir)];
    const server = runOn(lab, 'server', SERVER);
    await server.line(/^listening/);
    const client = runOn(lab, 'client', CLIENT);
    // the hosts' own /proc/net/tcp, as the kernel probe will read it, every 5 ms while the handshake lasts
    const states: Record<HostName, Set<string>> = { client: new Set(), server: new Set() };
    const deadline = Date.now() + 5000;
    while (client.child.exitCode === null && Date.now() < deadline) {
      for (const host of ['client', 'server'] as const) {
        const rows = parseProcNet(readFileSync(`${lab.procNet(host)}/tcp`, 'latin1'), 'tcp');
        for (const r of rows) if (r.localPort === 9000 || r.remotePort === 9000) states[host].add(r.state);
      }
      await sleep(5);
    }
    const connected = await client.line(/^connected/);
    expect(await server.line(/^got/)).toBe('got hello');
    await Promise.all([client.exit, server.exit]);
    await sleep(300); // the FINs, 100 ms each way
    for (const c of caps) await c.stop();

    const connectMs = Number(connected.split(' ')[1]);
    const onClient = handshake(caps[0]!.file);
    const onServer = handshake(caps[1]!.file);
    const gaps = { connectMs, clientMs: (onClient.ack - onClient.syn) * 1000, serverMs: (onServer.ack - onServer.syn) * 1000 };
    console.info(`lab-delay: ${JSON.stringify(gaps)}`);
    expect(gaps.clientMs).toBeGreaterThanOrEqual(200);
    expect(gaps.serverMs).toBeGreaterThanOrEqual(200);
    // a round trip, not a retransmission (the first SYN retransmits after 1 s)
    expect(gaps.clientMs).toBeLessThan(600);
    expect(connectMs).toBeGreaterThanOrEqual(200);
    expect(connectMs).toBeLessThan(600);
    // the server's capture saw the SYN ≥ 100 ms after the client's did (one way)
    expect((onServer.syn - onClient.syn) * 1000).toBeGreaterThanOrEqual(100);
    expect(states.client.has('SYN_SENT')).toBe(true);
    expect(states.server.has('SYN_RECV')).toBe(true);
    // each host sees only its own sockets: the kernel probe must read the host's file, not the agent's
    expect(states.client.has('LISTEN')).toBe(false);
  }, 30_000);

  it('runs a program on a host as the agent\'s direct child, under the pid spawn() reported, in that host\'s own namespace', async () => {
    const p = runOn(lab, 'client', 'import os; print(os.getpid(), os.getppid(), os.readlink("/proc/self/ns/net"))');
    const [pid, ppid, ns] = (await p.line(/^\d+ /)).split(' ');
    expect(Number(pid)).toBe(p.child.pid);
    expect(Number(ppid)).toBe(process.pid);
    expect(ns).toBe(`net:[${lab.netnsInode('client')}]`);
    expect(lab.netnsInode('client')).not.toBe(lab.netnsInode('server'));
    expect(ns).not.toBe(readlinkSync('/proc/self/ns/net'));
  });
});
