import { describe, expect, it } from 'vitest';
import { checkEachTest, freePort, harness, type Harness } from './engine-harness.ts';

const H = '127.0.0.1';
let h: Harness;
checkEachTest(() => h);

/** A connection on `port` whose `first` side closes first and ends in TIME_WAIT; returns that side's socket. */
async function timeWait(port: number, first: 'server' | 'client'): Promise<{ tw: string; listener: string; clientEp: string }> {
  const l = (await h.exec({ op: 'tcp.listen', host: H, port, reuseAddr: true }))['sock'] as string;
  const c = await h.exec({ op: 'tcp.connect', host: H, port });
  const s = (await h.exec({ op: 'tcp.accept', sock: l }))['newSock'] as string;
  const client = c['sock'] as string;
  const [a, b] = first === 'server' ? [s, client] : [client, s];
  await h.exec({ op: 'tcp.close', sock: a });
  await h.exec({ op: 'tcp.recv', sock: b, max: 10 }); // empty: the peer closed
  await h.exec({ op: 'tcp.close', sock: b });
  await h.exec({ op: 'tcp.close', sock: l });
  await h.state(a, ['TIME_WAIT']);
  return { tw: a, listener: l, clientEp: c['local'] as string };
}

describe('SO_REUSEADDR and TIME_WAIT, as far as Node lets us show them', () => {
  it('restarting a server while its old connection is in TIME_WAIT succeeds, and the bind says why (Node forces SO_REUSEADDR)', async () => {
    h = harness();
    const port = await freePort();
    await timeWait(port, 'server');
    const r = await h.exec({ op: 'tcp.listen', host: H, port, reuseAddr: false });
    const bind = h.calls(r['sock'] as string).find((c) => c.call === 'bind')!;
    expect(h.calls(r['sock'] as string).map((c) => c.call)).toEqual(['socket', 'bind', 'listen']); // no setsockopt: the program did not ask
    expect(bind.result).toMatchObject({
      soReuseAddr: { requested: false, actual: true },
      portHeldBy: { TIME_WAIT: 1 },
      noteCode: 'REUSEADDR_FORCED_WOULD_FAIL',
    });
  });

  it('with SO_REUSEADDR asked for, the same restart is reported as helped by it', async () => {
    h = harness();
    const port = await freePort();
    await timeWait(port, 'server');
    const r = await h.exec({ op: 'tcp.listen', host: H, port, reuseAddr: true });
    expect(h.calls(r['sock'] as string).find((c) => c.call === 'bind')!.result).toMatchObject({ noteCode: 'REUSEADDR_HELPED', portHeldBy: { TIME_WAIT: 1 } });
  });

  it('a TIME_WAIT socket that had no SO_REUSEADDR (a client that closed first) makes bind fail with a real EADDRINUSE', async () => {
    h = harness();
    const port = await freePort();
    const { clientEp } = await timeWait(port, 'client');
    const clientPort = Number(clientEp.split(':')[1]);
    const err = await h.fails({ op: 'tcp.listen', host: H, port: clientPort, reuseAddr: true });
    expect(err.code).toBe('EADDRINUSE');
    expect(h.calls().filter((c) => c.error).map((c) => c.call)).toEqual(['bind']);
  });
});
