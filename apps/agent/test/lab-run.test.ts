/**
 * `socketscope run tcp-hello --lab --delay 100` (cli.ts C6, lab/attach.ts A1–A3): the lesson's server runs on
 * the server host (10.77.0.2, its listing's '127.0.0.1' substituted), the client on the client host; with
 * 100 ms each way, the client host's capture puts ≥ 200 ms between the SYN and the ACK that completes the
 * handshake, the kernel layer shows the client's SYN_SENT, and no namespace of the run is left.
 */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cli, root, tsx } from './cli-kit.ts';
import { LAB_SKIP, warnIfSkipped } from './lab-kit.ts';

/** every lab namespace on the machine (the agent's pid is tsx's child's, not known here) */
const labNamespaces = (): string[] => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => /^ss-\d+-/.test(n));
const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };
/** lab namespaces whose agent is gone: what a run that did not clean up leaves (other tests' labs have live agents) */
const orphaned = (names: string[]): string[] => names.filter((n) => !alive(Number(/^ss-(\d+)-/.exec(n)![1])));

warnIfSkipped('lab-run (tcp-hello across the lab)');

interface Ev { host?: string; type: string; layer: string; state?: string; local?: string; remote?: string; flags?: string[]; src?: unknown; dst?: string; wireTs?: number; call?: string; code?: number | null }

function runCli(args: string[], ms: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, [cli, ...args], { cwd: root, env: process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, out, err }); });
  });
}

describe('run tcp-hello --lab --delay 100', () => {
  it.skipIf(LAB_SKIP !== null)('runs the lesson across the lab: SYN_SENT seen, ≥ 200 ms from SYN to the completing ACK', async () => {
    const before = new Set(labNamespaces());
    const r = await runCli(['run', 'tcp-hello', '--lab', '--delay', '100', '--json'], 60_000);
    expect(r.code, r.err).toBe(0);
    const ev = r.out.trim().split('\n').map((l) => JSON.parse(l) as Ev);
    // A1: the programs ran on the hosts, the server at 10.77.0.2
    const bind = ev.find((e) => e.type === 'api.call' && e.call === 'bind');
    expect(bind?.local).toBe('10.77.0.2:8888');
    const connect = ev.find((e) => e.type === 'api.call' && e.call === 'connect');
    expect(connect?.local).toMatch(/^10\.77\.0\.1:\d+$/);
    expect(connect?.remote).toBe('10.77.0.2:8888');
    expect(ev.filter((e) => e.type === 'proc.exit').map((e) => e.code)).toEqual([0, 0]);
    // A2: the client's SYN_SENT, from the client host's table
    expect(ev.some((e) => e.type === 'kernel.tcp' && e.state === 'SYN_SENT' && e.remote === '10.77.0.2:8888')).toBe(true);
    // A3: captured on the client host: SYN out, SYN-ACK in, the completing ACK out, a round trip apart
    const segs = ev.filter((e) => e.type === 'tcp.segment' && (e.host === undefined || e.host === 'client'));
    const syn = segs.find((e) => e.flags?.includes('SYN') && !e.flags.includes('ACK'));
    const synAck = segs.find((e) => e.flags?.includes('SYN') && e.flags.includes('ACK'));
    expect(syn && synAck).toBeTruthy();
    const ack = segs.find((e) => e.src === syn!.src && e.flags?.length === 1 && e.flags[0] === 'ACK' && e.wireTs! >= synAck!.wireTs!);
    expect(ack).toBeTruthy();
    const ms = (ack!.wireTs! - syn!.wireTs!) / 1000;
    console.log(`lab-run: SYN → completing ACK ${ms.toFixed(1)} ms on the client host`);
    expect(ms).toBeGreaterThanOrEqual(200);
    expect(ms).toBeLessThan(1000);
    // the lab is gone with the run
    expect(orphaned(labNamespaces().filter((n) => !before.has(n)))).toEqual([]);
  }, 90_000);
});
