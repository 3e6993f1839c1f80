/**
 * Issue 16, item 5: the agent must not outlive what started it (apps/agent/bin/node-flags.mjs LA1), and a
 * port already in use names the stale agent that holds it (server/port-holder.ts, server.ts N10).
 * `socketscope.mjs` is what `pnpm start` runs (scripts/start.mjs → runAgentCli): a launcher that starts
 * the agent detached in its own process group. Every address is loopback; every wait is bounded.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { portHolder } from '../src/server/port-holder.ts';
import { alive, root, startCli } from './cli-kit.ts';

const BIN = path.join(root, 'apps/agent/bin/socketscope.mjs');
const TOKEN = 'L'.repeat(64);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every process below `pid` (by /proc's ppid), now. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const [c, pp] of parent) if (pp === p) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

describe('LA1: the agent ends with its launcher', () => {
  it('killing the launcher’s process group with SIGKILL ends the agent (and whatever it started) and frees the port', async () => {
    // detached: the launcher gets a group of its own, as `pnpm start` in a terminal has
    const launcher = spawn(process.execPath, [BIN, 'start', '--no-open', '--port', '0', '--capture', 'auto'], {
      cwd: root, env: { ...process.env, SOCKETSCOPE_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let out = '';
    let err = '';
    launcher.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    launcher.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    let agentPid = 0;
    let below: number[] = [];
    try {
      const end = Date.now() + 30_000;
      let port = 0;
      while (!port && Date.now() < end) {
        port = Number(/127\.0\.0\.1:(\d+)\/\?token=/.exec(out)?.[1] ?? 0);
        await sleep(50);
      }
      expect(port, err).toBeGreaterThan(0);
      const holder = portHolder(port);
      expect(holder?.socketscope).toBe(true);
      agentPid = holder!.pid;
      expect(agentPid).not.toBe(launcher.pid);
      await sleep(500); // let capture start where it can: it must go too
      below = descendants(agentPid);
      console.info(`the agent ${agentPid} runs ${below.length} process(es) of its own (capture, where permitted)`);

      process.kill(-launcher.pid!, 'SIGKILL');
      const until = Date.now() + 10_000;
      while (Date.now() < until && (alive(agentPid) || below.some(alive))) await sleep(50);
      expect(alive(agentPid), `the agent ${agentPid} outlived its launcher`).toBe(false);
      expect(below.filter(alive), 'processes the agent started').toEqual([]);
      expect(await portOpen(port)).toBe(false);
      expect(err).toContain('the process that started the agent is gone');
      expect(err).not.toContain(TOKEN); // S6: the token is on the URL line only
    } finally {
      try { process.kill(-launcher.pid!, 'SIGKILL'); } catch { /* gone */ }
      if (agentPid && alive(agentPid)) process.kill(agentPid, 'SIGKILL');
    }
  }, 60_000);
});

describe('N10: a port in use names who holds it', () => {
  it('a second start on a stale agent’s port exits 1 naming that agent’s pid and how to stop it, without its command line (its token)', async () => {
    const first = startCli(['--port', '0', '--capture', 'off', '--token', TOKEN]);
    let stale = 0;
    try {
      const end = Date.now() + 30_000;
      let port = 0;
      while (!port && Date.now() < end) {
        port = Number(/127\.0\.0\.1:(\d+)\/\?token=/.exec(first.stdout())?.[1] ?? 0);
        await sleep(50);
      }
      expect(port, first.stderr()).toBeGreaterThan(0);
      const holder = portHolder(port)!;
      stale = holder.pid;
      const second = startCli(['--port', String(port), '--capture', 'off']);
      expect(await second.exit).toBe(1);
      expect(second.stderr()).toContain(`port ${port} is held by process ${holder.pid} (`);
      expect(second.stderr()).toContain(`a SocketScope agent that is still running`);
      expect(second.stderr()).toContain(`kill ${holder.pid}`);
      expect(second.stderr()).not.toContain(TOKEN); // PH1: never the holder's command line
    } finally {
      // tsx runs the CLI in a child of its own: end that one too, or it keeps the pipes (and the port)
      if (stale && alive(stale)) process.kill(stale, 'SIGKILL');
      first.child.kill('SIGKILL');
      await first.exit;
    }
  }, 60_000);

  it('a port held by something else is named as not SocketScope', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const s = startCli(['--port', String(port), '--capture', 'off']);
      expect(await s.exit).toBe(1);
      // this test process holds it: node, and not SocketScope (its command line is vitest's)
      expect(s.stderr()).toContain(`port ${port} is held by process ${process.pid} (`);
      expect(s.stderr()).toMatch(/which is not SocketScope/);
    } finally {
      blocker.close();
    }
  }, 30_000);
});
