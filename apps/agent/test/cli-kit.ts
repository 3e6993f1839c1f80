/**
 * Running the real `socketscope` CLI from tests: its paths, `start` as a child process with its output
 * collected, and whether a process is still alive.
 */
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const tsx = path.join(root, 'node_modules/.bin/tsx');
export const cli = path.join(root, 'apps/agent/src/cli.ts');

export interface Started { child: ChildProcessWithoutNullStreams; stdout: () => string; stderr: () => string; exit: Promise<number | null> }

/** `socketscope start --no-open <args>` with `env` added to this process's environment. */
export function startCli(args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(tsx, [cli, 'start', '--no-open', ...args], { cwd: root, env: { ...process.env, ...env } });
  let out = '';
  let errText = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { errText += c.toString(); });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => errText, exit };
}

/** Alive = exists and is not a zombie (an exited process its new parent has not reaped yet). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
