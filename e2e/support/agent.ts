import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Starts the real agent the way a teacher does (`tsx apps/agent/src/cli.ts start`) on loopback, and
 * stops it. Each agent runs in its own process group so stopping it also ends tsx's node child.
 */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const E2E_TOKEN = 'e2e-socketscope-token-0123456789';

export interface RunningAgent {
  url: string;
  port: number;
  token: string;
  pid: number;
  /** everything the agent wrote to stderr, for failure messages */
  stderr: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startAgent(opts: { port?: number; token?: string; timeoutMs?: number } = {}): Promise<RunningAgent> {
  const port = opts.port ?? (await freePort());
  const token = opts.token ?? E2E_TOKEN;
  const child: ChildProcess = spawn(
    path.join(ROOT, 'node_modules/.bin/tsx'),
    ['apps/agent/src/cli.ts', 'start', '--port', String(port), '--no-open', '--token', token],
    { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BROWSER: 'none' } },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`agent did not print its URL within ${opts.timeoutMs ?? 30_000} ms\n${err}`)), opts.timeoutMs ?? 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /SocketScope: (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`agent exited with ${code} before printing its URL\n${err}`)); });
  });
  const pid = child.pid!;
  let exited = false;
  const exitP = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  return {
    url, port, token, pid,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exited) return;
      try { process.kill(-pid, signal); } catch { /* already gone */ }
      const t = setTimeout(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await exitP;
      clearTimeout(t);
    },
  };
}
