/**
 * Nothing of the lab survives the agent (lab.ts L3, L6; keeper.ts K1–K3): not after down(), not after the
 * agent is killed with SIGKILL (no handler of ours runs), and labs left by agents that are gone are removed
 * when a new lab comes up.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Lab } from '../src/lab/index.ts';
import { alive } from './cli-kit.ts';
import { LAB_SKIP, namespacesOf, runOn, sleep, warnIfSkipped } from './lab-kit.ts';

warnIfSkipped('lab-cleanup (no namespace, link or forwarder survives any exit)');

const here = path.dirname(fileURLToPath(import.meta.url));

/** the machine's own interfaces: the lab must never add one there */
const hostLinks = () => spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(':')[1]?.trim()).filter(Boolean).toSorted();

async function until(ok: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

describe.skipIf(LAB_SKIP !== null)('lab: cleanup', () => {
  it('down() removes the namespaces, their links, the forwarder and every program on the hosts', async () => {
    const links = hostLinks();
    const lab = new Lab({ log: () => {} });
    await lab.up({ delayMs: 5 });
    expect(namespacesOf(process.pid).toSorted()).toEqual([lab.names.client, lab.names.link, lab.names.server].toSorted());
    const program = runOn(lab, 'server', 'import time; print("up", flush=True); time.sleep(600)');
    await program.line(/^up/);
    const forwarder = (lab as unknown as { forwarder: { pid: number } }).forwarder.pid;
    expect(hostLinks()).toEqual(links);
    await lab.down();
    expect(namespacesOf(process.pid)).toEqual([]);
    expect(await until(() => !alive(forwarder) && !alive(program.child.pid!), 3000)).toBe(true);
    expect(hostLinks()).toEqual(links);
    expect(lab.isUp).toBe(false);
  }, 20_000);

  it('after SIGKILL of the agent, its keeper removes every namespace, the forwarder and the programs', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'lab-orphan-child.ts')], {
      cwd: path.resolve(here, '../../..'), stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const info = await new Promise<{ pid: number; programs: number[]; forwarder: number; keeper: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the lab did not come up within 20 s')), 20_000);
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += String(d);
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line) { clearTimeout(timer); resolve(JSON.parse(line) as never); }
        });
      });
      expect(namespacesOf(info.pid)).toHaveLength(3);
      const pids = [...info.programs, info.forwarder, info.keeper];
      for (const p of pids) expect(alive(p)).toBe(true);
      child.kill('SIGKILL');
      const gone = await until(() => namespacesOf(info.pid).length === 0 && pids.every((p) => !alive(p)), 10_000);
      expect({ namespaces: namespacesOf(info.pid), alive: pids.filter(alive) }).toEqual({ namespaces: [], alive: [] });
      expect(gone).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);

  it('a new lab removes the labs of agents that are gone, and leaves a living agent\'s alone', async () => {
    const dead = spawnSync('true').pid!; // a pid that has just ended
    const living = process.ppid; // the test runner: alive, and not us
    const made = [`ss-${dead}-client`, `ss-${dead}-link`, `ss-${living}-server`];
    for (const n of made) expect(spawnSync('ip', ['netns', 'add', n]).status).toBe(0);
    const lab = new Lab({ log: () => {} });
    try {
      await lab.up();
      expect(namespacesOf(dead)).toEqual([]);
      expect(namespacesOf(living)).toEqual([`ss-${living}-server`]);
    } finally {
      await lab.down();
      for (const n of made) spawnSync('ip', ['netns', 'del', n]);
    }
  }, 20_000);
});
