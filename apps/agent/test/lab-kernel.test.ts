/**
 * The kernel layer of lab lessons, end to end (`socketscope run <lesson> --json`; kernel/hosts.ts, lab/attach.ts
 * A2, cli.ts): tcp-delayed (100 ms each way, the first SYN lost) shows the client's SYN_SENT, the server's
 * SYN_RECV and LAST_ACK — with the tracepoints where bpftrace runs, and with the sampling probe alone
 * (SOCKETSCOPE_NO_EBPF=1), whose looks at the hosts must now catch states that last a round trip; tcp-slow-link's
 * kernel.tcp events of the client carry TCP_INFO's cwnd, which changes during the transfer. Skipped, loudly,
 * without root, ip, ethtool, tcpdump or tshark.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tracepointStatus } from '../src/kernel/ebpf-script.ts';
import { cli, root, tsx } from './cli-kit.ts';
import { LAB_SKIP, warnIfSkipped } from './lab-kit.ts';

warnIfSkipped('lab-kernel (kernel states and TCP_INFO of lab lessons)');

interface Ev { type: string; local?: string; remote?: string; state?: string; via?: string; gone?: boolean; info?: { cwnd?: number; rttMs?: number }; status?: { tool?: string } }

/** the tests' environment turns the tracepoints off (vitest.config.ts); these runs decide for themselves */
const { SOCKETSCOPE_NO_EBPF: _off, ...BASE_ENV } = process.env;
const TRACEPOINTS = (() => {
  delete process.env['SOCKETSCOPE_NO_EBPF'];
  try { return tracepointStatus(); } finally { if (_off !== undefined) process.env['SOCKETSCOPE_NO_EBPF'] = _off; }
})();
if (!LAB_SKIP && !TRACEPOINTS.available) console.warn(`SKIPPED lab-kernel's tracepoint checks: ${TRACEPOINTS.reason ?? '?'} (the probe's are run)`);

function run(args: string[], env: Record<string, string> = {}, ms = 60_000): Promise<{ code: number | null; ev: Ev[]; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, [cli, ...args], { cwd: root, env: { ...BASE_ENV, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, err, ev: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev) });
    });
  });
}

const kernel = (ev: Ev[]) => ev.filter((e) => e.type === 'kernel.tcp' && !e.gone);
const seen = (ev: Ev[], host: string, state: string) => kernel(ev).filter((e) => e.local?.startsWith(`${host}:`) && e.state === state);
const by = (e: Ev[]) => e.map((x) => x.via ?? 'probe').join(',');
const CLIENT = '10.77.0.1';
const SERVER = '10.77.0.2';

describe.skipIf(LAB_SKIP !== null)('kernel layer of lab lessons', () => {
  for (const [name, env] of [['tracepoints where they run', {}], ['the sampling probe alone', { SOCKETSCOPE_NO_EBPF: '1' }]] as const) {
    it(`tcp-delayed: SYN_SENT on the client, SYN_RECV and LAST_ACK on the server (${name})`, async () => {
      const r = await run(['run', 'tcp-delayed', '--json'], env);
      expect(r.code, r.err).toBe(0);
      const synSent = seen(r.ev, CLIENT, 'SYN_SENT');
      const synRecv = seen(r.ev, SERVER, 'SYN_RECV');
      const lastAck = seen(r.ev, SERVER, 'LAST_ACK');
      console.log(`lab-kernel tcp-delayed (${name}): SYN_SENT ${synSent.length} [${by(synSent)}], SYN_RECV ${synRecv.length} [${by(synRecv)}], LAST_ACK ${lastAck.length} [${by(lastAck)}]`);
      expect(synSent.some((e) => e.remote === `${SERVER}:12102`)).toBe(true);
      expect(synRecv.some((e) => e.remote?.startsWith(`${CLIENT}:`))).toBe(true);
      expect(lastAck.length).toBeGreaterThan(0);
      if (!('SOCKETSCOPE_NO_EBPF' in env) && TRACEPOINTS.available) {
        // cli.ts: `run` keeps the tracepoints on the lab; attributed by the lab's 4-tuples, exact
        for (const list of [synSent, synRecv, lastAck]) expect(list.some((e) => e.via === 'tracepoint')).toBe(true);
      }
      if ('SOCKETSCOPE_NO_EBPF' in env) {
        expect(kernel(r.ev).some((e) => e.via === 'tracepoint')).toBe(false);
        // the probe alone: on the server host the request socket (SYN_RECV) lives one round trip
        expect(synRecv.some((e) => e.via === undefined)).toBe(true);
      }
    }, 90_000);
  }

  it('tcp-slow-link: the client\'s kernel.tcp carries TCP_INFO\'s cwnd, which changes during the transfer', async () => {
    const r = await run(['run', 'tcp-slow-link', '--json']);
    expect(r.code, r.err).toBe(0);
    const client = kernel(r.ev).filter((e) => e.local?.startsWith(`${CLIENT}:`) && e.state === 'ESTABLISHED');
    const sampled = client.filter((e) => e.via === undefined && e.info?.cwnd !== undefined).map((e) => e.info!.cwnd!);
    const traced = client.filter((e) => e.via === 'tracepoint' && e.info?.cwnd !== undefined).map((e) => e.info!.cwnd!);
    const rtt = Math.max(...client.map((e) => e.info?.rttMs ?? 0));
    console.log(`lab-kernel tcp-slow-link: ${client.length} client ESTABLISHED events; cwnd sampled ${new Set(sampled).size} values in ${sampled.length} [${Math.min(...sampled)}–${Math.max(...sampled)}], from tcp_probe ${new Set(traced).size} values in ${traced.length}; max rtt ${rtt.toFixed(1)} ms`);
    // from the sampling probe (sock_diag on the client host) alone, whatever the tracepoints add
    expect(new Set(sampled).size).toBeGreaterThanOrEqual(2);
    expect(rtt).toBeGreaterThanOrEqual(20); // 10 ms each way, and the link's queue on top
  }, 90_000);
});
