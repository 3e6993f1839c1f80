import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEvent, type SessionEvent } from '@socketscope/shared';
import { importCapture } from '@socketscope/shared/wire/index';
import { defaultInterface, probeCapture } from '../src/wire/capture-probe.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const cli = path.join(root, 'apps/agent/src/cli.ts');
const capture = probeCapture(defaultInterface());
if (!capture.status.available) console.warn(`SKIPPED cli capture tests: packet capture is not available here: ${capture.status.reason}`);
const dir = mkdtempSync(path.join(os.tmpdir(), 'socketscope-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out; stderr: ${stderr}`)); }, 30_000);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

function events(stdout: string): SessionEvent[] {
  return stdout.split('\n').filter(Boolean).map((l) => {
    const r = parseEvent(JSON.parse(l));
    if (!r.ok) throw new Error(`${r.error}\n${l}`);
    return r.event;
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

type Segment = Extract<SessionEvent, { type: 'tcp.segment' }>;
const flags = (s: Segment) => s.flags.toSorted().join('+');

describe('run with packet capture, --pcap and import', () => {
  const pcap = path.join(dir, 'hello.pcap');

  it.skipIf(!capture.status.available)('tcp-hello with capture: captured (not inferred) handshake, data and teardown, written to --pcap', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await runCli(['run', 'tcp-hello', '--json', '--port', String(port), '--capture', 'auto', '--pcap', pcap]);
    expect(code, stderr).toBe(0);
    const all = events(stdout);
    const segs = all.filter((e): e is Segment => e.type === 'tcp.segment');
    expect(segs.length).toBeGreaterThanOrEqual(10);
    expect(segs.every((s) => !s.inferred), 'every segment was captured').toBe(true);
    const server = `127.0.0.1:${port}`;
    const toServer = segs.filter((s) => s.dst === server);
    const fromServer = segs.filter((s) => s.src === server);
    expect(flags(toServer[0]!)).toBe('SYN');
    expect(flags(fromServer[0]!)).toBe('ACK+SYN');
    expect(toServer[0]!.options.mss).toBeGreaterThan(0);
    expect(fromServer[0]!.ackNo).toBe((toServer[0]!.seqNo! + 1) % 2 ** 32);
    expect(toServer.find((s) => s.len === 5)?.bytes).toBe(Buffer.from('hello').toString('base64'));
    expect(fromServer.find((s) => s.len === 10)?.bytes).toBe(Buffer.from('hi, client').toString('base64'));
    expect(toServer.some((s) => s.flags.includes('FIN'))).toBe(true);
    expect(fromServer.some((s) => s.flags.includes('FIN'))).toBe(true);
    // the file holds the same packets, readable by the shared decoder (and by Wireshark/tcpdump)
    const imported = importCapture(new Uint8Array(readFileSync(pcap)));
    expect(imported.errors).toEqual([]);
    expect(imported.events.filter((e) => e.type === 'tcp.segment').length).toBe(segs.length);
    expect(stderr).toMatch(/--pcap: wrote \d+ packets/);
  });

  it.skipIf(!capture.status.available)('import FILE --json prints the capture as wire events, in order', async () => {
    const { code, stdout, stderr } = await runCli(['import', pcap, '--json']);
    expect(code, stderr).toBe(0);
    const all = events(stdout);
    expect(all.length).toBeGreaterThanOrEqual(10);
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i));
    expect(all.every((e) => e.layer === 'wire')).toBe(true);
    const first = all[0] as Segment;
    expect(first.flags).toEqual(['SYN']);
  });

  it('import of a file that is not a capture fails with exit 1 and says so; a missing file exits 2', async () => {
    const bogus = path.join(dir, 'not.pcap');
    await import('node:fs/promises').then((fs) => fs.writeFile(bogus, 'this is not a capture file at all'));
    const bad = await runCli(['import', bogus, '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/not a pcap or pcapng file/);
    const missing = await runCli(['import', path.join(dir, 'missing.pcap')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});
