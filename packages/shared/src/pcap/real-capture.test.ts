/// <reference types="node" />
// oxlint-disable no-restricted-imports -- this test drives tcpdump, dumpcap and tshark around real
// loopback sockets, so it runs in Node only; the code it tests imports no Node built-in.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventOf } from '../protocol/events.ts';
import { importCapture } from '../wire/import.ts';
import { readCapture } from './reader.ts';
import type { DecodedPacket } from './types.ts';

/**
 * Real captures on loopback, checked field by field against tshark. Needs tcpdump, dumpcap and tshark
 * and the right to capture (root or CAP_NET_RAW); without them every test here is reported SKIPPED
 * with the reason, never passed.
 */

function have(tool: string): boolean {
  return spawnSync('which', [tool]).status === 0;
}

/** Can this process capture on lo? Starts tcpdump briefly and looks for its "listening" line. */
function canCapture(): string | null {
  for (const t of ['tcpdump', 'dumpcap', 'tshark']) if (!have(t)) return `${t} is not installed (apt-get install tcpdump tshark)`;
  const r = spawnSync('tcpdump', ['-i', 'lo', '-w', '/dev/null', '-c', '1', 'tcp port 9'], { timeout: 1500, encoding: 'utf8' });
  if (r.stderr?.includes('listening on')) return null;
  return `tcpdump cannot capture on lo here: ${(r.stderr ?? '').trim().split('\n')[0] ?? r.error?.message}`;
}

const whyNot = canCapture();
if (whyNot) console.warn(`SKIPPED real-capture tests: ${whyNot}`);
const dir = mkdtempSync(path.join(os.tmpdir(), 'socketscope-capture-'));
afterAll(() => { if (!process.env['KEEP_CAPTURES']) rmSync(dir, { recursive: true, force: true }); else console.warn(`captures kept in ${dir}`); });

interface Capture {
  file: string;
  stop(): Promise<void>;
}

/**
 * Starts a capture tool and resolves once it captures. tcpdump's "listening on" comes after its
 * filter is attached. dumpcap says "Capturing on" before it really is, so for it `probe` sends
 * datagrams (that its filter takes) until its packet counter on stderr moves.
 */
function startCapture(cmd: string, args: string[], file: string, ready: RegExp, probe?: () => void): Promise<Capture> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let started = false;
    let prober: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => { clearInterval(prober); child.kill('SIGKILL'); reject(new Error(`${cmd} did not start: ${err}`)); }, 10_000);
    const done = (): void => {
      clearTimeout(timer);
      clearInterval(prober);
      resolve({
        file,
        stop: () => new Promise<void>((exited) => {
          // let the last packets reach the capture before asking it to flush and exit
          setTimeout(() => {
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => { clearTimeout(kill); exited(); });
            child.kill('SIGINT');
          }, 300);
        }),
      });
    };
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      err += d;
      if (!started && ready.test(err)) {
        started = true;
        if (!probe) { done(); return; }
        probe();
        prober = setInterval(probe, 50);
      }
      if (started && probe && /Packets(?: captured)?: [1-9]/.test(err)) done();
    });
    child.once('error', (e) => { clearTimeout(timer); clearInterval(prober); reject(e); });
    child.once('exit', (code) => { clearTimeout(timer); clearInterval(prober); reject(new Error(`${cmd} exited (${code}): ${err}`)); });
  });
}

function listen(onConn: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve) => { const srv = net.createServer(onConn); srv.listen(0, '127.0.0.1', () => resolve(srv)); });
}
const portOf = (srv: net.Server): number => (srv.address() as net.AddressInfo).port;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const closeServer = (srv: net.Server): Promise<void> => new Promise((r) => srv.close(() => r()));

/** The tutorial's hello server: answers a greeting once, counts what it reads, closes when the client does. */
function helloServer(opts: { pauseMs?: number } = {}): Promise<net.Server> {
  return listen((s) => {
    if (opts.pauseMs) { s.pause(); setTimeout(() => s.resume(), opts.pauseMs); }
    s.on('data', (d) => { if (String(d).startsWith('hello')) s.write('hello, client'); });
    s.on('end', () => s.end());
  });
}

/** hello both ways, three small messages, a burst of `burst` bytes, then the client closes first. */
async function helloClient(port: number, burst: number): Promise<void> {
  const c = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => c.once('connect', () => r()));
  c.write('hello, server');
  await new Promise<void>((r) => c.once('data', () => r()));
  for (const m of ['one', 'two', 'three']) { c.write(m); await sleep(5); }
  if (burst > 0) c.write(Buffer.alloc(burst, 0x41));
  c.end();
  c.resume();
  await new Promise<void>((r) => c.once('close', () => r()));
}

/** A UDP echo on 127.0.0.1: three datagrams out, three back. */
async function udpEcho(): Promise<{ port: number; run(): Promise<void> }> {
  const srv = dgram.createSocket('udp4');
  srv.on('message', (m, from) => srv.send(m, from.port, from.address));
  await new Promise<void>((r) => srv.bind(0, '127.0.0.1', () => r()));
  const port = srv.address().port;
  return {
    port,
    async run() {
      const c = dgram.createSocket('udp4');
      let got = 0;
      const all = new Promise<void>((r) => c.on('message', () => { if (++got === 3) r(); }));
      for (const m of ['ping', 'datagram boundaries are kept', 'x'.repeat(1000)]) c.send(m, port, '127.0.0.1');
      await Promise.race([all, sleep(2000)]);
      c.close();
      srv.close();
    },
  };
}

interface SharkRow { [field: string]: string }

function tshark(file: string, fields: string[], filter?: string): SharkRow[] {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=f', ...fields.flatMap((f) => ['-e', f])];
  if (filter) args.push('-Y', filter);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => {
    const cols = l.split('|');
    return Object.fromEntries(fields.map((f, i) => [f, cols[i] ?? '']));
  });
}

const FIELDS = [
  'frame.number', 'frame.len', 'frame.cap_len', 'frame.time_epoch', 'ip.src', 'ipv6.src', 'tcp.srcport', 'tcp.dstport', 'tcp.flags',
  'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len', 'tcp.window_size_value', 'tcp.options.mss_val', 'tcp.options.wscale.shift',
  'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr', 'udp.srcport', 'udp.dstport', 'udp.length',
];

/** Our decoder against tshark, frame by frame, field by field. */
function compareWithTshark(file: string): DecodedPacket[] {
  const { records, stats } = readCapture(readFileSync(file));
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
function compareTracking(file: string): EventOf<'tcp.segment'>[] {
  const { events } = importCapture(readFileSync(file));
  const segs = events.filter((e): e is EventOf<'tcp.segment'> => e.type === 'tcp.segment');
  const rows = tshark(file, ['frame.number', 'tcp.seq', 'tcp.ack', 'tcp.window_size', 'tcp.flags.ack'], 'tcp');
  expect(segs.length).toBe(rows.length);
  rows.forEach((row, i) => {
    const e = segs[i]!;
    const ours = { relSeq: String(e.relSeq), relAck: e.relAck === null ? '0' : String(e.relAck), win: String(e.win) };
    expect(ours, `frame ${row['frame.number']}`).toEqual({ relSeq: row['tcp.seq'], relAck: row['tcp.ack'], win: row['tcp.window_size'] });
  });
  const frameOf = new Map(rows.map((row, i) => [segs[i]!, Number(row['frame.number'])]));
  for (const [ours, field] of ANALYSIS) {
    const theirs = tshark(file, ['frame.number'], field).map((r) => Number(r['frame.number']));
    const mine = segs.filter((e) => e.analysis?.includes(ours as never)).map((e) => frameOf.get(e)!);
    expect(mine, `${ours} (${field})`).toEqual(theirs);
  }
  return segs;
}

describe.skipIf(whyNot !== null)('real loopback captures against tshark', () => {
  it('tcpdump pcap on lo (Ethernet): every field of every frame matches tshark, and so do relative numbers and windows', async () => {
    const srv = await helloServer();
    const port = portOf(srv);
    const file = path.join(dir, 'lo.pcap');
    const cap = await startCapture('tcpdump', ['-i', 'lo', '-w', file, '--immediate-mode', '-U', '-s', '0', `tcp port ${port}`], file, /listening on/);
    await helloClient(port, 200_000);
    await cap.stop();
    await closeServer(srv);
    const packets = compareWithTshark(file);
    expect(packets.length).toBeGreaterThanOrEqual(10);
    expect(packets[0]).toMatchObject({ linkType: 1, flags: ['SYN'] });
    const segs = compareTracking(file);
    expect(new Set(segs.map((e) => e.conn))).toEqual(new Set([`127.0.0.1:${packets[0]!.srcPort}>127.0.0.1:${port}`]));
  });

  it('dumpcap pcapng with TCP and UDP: every field matches tshark', async () => {
    const srv = await helloServer();
    const port = portOf(srv);
    const udp = await udpEcho();
    const sink = dgram.createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    const probePort = sink.address().port;
    const probe = (): void => sink.send('probe', probePort, '127.0.0.1');
    const file = path.join(dir, 'lo.pcapng');
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
    compareTracking(file);
  });

  it('tcpdump -i any (Linux cooked SLL2) with a 96-byte snaplen and a paused reader: zero window and analysis flags match tshark', async () => {
    const srv = await helloServer({ pauseMs: 600 });
    const port = portOf(srv);
    const file = path.join(dir, 'any.pcap');
    const cap = await startCapture('tcpdump', ['-i', 'any', '-w', file, '--immediate-mode', '-U', '-s', '96', `tcp port ${port}`], file, /listening on/);
    await helloClient(port, 8_000_000);
    await cap.stop();
    await closeServer(srv);
    const packets = compareWithTshark(file);
    expect(packets[0]!.linkType).toBe(276);
    expect(packets.some((p) => p.len > p.payload.length)).toBe(true); // snaplen cut payloads, lengths still true
    const segs = compareTracking(file);
    expect(segs.some((e) => e.analysis?.includes('zero-window'))).toBe(true);
  });

  it('a capture without the handshake: relative numbers count from the first segment as in tshark', async () => {
    const srv = await helloServer();
    const port = portOf(srv);
    const file = path.join(dir, 'mid.pcap');
    const cap = await startCapture('tcpdump', ['-i', 'lo', '-w', file, '--immediate-mode', '-U', `tcp port ${port}`], file, /listening on/);
    await helloClient(port, 50_000);
    await cap.stop();
    await closeServer(srv);
    const mid = path.join(dir, 'mid-nosyn.pcap');
    const r = spawnSync('tshark', ['-r', file, '-Y', 'tcp.flags.syn == 0', '-w', mid, '-F', 'pcap'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const segs = compareTracking(mid);
    expect(segs[0]).toMatchObject({ relSeq: 1, relAck: 1 });
  });
});
