/**
 * What one look of the kernel probe costs (apps/agent/src/kernel/proc-probe.ts), old source vs new:
 * - old: /proc/net/{tcp,tcp6,udp,udp6} (`sockDiag: false`): each TCP file is a walk of the kernel's whole
 *   connection table and a line of text per socket of the machine;
 * - new: sock_diag netlink through the Python helper (kernel/diag-*.ts): exact lookups of the sockets
 *   followed, a filtered walk only when the kernel's open counters moved;
 * - for the record, the option it was measured against: one `ss` process per look with the kernel-side
 *   filter (`ss -tuanoiemH state all '( sport = :P or dport = :P … )'`), output read but not parsed.
 * Loads: (a) the 10 sockets of interest (a listener, four connections = eight sockets, one UDP socket), all
 * followed; (b) the same plus 5,000 unrelated open loopback TCP connections (10,000 sockets) held by a
 * child process, closed with RST afterwards (no TIME_WAIT left behind).
 * The probe runs as the agent runs it (50 Hz while hot, TCP_INFO every 500 ms: from ss for the old source,
 * in the look for the new) for LOOK_MS per variant. CPU per look = this process (process.cpuUsage: every
 * thread, the thread pool's /proc reads included) + its children: the helper's on-CPU time
 * (/proc/<pid>/schedstat) and every finished ss (cutime + cstime of /proc/self/stat), ÷ looks made.
 * Budgets: the new source costs at most half the old with (a), a tenth with (b).
 * Bounded: LOAD connections made in batches within LOAD_MS, LOOK_MS per variant, six variants: ≤ 60 s.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { endpoint } from '../packages/shared/src/index.ts';
import { KernelProbe } from '../apps/agent/src/kernel/proc-probe.ts';
import type { TrackedSocket } from '../apps/agent/src/sources/source.ts';
import type { BenchResult } from './result.ts';

const H = '127.0.0.1';
const LOAD = 5000;
const LOAD_MS = 20_000;
const LOOK_MS = 3000;
const TICK_US = 10_000; // USER_HZ 100: /proc/<pid>/stat counts in 1/100 s
export const boundMs = 90_000;

const say = (line: string) => { if (!process.argv.includes('--json')) process.stderr.write(`  kernel-probe: ${line}\n`); };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** CPU µs of this process, of its waited-for children, and of a live child (the helper). */
function cpuUs(livePid?: number): number {
  const u = process.cpuUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let us = u.user + u.system + (Number(f[13]) + Number(f[14])) * TICK_US; // cutime, cstime
  if (livePid) {
    try {
      us += Number(readFileSync(`/proc/${livePid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
    } catch { /* gone */ }
  }
  return us;
}

/** The sockets of interest: a listener, four connections (both ends), one UDP socket. */
async function interest(): Promise<{ targets: TrackedSocket[]; ports: { tcp: number; udp: number }; close: () => void }> {
  const server = net.createServer();
  const accepted: net.Socket[] = [];
  server.on('connection', (s) => accepted.push(s));
  await new Promise<void>((r) => server.listen(0, H, r));
  const port = (server.address() as net.AddressInfo).port;
  const targets: TrackedSocket[] = [{ sock: 'L', proto: 'tcp', role: 'listener', closed: false, local: `${H}:${port}`, backlog: 511 }];
  const clients: net.Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const c = net.connect(port, H);
    await new Promise<void>((r) => c.once('connect', () => r()));
    clients.push(c);
  }
  while (accepted.length < 4) await sleep(5);
  clients.forEach((c, i) => targets.push({ sock: `c${i}`, proto: 'tcp', role: 'client', closed: false, local: endpoint(c.localAddress!, c.localPort!), remote: `${H}:${port}` }));
  accepted.forEach((a, i) => targets.push({ sock: `a${i}`, proto: 'tcp', role: 'accepted', closed: false, local: `${H}:${port}`, remote: endpoint(a.remoteAddress!, a.remotePort!) }));
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, H, () => r()));
  const udpPort = udp.address().port;
  targets.push({ sock: 'u', proto: 'udp', role: 'udp', closed: false, local: `${H}:${udpPort}` });
  return {
    targets, ports: { tcp: port, udp: udpPort },
    close: () => { for (const s of [...clients, ...accepted]) s.resetAndDestroy(); server.close(); udp.close(); },
  };
}

/** LOAD unrelated connections held by a child process (so they cost this process nothing but the kernel's table). */
async function unrelated(): Promise<{ made: number; stop: () => Promise<void> }> {
  const code = `
    const net = require('net'); const all = [];
    const server = net.createServer((s) => { s.on('error', () => {}); all.push(s); });
    server.listen(0, '${H}', 4096, async () => {
      const port = server.address().port; const end = Date.now() + ${LOAD_MS}; let made = 0;
      while (made < ${LOAD} && Date.now() < end) {
        const batch = [];
        for (let i = 0; i < Math.min(200, ${LOAD} - made); i++) batch.push(new Promise((r) => {
          const c = net.connect(port, '${H}'); c.on('error', () => r(false)); c.once('connect', () => { all.push(c); r(true); });
        }));
        made += (await Promise.all(batch)).filter(Boolean).length;
      }
      process.stdout.write(made + '\\n');
    });
    process.stdin.on('end', () => { for (const s of all) s.resetAndDestroy(); server.close(); setTimeout(() => process.exit(0), 200); });
    process.stdin.resume();`;
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['-e', code]);
  const made = await new Promise<number>((resolve) => {
    const t = setTimeout(() => resolve(0), LOAD_MS + 5000);
    child.stdout.once('data', (d: Buffer) => { clearTimeout(t); resolve(Number(d.toString().trim())); });
    child.once('exit', () => { clearTimeout(t); resolve(0); });
  });
  return {
    made,
    stop: () => new Promise<void>((resolve) => {
      const t = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 5000);
      child.once('exit', () => { clearTimeout(t); resolve(); });
      child.stdin.end();
    }),
  };
}

interface Figure { usPerLook: number; looks: number; note: string }

/** The probe as the agent runs it, hot, for LOOK_MS. */
async function probeCost(targets: TrackedSocket[], sockDiag: boolean): Promise<Figure> {
  const probe = new KernelProbe({ targets: () => targets, sockDiag, coolAfterMs: 60_000 });
  probe.start(() => undefined as never);
  if (sockDiag) {
    const ready = Date.now() + 5000;
    while (probe.stats.source !== 'sock_diag' && Date.now() < ready) await sleep(20);
    if (probe.stats.source !== 'sock_diag') { probe.stop(); throw new Error(`the sock_diag helper did not start: ${probe.sockDiagStatus().reason ?? ''}`); }
  }
  await sleep(300); // past the first looks (everything new, emitted once)
  const pid = probe.helperPid;
  const walks0 = probe.diagReader.walks;
  const c0 = cpuUs(pid);
  const p0 = probe.stats.polls;
  await sleep(LOOK_MS);
  const looks = probe.stats.polls - p0;
  const us = cpuUs(pid) - c0;
  const walks = probe.diagReader.walks - walks0;
  probe.stop();
  await sleep(200); // ss runs still in flight are reaped
  return { usPerLook: us / Math.max(1, looks), looks, note: sockDiag ? `${looks} looks, ${walks} walks (the machine's TCP open counters moved)` : `${looks} looks` };
}

/** One ss process per look at the probe's 50 Hz, for LOOK_MS. */
async function ssCost(ports: { tcp: number; udp: number }): Promise<Figure> {
  const filter = `( sport = :${ports.tcp} or dport = :${ports.tcp} or sport = :${ports.udp} )`;
  const c0 = cpuUs();
  const end = Date.now() + LOOK_MS;
  let looks = 0;
  let rows = 0;
  while (Date.now() < end) {
    const started = Date.now();
    const out = await new Promise<string>((resolve) => execFile('ss', ['-tuanoiemH', 'state', 'all', filter], { encoding: 'latin1', maxBuffer: 8 << 20 }, (_e, stdout) => resolve(stdout ?? '')));
    rows = out.split('\n').filter((l) => l && !/^\s/.test(l)).length;
    looks++;
    await sleep(Math.max(0, started + 20 - Date.now()));
  }
  return { usPerLook: (cpuUs() - c0) / looks, looks, note: `${looks} looks, ${rows} rows each` };
}

export async function run(): Promise<BenchResult[]> {
  const scene = await interest();
  const results: BenchResult[] = [];
  const ssMissing = await new Promise<boolean>((r) => execFile('ss', ['-V'], (e) => r(e !== null)));
  // the new source at most half the old with few sockets, a tenth with the machine full of others'
  const measure = async (load: string, budget: number) => {
    const old = await probeCost(scene.targets, false);
    say(`${load}: /proc ${old.usPerLook.toFixed(0)} µs per look (${old.note})`);
    const neu = await probeCost(scene.targets, true);
    say(`${load}: sock_diag ${neu.usPerLook.toFixed(0)} µs per look (${neu.note})`);
    const ratio = neu.usPerLook / old.usPerLook;
    results.push({ name: `kernel probe: CPU per look, ${load}`, value: neu.usPerLook, unit: 'µs', baseline: old.usPerLook, ratio, budget: `≤ ${budget} × /proc`, ok: ratio <= budget, note: `sock_diag ${neu.note}; /proc ${old.note}; ×50 for a second of hot polling` });
    if (!ssMissing) {
      const ss = await ssCost(scene.ports);
      say(`${load}: ss per look ${ss.usPerLook.toFixed(0)} µs (${ss.note})`);
      results.push({ name: `kernel probe: ss per look (not used), ${load}`, value: ss.usPerLook, unit: 'µs', baseline: old.usPerLook, ratio: ss.usPerLook / old.usPerLook, budget: 'info', ok: true, note: `the option measured against sock_diag: ${ss.note}` });
    }
  };
  try {
    await measure('10 sockets', 0.5);
    const load = await unrelated();
    try {
      say(`${load.made} unrelated connections open`);
      await measure(`10 sockets + ${load.made} unrelated connections`, 0.1);
    } finally {
      await load.stop();
    }
  } finally {
    scene.close();
  }
  return results;
}
