/**
 * The agent's capture on the lab follows both hosts (capture.ts W6, useHosts): every wire event says whose
 * capture saw it, each host's sequence analysis is its own, and both captures share one clock. Checked on
 * real namespaces against an independent tcpdump on each host read back with tshark:
 * - a data segment lost by the one-shot: the client host's capture has it and its retransmission, the
 *   server host's only the retransmission; no segment is called a retransmission by both hosts' views;
 *   the link.drop names the lost segment's sequence number;
 * - a datagram held back by the one-shot (link_forwarder.py F6): the server host's capture sees the five
 *   out of order, as recvfrom returns them.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinkDropEvent, SessionEvent, SourceStatusEvent, TcpSegmentEvent, UdpDatagramEvent, WireHost } from '@socketscope/shared';
import { Lab } from '../src/lab/index.ts';
import { LAB_IFACES } from '../src/lab/names.ts';
import { Session } from '../src/session/session.ts';
import { CaptureSource } from '../src/wire/capture.ts';
import { captureOn, LAB_SKIP, runOn, sleep, tempDir, tshark, warnIfSkipped, type HostCapture } from './lab-kit.ts';

warnIfSkipped('lab-capture (the agent\'s capture on both lab hosts: host tags, per-host analysis, a held datagram)');

const DELAY_MS = 20;
const TCP_PORT = 9100;
const UDP_PORT = 9101;

const TCP_SERVER = `
import socket
s = socket.socket()
s.bind(("10.77.0.2", ${TCP_PORT}))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
got = b""
while len(got) < 5 * 100:
    chunk = c.recv(4096)
    if not chunk:
        break
    got += chunk
print("got %s" % got.decode(), flush=True)
c.close()
`;
// TCP_NODELAY: the five messages go out at once, each its own segment, while the first is still unacknowledged
const TCP_CLIENT = `
import socket, sys, time
s = socket.create_connection(("10.77.0.2", ${TCP_PORT}), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
print("connected", flush=True)
sys.stdin.readline()
for i in range(1, 6):
    s.sendall(str(i).encode() * 100)
    time.sleep(0.002)
print("sent", flush=True)
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
`;
const UDP_SERVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", ${UDP_PORT}))
s.settimeout(8)
print("ready", flush=True)
for _ in range(5):
    data, addr = s.recvfrom(2048)
    print("got %s" % data.decode(), flush=True)
`;
const UDP_CLIENT = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sys.stdin.readline()
s.sendto(b"d1", ("10.77.0.2", ${UDP_PORT}))
print("sent d1", flush=True)
sys.stdin.readline()
for i in range(2, 6):
    s.sendto(("d%d" % i).encode(), ("10.77.0.2", ${UDP_PORT}))
    time.sleep(0.01)
print("sent", flush=True)
`;

/** the tcpdump in a capture's process group (its watchdog's child) */
const toolIn = (pgid: number) => spawnSync('pgrep', ['-g', String(pgid), '-x', 'tcpdump'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
const until = async (what: string, ms: number, ok: () => boolean) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${ms} ms`);
    await sleep(10);
  }
};
const text = (b64: string) => Buffer.from(b64, 'base64').toString();
/** a segment as both hosts' captures see it (dup ACKs share one: they differ only in their SACK blocks) */
const key = (e: TcpSegmentEvent) => `${e.src}|${e.seqNo}|${e.ackNo}|${e.len}|${e.flags.join()}`;
/** the payloads of the datagrams to the UDP server in an independent capture, in capture order */
const payloads = (c: HostCapture) => tshark(c.file, `udp.dstport == ${UDP_PORT}`, ['data.data']).map((r) => Buffer.from(r[0]!, 'hex').toString());

describe.skipIf(LAB_SKIP !== null)('lab: the capture follows both hosts', () => {
  const session = new Session({ onInvalid: 'throw', log: () => {} });
  const events: SessionEvent[] = [];
  session.subscribe((e) => events.push(e));
  const lab = new Lab({ emit: (e) => session.emit(e), tsAt: (ns) => session.tsAtMonotonicNs(BigInt(Math.round(ns))), log: () => {} });
  const capture = new CaptureSource({ session, ports: () => [TCP_PORT, UDP_PORT], log: () => {} });
  const tmp = tempDir();
  let caps: HostCapture[] = [];
  const segs = (host: WireHost) => events.filter((e): e is TcpSegmentEvent => e.type === 'tcp.segment' && e.host === host && (e.src.endsWith(`:${TCP_PORT}`) || e.dst.endsWith(`:${TCP_PORT}`)));
  const dgrams = (host: WireHost) => events.filter((e): e is UdpDatagramEvent => e.type === 'udp.datagram' && e.host === host);
  const drops = () => events.filter((e): e is LinkDropEvent => e.type === 'link.drop');
  const wireStatus = () => events.filter((e): e is SourceStatusEvent => e.type === 'source.status' && e.source === 'wire');
  /** the payloads of the datagrams to the UDP server, in the order that host's capture saw them */
  const order = (host: WireHost) => dgrams(host).filter((e) => e.dst.endsWith(`:${UDP_PORT}`)).map((e) => text(e.bytes));

  beforeAll(async () => {
    await lab.up({ delayMs: DELAY_MS });
    capture.start((e) => session.emit(e));
    await capture.useHosts((['client', 'server'] as const).map((name) => ({ name, iface: LAB_IFACES.host, wrap: (argv: string[]) => lab.wrap(name, argv) })));
    const deadline = Date.now() + 10_000;
    while (!capture.running && Date.now() < deadline) await sleep(10);
    caps = [await captureOn(lab, 'client', tmp.dir, 'tcp-client'), await captureOn(lab, 'server', tmp.dir, 'tcp-server')];
  });
  afterAll(async () => {
    for (const c of caps) await c.stop();
    await capture.stop();
    await lab.down();
    tmp.remove();
  });

  it('runs one tool per host and says so', () => {
    expect(capture.running).toBe(true);
    expect(capture.hosts).toEqual(['client', 'server']);
    expect(new Set(capture.processGroups).size).toBe(2);
    const status = events.filter((e) => e.type === 'source.status' && e.source === 'wire');
    expect(status.at(-1)).toMatchObject({ status: { running: true } });
  });

  it('a lost data segment: the sender\'s host sees it and its retransmission, the receiver\'s only the retransmission', async () => {
    const server = runOn(lab, 'server', TCP_SERVER);
    await server.line(/^listening/);
    const client = runOn(lab, 'client', TCP_CLIENT);
    await client.line(/^connected/);
    await lab.dropNext({ from: 'client', match: 'data', proto: 'tcp' });
    client.child.stdin.write('go\n');
    await server.line(/^got /, 10_000);
    await Promise.all([client.exit, server.exit]);
    expect(server.lines.at(-1)).toBe(`got ${[1, 2, 3, 4, 5].map((i) => String(i).repeat(100)).join('')}`);
    await sleep(300); // the capture pipe, the bundler's single segments
    for (const c of caps) await c.stop();

    const [onClient, onServer] = [segs('client'), segs('server')];
    const dataOut = (list: TcpSegmentEvent[]) => list.filter((e) => e.len > 0 && e.dst.endsWith(`:${TCP_PORT}`));
    const d = drops();
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ proto: 'tcp', reason: 'oneshot', len: 100, dst: `10.77.0.2:${TCP_PORT}` });
    const lost = d[0]!.seqNo!;
    // the client's host: the original (not a retransmission) and the retransmission, same bytes
    const sent = dataOut(onClient).filter((e) => e.seqNo === lost);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent[0]!.analysis ?? []).not.toContain('retransmission');
    expect(sent.slice(1).every((e) => e.analysis?.includes('retransmission'))).toBe(true);
    // the server's host: only what arrived; the retransmission once, and it is the only one called so
    const arrived = dataOut(onServer).filter((e) => e.seqNo === lost);
    expect(arrived.length).toBe(sent.length - 1);
    const retransOnServer = onServer.filter((e) => e.analysis?.includes('retransmission'));
    expect(retransOnServer.map((e) => e.seqNo)).toEqual(arrived.map((e) => e.seqNo));
    // each segment of the other four was sent once and arrived once: neither view calls it a retransmission
    for (const list of [onClient, onServer]) {
      expect(dataOut(list).filter((e) => e.seqNo !== lost).every((e) => !e.analysis?.includes('retransmission'))).toBe(true);
    }
    // relative numbers are each host's own, and agree (the same handshake seen at both ends)
    expect(arrived[0]!.relSeq).toBe(sent[0]!.relSeq);
    // one clock: every packet seen on both hosts arrives at least the link's delay after it left
    // the nth copy of a key on one host is the nth on the other
    const serverByKey = new Map<string, TcpSegmentEvent[]>();
    for (const e of onServer) serverByKey.set(key(e), [...(serverByKey.get(key(e)) ?? []), e]);
    const seen = new Map<string, number>();
    let paired = 0;
    for (const c of onClient) {
      const n = seen.get(key(c)) ?? 0;
      seen.set(key(c), n + 1);
      // the lost segment's nth copy on the client is its (n-1)th on the server
      const s = serverByKey.get(key(c))?.[c.seqNo === lost && c.len > 0 ? n - 1 : n];
      if (!s) continue;
      paired++;
      const [from, to] = c.src.startsWith('10.77.0.1:') ? [c, s] : [s, c];
      expect(to.wireTs! - from.wireTs!).toBeGreaterThanOrEqual((DELAY_MS - 1) * 1000);
      expect(to.wireTs! - from.wireTs!).toBeLessThan((DELAY_MS + 200) * 1000);
    }
    expect(paired).toBeGreaterThanOrEqual(onServer.length - 2); // all but the odd packet seen twice with other acks

    // the independent capture agrees, host by host
    const theirs = (c: HostCapture, f: string) => tshark(c.file, `tcp.port == ${TCP_PORT} && ${f}`, ['tcp.seq_raw']).map((r) => Number(r[0]));
    expect(theirs(caps[0]!, 'tcp.len > 0 && ip.src == 10.77.0.1').filter((s) => s === lost)).toHaveLength(sent.length);
    expect(theirs(caps[1]!, 'tcp.len > 0 && ip.src == 10.77.0.1').filter((s) => s === lost)).toHaveLength(arrived.length);
    // Wireshark times it: a segment below the next sequence number that comes less than its RTT estimate
    // after the one before it (RACK resends within about a round trip) it calls out_of_order, on either
    // host; later, a retransmission. The agent's one-pass analysis (shared tracker T4) says retransmission
    const resent = 'tcp.analysis.retransmission || tcp.analysis.out_of_order';
    expect(theirs(caps[1]!, resent)).toEqual(retransOnServer.map((e) => e.seqNo));
    expect(theirs(caps[0]!, resent)).toEqual(sent.slice(1).map((e) => e.seqNo));
    expect(theirs(caps[0]!, 'tcp.len >= 0')).toHaveLength(onClient.length);
    expect(theirs(caps[1]!, 'tcp.len >= 0')).toHaveLength(onServer.length);

    // the ring keeps both hosts' frames; the export takes one host's
    const file = `${tmp.dir}/agent-server.pcap`;
    const exp = await capture.writePcap(file, 'server');
    expect(tshark(file, `tcp.port == ${TCP_PORT}`, ['frame.number'])).toHaveLength(onServer.length);
    expect(exp.packets).toBe(onServer.length);
  }, 30_000);

  it('a datagram held back on the link arrives after the ones sent behind it, as recvfrom returns them', async () => {
    caps = [await captureOn(lab, 'client', tmp.dir, 'udp-client'), await captureOn(lab, 'server', tmp.dir, 'udp-server')];
    const before = drops().length;
    const server = runOn(lab, 'server', UDP_SERVER);
    await server.line(/^ready/);
    const client = runOn(lab, 'client', UDP_CLIENT);
    client.child.stdin.write('go\n');
    await client.line(/^sent d1$/);
    // the one-shot takes the next datagram from the client: the second. 150 ms late, it comes after d5
    // (sent 30 ms after it, each 20 ms on the link)
    await lab.dropNext({ from: 'client', match: 'data', proto: 'udp', holdMs: 150 });
    client.child.stdin.write('go\n');
    await client.line(/^sent$/);
    await Promise.all([client.exit, server.exit]);
    await sleep(200);
    for (const c of caps) await c.stop();

    const received = server.lines.filter((l) => l.startsWith('got ')).map((l) => l.slice(4));
    expect(order('client')).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    expect(order('server')).toEqual(received);
    expect(drops().length).toBe(before); // held, not lost
    expect(payloads(caps[0]!)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    expect(payloads(caps[1]!)).toEqual(received);
    expect(received).not.toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
  }, 30_000);

  it('one host\'s tool dying is restarted alone; back to loopback, no lab tool is left', async () => {
    const [clientGroup, serverGroup] = capture.processGroups;
    const [clientTool, serverTool] = [toolIn(clientGroup!), toolIn(serverGroup!)];
    expect([clientTool.length, serverTool.length]).toEqual([1, 1]);
    const before = wireStatus().length;
    process.kill(serverTool[0]!, 'SIGKILL');
    await until('told', 3000, () => wireStatus().slice(before).some((e) => !e.status.running));
    expect(wireStatus().slice(before).find((e) => !e.status.running)!.status.reason).toMatch(/^capture stopped: tcpdump on the server host exited: .+; restarting in 250 ms$/);
    await until('running again', 5000, () => capture.running);
    expect(wireStatus().at(-1)!.status.running).toBe(true);
    expect(capture.processGroups[0]).toBe(clientGroup);
    expect(toolIn(clientGroup!)).toEqual(clientTool);

    const groups = capture.processGroups;
    await capture.useHosts(null);
    expect(capture.hosts).toEqual([]);
    expect(capture.iface).toBe('lo');
    for (const g of groups) expect(toolIn(g)).toEqual([]);
    await until('capturing loopback', 5000, () => capture.running);
    expect(capture.processGroups).toHaveLength(1);
  }, 30_000);
});
