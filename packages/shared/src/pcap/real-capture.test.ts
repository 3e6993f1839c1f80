import { afterAll, describe, expect, it } from 'vitest';
import type { EventOf } from '../protocol/events.ts';
import { exportPcap } from '../wire/export.ts';
import { importCapture } from '../wire/import.ts';
import {
  bindUdp, closeServer, helloClient, helloServer, node, portOf, startCapture, tshark, tsharkAsync, tsharkFilter, udpEcho,
  udpSocket, whyCannotCapture,
} from './loopback-harness.ts';
import { readCapture } from './reader.ts';
import type { DecodedPacket } from './types.ts';

/**
 * Real captures on loopback, checked field by field against tshark. Needs tcpdump, dumpcap and tshark
 * and the right to capture (root or CAP_NET_RAW); without them every test here is reported SKIPPED
 * with the reason, never passed. KEEP_CAPTURES=1 keeps the files for a look in Wireshark.
 */

const whyNot = whyCannotCapture();
if (whyNot) node.warn(`SKIPPED real-capture tests: ${whyNot}`);
const dir = node.tempDir();
afterAll(() => {
  if (node.env('KEEP_CAPTURES')) node.warn(`captures kept in ${dir}`);
  else node.removeDir(dir);
});

const FIELDS = [
  'frame.number', 'frame.len', 'frame.cap_len', 'frame.time_epoch', 'ip.src', 'ipv6.src', 'tcp.srcport', 'tcp.dstport', 'tcp.flags',
  'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len', 'tcp.window_size_value', 'tcp.options.mss_val', 'tcp.options.wscale.shift',
  'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr', 'udp.srcport', 'udp.dstport', 'udp.length',
];

/** Our decoder against tshark, frame by frame, field by field. */
function compareWithTshark(file: string): DecodedPacket[] {
  const { records, stats } = readCapture(node.readFile(file));
  const rows = tshark(file, FIELDS);
  expect(stats.errors).toBe(0);
  expect(records.length).toBe(rows.length);
  const packets: DecodedPacket[] = [];
  rows.forEach((row, i) => {
    const r = records[i]!;
    expect(r.kind, `frame ${i + 1}`).toBe('packet');
    if (r.kind !== 'packet') return;
    packets.push(r);
    const [sec, frac = ''] = row['frame.time_epoch']!.split('.');
    const ours: Record<string, string> = {
      'frame.number': String(r.index), 'frame.len': String(r.frameLen), 'frame.cap_len': String(r.capLen),
      'frame.time_epoch': String(Number(sec) * 1e6 + Number(frac.padEnd(6, '0').slice(0, 6))),
    };
    const theirs: Record<string, string> = {
      'frame.number': row['frame.number']!, 'frame.len': row['frame.len']!, 'frame.cap_len': row['frame.cap_len']!, 'frame.time_epoch': String(r.tsUs),
    };
    if (r.proto === 'tcp') {
      Object.assign(ours, {
        port: `${r.srcPort}>${r.dstPort}`, flags: `0x${r.flagBits.toString(16).padStart(4, '0')}`, seq: String(r.seq), ack: String(r.ack),
        len: String(r.len), win: String(r.win), mss: String(r.options.mss ?? ''), ws: String(r.options.wscale ?? ''),
        ts: r.options.ts ? `${r.options.ts[0]}/${r.options.ts[1]}` : '/',
      });
      Object.assign(theirs, {
        port: `${row['tcp.srcport']}>${row['tcp.dstport']}`,
        // tshark adds the NS bit (0x100) to tcp.flags; we keep the 8 flag bits
        flags: `0x${(parseInt(row['tcp.flags']!, 16) & 0xff).toString(16).padStart(4, '0')}`, seq: row['tcp.seq_raw']!, ack: row['tcp.ack_raw']!,
        len: row['tcp.len']!, win: row['tcp.window_size_value']!, mss: row['tcp.options.mss_val']!, ws: row['tcp.options.wscale.shift']!,
        ts: `${row['tcp.options.timestamp.tsval']}/${row['tcp.options.timestamp.tsecr']}`,
      });
    } else {
      Object.assign(ours, { port: `${r.srcPort}>${r.dstPort}`, len: String(r.len + 8) });
      Object.assign(theirs, { port: `${row['udp.srcport']}>${row['udp.dstport']}`, len: row['udp.length']! });
    }
    const host = r.src.slice(0, r.src.lastIndexOf(':')).replace(/^\[|\]$/g, '');
    ours['src'] = host;
    theirs['src'] = row['ip.src'] || row['ipv6.src']!;
    expect(ours, `frame ${i + 1}`).toEqual(theirs);
  });
  return packets;
}

const ANALYSIS: [string, string][] = [
  ['zero-window', 'tcp.analysis.zero_window'], ['window-update', 'tcp.analysis.window_update'],
  ['dup-ack', 'tcp.analysis.duplicate_ack'], ['keep-alive', 'tcp.analysis.keep_alive'],
  ['window-full', 'tcp.analysis.window_full'], ['retransmission', 'tcp.analysis.retransmission'],
];

/** Our conversation tracking against tshark's relative numbers, calculated window and analysis flags. */
async function compareTracking(file: string): Promise<EventOf<'tcp.segment'>[]> {
  const { events } = importCapture(node.readFile(file));
  const segs = events.filter((e): e is EventOf<'tcp.segment'> => e.type === 'tcp.segment');
  const rows = tshark(file, ['frame.number', 'tcp.seq', 'tcp.ack', 'tcp.window_size', 'tcp.flags.ack'], 'tcp');
  expect(segs.length).toBe(rows.length);
  rows.forEach((row, i) => {
    const e = segs[i]!;
    const ours = { relSeq: String(e.relSeq), relAck: e.relAck === null ? '0' : String(e.relAck), win: String(e.win) };
    expect(ours, `frame ${row['frame.number']}`).toEqual({ relSeq: row['tcp.seq'], relAck: row['tcp.ack'], win: row['tcp.window_size'] });
  });
  const frameOf = new Map(rows.map((row, i) => [segs[i]!, Number(row['frame.number'])]));
  const flagged = await Promise.all(ANALYSIS.map(([, field]) => tsharkAsync(file, ['frame.number'], field)));
  ANALYSIS.forEach(([ours, field], k) => {
    const theirs = flagged[k]!.map((r) => Number(r['frame.number']));
    const mine = segs.filter((e) => e.analysis?.includes(ours as never)).map((e) => frameOf.get(e)!);
    expect(mine, `${ours} (${field})`).toEqual(theirs);
  });
  return segs;
}

describe.skipIf(whyNot !== null)('real loopback captures against tshark', () => {
  it('tcpdump pcap on lo (Ethernet): every field of every frame matches tshark, and so do relative numbers and windows', async () => {
    const srv = await helloServer();
    const port = portOf(srv);
    const file = node.join(dir, 'lo.pcap');
    const cap = await startCapture('tcpdump', ['-i', 'lo', '-w', file, '--immediate-mode', '-U', '-s', '0', `tcp port ${port}`], file, /listening on/);
    await helloClient(port, 200_000);
    await cap.stop();
    await closeServer(srv);
    const packets = compareWithTshark(file);
    expect(packets.length).toBeGreaterThanOrEqual(10);
    expect(packets[0]).toMatchObject({ linkType: 1, flags: ['SYN'] });
    const segs = await compareTracking(file);
    expect(new Set(segs.map((e) => e.conn))).toEqual(new Set([`127.0.0.1:${packets[0]!.srcPort}>127.0.0.1:${port}`]));

    // exported from the events, the capture reads the same in tshark (apart from the link layer)
    const exported = node.join(dir, 'exported.pcap');
    node.writeFile(exported, exportPcap(importCapture(node.readFile(file)).events, { startUs: packets[0]!.tsUs }).pcap);
    const same = ['frame.time_epoch', 'ip.len', 'tcp.flags', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len', 'tcp.window_size_value', 'tcp.window_size', 'tcp.seq', 'tcp.ack', 'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.timestamp.tsval'];
    expect(tshark(exported, same)).toEqual(tshark(file, same));
  });

  it('dumpcap pcapng with TCP and UDP: every field matches tshark', async () => {
    const srv = await helloServer();
    const port = portOf(srv);
    const udp = await udpEcho();
    const sink = udpSocket();
    const probePort = await bindUdp(sink);
    const probe = (): void => sink.send('probe', probePort, '127.0.0.1');
    const file = node.join(dir, 'lo.pcapng');
    const filter = `tcp port ${port} or udp port ${udp.port} or udp port ${probePort}`;
    const cap = await startCapture('dumpcap', ['-i', 'lo', '-w', file, '-f', filter], file, /Capturing on/, probe);
    await helloClient(port, 0);
    await udp.run();
    await cap.stop();
    sink.close();
    await closeServer(srv);
    const packets = compareWithTshark(file);
    const echoed = packets.filter((p) => p.proto === 'udp' && (p.srcPort === udp.port || p.dstPort === udp.port));
    expect(echoed.map((p) => p.len).toSorted((a, b) => a - b)).toEqual([4, 4, 28, 28, 1000, 1000]);
    expect(packets.filter((p) => p.proto === 'tcp').length).toBeGreaterThanOrEqual(10);
    await compareTracking(file);
  });

  it('tcpdump -i any (Linux cooked SLL2) with a 96-byte snaplen and a paused reader: zero window and analysis flags match tshark', async () => {
    const srv = await helloServer({ pauseMs: 600 });
    const port = portOf(srv);
    const file = node.join(dir, 'any.pcap');
    const cap = await startCapture('tcpdump', ['-i', 'any', '-w', file, '--immediate-mode', '-U', '-s', '96', `tcp port ${port}`], file, /listening on/);
    await helloClient(port, 8_000_000);
    await cap.stop();
    await closeServer(srv);
    const packets = compareWithTshark(file);
    expect(packets[0]!.linkType).toBe(276);
    expect(packets.some((p) => p.len > p.payload.length)).toBe(true); // snaplen cut payloads, lengths still true
    const segs = await compareTracking(file);
    expect(segs.some((e) => e.analysis?.includes('zero-window'))).toBe(true);
  });

  it('a capture without the handshake: relative numbers count from the first segment as in tshark', async () => {
    const srv = await helloServer();
    const port = portOf(srv);
    const file = node.join(dir, 'mid.pcap');
    const cap = await startCapture('tcpdump', ['-i', 'lo', '-w', file, '--immediate-mode', '-U', `tcp port ${port}`], file, /listening on/);
    await helloClient(port, 50_000);
    await cap.stop();
    await closeServer(srv);
    const mid = node.join(dir, 'mid-nosyn.pcap');
    tsharkFilter(file, 'tcp.flags.syn == 0', mid);
    const segs = await compareTracking(mid);
    expect(segs[0]).toMatchObject({ relSeq: 1, relAck: 1 });
  });
});
