import type { CommandInput } from '@socketscope/shared';
import { AgentClient } from '../connection/client.ts';
import { wsUrl } from '../connection/url.ts';
import { applyHello, finishReply, setConn, startReply } from '../store/actions.ts';
import { EventPipeline } from '../store/pipeline.ts';
import type { AppStore } from '../store/store.ts';
import type { CommandReply } from '../store/slices.ts';

/**
 * Wires the connection to the store: messages from the agent become store actions, events go through
 * the pipeline, and commands from the views go out through `runCommand`.
 */
let client: AgentClient | null = null;
let store: AppStore | null = null;

export function startSession(appStore: AppStore, token: string): AgentClient {
  store = appStore;
  const pipeline = new EventPipeline(appStore);
  client = new AgentClient({
    url: wsUrl(window.location, token),
    sink: {
      status: (status, d) => setConn(appStore, { status, attempt: d.attempt, retryAt: d.retryAt, ...(d.stop ? { stop: d.stop } : {}) }),
      hello: (hello) => {
        pipeline.flushAll(); // so `since` is the last seq really held
        const before = appStore.getState().session?.id;
        if (before && before !== hello.session.id) pipeline.clear();
        return applyHello(appStore, hello);
      },
      events: (raw) => pipeline.push(raw),
      // in stream order through the pipeline, so a big resync is still folded a frame at a time
      snapshot: (atSeq, model) => {
        if (!pipeline.pushSnapshot(atSeq, model)) console.warn('SocketScope: ignored a snapshot that is not a model');
      },
      gap: (from, to, reason) => pipeline.pushNote('gap', { from, to, reason }),
      merged: (count) => pipeline.pushNote('merged', { count }),
      synced: () => {},
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
