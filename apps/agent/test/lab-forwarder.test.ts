/**
 * The link forwarder's own unittest suite (src/lab/tests: F1, F2, F4 without sockets), under Debian's
 * python3 and under the oldest and newest pyenv interpreters found (it promises Python 3.6 or newer).
 * Interpreters that are missing are reported as skipped, loudly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const TESTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/lab/tests');

function candidates(): string[] {
  const found = existsSync('/usr/bin/python3') ? ['/usr/bin/python3'] : [];
  const versions = path.join(process.env['PYENV_ROOT'] ?? path.join(homedir(), '.pyenv'), 'versions');
  if (existsSync(versions)) {
    const all = readdirSync(versions).filter((v) => /^3\.\d+/.test(v) && existsSync(path.join(versions, v, 'bin', 'python3')))
      .toSorted((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
    for (const v of new Set([all[0], all.at(-1)])) if (v) found.push(path.join(versions, v, 'bin', 'python3'));
  }
  return found;
}

const pythons = candidates();
if (pythons.length === 0) console.warn('SKIPPED lab-forwarder: no python3 found (the lab needs one for its link)');

describe.skipIf(pythons.length === 0)('the link forwarder\'s unittest suite', () => {
  for (const py of pythons) {
    it(`passes under ${py}`, () => {
      const r = spawnSync(py, ['-m', 'unittest', 'discover', '-s', TESTS], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONPATH: '' } });
      expect(r.stderr).toMatch(/\nOK\s*$/);
      expect(r.status).toBe(0);
    });
  }
});
