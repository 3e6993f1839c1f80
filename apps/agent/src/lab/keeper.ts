/**
 * The lab's keeper: the one process that removes the lab, on every exit of the agent. Rules it enforces:
 * K1 It starts before the first namespace is made, so a crash half-way through building is cleaned too.
 * K2 Its stdin is a pipe from the agent and it never reads anything but EOF: when the agent exits, however it
 *    exits (kill -9 included), the pipe's last writer is gone and the keeper tears the lab down: SIGKILL to
 *    every process in the lab's namespaces (three rounds, for a process that forked meanwhile), then
 *    `ip netns del` of each. A namespace's veth ends go with it. lab.down() uses the same path (it closes
 *    the pipe and waits), so there is one teardown, not two.
 * K3 It runs in its own session (detached), so a signal to the agent's process group (Ctrl+C in a
 *    terminal) does not take it down before the agent has gone.
 * K4 Nothing reaches the shell as code: the scripts are constants; the namespace names are "$@".
 * K5 Unprivileged (user-namespace mode) the keeper is the user namespace: `unshare --user --map-root-user
 *    --net --mount` runs it, it mounts a private tmpfs on /run/netns (its own mount namespace: the machine's
 *    /run is untouched), and every lab command enters it with nsenter. When it ends, the mount namespace and
 *    with it every lab namespace go away.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { within } from '../wire/capture-process.ts';

const TEARDOWN = [
  'teardown() {',
  '  for round in 1 2 3; do',
  '    for ns in "$@"; do',
  '      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done',
  '    done',
  '  done',
  '  for ns in "$@"; do ip netns del "$ns" 2>/dev/null; done',
  '}',
].join('\n');

/** the teardown alone, now: for labs whose keeper is gone (lab.ts L6) */
export const TEARDOWN_NOW = `${TEARDOWN}\nteardown "$@"`;

/** root mode: wait for EOF, tear down */
export const KEEPER_ROOT = [
  TEARDOWN,
  'echo ready',
  'while read -r _; do :; done',
  'teardown "$@"',
].join('\n');

/** user-namespace mode (K5): run by unshare; its own /run/netns first */
export const KEEPER_USERNS = [
  TEARDOWN,
  'if [ -d /run/netns ]; then mount -t tmpfs -o mode=0755 socketscope-lab /run/netns || exit 97',
  'else mount -t tmpfs -o mode=0755 socketscope-lab /run && mkdir /run/netns || exit 97; fi',
  'echo ready',
  'while read -r _; do :; done',
  'teardown "$@"',
].join('\n');

export type KeeperMode = 'root' | 'userns';

export class Keeper {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | null = null;
  private closed: Promise<void> = Promise.resolve();
  private stderr = '';

  constructor(readonly mode: KeeperMode, private readonly namespaces: readonly string[]) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Commands that must run inside the keeper's namespaces (user-namespace mode) start with this. */
  prefix(): string[] {
    if (this.mode === 'root') return [];
    if (!this.child?.pid) throw new Error('the lab keeper is not running');
    // -n too: `ip netns add` goes back to the namespace it started in, which must be one the user namespace
    // owns (the machine's is not); --preserve-credentials: the user's own uid is root in there already
    // (--map-root-user), and setgroups is denied in an unprivileged user namespace
    return ['nsenter', '-t', String(this.child.pid), '-U', '-m', '-n', '--preserve-credentials'];
  }

  /** Starts the keeper and resolves once it is ready (its "ready" line), or rejects with why it is not. */
  async start(timeoutMs = 5000): Promise<void> {
    const argv = this.mode === 'root'
      ? ['/bin/sh', '-c', KEEPER_ROOT, 'socketscope-lab', ...this.namespaces]
      : ['unshare', '--user', '--map-root-user', '--net', '--mount', '--propagation', 'private',
        '/bin/sh', '-c', KEEPER_USERNS, 'socketscope-lab', ...this.namespaces];
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdin.on('error', () => { /* it is gone: the exit handler says so */ });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => { this.stderr = (this.stderr + t).slice(-2000); });
    this.closed = new Promise<void>((resolve) => child.on('close', () => { this.child = null; resolve(); }));
    const ready = new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (t: string) => {
        out += t;
        if (out.includes('ready\n')) resolve();
      });
      child.on('error', (err) => reject(err));
      void this.closed.then(() => reject(new Error(`the lab keeper ended before it was ready${this.stderr ? `: ${this.stderr.trim()}` : ''}`)));
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the lab keeper was not ready after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([ready, late]);
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** K2: EOF, then wait for the teardown (bounded); SIGKILL to the keeper if it never ends. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.stdin.end();
    if (await within(this.closed, timeoutMs)) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await within(this.closed, 1000);
  }
}
