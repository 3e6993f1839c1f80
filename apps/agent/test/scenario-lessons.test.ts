import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '@socketscope/shared';
import { lessonById } from '@socketscope/shared/lessons/index';
import { createAgent, type Agent } from '../src/agent.ts';
import { SCENARIOS } from '../src/scenarios/index.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

let agent: Agent | null = null;
afterEach(async () => { await agent?.stop(); agent = null; });

describe('lessons through the agent (scenario.run)', () => {
  it('every lesson has unique step ids and a port', () => {
    for (const s of SCENARIOS) {
      const ids = s.steps.map((x) => x.id);
      expect(new Set(ids).size, s.id).toBe(ids.length);
      expect(s.ports.length, s.id).toBeGreaterThan(0);
    }
  });

  it('every lesson’s steps match the shared lesson text (same ids, roles and order), so the code panel lights the right lines', () => {
    for (const s of SCENARIOS) {
      const lesson = lessonById(s.id);
      expect(lesson, `no lesson text for ${s.id} in packages/shared/src/lessons`).toBeDefined();
      expect(s.steps.map((x) => `${x.id}/${x.role}`), s.id).toEqual(lesson!.steps.map((x) => `${x.id}/${x.role}`));
      expect(s.ports, s.id).toEqual([...lesson!.ports]);
    }
  });

  it('tcp-hello runs twice in a row on the same port (the closer’s TIME_WAIT does not block the server port)', async () => {
    agent = await createAgent({ capture: 'off', log: () => {} });
    agent.start();
    const port = await freePort();
    const first = await agent.exec({ op: 'scenario.run', name: 'tcp-hello', port });
    expect(first).toMatchObject({ ok: true, steps: 9 });
    const second = await agent.exec({ op: 'scenario.run', name: 'tcp-hello', port });
    expect(second).toMatchObject({ ok: true, steps: 9 });
    const listens = agent.session.range(0).filter((e) => e.type === 'api.call' && e.call === 'listen');
    expect(listens).toHaveLength(2);
  });

  it('one lesson at a time: a second scenario.run while one runs gets E_BUSY, and reset waits for it', async () => {
    agent = await createAgent({ capture: 'off', log: () => {} });
    agent.start();
    const port = await freePort();
    const running = agent.exec({ op: 'scenario.run', name: 'tcp-hello', port });
    await expect(agent.exec({ op: 'scenario.run', name: 'udp-echo' })).rejects.toMatchObject({ code: 'E_BUSY' });
    await expect(agent.exec({ op: 'session.reset' })).rejects.toMatchObject({ code: 'E_BUSY' });
    await running;
  });

  it('a step that fails is a failed step event and an error reply with the errno, and the lesson’s sockets are closed', async () => {
    agent = await createAgent({ capture: 'off', log: () => {} });
    agent.start();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(agent.exec({ op: 'scenario.run', name: 'tcp-hello', port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      blocker.close();
    }
    const steps = agent.session.range(0).filter((e): e is Extract<SessionEvent, { type: 'scenario.step' }> => e.type === 'scenario.step');
    expect(steps.at(-1)).toMatchObject({ step: 'server.listen', status: 'failed' });
    expect(agent.engine.tracked().filter((t) => !t.closed)).toEqual([]);
  });

  it('stopping the agent mid-lesson ends the lesson and closes its sockets', async () => {
    agent = await createAgent({ capture: 'off', log: () => {} });
    agent.start();
    const port = await freePort();
    const run = agent.runScenario('tcp-hello', port);
    // stop as soon as the server listens
    await new Promise<void>((resolve) => {
      const off = agent!.session.subscribe((e) => { if (e.type === 'api.call' && e.call === 'listen') { off(); resolve(); } });
    });
    await agent.stop();
    const r = await run;
    expect(r.ok).toBe(false);
    expect(agent.engine.tracked().filter((t) => !t.closed)).toEqual([]);
    // the port is free again
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => { again.once('error', reject); again.listen(port, '127.0.0.1', () => resolve()); });
    again.close();
  });
});
