/**
 * Only the teacher's page drives the lab: a students' read-only page's lab.* commands are refused with
 * E_READ_ONLY before they reach the agent (server/connection.ts P7), and nothing is made. Needs no root:
 * the refusal comes before any namespace would be. And a lab that cannot be made here (no root, no user
 * namespaces) is E_UNAVAILABLE with the fix, checked with the lab's status given (agent-lab.ts G3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { live, send, SHARE_HOST, startSec, VIEWER, type SecHarness } from './share-harness.ts';
import { LAB_SKIP, namespacesOf } from './lab-kit.ts';

let h: SecHarness;
beforeAll(async () => { h = await startSec({ share: { host: SHARE_HOST, viewerToken: VIEWER, maxViewers: 3 } }); });
afterAll(async () => { await h.close(); });

describe('the lab commands from a read-only page', () => {
  it('are all E_READ_ONLY, on the share address and on loopback, and no lab is made', async () => {
    for (const where of [{ addr: SHARE_HOST, token: VIEWER }, { token: VIEWER }]) {
      const v = await live(h.port, where);
      expect(v.hello.readOnly).toBe(true);
      for (const cmd of [
        { op: 'lab.up', conditions: { delayMs: 100 } },
        { op: 'lab.set', conditions: { lossPct: 50 } },
        { op: 'lab.oneshot', from: 'client', match: 'data' },
        { op: 'lab.down' },
      ]) {
        expect(await v.inbox.reply(send(v.ws, cmd))).toMatchObject({ ok: false, error: { code: 'E_READ_ONLY' } });
      }
      v.ws.close();
    }
    expect(h.agent.lab.isUp).toBe(false);
    if (LAB_SKIP === null) expect(namespacesOf(process.pid)).toEqual([]);
  });
});

describe('a lab that cannot be made here', () => {
  it('lab.up is E_UNAVAILABLE saying why and the fix; bad conditions are E_INVALID first; the rest say it is not up', async () => {
    const { AgentLab } = await import('../src/lab/agent-lab.ts');
    const events: unknown[] = [];
    let made = 0;
    const lab = new AgentLab({
      agent: {}, emit: (e) => events.push(e), tsAt: (ns) => ns / 1000, log: () => {},
      status: () => ({ available: false, tool: 'network namespaces', reason: 'the lab makes network namespaces: the agent needs root', fix: { linux: 'start the agent with sudo' } }),
      makeLab: () => { made++; throw new Error('must not be made'); },
    });
    await expect(lab.exec({ op: 'lab.up', conditions: { delayMs: 100 } })).rejects.toMatchObject({
      code: 'E_UNAVAILABLE', message: 'the lab makes network namespaces: the agent needs root; to fix it: start the agent with sudo',
    });
    await expect(lab.exec({ op: 'lab.up', conditions: { delayMs: 5, jitterMs: 6 } })).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(lab.exec({ op: 'lab.set', conditions: { delayMs: 5 } })).rejects.toMatchObject({ code: 'E_INVALID', message: /not up/ });
    await expect(lab.exec({ op: 'lab.oneshot', from: 'client', match: 'data' })).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(lab.exec({ op: 'lab.down' })).resolves.toMatchObject({ up: false });
    expect(made).toBe(0);
    expect(events).toEqual([]);
  });
});
