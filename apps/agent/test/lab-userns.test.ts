/**
 * The lab without root (keeper.ts K5; status.ts): an unprivileged user makes it inside a user namespace,
 * its link delays real packets, and SIGKILL of that user's agent leaves nothing running and no namespace
 * in the machine's /run/netns. Run from root with setpriv as user nobody; skipped, loudly, where that
 * cannot be done (not root, no setpriv, a checkout nobody cannot read, or a kernel that refuses
 * unprivileged user namespaces).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alive, root } from './cli-kit.ts';
import { sleep } from './lab-kit.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const NOBODY = '65534';
/** as user nobody: can it run node and read this checkout (not where it lies under a private home)? */
const nobodyCanRun = () => spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath,
  '-e', 'require("fs").accessSync(process.argv[1])', path.join(root, 'node_modules/tsx/package.json')], { timeout: 10_000 }).status === 0;
const why = process.platform !== 'linux' ? 'not Linux'
  : process.getuid?.() !== 0 ? 'the test becomes user nobody with setpriv, which needs root'
    : spawnSync('sh', ['-c', 'command -v setpriv']).status !== 0 ? 'setpriv (util-linux) is not installed'
      : !nobodyCanRun() ? 'user nobody cannot run node on this checkout (it lies in a folder only its owner may read)' : null;
if (why) console.warn(`SKIPPED lab-userns (the lab without root): ${why}`);

const netnsNames = () => { try { return readdirSync('/run/netns'); } catch { return []; } };

describe.skipIf(why !== null)('the lab without root', () => {
  it('is made in a user namespace, delays real packets, and leaves nothing after SIGKILL', async (ctx) => {
    const before = netnsNames();
    const child = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '--import', 'tsx', path.join(here, 'lab-userns-child.ts')], {
      cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HOME: '/tmp' },
    });
    try {
      const info = await new Promise<{ skip?: string; how: string; connectMs: number; pids: number[] }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the unprivileged lab did not come up within 30 s')), 30_000);
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += String(d);
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line) { clearTimeout(timer); resolve(JSON.parse(line) as never); }
        });
        child.on('close', (code) => { clearTimeout(timer); reject(new Error(`the child ended (${code}) before its lab was up`)); });
      });
      if (info.skip) {
        console.warn(`SKIPPED lab-userns: as user nobody, ${info.skip}`);
        ctx.skip();
        return;
      }
      expect(info.how).toBe('userns');
      expect(info.connectMs).toBeGreaterThanOrEqual(100);
      expect(info.connectMs).toBeLessThan(1000);
      expect(netnsNames()).toEqual(before); // its namespaces are in its own mount namespace only
      for (const p of info.pids) expect(alive(p)).toBe(true);
      child.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (info.pids.some(alive) && Date.now() < deadline) await sleep(50);
      expect(info.pids.filter(alive)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  }, 45_000);
});
