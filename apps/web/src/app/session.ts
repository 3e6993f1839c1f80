import type { CommandInput } from '@socketscope/shared';
import { applyHello, finishReply, setConn, setViewers, startReply } from '../store/actions.ts';
import type { AppStore } from '../store/store.ts';
import type { CommandReply } from '../store/slices.ts';
import { wsUrl } from '../connection/url.ts';
import { SessionLink, currentLink, setLink } from '../session/link.ts';
import type { FromWorker } from '../session/protocol.ts';

/**
 * Starts the page's session worker (session/worker.ts) and wires what it reports to the store: the
 * connection's status, the agent's hello, the share's viewers, an opened file. Events never pass
 * through here: the worker folds them and the page gets diffs (session/link.ts).
 */
let opened: ((m: Extract<FromWorker, { t: 'opened' }>) => void) | null = null;
let connected = false;

export function startWorker(store: AppStore): SessionLink {
  const worker = new Worker(new URL('../session/session.worker.ts', import.meta.url), { type: 'module', name: 'socketscope-session' });
  const link = new SessionLink(worker, store, {
    conn: (c) => setConn(store, { status: c.status, attempt: c.attempt, retryAt: c.retryAt, ...(c.stop ? { stop: c.stop } : {}) }),
    hello: (h) => applyHello(store, h),
    viewers: (count) => setViewers(store, count),
    opened: (m) => opened?.(m),
  });
  setLink(link);
  storeOf = store;
  return link;
}

export function startSession(store: AppStore, token: string): void {
  const link = currentLink() ?? startWorker(store);
  connected = true;
  link.connect(wsUrl(window.location, token));
}

/** Sends a command and records its reply under `target` (a playground form name or a socket id). */
export async function runCommand(target: string, cmd: CommandInput): Promise<CommandReply> {
  const link = currentLink();
  const s = storeOf;
  if (!link || !connected || !s) return { ok: false, error: { code: 'E_DISCONNECTED', message: 'no session' } };
  const req = startReply(s, target, cmd.op);
  const reply = await link.command(cmd);
  finishReply(s, target, req, reply);
  return reply;
}

let storeOf: AppStore | null = null;

export function retryNow(): void {
  currentLink()?.retry();
}

/** The worker's answer about an opened file (files.ts waits for it). */
export function onOpened(fn: ((m: Extract<FromWorker, { t: 'opened' }>) => void) | null): void {
  opened = fn;
}

/** Stops talking to the agent for good (a recording was opened instead). */
export function stopSession(): void {
  currentLink()?.disconnect();
  connected = false;
}

export function isConnected(): boolean {
  return connected;
}
