/**
 * The kernel probe on the lab's hosts (kernel/hosts.ts, lab/attach.ts A2): with 100 ms each way, a sock_diag
 * helper on each host sees the client's SYN_SENT, the server's SYN_RECV (a request socket for one round
 * trip) and LAST_ACK, looks at 50 Hz while the sockets live, and brings TCP_INFO (rtt ≈ 200 ms). The same
 * run with the helpers off (the hosts' /proc tables, as before) is measured beside it: looks a second and
 * CPU per look (the agent process, thread pool included, and the helpers). Skipped, loudly, without root,
 * ip, ethtool, tcpdump or tshark.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventInput } from '@socketscope/shared';
import { KernelProbe } from '../src/kernel/proc-probe.ts';
import { Lab } from '../src/lab/index.ts';
import type { TrackedSocket } from '../src/sources/source.ts';
import { LAB_SKIP, runOn, sleep, warnIfSkipped } from './lab-kit.ts';

warnIfSkipped('lab-kernel-probe (sock_diag and TCP_INFO on the lab hosts, 50 Hz)');

const PORT = 9031;
const SERVER = `
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", ${PORT}))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
while c.recv(65536):
    pass
time.sleep(0.3)
c.close()
time.sleep(0.8)
s.close()
`;
const CLIENT = `
import socket, time
s = socket.create_connection(("10.77.0.2", ${PORT}), timeout=10)
s.sendall(b"x" * 20000)
time.sleep(0.5)
s.shutdown(socket.SHUT_WR)
time.sleep(1.2)
s.close()
`;

type Ev = Extract<EventInput, { type: 'kernel.tcp' }>;
const cpuMs = (pid: number): number => { try { return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6; } catch { return 0; } };

const has = (r: Run, local: RegExp, state: string) => r.events.some((e) => local.test(e.local) && e.state === state);

interface Run { events: Ev[]; looksPerS: number; agentUsPerLook: number; helperUsPerLook: number; source: string; tool: string; walks: number }

async function runOnce(lab: Lab, sockDiag: boolean): Promise<Run> {
  const listener: TrackedSocket = { sock: 'L', proto: 'tcp', role: 'listener', local: `10.77.0.2:${PORT}`, closed: false, backlog: 1 };
  const probe = new KernelProbe({ targets: () => [listener], sockDiag });
  const events: Ev[] = [];
  probe.start((e) => { if (e.type === 'kernel.tcp') events.push(e as Ev); return e as never; });
  probe.useHosts((['client', 'server'] as const).map((name) => ({ name, procNet: lab.procNet(name), wrap: (argv: string[]) => lab.wrap(name, argv) })));
  const server = runOn(lab, 'server', SERVER);
  await server.line(/listening/);
  await sleep(400); // the helpers started, the first looks done
  const polls0 = probe.stats.polls;
  const cpu0 = process.cpuUsage();
  const pids = probe.hostDiag()?.pids ?? [];
  const helper0 = pids.reduce((n, p) => n + cpuMs(p), 0);
  const t0 = Date.now();
  const client = runOn(lab, 'client', CLIENT);
  expect(await client.exit, client.stderr()).toBe(0);
  expect(await server.exit, server.stderr()).toBe(0);
  const s = (Date.now() - t0) / 1000;
  const looks = probe.stats.polls - polls0;
  const cpu = process.cpuUsage(cpu0);
  const helper = pids.reduce((n, p) => n + cpuMs(p), 0) - helper0;
  const run: Run = {
    events, looksPerS: looks / s, agentUsPerLook: (cpu.user + cpu.system) / looks, helperUsPerLook: (helper * 1000) / looks,
    source: probe.stats.source, tool: probe.status().tool ?? '?', walks: probe.hostDiag()?.walks ?? 0,
  };
  probe.useHosts(null);
  probe.stop();
  return run;
}

describe.skipIf(LAB_SKIP !== null)('kernel probe on the lab hosts', () => {
  const lab = new Lab({ log: () => {} });
  afterAll(() => lab.down());

  it('sock_diag on each host: SYN_SENT, SYN_RECV, LAST_ACK, TCP_INFO, at 50 Hz', async () => {
    await lab.up({ delayMs: 100, jitterMs: 0, lossPct: 0, rateKbit: null });
    const before = await runOnce(lab, false);
    const after = await runOnce(lab, true);
    for (const [name, r] of [['/proc (before)', before], ['sock_diag (after)', after]] as const) {
      const states = [...new Set(r.events.map((e) => `${e.local.startsWith('10.77.0.1') ? 'c' : 's'}:${e.state}`))].join(' ');
      console.log(`lab-kernel-probe ${name}: ${r.looksPerS.toFixed(1)} looks/s, agent ${r.agentUsPerLook.toFixed(0)} µs + helpers ${r.helperUsPerLook.toFixed(0)} µs CPU per look, ${r.walks} walks, source ${r.source} (${r.tool}); ${states}`);
    }
    expect(after.source).toBe('sock_diag');
    expect(after.tool).toMatch(/each lab host/);
    expect(after.looksPerS).toBeGreaterThan(35); // 50 Hz while the sockets live, on a busy machine
    expect(has(after, /^10\.77\.0\.1:/, 'SYN_SENT')).toBe(true);
    expect(has(after, /^10\.77\.0\.2:/, 'SYN_RECV')).toBe(true);
    expect(has(after, /^10\.77\.0\.2:/, 'LAST_ACK')).toBe(true);
    // TCP_INFO came with the look, the link's round trip in it
    const rtts = after.events.filter((e) => e.info?.rttMs !== undefined).map((e) => e.info!.rttMs!);
    expect(rtts.length).toBeGreaterThan(0);
    expect(Math.max(...rtts)).toBeGreaterThanOrEqual(190);
  }, 60_000);
});
