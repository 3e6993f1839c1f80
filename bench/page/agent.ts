/**
 * The real agent for the page's lines that need one: the agent and its server in this process, serving
 * the built page, with packet capture as the classroom has it (auto: tcpdump or dumpcap where they may
 * run), and the kernel layer from its default source. Events are either the agent's own (real socket
 * calls, lessons) or injected into its session (agent.session.emit) at a set rate; either way the page
 * receives them through the real server, outbound batching and WebSocket.
 */
import type { EventInput, SessionEvent } from '../../packages/shared/src/index.ts';
import { startAgentServer, type AgentServer } from '../../apps/agent/test/reliability-kit.ts';
import { sleep } from './browser.ts';

export type { AgentServer };

/** How the agent's capture stands: running now, or why not. */
export function captureState(h: AgentServer): { running: boolean; why: string } {
  const w = h.agent.wire;
  if (!w) return { running: false, why: 'no capture source in this agent' };
  const st = w.status();
  if (!st.available) return { running: false, why: st.reason ?? 'capture not available' };
  return { running: w.running === true, why: w.running ? `${w.mode ?? 'auto'}, the tool running` : 'the tool has not started' };
}

/** The agent with capture on (auto), serving `dist`; waits (≤ 10 s) for the capture tool to run. */
export async function startCapturingAgent(dist: string): Promise<AgentServer> {
  const h = await startAgentServer({ webRoot: dist, capture: 'auto' });
  for (let i = 0; i < 100 && !captureState(h).running && h.agent.wire?.status().available; i++) await sleep(100);
  return h;
}

/** Turns capture on or off (capture.set) and waits (≤ 10 s) until the tool runs, or has stopped. */
export async function setCapture(h: AgentServer, on: boolean): Promise<void> {
  await h.agent.exec({ op: 'capture.set', mode: on ? 'auto' : 'off' });
  const settled = () => captureState(h).running === on || (on && !h.agent.wire?.status().available);
  for (let i = 0; i < 100 && !settled(); i++) await sleep(100);
}

/**
 * Emits `events` (from `from`) into the agent's session at `rate` per second for `ms`; returns what the
 * session recorded meanwhile (the injected events and whatever the agent added), in seq order.
 */
export async function injectAt(h: AgentServer, events: readonly EventInput[], from: number, rate: number, ms: number): Promise<SessionEvent[]> {
  const seen: SessionEvent[] = [];
  const off = h.agent.session.subscribe((e) => { seen.push(e); });
  try {
    const t0 = performance.now();
    let i = from;
    while (performance.now() - t0 < ms && i < events.length) {
      const due = Math.min(events.length, from + Math.floor(((performance.now() - t0) / 1000) * rate));
      for (; i < due; i++) h.agent.session.emit(events[i]!);
      await sleep(5);
    }
  } finally {
    off();
  }
  return seen;
}

/** The recorded events as the page receives them: `events` messages of `per` events each. */
export function asMessages(events: readonly SessionEvent[], per: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < events.length; i += per) out.push(JSON.stringify({ t: 'events', events: events.slice(i, i + per) }));
  return out;
}
