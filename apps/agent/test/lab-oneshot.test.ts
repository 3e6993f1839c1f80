/**
 * The one-shot drop (lab.dropNext; link_forwarder.py F2): the next matching frame from a host is lost on
 * the link and told as a link.drop. A lost datagram never reaches recvfrom (nobody sends it again); a lost
 * SYN is sent again by the client's kernel after its timeout (1 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinkDropEvent, SessionEvent } from '@socketscope/shared';
import { Lab } from '../src/lab/index.ts';
import { Session } from '../src/session/session.ts';
import { captureOn, LAB_SKIP, runOn, sleep, tempDir, tshark, warnIfSkipped, type HostCapture } from './lab-kit.ts';

warnIfSkipped('lab-oneshot (a dropped datagram never reaches recvfrom; a dropped SYN is retransmitted)');

const UDP_SERVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", 9999))
s.settimeout(8)
print("ready", flush=True)
while True:
    data, addr = s.recvfrom(2048)
    print("got %s" % data.decode(), flush=True)
    if data == b"d5":
        break
`;
const UDP_CLIENT = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for line in sys.stdin:
    s.sendto(line.strip().encode(), ("10.77.0.2", 9999))
    print("sent %s" % line.strip(), flush=True)
`;
const TCP_SERVER = `
import socket
s = socket.socket()
s.bind(("10.77.0.2", 9002))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
c.close()
`;
const TCP_CLIENT = `
import socket, time
t = time.monotonic()
s = socket.create_connection(("10.77.0.2", 9002), timeout=10)
print("connected %.1f" % ((time.monotonic() - t) * 1000), flush=True)
s.close()
`;

/** the payloads of the datagrams to the UDP server, in capture order */
const payloads = (c: HostCapture) => tshark(c.file, 'udp.dstport == 9999', ['data.data']).map((r) => Buffer.from(r[0]!, 'hex').toString());
/** the raw sequence numbers of the SYNs to the TCP server */
const syns = (c: HostCapture) => tshark(c.file, 'tcp.dstport == 9002 && tcp.flags == 0x002', ['tcp.seq_raw']).map((r) => r[0]);

describe.skipIf(LAB_SKIP !== null)('lab: one-shot drops', () => {
  const session = new Session({ log: () => {} });
  const events: SessionEvent[] = [];
  session.subscribe((e) => events.push(e));
  const lab = new Lab({ emit: (e) => session.emit(e), tsAt: (ns) => session.tsAtMonotonicNs(BigInt(Math.round(ns))), log: () => {} });
  const tmp = tempDir();
  let caps: HostCapture[] = [];
  const drops = () => events.filter((e): e is LinkDropEvent => e.type === 'link.drop');

  beforeAll(async () => {
    await lab.up({ delayMs: 20 });
    caps = [await captureOn(lab, 'client', tmp.dir), await captureOn(lab, 'server', tmp.dir)];
  });
  afterAll(async () => {
    for (const c of caps) await c.stop();
    await lab.down();
    tmp.remove();
  });

  it('a datagram lost by the one-shot never reaches recvfrom, is a link.drop, and is on the sender\'s wire only', async () => {
    const server = runOn(lab, 'server', UDP_SERVER);
    await server.line(/^ready/);
    const client = runOn(lab, 'client', UDP_CLIENT);
    const send = async (d: string) => {
      client.child.stdin.write(`${d}\n`);
      await client.line(new RegExp(`^sent ${d}$`));
    };
    await send('d1');
    await server.line(/^got d1$/);
    await send('d2');
    await server.line(/^got d2$/);
    await lab.dropNext({ from: 'client', proto: 'udp' });
    await send('d3');
    await sleep(300); // 20 ms each way: d3 would long be there
    await send('d4');
    await send('d5');
    await server.line(/^got d5$/);
    client.child.stdin.end();
    await Promise.all([client.exit, server.exit]);

    expect(server.lines).toEqual(['ready', 'got d1', 'got d2', 'got d4', 'got d5']);
    const d = drops();
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ layer: 'wire', type: 'link.drop', proto: 'udp', reason: 'oneshot', len: 2, dst: '10.77.0.2:9999' });
    expect(d[0]!.src).toMatch(/^10\.77\.0\.1:\d+$/);
    expect(d[0]!.flags).toBeUndefined();

    await sleep(100);
    for (const c of caps) await c.stop();
    expect(payloads(caps[0]!)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    expect(payloads(caps[1]!)).toEqual(['d1', 'd2', 'd4', 'd5']);
  }, 30_000);

  it('a SYN lost by the one-shot is sent again after the kernel\'s timeout, and connect() waits for it', async () => {
    const before = drops().length;
    // the first test's captures are done: a new pair for this one
    caps = [await captureOn(lab, 'client', tmp.dir, 'syn-client'), await captureOn(lab, 'server', tmp.dir, 'syn-server')];
    const server = runOn(lab, 'server', TCP_SERVER);
    await server.line(/^listening/);
    await lab.dropNext({ from: 'client', match: 'syn' });
    const client = runOn(lab, 'client', TCP_CLIENT);
    const connected = Number((await client.line(/^connected/, 8000)).split(' ')[1]);
    await Promise.all([client.exit, server.exit]);
    await sleep(200);
    for (const c of caps) await c.stop();

    const d = drops().slice(before);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ proto: 'tcp', reason: 'oneshot', flags: ['SYN'], len: 0, dst: '10.77.0.2:9002' });
    // Linux's initial retransmission timeout is 1 s; then one round trip (40 ms)
    expect(connected).toBeGreaterThanOrEqual(1000);
    expect(connected).toBeLessThan(2500);
    const [sent, arrived] = [syns(caps[0]!), syns(caps[1]!)];
    expect(sent).toHaveLength(2);
    expect(arrived).toHaveLength(1);
    expect(sent[0]).toBe(sent[1]); // the same SYN again
    expect(Number(sent[0])).toBe(d[0]!.seqNo);
  }, 30_000);
});
