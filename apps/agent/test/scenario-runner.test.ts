import { describe, expect, it } from 'vitest';
import { CommandError } from '../src/engine/types.ts';
import { runScenario, type RunnerDeps } from '../src/scenarios/runner.ts';
import type { Scenario } from '../src/scenarios/types.ts';
import { Session } from '../src/session/session.ts';

function deps(session: Session, logs: string[] = []): RunnerDeps {
  return {
    session,
    exec: async () => { throw new CommandError('E_UNUSED', 'these scenarios make no socket calls'); },
    kernelAvailable: () => false,
    pokeKernel: () => {},
    log: (l) => logs.push(l),
  };
}

function steps(s: Session) {
  return s.range(0).filter((e) => e.type === 'scenario.step').map((e) => e.type === 'scenario.step' ? `${e.index}:${e.step}:${e.status}` : '');
}

describe('scenario runner', () => {
  it('runs steps in order between scenario.step start and done, and runs cleanup', async () => {
    const s = new Session();
    const order: string[] = [];
    const sc: Scenario<{ n: number }> = {
      id: 'demo', summary: 'demo', ports: [8888], init: () => ({ n: 0 }),
      steps: [
        { id: 'a', role: 'server', run: async (_c, st) => { st.n++; order.push('a'); } },
        { id: 'b', role: 'client', run: async (ctx, st) => { st.n++; order.push(`b${ctx.port(8888)}`); } },
      ],
      cleanup: async (_c, st) => { order.push(`cleanup${st.n}`); },
    };
    const r = await runScenario(sc, deps(s), { port: 9000 });
    expect(r).toEqual({ scenario: 'demo', ok: true, steps: 2 });
    expect(order).toEqual(['a', 'b9000', 'cleanup2']);
    expect(steps(s)).toEqual(['0:a:start', '0:a:done', '1:b:start', '1:b:done']);
    const roles = s.range(0).map((e) => (e.type === 'scenario.step' ? e.role : null));
    expect(roles).toEqual(['server', 'server', 'client', 'client']);
  });

  it('--port moves every port of a lesson by the same offset', async () => {
    const s = new Session();
    let seen: number[] = [];
    const sc: Scenario = { id: 'p', summary: '', ports: [12000, 12001], init: () => ({}), steps: [{ id: 'x', role: 'both', run: async (ctx) => { seen = [ctx.port(12000), ctx.port(12001)]; } }] };
    await runScenario(sc, deps(s), { port: 20000 });
    expect(seen).toEqual([20000, 20001]);
    await runScenario(sc, deps(s));
    expect(seen).toEqual([12000, 12001]);
  });

  it('a failing step emits failed, stops the run, reports the code, and cleanup still runs', async () => {
    const s = new Session();
    let cleaned = false;
    const sc: Scenario = {
      id: 'f', summary: '', ports: [], init: () => ({}),
      steps: [
        { id: 'ok', role: 'server', run: async () => {} },
        { id: 'boom', role: 'client', run: async () => { throw new CommandError('ECONNREFUSED', 'refused'); } },
        { id: 'never', role: 'client', run: async () => { throw new Error('must not run'); } },
      ],
      cleanup: async () => { cleaned = true; },
    };
    const r = await runScenario(sc, deps(s));
    expect(r).toMatchObject({ ok: false, steps: 1, failedStep: 'boom', error: { code: 'ECONNREFUSED' } });
    expect(steps(s)).toEqual(['0:ok:start', '0:ok:done', '1:boom:start', '1:boom:failed']);
    expect(cleaned).toBe(true);
  });

  it('a stopped run ends at the current step and cleans up', async () => {
    const s = new Session();
    const ac = new AbortController();
    const sc: Scenario = {
      id: 'stop', summary: '', ports: [], init: () => ({}),
      steps: [
        { id: 'wait', role: 'both', run: async (ctx) => { setTimeout(() => ac.abort(), 20); await ctx.pause(5000); } },
        { id: 'after', role: 'both', run: async () => {} },
      ],
    };
    const t0 = Date.now();
    const r = await runScenario(sc, deps(s), { signal: ac.signal });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r).toMatchObject({ ok: false, failedStep: 'after', error: { code: 'E_ABORTED' } });
  });

  it('waitForEvent finds recorded and arriving events, and gives up after its bound', async () => {
    const s = new Session();
    const got: (string | null)[] = [];
    const sc: Scenario = {
      id: 'w', summary: '', ports: [], init: () => ({}),
      steps: [{
        id: 'w', role: 'both',
        run: async (ctx) => {
          setTimeout(() => s.emit({ layer: 'api', type: 'api.notice', sock: 's9', what: 'incoming' }), 20);
          const e = await ctx.waitForEvent((x) => x.type === 'api.notice' && x.sock === 's9', { timeoutMs: 2000 });
          got.push(e?.type ?? null);
          const again = await ctx.waitForEvent((x) => x.type === 'api.notice', { timeoutMs: 10 });
          got.push(again?.type ?? null);
          const t0 = Date.now();
          got.push((await ctx.waitForEvent(() => false, { timeoutMs: 50 }))?.type ?? null);
          expect(Date.now() - t0).toBeLessThan(1000);
          // without a kernel layer, state waits return at once instead of hanging
          got.push(String(await ctx.waitForTcpState('s1', ['LISTEN'])));
        },
      }],
    };
    expect((await runScenario(sc, deps(s))).ok).toBe(true);
    expect(got).toEqual(['api.notice', 'api.notice', null, 'null']);
  });
});
