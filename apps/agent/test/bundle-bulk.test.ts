/**
 * Bulk data through the real agent with packet capture on (capture-bundle.ts B1–B7): 16 MiB sent with
 * tcp.sendBulk on loopback, once to a reader whose receive buffer holds it all (a Python reader with
 * SO_RCVBUFFORCE: no flow control however busy the machine, so one long run) and once to a reader on the
 * agent's own thread (it cannot keep up: a zero window every few segments, each shown as itself). Either
 * way nothing is lost: the single segments and the bundles account for every captured packet of the
 * connection and for exactly the bytes sent, the .pcap export holds every packet (counted with the
 * shared pcap reader), and `capture.packets` returns each bundle's segments. Skipped LOUDLY where capture
 * is not permitted, and the big-buffer reader where Python or the right to force a buffer size is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent, type SessionEvent, type TcpBundleEvent, type TcpSegmentEvent } from '@socketscope/shared';
import { readCapture, type DecodedPacket, type TcpPacket } from '@socketscope/shared/pcap/index';
import { createAgent, type Agent } from '../src/agent.ts';
import { CommandError } from '../src/engine/types.ts';
import type { BundlePackets } from '../src/wire/capture-bundle-read.ts';
import { CaptureSource } from '../src/wire/capture.ts';
import { PY } from './python-kit.ts';

const probe = new CaptureSource({ mode: 'off' }).status();
if (!probe.available) console.warn(`\n*** SKIPPED bundle tests: packet capture is not available here: ${probe.reason}\n*** fix: ${probe.fix?.linux ?? ''}\n`);

const BYTES = 16 * 2 ** 20;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, ms: number, ok: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

/**
 * A reader in its own process whose receive buffer holds the whole transfer (SO_RCVBUFFORCE needs
 * CAP_NET_ADMIN; without it the kernel caps SO_RCVBUF at rmem_max). Prints its port and its buffer size,
 * then the byte count once it has argv[1] bytes; closes when the peer does.
 */
const READER = `
import socket, sys
want = int(sys.argv[1])
s = socket.socket()
try:
    s.setsockopt(socket.SOL_SOCKET, 33, 4 * want)  # SO_RCVBUFFORCE
except OSError:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * want)
s.bind(('127.0.0.1', 0))
s.listen(1)
print(s.getsockname()[1], s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), flush=True)
c, _ = s.accept()
n = 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    n += len(d)
    if n >= want and n - len(d) < want:
        print(n, flush=True)
c.close()
`;

interface Transfer {
  conn: string;
  client: string;
  server: string;
  /** the connection's packets in the .pcap export */
  pcap: TcpPacket[];
  wire: (TcpSegmentEvent | TcpBundleEvent)[];
  singles: TcpSegmentEvent[];
  /** each bundle's newest event */
  finals: TcpBundleEvent[];
}

describe.skipIf(!probe.available)('bulk data through the agent, captured', () => {
  let agent: Agent;
  let dir: string;
  let child: ChildProcess | null = null;
  let local: net.Server | null = null;
  const events: SessionEvent[] = [];
  const runs: Partial<Record<'big buffer' | 'agent thread', Transfer>> = {};

  /** Sends BYTES to the reader at port, closes, waits for the teardown to be captured, exports the pcap. */
  async function transfer(port: number, done: () => boolean): Promise<Transfer> {
    const from = events.length;
    const c = await agent.exec({ op: 'tcp.connect', host: '127.0.0.1', port }) as { sock: string; local: string; remote: string };
    const conn = `${c.local}>${c.remote}`;
    const ofConn = () => events.slice(from).filter((e): e is TcpSegmentEvent | TcpBundleEvent => (e.type === 'tcp.segment' || e.type === 'tcp.bundle') && e.conn === conn);
    const singles = () => ofConn().filter((e): e is TcpSegmentEvent => e.type === 'tcp.segment');
    await agent.exec({ op: 'tcp.sendBulk', sock: c.sock, bytes: BYTES, chunk: 1 << 20 });
    await until('the reader got every byte', 60_000, done);
    await agent.exec({ op: 'tcp.close', sock: c.sock });
    // the teardown captured: both FINs and the ACK of the last one
    await until('the teardown captured', 10_000, () => {
      const s = singles();
      const fins = s.filter((x) => x.flags.includes('FIN'));
      return fins.length === 2 && s.some((x) => x.seq > fins[1]!.seq && x.flags.length === 1 && x.flags[0] === 'ACK');
    });
    const file = path.join(dir, `${c.sock}.pcap`);
    await agent.wire!.writePcap!(file);
    const pcap = readCapture(readFileSync(file)).records
      .filter((r): r is DecodedPacket => r.kind === 'packet')
      .filter((p): p is TcpPacket => p.proto === 'tcp' && ((p.src === c.local && p.dst === c.remote) || (p.src === c.remote && p.dst === c.local)));
    const wire = ofConn();
    const finals = [...new Map(wire.filter((e): e is TcpBundleEvent => e.type === 'tcp.bundle').map((b) => [b.bundle, b])).values()];
    return { conn, client: c.local, server: c.remote, pcap, wire, singles: singles(), finals };
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'socketscope-bundle-'));
    agent = createAgent({ capture: 'auto', tracepoints: false, log: () => {} });
    agent.session.subscribe((e) => events.push(e));
    agent.start();
    await until('capture running', 10_000, () => agent.wire?.running === true);

    if (PY.available) {
      child = spawn(PY.path!, ['-c', READER, String(BYTES)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines = createInterface({ input: child.stdout! });
      const said: string[] = [];
      lines.on('line', (l) => said.push(l));
      await until('the reader listening', 10_000, () => said.length > 0);
      const [port, rcvbuf] = said[0]!.split(' ').map(Number);
      if (rcvbuf! >= 2 * BYTES) {
        runs['big buffer'] = await transfer(port!, () => said.length > 1);
        expect(Number(said[1])).toBe(BYTES);
      } else {
        console.warn(`\n*** SKIPPED the big-buffer reader: the kernel gave it ${rcvbuf} bytes of receive buffer, not ${2 * BYTES} (SO_RCVBUFFORCE needs CAP_NET_ADMIN)\n`);
      }
    } else {
      console.warn(`\n*** SKIPPED the big-buffer reader: ${PY.reason}\n`);
    }

    let got = 0;
    local = net.createServer((s) => {
      s.on('data', (d) => { got += d.length; });
      s.on('end', () => s.end());
      s.on('error', () => {});
    });
    await new Promise<void>((r) => local!.listen(0, '127.0.0.1', () => r()));
    runs['agent thread'] = await transfer((local.address() as net.AddressInfo).port, () => got >= BYTES);
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    child?.stdin?.end();
    child?.kill();
    await new Promise<void>((r) => (local ? local.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a reader that never stops the sender: one long run, far fewer wire events than captured segments', (ctx) => {
    const t = runs['big buffer'];
    if (!t) return ctx.skip();
    console.info(`bundle test, big-buffer reader: ${t.pcap.length} packets, ${t.wire.length} wire events (${t.singles.length} segments, ${t.finals.length} bundles)`);
    expect(t.singles.filter((s) => s.analysis?.includes('zero-window'))).toEqual([]);
    expect(t.finals.length).toBeGreaterThan(0);
    expect(t.wire.length * 10).toBeLessThan(t.pcap.length);
  });

  it('a reader that cannot keep up: every zero window is shown as itself, between bundles', () => {
    const t = runs['agent thread']!;
    console.info(`bundle test, reader on the agent's thread: ${t.pcap.length} packets, ${t.wire.length} wire events (${t.singles.length} segments, ${t.finals.length} bundles)`);
    const zero = t.pcap.filter((p) => p.src === t.server && p.win === 0 && (p.flagBits & 0x07) === 0).length;
    expect(zero).toBeGreaterThan(0);
    expect(t.singles.filter((s) => s.analysis?.includes('zero-window'))).toHaveLength(zero);
  });

  for (const reader of ['big buffer', 'agent thread'] as const) {
    describe(`reader ${reader === 'big buffer' ? 'with a buffer for everything' : 'on the agent’s thread'}`, () => {
      it('B2–B6: every bundle closed, every event valid, and every captured packet (the .pcap export) in exactly one event', (ctx) => {
        const t = runs[reader];
        if (!t) return ctx.skip();
        for (const e of t.wire) expect(parseEvent(e), JSON.stringify(e)).toMatchObject({ ok: true });
        expect(t.finals.every((b) => !b.open && b.count >= 4)).toBe(true);
        // handshake and teardown are never summarised
        expect(t.singles.filter((s) => s.flags.includes('SYN'))).toHaveLength(2);
        expect(t.singles.filter((s) => s.flags.includes('FIN'))).toHaveLength(2);
        expect(t.singles.length + t.finals.reduce((n, b) => n + b.count, 0)).toBe(t.pcap.length);
      });

      it('the bundles and single segments carry exactly the bytes sent', (ctx) => {
        const t = runs[reader];
        if (!t) return ctx.skip();
        const data = t.singles.filter((s) => s.src === t.client && s.len > 0);
        const bundles = t.finals.filter((b) => b.src === t.client && b.bytes > 0);
        const onWire = t.pcap.filter((p) => p.src === t.client).reduce((n, p) => n + p.len, 0);
        const summed = data.reduce((n, s) => n + s.len, 0) + bundles.reduce((n, b) => n + b.bytes, 0);
        expect(summed).toBe(onWire);
        // every byte of the stream is covered (a retransmission covers bytes already counted)
        const spans = [...data.map((s) => [s.relSeq!, s.relSeq! + s.len]), ...bundles.map((b) => [b.relFirstSeq!, b.relEndSeq!])].toSorted((a, b) => a[0]! - b[0]!);
        let covered = 1;
        for (const [from, to] of spans) {
          expect(from, 'no gap in the stream').toBeLessThanOrEqual(covered);
          covered = Math.max(covered, to!);
        }
        expect(covered - 1).toBe(BYTES);
        const retransmitted = bundles.reduce((n, b) => n + b.retransmissions, 0) + data.filter((s) => s.analysis?.includes('retransmission')).length;
        if (retransmitted === 0) expect(summed).toBe(BYTES);
      });

      it('capture.packets returns each bundle’s segments, decoded from the ring as their tcp.segment events', async (ctx) => {
        const t = runs[reader];
        if (!t) return ctx.skip();
        for (const b of t.finals) {
          const r = await agent.exec({ op: 'capture.packets', bundle: b.bundle }) as BundlePackets;
          expect(r).toMatchObject({ bundle: b.bundle, conn: t.conn, src: b.src, dst: b.dst, count: b.count, truncated: false, missing: 0 });
          expect(r.segments).toHaveLength(b.count);
          for (const s of r.segments) expect(parseEvent({ ...s, v: 1, seq: 0, ts: 0 })).toMatchObject({ ok: true });
          expect(r.segments.every((s) => s.src === b.src && s.dst === b.dst && s.conn === t.conn && !s.inferred)).toBe(true);
          expect(r.segments.reduce((n, s) => n + s.len, 0)).toBe(b.bytes);
          expect(r.segments.filter((s) => s.analysis?.includes('retransmission'))).toHaveLength(b.retransmissions);
          expect(r.segments[0]).toMatchObject({ seqNo: b.firstSeq, relSeq: b.relFirstSeq, wireTs: b.wireTs });
          expect(r.segments.at(-1)!.wireTs).toBe(b.wireEndTs);
          if (b.bytes > 0) expect(Math.max(...r.segments.map((s) => s.relSeq! + s.len))).toBe(b.relEndSeq);
          else expect(r.segments.every((s) => s.len === 0 && s.flags.join() === 'ACK')).toBe(true);
        }
      });
    });
  }

  it('capture.packets for a bundle the agent does not hold is an error', async () => {
    await expect(agent.exec({ op: 'capture.packets', bundle: 999_999 })).rejects.toBeInstanceOf(CommandError);
  });
});
