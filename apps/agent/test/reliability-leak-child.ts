/**
 * Child process for the leak check (reliability-leak.test.ts, bench/reliability.ts): a real agent with its
 * server and one page streaming every event, then N socket cycles through the engine. Run with
 * `node --expose-gc --import tsx reliability-leak-child.ts CYCLES`; prints one JSON line (LeakReport).
 * Each cycle: TCP connect → accept → send each way → recv each way → close both; every 4th cycle also a
 * UDP pair bind/socket → sendto → recvfrom → close both. Four loops run at once. The recorder's ring is small (5,000) so that it is full
 * before the first measurement and what it holds does not count as growth.
 */
import { Command, type CommandInput } from '@socketscope/shared';
import { countFds } from './leak-fds.ts';
import { sleep, startAgentServer, StreamClient } from './reliability-kit.ts';

export interface LeakReport {
  cycles: number;
  ms: number;
  events: number;
  /** every open descriptor, for information: the probe's files and `ss`'s pipes come and go */
  fdsStart: number;
  fdsEnd: number;
  /** open TCP/UDP sockets (leak-fds.ts): what a leaking cycle would leave behind */
  socketsStart: number;
  socketsEnd: number;
  /** heapUsed + external after gc, MB */
  heapStart: number;
  heapEnd: number;
  /** after session.reset(): the session's model and ring are new; what is left is the rest of the agent */
  heapAfterReset: number;
  rssStart: number;
  rssEnd: number;
  /** sockets the session's model holds at the end (it keeps every socket of the session, by design) */
  modelSockets: number;
  pageEvents: number;
  pageViolations: string[];
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function mem(): { heap: number; rss: number } {
  for (let i = 0; i < 4; i++) gc!();
  const m = process.memoryUsage();
  return { heap: (m.heapUsed + m.external) / 2 ** 20, rss: m.rss / 2 ** 20 };
}

async function main(): Promise<void> {
  const cycles = Number(process.argv[2] ?? 1000);
  const h = await startAgentServer({ session: { ringSize: 5000 } });
  const exec = (c: CommandInput) => h.agent.exec(Command.parse(c)) as Promise<Record<string, unknown>>;
  const page = await StreamClient.open(h.port, { keepSeqs: false });
  await page.sync();

  // WORKERS loops in parallel, each with its own listener (accept hands out the oldest waiting connection)
  const WORKERS = 4;
  const listeners: { sock: string; port: number }[] = [];
  for (let w = 0; w < WORKERS; w++) {
    const l = await exec({ op: 'tcp.listen', port: 0, backlog: 16 });
    listeners.push({ sock: String(l['sock']), port: Number(String(l['local']).split(':').at(-1)) });
  }
  const cycle = async (i: number, w: number) => {
    const { sock: lsock, port } = listeners[w]!;
    const c = await exec({ op: 'tcp.connect', port });
    const a = await exec({ op: 'tcp.accept', sock: lsock });
    const cs = String(c['sock']);
    const as = String(a['newSock']);
    await exec({ op: 'tcp.send', sock: cs, data: { text: `ping ${i}` } });
    await exec({ op: 'tcp.send', sock: as, data: { text: `pong ${i}` } });
    await exec({ op: 'tcp.recv', sock: as, max: 64 });
    await exec({ op: 'tcp.recv', sock: cs, max: 64 });
    // alternate who closes first, so both sides of the teardown are exercised
    await exec({ op: 'tcp.close', sock: i % 2 ? cs : as });
    await exec({ op: 'tcp.close', sock: i % 2 ? as : cs });
    if (i % 4 !== 0) return;
    const u = await exec({ op: 'udp.bind', port: 0 });
    const uport = Number(String(u['local']).split(':').at(-1));
    const v = await exec({ op: 'udp.socket' });
    await exec({ op: 'udp.sendto', sock: String(v['sock']), port: uport, data: { text: `dgram ${i}` } });
    await exec({ op: 'udp.recvfrom', sock: String(u['sock']), max: 64 });
    await exec({ op: 'udp.close', sock: String(u['sock']) });
    await exec({ op: 'udp.close', sock: String(v['sock']) });
  };
  const runCycles = async (n: number) => {
    await Promise.all(listeners.map(async (_, w) => {
      for (let i = w; i < n; i += WORKERS) await cycle(i, w);
    }));
  };

  // warm up: JIT, pools, the ring filling up, the probe's caches
  await runCycles(300);
  await sleep(500);
  const fds0 = countFds();
  const m0 = mem();
  const t0 = performance.now();
  await runCycles(cycles);
  const ms = performance.now() - t0;
  // let closes finish, the probe see them gone and the page catch up
  await sleep(1000);
  const last = h.agent.session.lastSeq;
  await page.until(() => page.lastSeq >= last, 20_000, 'page to catch up');
  const fds1 = countFds();
  const m1 = mem();
  const modelSockets = h.agent.session.current().socketOrder.length;
  const events = h.agent.session.lastSeq + 1;
  await h.agent.reset();
  await sleep(300);
  const m2 = mem();
  const report: LeakReport = {
    cycles, ms, events, fdsStart: fds0.all, fdsEnd: fds1.all, socketsStart: fds0.network, socketsEnd: fds1.network,
    heapStart: m0.heap, heapEnd: m1.heap, heapAfterReset: m2.heap, rssStart: m0.rss, rssEnd: m1.rss,
    modelSockets, pageEvents: page.events, pageViolations: page.violations,
  };
  await page.close();
  await h.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
