/**
 * Capture as a process: it dies and comes back (with a source.status each way), it can be turned off
 * and on, it never captures the excluded (UI) port, and it reports packets the kernel dropped.
 * Skipped LOUDLY where capture is not permitted.
 */
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent, SourceStatusEvent } from '@socketscope/shared';
import { CaptureSource } from '../src/wire/capture.ts';
import { freePort } from './engine-harness.ts';
import { helloExchange, sleep, wireHarness, type WireHarness } from './wire-harness.ts';

const probe = new CaptureSource({ mode: 'off' }).status();
if (!probe.available) console.warn(`\n*** SKIPPED capture lifecycle tests: packet capture is not available here: ${probe.reason}\n`);

const wireStatus = (e: SessionEvent): e is SourceStatusEvent => e.type === 'source.status' && e.source === 'wire';

function toolPids(pgid: number): number[] {
  const r = spawnSync('pgrep', ['-g', String(pgid), '-x', 'tcpdump'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

describe.skipIf(!probe.available)('capture lifecycle', () => {
  let h: WireHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('reports a capture that died (running: false, why) and restarts it, which captures again', async () => {
    h = await wireHarness({ waitRunning: true });
    const pgid = h.capture.processGroup!;
    const pids = toolPids(pgid);
    expect(pids.length).toBe(1);
    const before = h.events.length;
    process.kill(pids[0]!, 'SIGKILL');
    const down = await h.waitFor((e) => wireStatus(e) && !e.status.running && e.seq >= before, 3000, 'running: false') as SourceStatusEvent;
    expect(down.status.reason).toMatch(/^capture stopped: tcpdump exited: .+; restarting in 250 ms$/);
    expect(typeof down.status.kernelDrops).toBe('number');
    const up = await h.waitFor((e) => wireStatus(e) && e.status.running && e.seq > down.seq, 3000, 'running again') as SourceStatusEvent;
    expect(up.status.available).toBe(true);
    const run = await helloExchange(h, await freePort());
    await h.waitFor((e) => e.type === 'tcp.segment' && e.conn === run.conn && !e.inferred && e.flags.includes('FIN'), 3000, 'a captured FIN');
  });

  it('turned off, it stops capturing and says so, and inference takes over; turned on, capture resumes', async () => {
    h = await wireHarness({ waitRunning: true });
    await h.capture.setMode('off');
    const off = h.events.filter(wireStatus).at(-1)!;
    expect(off.status.running).toBe(false);
    expect(off.status.reason).toMatch(/turned off/);
    expect(h.inference.enabled).toBe(true);
    const a = await helloExchange(h, await freePort());
    await sleep(150);
    const segsOff = h.segments(a.conn);
    expect(segsOff.length).toBeGreaterThanOrEqual(11);
    expect(segsOff.every((s) => s.inferred)).toBe(true);

    await h.capture.setMode('auto');
    await h.waitFor((e) => wireStatus(e) && e.status.running && e.seq > off.seq, 3000, 'running again');
    expect(h.inference.enabled).toBe(false);
    const b = await helloExchange(h, await freePort());
    await h.waitFor((e) => e.type === 'tcp.segment' && e.conn === b.conn && e.flags.includes('FIN') && e.src !== b.conn.split('>')[0], 3000, "the server's FIN");
    await sleep(100);
    expect(h.segments(b.conn).every((s) => !s.inferred)).toBe(true);
  });

  it('never captures the excluded (UI) port, even when a socket of the session uses it', async () => {
    h = await wireHarness({ waitRunning: true });
    const ui = await freePort();
    const before = h.capture.processGroup;
    await h.capture.setExcludePorts([ui]);
    expect(h.capture.filter()).toBe(`(tcp or udp) and not port ${ui}`);
    // the capture restarts with the new filter
    for (let i = 0; i < 300 && !(h.capture.running && h.capture.processGroup !== before); i++) await sleep(10);
    expect(h.capture.running).toBe(true);
    expect(h.capture.processGroup).not.toBe(before);
    const excluded = await helloExchange(h, ui);
    const other = await helloExchange(h, await freePort());
    await h.waitFor((e) => e.type === 'tcp.segment' && e.conn === other.conn && e.flags.includes('FIN'), 3000, 'the other exchange');
    await sleep(150);
    expect(h.segments(excluded.conn).filter((s) => !s.inferred)).toEqual([]);
  });

  it('counts the packets the kernel dropped while the agent could not keep up, and reports them', async () => {
    h = await wireHarness({ waitRunning: true });
    const port = await freePort();
    await h.exec({ op: 'udp.bind', host: '127.0.0.1', port });
    await sleep(50);
    // a flood from another process while this one is busy: the pipe fills, tcpdump stops reading,
    // the kernel's capture buffer overflows
    const flood = spawn('python3', ['-c', [
      'import socket, time',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'end = time.time() + 1.5',
      'n = 0',
      `while time.time() < end and n < 2000000:`,
      `    s.sendto(b"x" * 16, ("127.0.0.1", ${port})); n += 1`,
    ].join('\n')], { stdio: 'ignore' });
    const busyUntil = Date.now() + 1800;
    while (Date.now() < busyUntil) { /* keep the event loop from reading the capture pipe */ }
    await new Promise((r) => flood.once('exit', r));
    await h.capture.stop();
    const last = h.events.filter(wireStatus).at(-1)!;
    expect(last.status.running).toBe(false);
    expect(last.status.kernelDrops).toBeGreaterThan(0);
    expect(h.capture.stats.kernelDrops).toBe(last.status.kernelDrops);
  }, 20_000);

  it('only the session’s datagrams become events: a flood to a port nobody in the session uses yields none', async () => {
    h = await wireHarness({ waitRunning: true });
    const port = await freePort();
    const s = dgram.createSocket('udp4');
    for (let i = 0; i < 50; i++) s.send(Buffer.from(`not ours ${i}`), port, '127.0.0.1');
    await sleep(800);
    s.close();
    expect(h.events.filter((e) => e.type === 'udp.datagram' && e.dst === `127.0.0.1:${port}`)).toEqual([]);
    expect(h.capture.stats.ignored).toBeGreaterThanOrEqual(50);
  });
});

describe('capture that cannot run', () => {
  it('says why and how to fix it, reports running: false, and the wire layer is inferred instead', async () => {
    const h = await wireHarness({ captureOptions: { iface: 'nosuchif0' } });
    try {
      const st = h.capture.status();
      expect(st.available).toBe(false);
      expect(st.reason).toMatch(/nosuchif0|not installed|permission/);
      expect(st.fix?.linux).toBeTruthy();
      expect(st.fix?.macos).toBeTruthy();
      const ev = h.events.find(wireStatus)!;
      expect(ev.status).toMatchObject({ available: false, running: false });
      expect(h.inference.enabled).toBe(true);
      const run = await helloExchange(h, await freePort());
      const segs = h.segments(run.conn);
      expect(segs.length).toBe(11);
      expect(segs.every((s) => s.inferred)).toBe(true);
      // turning it on again looks again, and still says why not
      await h.capture.setMode('auto');
      expect(h.capture.running).toBe(false);
    } finally {
      await h.close();
    }
  });
});

const dumpcap = new CaptureSource({ mode: 'off', tools: ['dumpcap'] }).status();
if (!dumpcap.available) console.warn(`\n*** SKIPPED the dumpcap capture test: ${dumpcap.reason}\n`);

describe.skipIf(!dumpcap.available)('capture with dumpcap', () => {
  it('captures the hello exchange with dumpcap -P as well, and stops it cleanly', async () => {
    const h = await wireHarness({ waitRunning: true, captureOptions: { tools: ['dumpcap'] } });
    try {
      expect(h.capture.status().tool).toMatch(/^dumpcap/);
      const run = await helloExchange(h, await freePort());
      await h.waitFor((e) => e.type === 'tcp.segment' && e.conn === run.conn && !e.inferred && e.flags.includes('FIN') && e.src !== run.conn.split('>')[0], 3000, "the server's FIN");
      await sleep(100);
      const segs = h.segments(run.conn);
      expect(segs.length).toBeGreaterThanOrEqual(10);
      expect(segs.every((s) => !s.inferred)).toBe(true);
    } finally {
      await h.close();
    }
    const last = h.events.filter(wireStatus).at(-1)!;
    expect(last.status.running).toBe(false);
    expect(last.status.kernelDrops).toBe(0);
  });
});
