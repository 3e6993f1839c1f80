/**
 * The lab as the agent's commands, over the WebSocket (lab/agent-lab.ts G1–G5): lab.up → link.state and a
 * reply naming the hosts; a 100 ms link puts ≥ 200 ms into a Python client's connect() to a server on the
 * server host; lab.oneshot data → a link.drop and a retransmitted segment; session.reset keeps the lab and
 * says so again; lab.down → no namespace of the agent left. Real namespaces: SKIPPED without root, ip,
 * tcpdump or tshark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@socketscope/shared';
import { createAgent, type Agent } from '../src/agent.ts';
import type { LabAttachment } from '../src/lab/agent-lab.ts';
import { startServer, type RunningServer } from '../src/server/server.ts';
import { LAB_SKIP, namespacesOf, warnIfSkipped } from './lab-kit.ts';
import { connect, inboxOf, TOKEN, type Inbox } from './server-helpers.ts';

warnIfSkipped('lab-agent (lab.up/set/oneshot/down over the WebSocket)');

const SERVER = `
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 9300))
s.listen(4)
for _ in range(2):
    c, _ = s.accept()
    n = 0
    while True:
        d = c.recv(4096)
        if not d:
            break
        n += len(d)
    print("got %d" % n, flush=True)
    c.close()
s.close()
`;
/** connects, says how long connect() took, sends three small pieces a little apart, closes */
const CLIENT = `
import socket, time
t = time.monotonic()
c = socket.create_connection(("10.77.0.2", 9300), timeout=10)
print("connect %.1f ms" % ((time.monotonic() - t) * 1000), flush=True)
for i in range(3):
    c.send(b"x" * 200)
    time.sleep(0.02)
c.close()
`;

/** a student's programs as written for loopback (G7 runs them on the lab's hosts) */
const student = (kind: 'server' | 'client') => kind === 'server'
  ? 'import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(("127.0.0.1", 9301))\ns.listen(1)\nc, a = s.accept()\nprint("from", a[0], c.recv(100).decode(), flush=True)\nc.close()\ns.close()\n'
  : 'import socket\nc = socket.create_connection(("127.0.0.1", 9301), timeout=10)\nc.send(b"hi from the client host")\nc.close()\n';

let ids = 0;
function send(c: Inbox, body: unknown): Promise<any> {
  const id = `l${++ids}`;
  c.ws.send(JSON.stringify({ t: 'cmd', id, cmd: body }));
  return c.reply(id);
}

/** the first event from index `from` on (of c.events(), which spans sessions) matching pred, waited for */
async function eventAfter(c: Inbox, from: number, pred: (e: any) => boolean, ms = 10_000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = c.events().slice(from).find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no such event within ${ms} ms; got ${c.events().slice(from).map((e) => e.type).join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
/** where the next event will be in c.events() */
const mark = (c: Inbox): number => c.events().length;
const at = (c: Inbox, e: unknown): number => c.events().indexOf(e);

describe.skipIf(LAB_SKIP !== null)('the lab over the WebSocket', () => {
  let agent: Agent;
  let server: RunningServer;
  let c: Inbox;
  const logs: string[] = [];
  const web = mkdtempSync(path.join(os.tmpdir(), 'socketscope-labweb-'));

  beforeAll(async () => {
    agent = createAgent({ log: (l) => logs.push(l) });
    agent.start();
    server = await startServer(agent, { port: 0, token: TOKEN, log: (l) => logs.push(l), webRoot: web });
    await agent.setUiPorts([server.port]);
    c = inboxOf(await connect(server.port));
    await c.next((m) => m.t === 'hello');
    c.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
    await c.next((m) => m.t === 'synced');
  }, 30_000);
  afterAll(async () => {
    c?.ws.close();
    await server?.close();
    await agent?.stop();
    rmSync(web, { recursive: true, force: true });
  }, 30_000);

  it('lab.up: the reply names the hosts and conditions, a link.state says the same; bad conditions change nothing', async () => {
    const bad = await send(c, { op: 'lab.up', conditions: { delayMs: 10, jitterMs: 20 } });
    expect(bad.ok).toBe(false);
    expect(bad.error.code).toBe('E_INVALID');
    expect(bad.error.message).toMatch(/jitter must be 0 ms up to the delay \(10 ms\)/);
    expect(agent.lab.isUp).toBe(false);

    const t0 = performance.now();
    const r = await send(c, { op: 'lab.up', conditions: { delayMs: 10 } });
    console.log(`lab-agent: lab.up answered in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(r.result).toMatchObject({ up: true, how: 'root', hosts: { client: '10.77.0.1', server: '10.77.0.2' }, conditions: { delayMs: 10, jitterMs: 0, lossPct: 0, rateKbit: null } });
    const st = await eventAfter(c, -1, (e) => e.type === 'link.state');
    expect(st).toMatchObject({ layer: 'session', up: true, how: 'root', hosts: { client: '10.77.0.1', server: '10.77.0.2' }, conditions: { delayMs: 10 } });
    expect(namespacesOf(process.pid).toSorted()).toEqual([`ss-${process.pid}-client`, `ss-${process.pid}-link`, `ss-${process.pid}-server`]);

    // lab.up again = lab.set (G1); jitter over the delay is still refused, and the link keeps its state
    const again = await send(c, { op: 'lab.up', conditions: { lossPct: 0 } });
    expect(again.result.conditions.delayMs).toBe(10);
    const refused = await send(c, { op: 'lab.set', conditions: { jitterMs: 11 } });
    expect(refused.error?.code).toBe('E_INVALID');
    expect(agent.lab.state().conditions.jitterMs).toBe(0);
  }, 30_000);

  it('lab.set delay 100: a client on the client host takes ≥ 200 ms to connect() to the server host (its traced connect() too)', async () => {
    const before = mark(c);
    const r = await send(c, { op: 'lab.set', conditions: { delayMs: 100 } });
    expect(r.ok).toBe(true);
    expect(await eventAfter(c, before, (e) => e.type === 'link.state')).toMatchObject({ up: true, conditions: { delayMs: 100 } });

    // the page's programs run on the hosts only while something is attached (G4): attach as a lesson does
    const attached: LabAttachment = await agent.lab.attach('the test', null, (_cmd, file) => (path.basename(file) === 'lab_srv.py' ? 'server' : 'client'));
    try {
      const srv = await send(c, { op: 'py.run', code: SERVER, name: 'lab_srv.py', args: [], step: false });
      expect(srv.ok, JSON.stringify(srv.error)).toBe(true);
      await eventAfter(c, before, (e) => e.type === 'api.begin' && e.call === 'accept' && e.proc?.run === srv.result.run);
      const cli = await send(c, { op: 'py.run', code: CLIENT, name: 'lab_cli.py', args: [], step: false });
      expect(cli.ok).toBe(true);
      const out = await eventAfter(c, before, (e) => e.type === 'proc.output' && e.run === cli.result.run && /connect/.test(e.text));
      const ms = Number(/connect ([\d.]+) ms/.exec(out.text)![1]);
      const call = await eventAfter(c, before, (e) => e.type === 'api.call' && e.call === 'connect' && e.proc?.run === cli.result.run);
      console.log(`lab-agent: connect() across a 100 ms link: ${ms} ms (the program's clock), ${(call.durationUs / 1000).toFixed(1)} ms (the traced call)`);
      expect(call.remote).toBe('10.77.0.2:9300');
      expect(call.local).toMatch(/^10\.77\.0\.1:\d+$/);
      expect(ms).toBeGreaterThanOrEqual(200);
      expect(call.durationUs).toBeGreaterThanOrEqual(200_000);
      await eventAfter(c, before, (e) => e.type === 'proc.exit' && e.run === cli.result.run, 10_000);

      // lab.oneshot data: the client's next data segment is lost on the link, told, and sent again
      const shotAt = mark(c);
      const shot = await send(c, { op: 'lab.oneshot', from: 'client', match: 'data' });
      expect(shot.ok, JSON.stringify(shot.error)).toBe(true);
      const cli2 = await send(c, { op: 'py.run', code: CLIENT, name: 'lab_cli.py', args: [], step: false });
      const drop = await eventAfter(c, shotAt, (e) => e.type === 'link.drop');
      expect(drop).toMatchObject({ layer: 'wire', proto: 'tcp', reason: 'oneshot', dst: '10.77.0.2:9300', len: 200 });
      const retrans = await eventAfter(c, at(c, drop), (e) => (e.type === 'tcp.segment' && e.analysis?.includes('retransmission') && e.seqNo === drop.seqNo)
        || (e.type === 'tcp.bundle' && e.retransmissions > 0), 10_000);
      console.log(`lab-agent: the dropped segment (seq ${drop.seqNo}) was retransmitted ${((retrans.wireTs - drop.wireTs) / 1000).toFixed(1)} ms after the drop (${retrans.type})`);
      expect(retrans.src).toBe(drop.src);
      await eventAfter(c, shotAt, (e) => e.type === 'proc.exit' && e.run === cli2.result.run, 10_000);
      // the receiving application got every byte (TCP hid the loss)
      await eventAfter(c, shotAt, (e) => e.type === 'proc.output' && e.run === srv.result.run && /got 600/.test(e.text));
      // lab.down is refused while something runs on the lab
      const busy = await send(c, { op: 'lab.down' });
      expect(busy.error?.code).toBe('E_BUSY');
    } finally {
      await attached.detach();
    }
  }, 60_000);

  it('session.reset keeps the lab and says so in the new session; a page\'s py.run is back on loopback', async () => {
    const hellos = c.all.filter((m) => m.t === 'hello').length;
    const r = await send(c, { op: 'session.reset' });
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    // P6: a new hello, and the page syncs again from nothing
    await c.next(() => c.all.filter((m) => m.t === 'hello').length > hellos);
    const from = mark(c);
    c.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
    const st = await eventAfter(c, from, (e) => e.type === 'link.state');
    expect(st).toMatchObject({ up: true, how: 'root', conditions: { delayMs: 100 }, hosts: { server: '10.77.0.2' } });
    expect(agent.lab.isUp).toBe(true);
    const p = await send(c, { op: 'py.run', code: 'import socket\ns = socket.socket()\ns.bind(("127.0.0.1", 0))\nprint(s.getsockname()[0], flush=True)\n', name: 'lb.py', args: [], step: false });
    expect(p.ok, JSON.stringify(p.error)).toBe(true);
    const out = await eventAfter(c, from, (e) => e.type === 'proc.output' && e.run === p.result.run);
    expect(out.text).toMatch(/^127\.0\.0\.1/);
  }, 30_000);

  it('G7: a page\'s py.run with host runs on that lab host (a student\'s 127.0.0.1 is the server host), captured on both; lab.down takes them off', async () => {
    const from = mark(c);
    const srv = await send(c, { op: 'py.run', code: student('server'), name: 'stu_srv.py', args: [], step: false, host: 'server' });
    expect(srv.ok, JSON.stringify(srv.error)).toBe(true);
    const bind = await eventAfter(c, from, (e) => e.type === 'api.call' && e.call === 'bind' && e.proc?.run === srv.result.run);
    expect(bind.local).toBe('10.77.0.2:9301');
    await eventAfter(c, from, (e) => e.type === 'api.begin' && e.call === 'accept' && e.proc?.run === srv.result.run);
    const cli = await send(c, { op: 'py.run', code: student('client'), name: 'stu_cli.py', args: [], step: false, host: 'client' });
    expect(cli.ok, JSON.stringify(cli.error)).toBe(true);
    const out = await eventAfter(c, from, (e) => e.type === 'proc.output' && e.run === srv.result.run);
    expect(out.text).toMatch(/^from 10\.77\.0\.1 hi from the client host/);
    // both hosts' captures saw the SYN
    await eventAfter(c, from, (e) => e.type === 'tcp.segment' && e.host === 'client' && e.flags.includes('SYN') && e.dst === '10.77.0.2:9301');
    await eventAfter(c, from, (e) => e.type === 'tcp.segment' && e.host === 'server' && e.flags.includes('SYN') && e.dst === '10.77.0.2:9301');
    // a py.run without host still runs on this machine
    const here = await send(c, { op: 'py.run', code: 'import socket\ns = socket.socket()\ns.bind(("127.0.0.1", 0))\nprint(s.getsockname()[0], flush=True)\n', name: 'here.py', args: [], step: false });
    expect((await eventAfter(c, from, (e) => e.type === 'proc.output' && e.run === here.result.run)).text).toMatch(/^127\.0\.0\.1/);
  }, 40_000);

  it('lab.down: a link.state says the link is down and no namespace of the agent is left', async () => {
    const before = mark(c);
    const t0 = performance.now();
    const r = await send(c, { op: 'lab.down' });
    console.log(`lab-agent: lab.down answered in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(r.ok).toBe(true);
    expect(r.result).toMatchObject({ up: false });
    expect(await eventAfter(c, before, (e) => e.type === 'link.state')).toMatchObject({ up: false, conditions: { delayMs: 0 } });
    expect(namespacesOf(process.pid)).toEqual([]);
    // the other lab commands now say the lab is not up
    expect((await send(c, { op: 'py.run', code: 'print(1)', name: 'x.py', args: [], step: false, host: 'client' })).error?.code).toBe('E_INVALID');
    expect((await send(c, { op: 'lab.set', conditions: { delayMs: 5 } })).error?.code).toBe('E_INVALID');
    expect((await send(c, { op: 'lab.oneshot', from: 'server' })).error?.code).toBe('E_INVALID');
  }, 30_000);

  it('the agent\'s stop() removes a lab that is up', async () => {
    const a = createAgent({ capture: 'off', tracepoints: false, log: () => {} });
    a.start();
    await a.exec({ op: 'lab.up', conditions: {} });
    expect(namespacesOf(process.pid).length).toBe(3);
    await a.stop();
    expect(namespacesOf(process.pid)).toEqual([]);
  }, 30_000);
});
