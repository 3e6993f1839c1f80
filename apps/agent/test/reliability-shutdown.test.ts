/**
 * `socketscope start` with capture on, ended by SIGTERM, SIGINT (cli.ts C3) and SIGKILL (a crash):
 * the pages are told (4010), the agent's sockets are closed (its peers see the end, its listener is
 * gone from /proc), and no tcpdump/dumpcap is left behind — found by the agent's own capture filter
 * (it names the agent's page port) and by the agent's pid as parent (capture-process.ts P1, P2).
 * Skipped LOUDLY where packet capture is not permitted.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@socketscope/shared';
import { CaptureSource } from '../src/wire/capture.ts';
import { KIT_TOKEN, sleep, StreamClient } from './reliability-kit.ts';
import { alive } from './cli-kit.ts';

const probe = new CaptureSource({ mode: 'off' }).status();
const canRun = probe.available && process.platform === 'linux';
if (!canRun) console.warn(`\n*** SKIPPED the shutdown-with-capture tests: packet capture is not available here: ${probe.reason ?? process.platform}\n`);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(root, 'apps/agent/src/cli.ts');

interface Started { child: ChildProcessWithoutNullStreams; stdout: () => string; stderr: () => string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

/** The agent itself as the child (not a tsx wrapper), so its pid is the agent's and signals reach it directly. */
function startAgent(): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'start', '--no-open', '--port', '0', '--capture', 'auto'], {
    cwd: root, env: { ...process.env, SOCKETSCOPE_TOKEN: KIT_TOKEN },
  });
  let out = '';
  let errText = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { errText += c.toString(); });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => errText, exit };
}

async function pagePort(s: Started): Promise<number> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=/.exec(s.stdout());
    if (m) return Number(m[1]);
    await sleep(50);
  }
  s.child.kill('SIGKILL');
  throw new Error(`no URL line; stderr: ${s.stderr()}`);
}

/** pids of processes whose command line contains `text` (pgrep -f, as a person would look). */
function pgrepF(text: string): number[] {
  const r = spawnSync('pgrep', ['-f', text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number).filter((p) => p !== process.pid);
}

function childrenOf(pid: number): number[] {
  const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}


function comm(pid: number): string {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return '?'; }
}

/** Is anything in LISTEN on this port (any process)? /proc/net/tcp, state 0A. */
function listening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').some((l) => {
    const f = l.trim().split(/\s+/);
    return f[1]?.endsWith(`:${hex}`) && f[3] === '0A';
  });
}

async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

interface Scene { s: Started; port: number; page: StreamClient; listenPort: number; peers: net.Socket[]; peerEnded: Promise<void>[]; capturePids: number[]; filterText: string; external: net.Server }

/** An agent with capture running, a listener with an accepted connection, and an outgoing connection. */
async function scene(): Promise<Scene> {
  const s = startAgent();
  const port = await pagePort(s);
  const page = await StreamClient.open(port);
  page.keepEvents = true;
  await page.sync();

  const external = net.createServer((sock) => { sock.on('error', () => {}); sock.resume(); });
  await new Promise<void>((r) => external.listen(0, '127.0.0.1', () => r()));
  const externalPort = (external.address() as net.AddressInfo).port;

  const l = await page.ok<{ sock: string; local: string }>({ op: 'tcp.listen', port: 0 });
  const listenPort = Number(l.local.split(':').at(-1));
  const peer = net.connect(listenPort, '127.0.0.1');
  peer.on('error', () => {});
  const peerEnded = new Promise<void>((r) => { peer.once('end', () => r()); peer.once('close', () => r()); });
  peer.resume();
  await page.ok({ op: 'tcp.accept', sock: l.sock });
  await page.ok({ op: 'tcp.connect', port: externalPort });

  // the capture tool is running once the agent says so
  await page.until(() => page.kept.some((e) => e.type === 'source.status' && e.source === 'wire' && e.status.running), 15_000, 'capture running');
  const filterText = `not port ${port}`;
  let capturePids: number[] = [];
  await until(() => (capturePids = pgrepF(filterText)).length > 0, 5000);
  return { s, port, page, listenPort, peers: [peer], peerEnded: [peerEnded], capturePids, filterText, external };
}

describe.skipIf(!canRun)('shutdown with capture on', () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig}: pages get 4010, sockets are closed, no capture process is left`, async () => {
      const sc = await scene();
      try {
        expect(sc.capturePids.length).toBeGreaterThan(0);
        expect(sc.capturePids.map(comm).some((c) => c === 'tcpdump' || c === 'dumpcap')).toBe(true);
        // the capture subprocess is the agent's own child
        expect(childrenOf(sc.s.child.pid!).some((p) => sc.capturePids.includes(p))).toBe(true);
        expect(listening(sc.listenPort)).toBe(true);

        sc.s.child.kill(sig);
        const closed = await sc.page.until(() => sc.page.closed !== null, 10_000, 'close').then(() => sc.page.closed!);
        expect(closed.code).toBe(CloseCode.shuttingDown);
        const exit = await sc.s.exit;
        expect(exit.code).toBe(0);
        await Promise.race([Promise.all(sc.peerEnded), sleep(3000)]);
        expect(sc.peers.every((p) => p.readableEnded || p.destroyed)).toBe(true);
        expect(listening(sc.listenPort)).toBe(false);
        // nothing left: every capture pid is gone and nothing else carries the agent's filter
        expect(await until(() => sc.capturePids.every((p) => !alive(p)) && pgrepF(sc.filterText).length === 0, 3000)).toBe(true);
      } finally {
        sc.s.child.kill('SIGKILL');
        sc.external.close();
      }
    }, 45_000);
  }

  it('SIGKILL (a crash): no capture process outlives the agent', async () => {
    const sc = await scene();
    try {
      expect(sc.capturePids.length).toBeGreaterThan(0);
      sc.s.child.kill('SIGKILL');
      const exit = await sc.s.exit;
      expect(exit.signal).toBe('SIGKILL');
      // the kernel closed the agent's sockets with the process
      await Promise.race([Promise.all(sc.peerEnded), sleep(3000)]);
      expect(sc.peers.every((p) => p.readableEnded || p.destroyed)).toBe(true);
      expect(listening(sc.listenPort)).toBe(false);
      // the watchdog ends the tool when the agent's pipe closes (TERM, then KILL after 2 s)
      const gone = await until(() => sc.capturePids.every((p) => !alive(p)) && pgrepF(sc.filterText).length === 0, 6000);
      if (!gone) console.error(`left behind: ${pgrepF(sc.filterText).map((p) => `${p} ${comm(p)}`).join(', ')}`);
      expect(gone).toBe(true);
    } finally {
      sc.s.child.kill('SIGKILL');
      sc.external.close();
    }
  }, 45_000);
});
