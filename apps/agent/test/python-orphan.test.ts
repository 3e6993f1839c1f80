/**
 * R3: no program outlives the agent, even when the agent is killed with SIGKILL (no exit handler runs):
 * the tracer's parent-death signal ends the program, and what it started ends with it — while it runs
 * freely, and while it is paused before a call in step mode.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alive } from './cli-kit.ts';
import { groupMembers, PY } from './python-kit.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!PY.available || process.platform !== 'linux')('no orphan Python program', () => {
  it('kills the program and its child when the agent is killed with SIGKILL', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'python-orphan-child.ts')], {
      cwd: path.resolve(here, '../../..'), stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const info = await new Promise<{ program: number; child: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the agent did not start the program within 15 s')), 15_000);
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += String(d);
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line) { clearTimeout(timer); resolve(JSON.parse(line) as { program: number; child: number }); }
        });
      });
      expect(alive(info.program)).toBe(true);
      expect(alive(info.child)).toBe(true);
      child.kill('SIGKILL');
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        await sleep(50);
        gone = !alive(info.program) && !alive(info.child) && groupMembers(info.program).length === 0;
      }
      expect({ program: alive(info.program), child: alive(info.child) }).toEqual({ program: false, child: false });
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
