/**
 * Reconnect workload (reliability-reconnect.test.ts at CI size, bench/reliability.ts at full size):
 * socket traffic runs in the agent while a page drops its WebSocket and comes back `drops` times,
 * each time resuming with `sync {since: lastSeq}`. Afterwards the page must hold every event exactly
 * once, in order — or, where the recorder no longer had them, an explicit snapshot + gap.
 */
import { Command, type CommandInput } from '@socketscope/shared';
import type { Agent } from '../src/agent.ts';
import { sleep, StreamClient, type AgentServer } from './reliability-kit.ts';

export interface TrafficHandle {
  /** cycles completed so far */
  cycles(): number;
  /** stops after the current cycle; resolves with the cycle count */
  stop(): Promise<number>;
  /** resolves with the cycle count once maxCycles (or maxMs) is reached */
  finished: Promise<number>;
  failures: string[];
}

/**
 * A bounded loop of real socket calls: one listener, then per cycle connect → accept → send each way →
 * recv each way → close both. At most maxCycles cycles and maxMs milliseconds.
 */
export function startTraffic(agent: Agent, opts: { maxCycles: number; maxMs: number; pauseMs?: number }): TrafficHandle {
  const exec = (c: CommandInput) => agent.exec(Command.parse(c)) as Promise<Record<string, unknown>>;
  const run = { stopped: false };
  let n = 0;
  const failures: string[] = [];
  const deadline = Date.now() + opts.maxMs;
  const done = (async () => {
    const l = await exec({ op: 'tcp.listen', port: 0, backlog: 16 });
    const port = Number(String(l['local']).split(':').at(-1));
    while (!run.stopped && n < opts.maxCycles && Date.now() < deadline) {
      try {
        const c = await exec({ op: 'tcp.connect', port });
        const a = await exec({ op: 'tcp.accept', sock: String(l['sock']) });
        const cs = String(c['sock']);
        const as = String(a['newSock']);
        await exec({ op: 'tcp.send', sock: cs, data: { text: `ping ${n}` } });
        await exec({ op: 'tcp.send', sock: as, data: { text: `pong ${n}` } });
        await exec({ op: 'tcp.recv', sock: as, max: 64 });
        await exec({ op: 'tcp.recv', sock: cs, max: 64 });
        await exec({ op: 'tcp.close', sock: cs });
        await exec({ op: 'tcp.close', sock: as });
      } catch (err) {
        if (failures.length < 20) failures.push((err as Error).message);
      }
      n++;
      if (opts.pauseMs) await sleep(opts.pauseMs);
    }
    await exec({ op: 'tcp.close', sock: String(l['sock']) }).catch(() => {});
    return n;
  })();
  return {
    cycles: () => n,
    stop: () => { run.stopped = true; return done; },
    finished: done,
    failures,
  };
}

export interface ReconnectStats {
  drops: number;
  events: number;
  lastSeq: number;
  cycles: number;
  gaps: number;
  /** time from opening a new socket to `synced`, per reconnect */
  resumeMs: number[];
  violations: string[];
  trafficFailures: string[];
}

/** Drops and restores the page's connection `drops` times during traffic; returns what it saw. */
export async function runReconnect(h: AgentServer, opts: { drops: number; maxMs: number }): Promise<ReconnectStats> {
  const traffic = startTraffic(h.agent, { maxCycles: 1_000_000, maxMs: opts.maxMs });
  let page = await StreamClient.open(h.port);
  await page.sync();
  const resumeMs: number[] = [];
  const deadline = Date.now() + opts.maxMs;
  let drops = 0;
  for (; drops < opts.drops && Date.now() < deadline; drops++) {
    // let some events flow (and some be in flight) before the connection goes
    await sleep(3 + (drops % 7) * 3);
    if (drops % 3 === 0) page.drop(); // no close handshake: events in flight are lost on the way
    else await page.close();
    const next = await StreamClient.open(h.port);
    next.adopt(page);
    const t0 = performance.now();
    await next.sync();
    resumeMs.push(performance.now() - t0);
    page = next;
  }
  const cycles = await traffic.stop();
  const last = h.agent.session.lastSeq;
  await page.until(() => page.lastSeq >= last, 10_000, `seq ${last}`);
  await page.close();
  // the probe may report a little more after the traffic stopped: check up to what the page holds
  return {
    drops, events: page.events, lastSeq: page.lastSeq, cycles, gaps: page.gaps.length, resumeMs,
    violations: [...page.violations, ...missingOrDuplicate(page.seqs, page.lastSeq)],
    trafficFailures: traffic.failures,
  };
}

/** Every seq 0..last exactly once and in order (no gaps were announced in this run). */
export function missingOrDuplicate(seqs: number[], last: number): string[] {
  const out: string[] = [];
  if (seqs.length !== last + 1) out.push(`received ${seqs.length} events for seqs 0..${last} (${last + 1})`);
  for (let i = 0; i < seqs.length && out.length < 10; i++) if (seqs[i] !== i) out.push(`position ${i} holds seq ${seqs[i]}`);
  return out;
}
