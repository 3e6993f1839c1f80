/**
 * Packet capture on real loopback sockets: the hello exchange through the engine, captured by
 * CaptureSource and, independently, by tshark; the two must show the same packets. Skipped LOUDLY
 * where capture is not permitted (no tcpdump/dumpcap, or no rights).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureSource } from '../src/wire/capture.ts';
import { freePort } from './engine-harness.ts';
import {
  brief, haveTool, helloExchange, sleep, tsharkCapture, tsharkCount, tsharkRows, wireHarness, type Seg, type WireHarness,
} from './wire-harness.ts';

const probe = new CaptureSource({ mode: 'off' }).status();
const canCapture = probe.available;
const canTshark = haveTool('tshark');
if (!canCapture) console.warn(`\n*** SKIPPED capture tests: packet capture is not available here: ${probe.reason}\n*** fix: ${probe.fix?.linux ?? ''}\n`);
if (canCapture && !canTshark) console.warn('\n*** SKIPPED the tshark cross-check: tshark is not installed (sudo apt-get install tshark)\n');

describe.skipIf(!canCapture)('capture: the hello exchange on loopback', () => {
  let h: WireHarness;
  let dir: string;
  let port: number;
  let run: Awaited<ReturnType<typeof helloExchange>>;
  let tsharkFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'socketscope-capture-'));
    h = await wireHarness({ waitRunning: true });
    port = await freePort();
    tsharkFile = path.join(dir, 'tshark.pcap');
    const ts = canTshark ? await tsharkCapture(port, tsharkFile) : null;
    run = await helloExchange(h, port);
    // the last ACK of the teardown is on its way through the pipe
    await h.waitFor((e) => e.type === 'tcp.segment' && !e.inferred && e.conn === run.conn && e.flags.length === 1 && e.flags[0] === 'ACK'
      && h.segments(run.conn).filter((s) => s.flags.includes('FIN')).length === 2, 4000, 'the final ACK');
    // dumpcap writes in batches: wait until the file holds the exchange before stopping tshark
    const want = h.segments(run.conn).length;
    if (ts) {
      for (let i = 0; i < 50 && tsharkRows(tsharkFile, `tcp.port == ${port}`, true).length < want; i++) await sleep(200);
      await ts.stop();
    }
  }, 30_000);

  afterAll(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('emits every segment of the exchange, captured (not inferred), with correct relative numbers and lengths', () => {
    const segs = h.segments(run.conn);
    expect(segs.every((s) => !s.inferred)).toBe(true);
    const client = run.conn.split('>')[0]!;
    const lines = segs.map((s) => brief(s, client));
    const hello = Buffer.byteLength('hello server');
    const reply = Buffer.byteLength('hi, client!');
    // Linux on loopback: the server's reply carries the ACK of the request only if it was quick enough;
    // so pure ACKs may appear between; the data, handshake and FINs must be exactly these.
    expect(lines.slice(0, 3)).toEqual(['C>S SYN 0/- len 0', 'S>C ACK+SYN 0/1 len 0', 'C>S ACK 1/1 len 0']);
    expect(lines).toContain(`C>S ACK+PSH 1/1 len ${hello}`);
    expect(lines).toContain(`S>C ACK+PSH 1/${1 + hello} len ${reply}`);
    expect(lines).toContain(`C>S ACK+FIN ${1 + hello}/${1 + reply} len 0`);
    expect(lines).toContain(`S>C ACK+FIN ${1 + reply}/${2 + hello} len 0`);
    expect(lines.at(-1)).toBe(`C>S ACK ${2 + hello}/${2 + reply} len 0`);
    // the data segment's first bytes travel with it
    const data = segs.find((s) => s.len === hello)!;
    expect(Buffer.from(data.bytes, 'base64').toString()).toBe('hello server');
    // the SYN's options, as the kernel sent them
    expect(segs[0]!.options.mss).toBeGreaterThan(0);
  });

  it('names the agent socket that sent each segment, and stamps capture time since the session start', () => {
    const segs = h.segments(run.conn);
    const client = run.conn.split('>')[0]!;
    // the SYN may be decoded before connect() has returned and told the engine its port: then the
    // receiving socket (the listener) is named; every later segment names its sender
    for (const s of segs) {
      if (s.flags.includes('SYN')) expect([run.client, run.listener, run.server]).toContain(s.sock);
      else expect(s.sock).toBe(s.src === client ? run.client : run.server);
    }
    const now = h.session.nowUs();
    let last = 0;
    for (const s of segs) {
      expect(s.wireTs).toBeGreaterThan(0);
      expect(s.wireTs!).toBeLessThanOrEqual(now + 50_000);
      expect(s.wireTs!).toBeGreaterThanOrEqual(last);
      last = s.wireTs!;
    }
  });

  it.skipIf(!canTshark)('shows the same packets as an independent tshark capture (flags, seq, ack, len, order)', () => {
    const ours = h.segments().filter((s) => !s.inferred && (s.src.endsWith(`:${port}`) || s.dst.endsWith(`:${port}`)));
    const theirs = tsharkRows(tsharkFile);
    expect(theirs.length).toBeGreaterThanOrEqual(10);
    expect(ours.map((s) => ({ src: s.src, dst: s.dst, flags: s.flags.toSorted().join('+'), seqRaw: s.seqNo, ackRaw: s.flags.includes('ACK') ? s.ackNo : 0, seq: s.relSeq, len: s.len })))
      .toEqual(theirs.map((t) => ({ src: t.src, dst: t.dst, flags: t.flags, seqRaw: t.seqRaw, ackRaw: t.flags.includes('ACK') ? t.ackRaw : 0, seq: t.seq, len: t.len })));
  });

  it('exports the captured packets as a pcap that tshark opens, one packet per captured event', async () => {
    const file = path.join(dir, 'export.pcap');
    const r = await h.capture.writePcap(file);
    const captured = h.events.filter((e) => (e.type === 'tcp.segment' || e.type === 'udp.datagram') && !e.inferred);
    expect(r.packets).toBe(captured.length);
    expect(tsharkCount(file)).toBe(captured.length);
    expect(r.note).toMatch(/inferred/);
    if (canTshark) {
      const rows = tsharkRows(file, `tcp.port == ${port}`);
      expect(rows.map((t) => t.seqRaw)).toEqual(h.segments(run.conn).map((s) => s.seqNo));
    }
  });

  it('captures a refused connect (SYN answered by RST) although its port is named only after the fact', async () => {
    const closed = await freePort();
    await expect(h.exec({ op: 'tcp.connect', host: '127.0.0.1', port: closed })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const rst = await h.waitFor((e) => e.type === 'tcp.segment' && e.src === `127.0.0.1:${closed}` && e.flags.includes('RST'), 3000, 'the RST') as Seg;
    expect(rst.inferred).toBe(false);
    const syn = h.segments(rst.conn).find((s) => s.flags.includes('SYN'));
    expect(syn?.dst).toBe(`127.0.0.1:${closed}`);
    expect(syn!.seq).toBeLessThan(rst.seq);
  });
});
