// The flags the agent's node process runs with, wherever it is started for real (scripts/start.mjs for
// `pnpm start`) and wherever it is measured (bench/lib/agent-process.ts): one list, so the benchmarks
// measure the agent as shipped.
//
// Why a heap cap: under a steady stream of events V8 let the old space grow to ~3× what was live (347 MB
// committed for 105 MB used, bench/rss.ts), and a classroom laptop should not give a teaching tool half a
// gigabyte. The cap makes V8 collect before it grows. It leaves room for what the agent keeps alive: the
// recorder's ring (session.ts DEFAULT_RING_BYTES, 12 MiB by estimate) and its snapshots, the session's
// model (it keeps every socket a session has seen: ~7–13 KB each), modules and zod's schemas (~20 MB),
// and the bursts of a 1,000-connection load (bench/concurrent.ts and the reliability tests pass with
// this cap on the whole test process). The session also watches its heap against this limit and gives
// up the recorder's oldest events before it would run out (session.ts, heapGuard).
// Why a smaller young generation: at this event rate V8 grew each semi-space to 16 MB; with 4 MB the
// agent measured 147 MB RSS after 1,000,000 events against 166 MB without (same cap and ring).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const AGENT_HEAP_MB = 128;
export const AGENT_NODE_FLAGS = [`--max-old-space-size=${AGENT_HEAP_MB}`, '--max-semi-space-size=4'];

const BIN = fileURLToPath(new URL('./socketscope.mjs', import.meta.url));

/** Is this process already running with AGENT_NODE_FLAGS? */
export function hasAgentFlags() {
  return AGENT_NODE_FLAGS.every((f) => process.execArgv.includes(f));
}

/** The environment variable that tells the agent which of its fds is the launcher's lifeline. */
export const LIFELINE_ENV = 'SOCKETSCOPE_LIFELINE_FD';
const LIFELINE_FD = 3;

/**
 * Runs `socketscope <args>` in a node with AGENT_NODE_FLAGS and exits with its code. The child has its own
 * process group: Ctrl-C reaches this process, which passes it on exactly once (the agent takes a second
 * signal as "exit at once", C3, so it must not get the terminal's copy and ours).
 *
 * LA1 The agent must not outlive this launcher, however it ends (issue 16: `kill -9` of `pnpm start`'s group
 *    left the agent and its tcpdump listening, and the next start failed). Signals cannot tell the agent
 *    about SIGKILL, and PR_SET_PDEATHSIG is out of reach without a native addon, so — as the capture
 *    watchdog does for tcpdump (wire/capture-process.ts P1) — the child gets a lifeline: one end of a
 *    pipe on fd 3, whose other end only this process holds. When this process is gone the kernel closes
 *    it, the agent reads EOF and shuts down as on SIGTERM (watchLifeline in socketscope.mjs).
 */
export function runAgentCli(args, cwd = process.cwd()) {
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, BIN, ...args], {
    cwd, detached: true,
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [LIFELINE_ENV]: String(LIFELINE_FD) },
  });
  // our end stays open (and silent) for as long as we live; it must not keep us alive by itself
  const lifeline = child.stdio[LIFELINE_FD];
  lifeline?.on('error', () => {});
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/**
 * LA1, the agent's side: when the launcher's end of the lifeline closes, shut down as on SIGTERM (C3: the
 * sockets, the capture tool and the programs it runs are stopped, the pages told), and exit after
 * `graceMs` whatever happens. Does nothing when not started by runAgentCli. The fd is forgotten from the
 * environment so nothing the agent starts mistakes it for its own.
 */
export async function watchLifeline(graceMs = 5000) {
  const raw = process.env[LIFELINE_ENV];
  if (raw === undefined) return;
  delete process.env[LIFELINE_ENV];
  const fd = Number(raw);
  if (!Number.isInteger(fd) || fd < 3) return;
  const net = await import('node:net');
  let line;
  try {
    line = new net.Socket({ fd, readable: true, writable: false });
  } catch {
    return;
  }
  let gone = false;
  const onGone = () => {
    if (gone) return;
    gone = true;
    process.stderr.write('socketscope: the process that started the agent is gone; shutting down\n');
    setTimeout(() => process.exit(1), graceMs).unref();
    process.kill(process.pid, 'SIGTERM');
  };
  line.on('data', () => {});
  line.on('end', onGone);
  line.on('close', onGone);
  line.on('error', onGone);
  line.unref();
}
