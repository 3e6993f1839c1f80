/**
 * An agent that shares with the class, started as a teacher would (`socketscope start --share-host …`),
 * with its two links read from what it prints: the teacher's and the students' read-only one. The share
 * address is a loopback one (127.0.0.2) standing in for the classroom LAN address.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort, ROOT } from './agent.ts';

export interface SharedAgent { port: number; teacher: string; students: string; stop(): Promise<void> }

export async function startSharedAgent(opts: { token: string; shareHost: string; args?: string[] }): Promise<SharedAgent> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    path.join(ROOT, 'node_modules/.bin/tsx'),
    ['apps/agent/src/cli.ts', 'start', '--port', String(port), '--no-open', '--token', opts.token, '--share-host', opts.shareHost, '--capture', 'off', ...(opts.args ?? [])],
    { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BROWSER: 'none' } },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const links = await new Promise<{ teacher: string; students: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no links within 30 s\n${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const a = /^SocketScope: (http:\/\/\S+)$/m.exec(out);
      const b = /^SocketScope read-only link for students: (http:\/\/\S+)$/m.exec(out);
      if (a && b) { clearTimeout(timer); resolve({ teacher: a[1]!, students: b[1]! }); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`agent exited with ${code}\n${err}`)); });
  });
  return {
    port, ...links,
    async stop() {
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
      const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
