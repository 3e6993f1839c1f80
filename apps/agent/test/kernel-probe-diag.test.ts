/**
 * The kernel probe's sock_diag source (kernel/diag-*.ts, kernel/sock-diag.py) against its /proc source, on
 * real loopback sockets: the same facts, read without reading the rest of the machine's sockets.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { endpoint, type EventInput } from '@socketscope/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { KernelProbe, type KernelProbeOptions } from '../src/kernel/proc-probe.ts';
import { parseSsInfo } from '../src/kernel/tcp-info.ts';
import { python } from '../src/python/interpreter.ts';
import type { TrackedSocket } from '../src/sources/source.ts';
import { sleep } from './engine-harness.ts';

const H = '127.0.0.1';
const PY = python();
const canDiag = process.platform === 'linux' && PY.available;
if (!canDiag) console.warn(`SKIPPED: sock_diag source tests — no Python to run the helper (${PY.reason ?? process.platform})`);
const hasSs = (() => { try { execFileSync('ss', ['-V']); return true; } catch { return false; } })();
if (!hasSs) console.warn('SKIPPED: TCP_INFO comparison with ss — `ss` (iproute2) is not installed here');

const cleanups: (() => void)[] = [];
afterEach(() => { for (const c of cleanups.splice(0).toReversed()) c(); });

type Kernel = Extract<EventInput, { type: 'kernel.tcp' | 'kernel.udp' }>;
type KernelTcp = Extract<EventInput, { type: 'kernel.tcp' }>;

const ep = (s: net.Socket, side: 'local' | 'remote') => side === 'local' ? endpoint(s.localAddress!, s.localPort!) : endpoint(s.remoteAddress!, s.remotePort!);

async function listen(host: string, opts: net.ServerOpts = {}): Promise<{ server: net.Server; port: number; accepted: net.Socket[] }> {
  const server = net.createServer(opts);
  const accepted: net.Socket[] = [];
  server.on('connection', (s) => { s.on('error', () => {}); accepted.push(s); });
  await new Promise<void>((r) => server.listen(0, host, r));
  cleanups.push(() => { for (const s of accepted) s.resetAndDestroy(); server.close(); });
  return { server, port: (server.address() as net.AddressInfo).port, accepted };
}

async function connect(port: number, host = H): Promise<net.Socket> {
  const c = net.connect({ port, host });
  c.on('error', () => {});
  await new Promise<void>((r) => c.once('connect', () => r()));
  cleanups.push(() => { if (!c.destroyed) c.resetAndDestroy(); });
  return c;
}

async function until(ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await sleep(10);
}

/** "Another program" (Python) holding a listener it never accepts on and a UDP socket it never reads. */
async function stubbornProgram(): Promise<{ tcpPort: number; udpPort: number }> {
  const code = [
    'import socket, sys',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)',
    'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048); u.bind(("127.0.0.1", 0))',
    'print(s.getsockname()[1], u.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child: ChildProcessWithoutNullStreams = spawn(PY.path!, ['-c', code]);
  cleanups.push(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) resolve(out); });
    child.once('exit', () => reject(new Error(`the Python stub ended: ${err}`)));
  });
  const [tcpPort, udpPort] = line.trim().split(' ').map(Number);
  return { tcpPort: tcpPort!, udpPort: udpPort! };
}

/** The last event per socket of one probe, after `looks` looks by its timer (all on sock_diag if asked). */
async function observe(targets: TrackedSocket[], watched: number[], opts: Partial<KernelProbeOptions>, looks = 6): Promise<{ last: Map<string, Kernel>; probe: KernelProbe }> {
  const last = new Map<string, Kernel>();
  const probe = new KernelProbe({ targets: () => targets, watchedPorts: () => watched, tcpInfo: false, ...opts });
  probe.start((e) => {
    if (e.type === 'kernel.tcp' || e.type === 'kernel.udp') last.set(e.sock ?? `${e.local}|${e.remote ?? ''}`, e);
    return e as never;
  });
  cleanups.push(() => probe.stop());
  const diag = opts.sockDiag !== false;
  await until(() => !diag || probe.stats.source === 'sock_diag');
  const from = probe.stats.polls;
  await until(() => probe.stats.polls >= from + looks);
  probe.stop();
  return { last, probe };
}

/** The kernel's facts of an event (what the two sources must agree on). */
function facts(e: Kernel): Record<string, unknown> {
  const { v: _v, seq: _s, ts: _t, ...rest } = e as Kernel & { v?: number; seq?: number; ts?: number };
  return rest;
}

describe.skipIf(!canDiag)('kernel probe: sock_diag source', () => {
  it('sees what /proc sees on real loopback sockets: states, queues, TIME_WAIT, half-close, IPv6, v4-mapped, waiting connections, UDP drops, watched ports', async () => {
    const targets: TrackedSocket[] = [];
    const pair = async (host: string, opts: net.ServerOpts, name: string, connectHost = host) => {
      const l = await listen(host, opts);
      targets.push({ sock: `${name}L`, proto: 'tcp', role: 'listener', closed: false, local: endpoint(host, l.port), backlog: 511 });
      const c = await connect(l.port, connectHost);
      await until(() => l.accepted.length === 1);
      const a = l.accepted[0]!;
      targets.push({ sock: `${name}c`, proto: 'tcp', role: 'client', closed: false, local: ep(c, 'local'), remote: ep(c, 'remote') });
      targets.push({ sock: `${name}a`, proto: 'tcp', role: 'accepted', closed: false, local: ep(a, 'local'), remote: ep(a, 'remote') });
      return { c, a, l };
    };
    // unread bytes in the accepted socket's receive queue
    const unread = await pair(H, { pauseOnConnect: true }, 'q');
    unread.c.write('hello');
    // half-closed: the client's FIN is acknowledged, the server never closes (FIN_WAIT2 / CLOSE_WAIT)
    const half = await pair(H, { allowHalfOpen: true, pauseOnConnect: true }, 'h');
    half.c.end();
    // closed by the client first: TIME_WAIT on its side, nothing left on the server's
    const tw = await pair(H, {}, 't');
    tw.c.end();
    await until(() => tw.c.closed && tw.l.accepted[0]!.closed);
    for (const t of targets) if (t.sock === 'tc' || t.sock === 'ta') t.closed = true;
    await pair('::1', {}, 'six');
    await pair('::', {}, 'mapped', H); // a dual-stack listener, an IPv4 client: IPv4-mapped in the kernel
    // another program's listener that never accepts: connections wait in its queue (K8)
    const stub = await stubbornProgram();
    targets.push({ sock: 'pyL', proto: 'tcp', role: 'listener', closed: false, local: `${H}:${stub.tcpPort}`, backlog: 4 });
    for (let i = 0; i < 2; i++) (await connect(stub.tcpPort)).write('waiting');
    // its UDP socket, flooded past its small buffer: drops
    targets.push({ sock: 'u', proto: 'udp', role: 'udp', closed: false, local: `${H}:${stub.udpPort}` });
    const sender = dgram.createSocket('udp4');
    cleanups.push(() => sender.close());
    for (let i = 0; i < 40; i++) sender.send(Buffer.alloc(500), stub.udpPort, H);
    // a watched port: both ends of another program's connection
    const w = await listen(H);
    await connect(w.port);
    await sleep(300); // every byte, FIN and datagram has landed: the world holds still

    const proc = await observe(targets, [w.port], { sockDiag: false });
    const diag = await observe(targets, [w.port], {});
    expect(proc.probe.stats.source).toBe('proc');
    expect(diag.probe.stats.source).toBe('sock_diag');
    const show = (m: Map<string, Kernel>) => Object.fromEntries([...m].map(([k, e]) => [k, facts(e)]).toSorted(([a], [b]) => String(a).localeCompare(String(b))));
    expect(show(diag.last)).toEqual(show(proc.last));
    // and the scene was what it says
    const s = (k: string) => diag.last.get(k) as Kernel & { state?: string; acceptQueue?: number };
    expect(s('qa')).toMatchObject({ state: 'ESTABLISHED', recvQueue: 5 });
    expect([s('hc')?.state, s('ha')?.state]).toEqual(['FIN_WAIT2', 'CLOSE_WAIT']);
    expect(s('tc')?.state).toBe('TIME_WAIT');
    expect(s('sixa')?.local).toMatch(/^\[::1\]:/);
    expect(s('mappeda')?.local).toMatch(/^127\.0\.0\.1:/);
    expect(s('pyL')).toMatchObject({ state: 'LISTEN', acceptQueue: 2 });
    expect([...diag.last.values()].filter((e) => !e.sock && e.local === `${H}:${stub.tcpPort}` && e.type === 'kernel.tcp' && e.state === 'ESTABLISHED' && e.recvQueue === 7)).toHaveLength(2);
    expect((s('u') as Extract<Kernel, { type: 'kernel.udp' }>).drops).toBeGreaterThan(0);
    expect([...diag.last.values()].filter((e) => !e.sock && (e.local === `${H}:${w.port}` || e.remote === `${H}:${w.port}`))).toHaveLength(3);
  }, 30_000);

  it('reads only the sockets it follows: 300 unrelated connections add no rows and no walk of the table', async () => {
    const other = await listen(H);
    for (let i = 0; i < 300; i++) await connect(other.port);
    const mine = await listen(H);
    const c = await connect(mine.port);
    await until(() => mine.accepted.length === 1);
    const a = mine.accepted[0]!;
    const targets: TrackedSocket[] = [
      { sock: 'c', proto: 'tcp', role: 'client', closed: false, local: ep(c, 'local'), remote: ep(c, 'remote') },
      { sock: 'a', proto: 'tcp', role: 'accepted', closed: false, local: ep(a, 'local'), remote: ep(a, 'remote') },
    ];
    const procRows = readFileSync('/proc/net/tcp', 'latin1').split('\n').length - 2;
    const { probe, last } = await observe(targets, [], {}, 20);
    console.log(`sock_diag: ${probe.stats.rows} rows per look, ${probe.diagReader.walks} walks, ${probe.stats.costMs.toFixed(2)} ms per look; /proc/net/tcp prints ${procRows} rows per read`);
    expect(procRows).toBeGreaterThan(600); // what /proc would have made the kernel print, every look
    expect(probe.stats.rows).toBe(2);
    expect(probe.diagReader.walks).toBe(0);
    expect([...last.keys()].toSorted()).toEqual(['a', 'c']);
  }, 30_000);

  it('finds a listener\'s new connections by a walk only when the kernel\'s open counters moved, then looks them up exactly', async () => {
    const l = await listen(H, { allowHalfOpen: true }); // the server side stays in CLOSE_WAIT
    const targets: TrackedSocket[] = [{ sock: 'L', proto: 'tcp', role: 'listener', closed: false, local: `${H}:${l.port}`, backlog: 511 }];
    const events: KernelTcp[] = [];
    const probe = new KernelProbe({ targets: () => targets, tcpInfo: false });
    probe.start((e) => { if (e.type === 'kernel.tcp') events.push(e); return e as never; });
    cleanups.push(() => probe.stop());
    await until(() => probe.stats.source === 'sock_diag' && events.some((e) => e.sock === 'L'));
    const walksBefore = probe.diagReader.walks;
    const c = await connect(l.port);
    const client = ep(c, 'local');
    // Node accepted it, but no program we follow did: it is "waiting for accept()" (K8), found by a walk
    await until(() => events.some((e) => !e.sock && e.remote === client));
    expect(events.find((e) => !e.sock && e.remote === client)).toMatchObject({ state: 'ESTABLISHED', conn: `${client}>${H}:${l.port}` });
    expect(probe.diagReader.walks).toBeGreaterThan(walksBefore);
    // from now on it is looked up by its address: its next state shows up whether or not a walk happens
    c.end();
    await until(() => events.some((e) => !e.sock && e.remote === client && e.state === 'CLOSE_WAIT'));
    expect(events.filter((e) => !e.sock && e.remote === client).map((e) => e.state)).toContain('CLOSE_WAIT');
  }, 30_000);

  it.skipIf(!hasSs)('asks TCP_INFO of sock_diag with the look: the same rtt, cwnd, windows and buffers as ss -tinm', async () => {
    const l = await listen(H);
    const c = await connect(l.port);
    c.write('x');
    await sleep(100);
    const local = ep(c, 'local');
    const targets: TrackedSocket[] = [{ sock: 'c', proto: 'tcp', role: 'client', closed: false, local, remote: ep(c, 'remote') }];
    const { last, probe } = await observe(targets, [], { tcpInfo: true, tcpInfoIntervalMs: 100 }, 10);
    const ss = parseSsInfo(execFileSync('ss', ['-tinmHn', 'state', 'connected', `( sport = :${c.localPort} )`], { encoding: 'latin1' }));
    const e = last.get('c');
    expect(e?.type === 'kernel.tcp' ? e.info : undefined).toEqual(ss.get(`${local}|${ep(c, 'remote')}`));
    expect(probe.tcpInfoStatus()).toMatchObject({ available: true });
  }, 30_000);

  it.skipIf(!hasSs)('without the helper, TCP_INFO still comes from ss (the /proc source\'s way)', async () => {
    const l = await listen(H);
    const c = await connect(l.port);
    const targets: TrackedSocket[] = [{ sock: 'c', proto: 'tcp', role: 'client', closed: false, local: ep(c, 'local'), remote: ep(c, 'remote') }];
    const { last, probe } = await observe(targets, [], { sockDiag: false, tcpInfo: true, tcpInfoIntervalMs: 100 }, 20);
    const e = last.get('c');
    expect(e?.type === 'kernel.tcp' ? e.info : undefined).toMatchObject({ rttMs: expect.any(Number), cwnd: expect.any(Number), rcvBuf: expect.any(Number) });
    expect(probe.tcpInfoStatus()).toMatchObject({ available: true, tool: 'ss -tin' });
  }, 30_000);

  it('falls back to /proc when the helper dies, says why, and keeps reporting', async () => {
    const l = await listen(H);
    const c = await connect(l.port);
    const targets: TrackedSocket[] = [{ sock: 'c', proto: 'tcp', role: 'client', closed: false, local: ep(c, 'local'), remote: ep(c, 'remote') }];
    const events: KernelTcp[] = [];
    const probe = new KernelProbe({ targets: () => targets, tcpInfo: false });
    probe.start((e) => { if (e.type === 'kernel.tcp') events.push(e); return e as never; });
    cleanups.push(() => probe.stop());
    await until(() => probe.stats.source === 'sock_diag');
    expect(probe.status().tool).toMatch(/sock_diag/);
    process.kill(probe.helperPid!, 'SIGKILL');
    await until(() => !probe.sockDiagStatus().available);
    expect(probe.sockDiagStatus().reason).toMatch(/exited \(SIGKILL\)/);
    c.end(); // the server side closes too (allowHalfOpen off): the client goes to TIME_WAIT
    await until(() => events.some((e) => e.sock === 'c' && e.state === 'TIME_WAIT'));
    expect(events.some((e) => e.sock === 'c' && e.state === 'TIME_WAIT')).toBe(true);
    expect(probe.stats.source).toBe('proc');
    expect(probe.status()).toMatchObject({ available: true, tool: '/proc/net/tcp' });
  }, 30_000);
});
