/**
 * The lab's rate limit (lab.ts, plan.ts ratePlan: a token bucket on the link namespace's egress ends) holds
 * real traffic to the rate, and a frame its full queue refuses is a link.drop with reason queue
 * (link_forwarder.py F2): what the receiver misses is exactly what was reported.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { LinkDropEvent, SessionEvent } from '@socketscope/shared';
import { Lab } from '../src/lab/index.ts';
import { Session } from '../src/session/session.ts';
import { LAB_SKIP, runOn, warnIfSkipped } from './lab-kit.ts';

warnIfSkipped('lab-rate (a rate-limited link; queue drops are events)');

const TCP_SERVER = `
import socket
s = socket.socket()
s.bind(("10.77.0.2", 9003))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
n = 0
while True:
    b = c.recv(65536)
    if not b:
        break
    n += len(b)
print("received %d" % n, flush=True)
`;
const TCP_CLIENT = `
import socket, time
s = socket.create_connection(("10.77.0.2", 9003), timeout=20)
t = time.monotonic()
s.sendall(bytes(100000))
s.shutdown(socket.SHUT_WR)
s.recv(1)
print("done %.0f" % ((time.monotonic() - t) * 1000), flush=True)
`;
const UDP_SERVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", 9998))
s.settimeout(2.5)
print("ready", flush=True)
n = 0
try:
    while True:
        s.recvfrom(2048)
        n += 1
except socket.timeout:
    pass
print("received %d" % n, flush=True)
`;
const UDP_CLIENT = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(40):
    s.sendto(bytes(1000), ("10.77.0.2", 9998))
print("sent 40", flush=True)
`;

describe.skipIf(LAB_SKIP !== null)('lab: a rate-limited link', () => {
  const session = new Session({ log: () => {} });
  const events: SessionEvent[] = [];
  session.subscribe((e) => events.push(e));
  const lab = new Lab({ emit: (e) => session.emit(e), tsAt: (ns) => session.tsAtMonotonicNs(BigInt(Math.round(ns))), log: () => {} });
  afterAll(() => lab.down());

  it('800 kbit/s: 100,000 bytes take about a second', async () => {
    await lab.up({ rateKbit: 800 });
    expect(lab.conditions.rateKbit).toBe(800);
    const server = runOn(lab, 'server', TCP_SERVER);
    await server.line(/^listening/);
    const client = runOn(lab, 'client', TCP_CLIENT);
    const ms = Number((await client.line(/^done/, 15_000)).split(' ')[1]);
    expect(await server.line(/^received/)).toBe('received 100000');
    console.info(`lab-rate: 100000 bytes at 800 kbit/s in ${ms} ms (the data alone: 1000 ms)`);
    // less the bucket's first burst (3 KiB), plus headers
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(4000);
    await Promise.all([client.exit, server.exit]);
  }, 20_000);

  it('64 kbit/s: a burst of 40 datagrams overflows the queue, and every datagram missing is a queue drop', async () => {
    const before = events.length;
    await lab.set({ rateKbit: 64 });
    const server = runOn(lab, 'server', UDP_SERVER);
    await server.line(/^ready/);
    const client = runOn(lab, 'client', UDP_CLIENT);
    await client.line(/^sent 40/);
    const received = Number((await server.line(/^received/, 10_000)).split(' ')[1]);
    const drops = events.slice(before).filter((e): e is LinkDropEvent => e.type === 'link.drop');
    console.info(`lab-rate: 40 datagrams at 64 kbit/s: ${received} arrived, ${drops.length} queue drops`);
    expect(received).toBeGreaterThan(0);
    expect(drops.length).toBeGreaterThan(0);
    expect(drops.length).toBe(40 - received);
    for (const d of drops) expect(d).toMatchObject({ proto: 'udp', reason: 'queue', len: 1000, dst: '10.77.0.2:9998' });
    await lab.set({ rateKbit: null });
    expect(lab.conditions.rateKbit).toBeNull();
  }, 20_000);
});
