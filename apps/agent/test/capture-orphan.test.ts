/**
 * P1: no capture process outlives the agent, even when the agent is killed with SIGKILL (no exit
 * handler runs). A child process starts capture; we kill -9 it and the tool must be gone shortly.
 * Skipped LOUDLY where capture is not permitted.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CaptureSource } from '../src/wire/capture.ts';
import { sleep } from './wire-harness.ts';
import { alive } from './cli-kit.ts';

const probe = new CaptureSource({ mode: 'off' }).status();
if (!probe.available) console.warn(`\n*** SKIPPED the orphan-capture test: packet capture is not available here: ${probe.reason}\n`);

const here = path.dirname(fileURLToPath(import.meta.url));


describe.skipIf(!probe.available || process.platform !== 'linux')('no orphan capture', () => {
  it('kills tcpdump when the process that started it is killed with SIGKILL', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'capture-orphan-child.ts')], {
      cwd: path.resolve(here, '../../..'), stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const info = await new Promise<{ pgid: number; tool: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the child did not start capturing within 15 s')), 15_000);
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += String(d);
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line) { clearTimeout(timer); resolve(JSON.parse(line) as { pgid: number; tool: number }); }
        });
      });
      expect(info.tool).toBeGreaterThan(0);
      expect(alive(info.tool)).toBe(true);
      child.kill('SIGKILL');
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        await sleep(50);
        gone = !alive(info.tool);
      }
      expect(gone).toBe(true);
      // nothing of the capture subprocess is left running: the watchdog shell exits too
      await sleep(200);
      expect(alive(info.pgid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
