import type { CommandInput } from '@socketscope/shared';
import { AgentClient } from '../connection/client.ts';
import { pageTransport } from '../connection/transport.ts';
import { wsUrl } from '../connection/url.ts';
import { applyHello, finishReply, setConn, setViewers, startReply } from '../store/actions.ts';
import { EventPipeline } from '../store/pipeline.ts';
import type { AppStore } from '../store/store.ts';
import type { CommandReply } from '../store/slices.ts';

/**
 * Wires the connection to the store: messages from the agent become store actions, events go through
 * the pipeline, and commands from the views go out through `runCommand`.
 */
let client: AgentClient | null = null;
let store: AppStore | null = null;
let pipeline: EventPipeline | null = null;

export function startSession(appStore: AppStore, token: string): AgentClient {
  store = appStore;
  const events = new EventPipeline(appStore);
  pipeline = events;
  client = new AgentClient({
    url: wsUrl(window.location, token),
    // the socket, JSON parsing and validation live in a worker: the main thread only folds and draws
    transport: pageTransport(),
    sink: {
      status: (status, d) => setConn(appStore, { status, attempt: d.attempt, retryAt: d.retryAt, ...(d.stop ? { stop: d.stop } : {}) }),
      hello: (hello) => {
        events.flushAll(); // so `since` is the last seq really held
        const before = appStore.getState().session?.id;
        if (before && before !== hello.session.id) events.clear();
        return applyHello(appStore, hello, events.agentLastSeq);
      },
      events: (checked, bad) => {
        for (const error of bad) if (error) console.warn(`SocketScope: dropped an invalid event: ${error}`);
        events.pushChecked(checked, bad.length);
      },
      // in stream order through the pipeline, so a big resync is still folded a frame at a time
      snapshot: (atSeq, model) => {
        if (!events.pushSnapshot(atSeq, model)) console.warn('SocketScope: ignored a snapshot that is not a model');
      },
      gap: (from, to, reason) => events.pushNote('gap', { from, to, reason }),
      merged: (count) => events.pushNote('merged', { count }),
      synced: () => {},
      viewers: (count) => setViewers(appStore, count),
      badMessage: (error) => {
        console.warn(`SocketScope: dropped an invalid message from the agent: ${error}`);
        appStore.setState({ badEvents: appStore.getState().badEvents + 1 });
      },
    },
  });
  client.start();
  return client;
}

/** Sends a command and records its reply under `target` (a playground form name or a socket id). */
export async function runCommand(target: string, cmd: CommandInput): Promise<CommandReply> {
  if (!store || !client) return { ok: false, error: { code: 'E_DISCONNECTED', message: 'no session' } };
  const s = store;
  const req = startReply(s, target, cmd.op);
  const reply = await client.request(cmd);
  finishReply(s, target, req, reply);
  return reply;
}

export function retryNow(): void {
  client?.retryNow();
}

export function currentClient(): AgentClient | null {
  return client;
}

/** Folds everything received and waiting now (a lesson ended: its events are all here, O6). */
export function flushEvents(): void {
  pipeline?.flushAll();
}

/** Stops talking to the agent for good (a recording was opened instead); its queued events are dropped. */
export function stopSession(): void {
  client?.stop();
  pipeline?.clear();
  client = null;
  pipeline = null;
}

export function isConnected(): boolean {
  return client !== null;
}
