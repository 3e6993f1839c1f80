/**
 * Test harness for the wire layer on real loopback sockets: the real Session (every event validated,
 * invalid ones throw), the engine, the kernel probe, packet capture and inference, wired as the agent
 * wires them. Plus helpers for an independent tshark capture and bounded waits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, statSync } from 'node:fs';
import type { CommandInput, SessionEvent, TcpSegmentEvent, UdpDatagramEvent } from '@socketscope/shared';
import { createEngine } from '../src/engine/index.ts';
import type { EngineCommand, SocketEngine } from '../src/engine/types.ts';
import { KernelProbe } from '../src/kernel/proc-probe.ts';
import { Session } from '../src/session/session.ts';
import { CaptureSource, type CaptureMode, type CaptureOptions } from '../src/wire/capture.ts';
import { WireInference } from '../src/wire/inference.ts';
import { PortWatcher } from '../src/watch/port-watcher.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type Seg = TcpSegmentEvent;
export type Dgram = UdpDatagramEvent;

export interface WireHarness {
  session: Session;
  events: SessionEvent[];
  engine: SocketEngine;
  kernel: KernelProbe;
  capture: CaptureSource;
  inference: WireInference;
  watcher: PortWatcher;
  exec(c: CommandInput): Promise<Record<string, unknown>>;
  segments(conn?: string): Seg[];
  waitFor(pred: (e: SessionEvent) => boolean, ms?: number, what?: string): Promise<SessionEvent>;
  close(): Promise<void>;
}

export async function wireHarness(opts: { capture?: CaptureMode; waitRunning?: boolean; captureOptions?: Partial<CaptureOptions> } = {}): Promise<WireHarness> {
  const session = new Session({ onInvalid: 'throw' });
  const emit = session.emit.bind(session);
  const events: SessionEvent[] = [];
  session.subscribe((e) => events.push(e));
  const engine = createEngine({ emit, allowRemote: false });
  const targets = () => engine.tracked();
  const poke = () => { kernel.poke(); capture.poke(); };
  const watcher = new PortWatcher({ onChange: poke });
  const watchedPorts = () => watcher.ports();
  const kernel = new KernelProbe({ targets, watchedPorts, tcpInfo: false });
  const capture = new CaptureSource({ targets, watchedPorts, session, mode: opts.capture ?? 'auto', ...opts.captureOptions });
  const inference = new WireInference(emit);
  const offs = [session.subscribe((e) => inference.observe(e)), engine.onChange(poke)];
  kernel.start(emit);
  capture.start(emit);

  const waitFor = async (pred: (e: SessionEvent) => boolean, ms = 4000, what = 'a matching event'): Promise<SessionEvent> => {
    const deadline = Date.now() + ms;
    let from = 0;
    for (;;) {
      for (; from < events.length; from++) if (pred(events[from]!)) return events[from]!;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; last: ${JSON.stringify(events.slice(-3))}`);
      await sleep(5);
    }
  };
  if (opts.waitRunning && capture.status().available && (opts.capture ?? 'auto') === 'auto') {
    await waitFor((e) => e.type === 'source.status' && e.source === 'wire' && e.status.running, 5000, 'capture running');
  }
  return {
    session, events, engine, kernel, capture, inference, watcher,
    exec: (c) => engine.exec(c as EngineCommand) as Promise<Record<string, unknown>>,
    segments: (conn) => events.filter((e): e is Seg => e.type === 'tcp.segment' && (conn === undefined || e.conn === conn)),
    waitFor,
    async close() {
      for (const off of offs) off();
      await engine.closeAll();
      kernel.stop();
      await capture.stop();
    },
  };
}

/** The course's hello exchange through the engine: handshake, one data segment each way, teardown. */
export async function helloExchange(h: WireHarness, port: number): Promise<{ client: string; server: string; conn: string; listener: string }> {
  const l = await h.exec({ op: 'tcp.listen', host: '127.0.0.1', port, backlog: 5 });
  const c = await h.exec({ op: 'tcp.connect', host: '127.0.0.1', port });
  const a = await h.exec({ op: 'tcp.accept', sock: String(l['sock']) });
  const client = String(c['sock']);
  const server = String(a['newSock']);
  await h.exec({ op: 'tcp.send', sock: client, data: { text: 'hello server' } });
  await h.exec({ op: 'tcp.recv', sock: server, max: 1024 });
  await h.exec({ op: 'tcp.send', sock: server, data: { text: 'hi, client!' } });
  await h.exec({ op: 'tcp.recv', sock: client, max: 1024 });
  await h.exec({ op: 'tcp.close', sock: client });
  await h.exec({ op: 'tcp.recv', sock: server, max: 1024 }); // 0 bytes: the client's FIN
  await h.exec({ op: 'tcp.close', sock: server });
  await h.exec({ op: 'tcp.close', sock: String(l['sock']) });
  return { client, server, conn: `${String(c['local'])}>${String(c['remote'])}`, listener: String(l['sock']) };
}

/** A compact, comparable form of a segment: "C>S SYN 0/- len 0". */
export function brief(s: Seg, client: string): string {
  const dir = s.src === client ? 'C>S' : 'S>C';
  return `${dir} ${s.flags.toSorted().join('+')} ${s.relSeq ?? '-'}/${s.relAck ?? '-'} len ${s.len}`;
}

export function haveTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** An independent capture with tshark, started before the run and stopped after it. */
export async function tsharkCapture(port: number, file: string): Promise<{ stop(): Promise<void>; proc: ChildProcess }> {
  const proc = spawn('tshark', ['-i', 'lo', '-f', `port ${port}`, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tshark did not start: ${err}`)), 10_000);
    proc.stderr!.on('data', (d: Buffer) => {
      err += String(d);
      if (/Capturing on/.test(err)) { clearTimeout(timer); resolve(); }
    });
    proc.once('exit', () => { clearTimeout(timer); reject(new Error(`tshark exited: ${err}`)); });
  });
  // "Capturing on" comes before the capture really runs, and dumpcap writes in batches: send UDP probes
  // to the port until the file holds packets, so nothing of the run that follows can be missed
  const probe = dgram.createSocket('udp4');
  try {
    const deadline = Date.now() + 15_000;
    let headerSize = -1;
    for (let i = 0; ; i++) {
      probe.send(Buffer.from(`probe ${i}`), port, '127.0.0.1');
      await sleep(50);
      const size = existsSync(file) ? statSync(file).size : 0;
      if (headerSize < 0 && size > 0) headerSize = size;
      if (headerSize > 0 && size > headerSize) break;
      if (Date.now() > deadline) throw new Error('tshark wrote no packets within 15 s');
    }
  } finally {
    probe.close();
  }
  return {
    proc,
    stop: () => new Promise<void>((resolve) => {
      const t = setTimeout(() => { proc.kill('SIGKILL'); }, 5000);
      proc.once('exit', () => { clearTimeout(t); resolve(); });
      proc.kill('SIGINT');
    }),
  };
}

export interface TsharkRow { src: string; dst: string; flags: string; seqRaw: number; ackRaw: number; seq: number; ack: number; len: number }

/** Reads a capture file with tshark: one row per TCP packet, in file order (partial: a file still being written). */
export function tsharkRows(file: string, filter = 'tcp', partial = false): TsharkRow[] {
  const r = spawnSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=|',
    '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'ip.dst', '-e', 'tcp.dstport', '-e', 'tcp.flags.str',
    '-e', 'tcp.seq_raw', '-e', 'tcp.ack_raw', '-e', 'tcp.seq', '-e', 'tcp.ack', '-e', 'tcp.len'], { encoding: 'utf8' });
  if (r.status !== 0 && !partial) throw new Error(`tshark -r failed: ${r.stderr}`);
  return (r.stdout ?? '').trim().split('\n').filter(Boolean).map((line) => {
    const [sip, sport, dip, dport, flags, seqRaw, ackRaw, seq, ack, len] = line.split('|');
    return {
      src: `${sip}:${sport}`, dst: `${dip}:${dport}`, flags: flagNames(flags ?? ''),
      seqRaw: Number(seqRaw), ackRaw: Number(ackRaw), seq: Number(seq), ack: Number(ack), len: Number(len),
    };
  });
}

/** tshark's tcp.flags.str ("·······A··S·") → "ACK+SYN" (sorted names). */
function flagNames(s: string): string {
  const names = ['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN'];
  const chars = [...s].slice(-8);
  const out: string[] = [];
  chars.forEach((ch, i) => { if (ch !== '·' && ch !== '.') out.push(names[i]!); });
  return out.toSorted().join('+');
}

/** Packets in a capture file, as tshark counts them. */
export function tsharkCount(file: string): number {
  const r = spawnSync('tshark', ['-r', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark -r failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim()).length;
}
