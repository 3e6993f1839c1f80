/**
 * Which Python runs the programs. Rules:
 * I1 The interpreter is `python3` on PATH (or SOCKETSCOPE_PYTHON), resolved to the real executable that
 *    Python reports as sys.executable: a version manager's shim (pyenv's is a bash script) would sit between
 *    the agent and the program, so the program would not be the agent's child and signals, the
 *    parent-death signal and the exit status would belong to the shim.
 * I2 Python 3.8 or newer (the tracer's floor); an older one is reported unavailable with its version.
 * I3 The answer is found once (bounded: 5 s) and kept; `hello` reports it as capabilities.python, with the
 *    one install command where Python is missing.
 */
import { spawnSync } from 'node:child_process';
import type { ProbeStatus } from '@socketscope/shared';

export type PythonStatus = ProbeStatus & { version?: string; path?: string };

export const PYTHON_FIX: NonNullable<ProbeStatus['fix']> = {
  linux: 'sudo apt-get install -y python3',
  macos: 'brew install python3',
};

const MIN: [number, number] = [3, 8];
const PROBE = 'import sys; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3])';

/**
 * Asks `command` which interpreter it really is (I1, I2). Never throws. Synchronous on purpose: it runs once
 * (I3), takes tens of milliseconds, and `hello` — which reports it — is synchronous.
 */
export function probePython(command = process.env['SOCKETSCOPE_PYTHON'] || 'python3', timeoutMs = 5000): PythonStatus {
  const r = spawnSync(command, ['-c', PROBE], { timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, PYTHONPATH: '' } });
  if (r.error || r.status !== 0) {
    const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    const why = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().slice(0, 500);
    return {
      available: false, tool: command, fix: PYTHON_FIX,
      reason: missing ? `${command} was not found on PATH: Python programs cannot run` : `${command} did not start: ${why}`,
    };
  }
  const [exe = '', version = ''] = r.stdout.trim().split('\n').map((x) => x.trim());
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN[0] || (major === MIN[0] && minor < MIN[1])) {
    return { available: false, tool: command, version, path: exe, reason: `${command} is Python ${version}; the tracer needs ${MIN.join('.')} or newer`, fix: PYTHON_FIX };
  }
  return { available: true, tool: command, version, path: exe };
}

let cached: PythonStatus | null = null;

/** I3: the interpreter, found once per agent process. */
export function python(): PythonStatus {
  cached ??= probePython();
  return cached;
}
