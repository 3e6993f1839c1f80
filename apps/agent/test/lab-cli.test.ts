/**
 * hello's capabilities.lab, and cli.ts C6: `run` and `trace` check the lab's flags and the lab's availability before anything starts,
 * and end with exit 2 and one line saying why (a condition without --lab, a value out of bounds, a lab this
 * machine cannot make, or — this version — programs that cannot yet be placed on the lab's hosts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServerMessage } from '@socketscope/shared';
import { createAgent } from '../src/agent.ts';
import { main } from '../src/cli.ts';
import { labStatus } from '../src/lab/status.ts';

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('the lab\'s flags on the command line', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    [['run', 'tcp-hello', '--delay', '100'], /--delay sets the lab's link: add --lab/],
    [['run', 'tcp-hello', '--lab', '--loss', '200'], /the loss must be 0–100 %, not 200/],
    [['run', 'tcp-hello', '--lab', '--delay', '10', '--jitter', '20'], /jitter must be 0 ms up to the delay \(10 ms\)/],
    [['run', 'tcp-hello', '--lab', '--rate', 'fast'], /--rate needs a number \(KBIT\)/],
    [['trace', '--rate', '800', 'x.py'], /--rate sets the lab's link: add --lab/],
    [['trace', '--lab', '--delay'], /--delay needs a value \(MS\)/],
  ])('%j is a usage error (exit 2)', async (args, why) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
  });

  // `run --lab` and `trace --lab` run programs on the lab's hosts (lab-run.test.ts, lab-agent-trace.test.ts)
  it('trace --lab with a program that does not exist: exit 2, saying so (or why the lab cannot be made here)', async () => {
    const st = labStatus();
    const r = await cli(['trace', '--lab', '--delay=50', 'x.py']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(st.available ? /cannot start x\.py: no such file/ : /^socketscope: --lab: .+/);
  });
});

describe('hello', () => {
  it('says in capabilities.lab whether the lab can be made here, and how (or why not and the fix)', async () => {
    const agent = createAgent({ capture: 'off', log: () => {} });
    try {
      const hello = agent.hello();
      expect(ServerMessage.safeParse(hello).success).toBe(true);
      const lab = hello.capabilities.lab!;
      expect(lab).toEqual(labStatus());
      if (lab.available) expect(['root', 'userns']).toContain(lab.how);
      else expect(lab.reason).toBeTruthy();
      if (process.getuid?.() === 0 && process.platform === 'linux') expect(lab.how === 'root' || lab.available === false).toBe(true);
    } finally {
      await agent.stop();
    }
  });
});
