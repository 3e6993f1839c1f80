/**
 * What the lab tests share: whether the lab can run here (else they say SKIPPED and why), programs run on a
 * lab host (plain python3, no tracer), and an independent capture on each host (tcpdump writing a file,
 * read back with tshark).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab } from '../src/lab/index.ts';
import type { HostName } from '../src/lab/names.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** Why the lab tests cannot run here, or null. */
export const LAB_SKIP: string | null = (() => {
  if (process.platform !== 'linux') return `the lab needs Linux (this is ${process.platform})`;
  const st = Lab.status();
  if (!st.available) return `the lab cannot run here: ${st.reason ?? '?'}${st.fix?.linux ? ` (fix: ${st.fix.linux})` : ''}`;
  if (st.how !== 'root') return 'the lab tests capture on both hosts with tcpdump, which needs root here (the lab itself runs in a user namespace)';
  const missing = ['tcpdump', 'tshark'].filter((t) => !has(t));
  return missing.length ? `${missing.join(' and ')} not installed (bash scripts/test-deps.sh installs them)` : null;
})();

export function warnIfSkipped(what: string): void {
  if (LAB_SKIP) console.warn(`SKIPPED ${what}: ${LAB_SKIP}`);
}

/** Debian's interpreter where it is (the brief's "plain python3"), else the one on PATH */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface HostProgram {
  child: ChildProcessWithoutNullStreams;
  /** stdout lines so far */
  lines: string[];
  /** resolves with the first line matching, or rejects after ms */
  line(match: RegExp, ms?: number): Promise<string>;
  exit: Promise<number | null>;
  stderr(): string;
}

/** A Python program (given as code) running on one of the lab's hosts. */
export function runOn(lab: Lab, host: HostName, code: string, args: string[] = []): HostProgram {
  const argv = lab.wrap(host, [PYTHON, '-u', '-c', code, ...args]);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONPATH: '' } });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (t: string) => {
    buf += t;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (t: string) => { err += t; });
  const exit = new Promise<number | null>((resolve) => child.on('close', (status) => { for (const w of waiters.splice(0)) w(); resolve(status); }));
  const line = (match: RegExp, ms = 10_000) => new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line like ${match} within ${ms} ms; stdout ${JSON.stringify(lines)} stderr ${err}`)), ms);
    const look = () => {
      const hit = lines.find((l) => match.test(l));
      if (hit !== undefined) { clearTimeout(timer); resolve(hit); return; }
      if (child.exitCode !== null) { clearTimeout(timer); reject(new Error(`the program ended (${child.exitCode}) without ${match}: ${err}`)); return; }
      waiters.push(look);
    };
    look();
  });
  return { child, lines, line, exit, stderr: () => err };
}

export interface HostCapture {
  file: string;
  stop(): Promise<void>;
}

/** tcpdump on a host's eth0, writing every TCP/UDP frame to a file; resolves once it listens. */
export async function captureOn(lab: Lab, host: HostName, dir: string, name: string = host): Promise<HostCapture> {
  const file = path.join(dir, `${name}.pcap`);
  // --immediate-mode: each packet at once (block-buffered, a short capture ended with its packets still in
  // the kernel's ring, unwritten); -Z root: not tcpdump's own user, who cannot write in our private folder
  const argv = lab.wrap(host, ['tcpdump', '-i', 'eth0', '-n', '--immediate-mode', '-U', '-Z', 'root', '-s', '256', '-w', file, 'tcp or udp']);
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump on ${host} did not start: ${err}`)), 10_000);
    proc.stderr.on('data', (d: Buffer) => {
      err += String(d);
      // tcpdump says so once the device is open and its filter set
      if (/listening on/.test(err)) { clearTimeout(timer); resolve(); }
    });
    proc.once('exit', () => { clearTimeout(timer); reject(new Error(`tcpdump on ${host} exited: ${err}`)); });
  });
  return {
    file,
    stop: () => new Promise<void>((resolve) => {
      if (proc.exitCode !== null) { resolve(); return; }
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => { clearTimeout(t); resolve(); });
      proc.kill('SIGINT');
    }),
  };
}

/** Rows of a capture, as tshark reads them: the fields asked for, one array per frame. */
export function tshark(file: string, filter: string, fields: string[]): string[][] {
  const r = spawnSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`tshark -r ${file} failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => l.split('|'));
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'socketscope-lab-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The lab namespaces of one agent pid that exist now. */
export function namespacesOf(pid: number): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`ss-${pid}-`));
}
