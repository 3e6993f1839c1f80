/**
 * The six TCP lessons run the way a teacher runs them from a terminal: `socketscope run <id> --json
 * --port <free>`, real sockets on loopback. Each test reads the NDJSON events and checks the facts the
 * lesson exists to make visible (LESSONS.md), at the api and kernel layers, and at the wire layer where
 * packet capture runs here (otherwise those checks are skipped, loudly).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseEvent, type SessionEvent } from '@socketscope/shared';
import { BUFFERS_BYTES, lessonById } from '@socketscope/shared/lessons/index';
import { findScenario } from '../src/scenarios/index.ts';

type Ev = SessionEvent;
type Call = Extract<Ev, { type: 'api.call' }>;
type Kernel = Extract<Ev, { type: 'kernel.tcp' }>;
type Segment = Extract<Ev, { type: 'tcp.segment' }>;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const cli = path.join(root, 'apps/agent/src/cli.ts');
const RUN_TIMEOUT_MS = 45_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Run {
  port: number;
  code: number | null;
  stderr: string;
  events: Ev[];
  calls: Call[];
  kernel: Kernel[];
  segments: Segment[];
  /** packet capture ran (a source.status for the wire layer said running) */
  captured: boolean;
}

/** `socketscope run <id> --json --port <free>`; every stdout line must be a valid event. */
async function runLesson(id: string, capture: 'auto' | 'off' = 'off'): Promise<Run> {
  const port = await freePort();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(tsx, [cli, 'run', id, '--json', '--port', String(port), '--capture', capture], { cwd: root, env: { ...process.env, NODE_ENV: 'test' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${id} did not finish in ${RUN_TIMEOUT_MS} ms; stderr: ${err}`)); }, RUN_TIMEOUT_MS);
    child.on('close', (c) => { clearTimeout(t); resolve({ code: c, stdout: out, stderr: err }); });
  });
  const events = stdout.split('\n').filter((l) => l.length > 0).map((l, i) => {
    const r = parseEvent(JSON.parse(l));
    if (!r.ok) throw new Error(`${id}: line ${i + 1} is not a valid event: ${r.error}`);
    return r.event;
  });
  return {
    port, code, stderr, events,
    calls: events.filter((e): e is Call => e.type === 'api.call'),
    kernel: events.filter((e): e is Kernel => e.type === 'kernel.tcp' && !e.gone),
    segments: events.filter((e): e is Segment => e.type === 'tcp.segment'),
    captured: events.some((e) => e.type === 'source.status' && e.source === 'wire' && e.status.running),
  };
}

/** The run completed every step of the scenario, in order, with no step failed. */
function expectCompleted(id: string, r: Run): void {
  expect(r.code, r.stderr).toBe(0);
  const done = r.events.filter((e) => e.type === 'scenario.step' && e.status === 'done').map((e) => (e.type === 'scenario.step' ? e.step : ''));
  expect(done).toEqual(findScenario(id)!.steps.map((s) => s.id));
  expect(done).toEqual(lessonById(id)!.steps.map((s) => s.id));
  expect(r.events.some((e) => e.type === 'scenario.step' && e.status === 'failed')).toBe(false);
}

/** Every socket the lesson opened was closed by the end (cleanup). */
function expectAllClosed(r: Run): void {
  const opened = new Set(r.calls.filter((c) => c.call === 'socket' && !c.error && c.sock).map((c) => c.sock!));
  for (const c of r.calls) if (c.call === 'accept' && c.newSock) opened.add(c.newSock);
  const closed = new Set(r.calls.filter((c) => c.call === 'close' && !c.error && c.sock).map((c) => c.sock!));
  expect([...opened].filter((s) => !closed.has(s)), 'sockets left open').toEqual([]);
}

const stepAt = (r: Run, step: string, status: 'start' | 'done' = 'start') =>
  r.events.find((e) => e.type === 'scenario.step' && e.step === step && e.status === status)!.seq;
const text = (c: Call | undefined) => Buffer.from(c?.data?.b64 ?? '', 'base64').toString('utf8');
const statesOf = (r: Run, sock: string) => r.kernel.filter((k) => k.sock === sock).map((k) => k.state);
const one = <T>(xs: T[], what: string): T => {
  expect(xs.length, what).toBeGreaterThan(0);
  return xs[0]!;
};

function skipWire(r: Run, skip: (note?: string) => void, what: string): void {
  if (r.captured) return;
  const why = `SKIPPED ${what}: packet capture did not run here (no capture rights or no dumpcap/tcpdump); the api and kernel checks above ran`;
  console.warn(why);
  skip(why);
}

describe('lessons run through `socketscope run --json`', () => {
  it('tcp-handshake: SYN, SYN+ACK, ACK inside connect(); accept() returns a new socket that carries the data while the listener stays in LISTEN', async ({ skip }) => {
    const r = await runLesson('tcp-handshake', 'auto');
    expectCompleted('tcp-handshake', r);
    expectAllClosed(r);
    const listen = one(r.calls.filter((c) => c.call === 'listen'), 'listen()');
    expect(listen.args['backlog']).toBe(1);
    const listener = listen.sock!;
    const connect = one(r.calls.filter((c) => c.call === 'connect' && !c.error), 'connect()');
    const accept = one(r.calls.filter((c) => c.call === 'accept' && !c.error), 'accept()');
    const conn = accept.newSock!;
    expect(conn).not.toBe(listener);
    expect(accept.local).toBe(listen.local);
    expect(accept.remote).toBe(connect.local);
    // the listening socket never carries data; the accepted one does
    expect(r.calls.filter((c) => c.sock === listener && ['send', 'recv'].includes(c.call))).toEqual([]);
    expect(text(r.calls.find((c) => c.call === 'recv' && c.sock === conn))).toBe('hello, tcp');
    expect(text(r.calls.find((c) => c.call === 'send' && c.sock === conn))).toBe('HELLO, TCP');
    // kernel: the client ESTABLISHED by connect(), the listener in LISTEN, the new socket first seen after accept()
    expect(statesOf(r, connect.sock!)[0]).toBe('ESTABLISHED');
    expect(statesOf(r, listener)).toContain('LISTEN');
    expect(one(r.kernel.filter((k) => k.sock === conn), 'kernel view of the accepted socket').seq).toBeGreaterThan(accept.seq);
    expect(statesOf(r, conn)[0]).toBe('ESTABLISHED');
    // SYN_RECV lasts microseconds on loopback; if the kernel probe ever shows it, it comes before ESTABLISHED
    const serverSide = r.kernel.filter((k) => k.local === listen.local && k.remote === connect.local).map((k) => k.state);
    const synRecv = serverSide.findIndex((s) => s === 'SYN_RECV' || s === 'NEW_SYN_RECV');
    if (synRecv >= 0) expect(serverSide.indexOf('ESTABLISHED')).toBeGreaterThan(synRecv);

    skipWire(r, skip, 'tcp-handshake wire checks');
    const c = connect.local!;
    const s = listen.local!;
    const captured = r.segments.filter((x) => !x.inferred);
    const syn = one(captured.filter((x) => x.src === c && x.dst === s && x.flags.includes('SYN') && !x.flags.includes('ACK')), 'SYN');
    const synAck = one(captured.filter((x) => x.src === s && x.dst === c && x.flags.includes('SYN') && x.flags.includes('ACK')), 'SYN+ACK');
    const ack = one(captured.filter((x) => x.src === c && x.dst === s && x.seq > synAck.seq && x.flags.includes('ACK') && !x.flags.includes('SYN') && x.len === 0), 'ACK');
    expect(synAck.seq).toBeGreaterThan(syn.seq);
    expect(synAck.ackNo).toBe(((syn.seqNo ?? 0) + 1) % 2 ** 32);
    expect(ack.ackNo).toBe(((synAck.seqNo ?? 0) + 1) % 2 ** 32);
    expect(syn.options.mss).toBeGreaterThan(0);
    expect(synAck.options.mss).toBeGreaterThan(0);
  });

  it('tcp-teardown: FIN/ACK/FIN/ACK with FIN_WAIT2 → TIME_WAIT on the server that closed first and CLOSE_WAIT on the client; then the restart without and with SO_REUSEADDR', async ({ skip }) => {
    const r = await runLesson('tcp-teardown', 'auto');
    expectCompleted('tcp-teardown', r);
    expectAllClosed(r);
    const connect = one(r.calls.filter((c) => c.call === 'connect' && !c.error), 'connect()');
    const client = connect.sock!;
    const conn = one(r.calls.filter((c) => c.call === 'accept' && !c.error), 'accept()').newSock!;
    const closer = statesOf(r, conn);
    const other = statesOf(r, client);
    expect(closer, closer.join(',')).toEqual(expect.arrayContaining(['ESTABLISHED', 'FIN_WAIT2', 'TIME_WAIT']));
    expect(closer.indexOf('TIME_WAIT')).toBeGreaterThan(closer.indexOf('FIN_WAIT2'));
    expect(other, other.join(',')).toContain('CLOSE_WAIT');
    if (!closer.includes('FIN_WAIT1')) console.warn(`tcp-teardown: the kernel probe did not catch FIN_WAIT1 this time (it lasts one delayed ACK, ~40 ms): ${closer.join(' → ')}`);
    // the client learns of the FIN from recv() returning empty bytes: after the goodbye, 0 bytes
    const recvs = r.calls.filter((c) => c.call === 'recv' && c.sock === client);
    expect(recvs.map((c) => c.data?.len)).toEqual([3, 0]);
    expect(text(recvs[0])).toBe('bye');
    // CLOSE_WAIT stays visible until the client closes
    const clientClose = one(r.calls.filter((c) => c.call === 'close' && c.sock === client), 'client close()');
    expect(r.kernel.some((k) => k.sock === client && k.state === 'CLOSE_WAIT' && k.seq < clientClose.seq)).toBe(true);

    // the restarts: both binds come while the server's old connection is in TIME_WAIT
    const timeWait = one(r.kernel.filter((k) => k.sock === conn && k.state === 'TIME_WAIT'), 'TIME_WAIT');
    const binds = r.calls.filter((c) => c.call === 'bind' && c.seq > stepAt(r, 'server.restart'));
    expect(binds.length).toBe(2);
    const [without, withReuse] = binds as [Call, Call];
    expect(without.seq).toBeGreaterThan(timeWait.seq);
    const optionBefore = (b: Call) => r.calls.some((c) => c.sock === b.sock && c.call === 'setsockopt' && c.args['option'] === 'SO_REUSEADDR' && c.seq < b.seq);
    expect(optionBefore(without)).toBe(false);
    expect(optionBefore(withReuse)).toBe(true);
    if (without.error) {
      expect(without.error.code).toBe('EADDRINUSE');
    } else {
      // Node sets SO_REUSEADDR on every TCP socket, so the agent's bind cannot fail; its result says what would have
      const res = without.result as { noteCode?: string; portHeldBy?: Record<string, number>; soReuseAddr?: { requested: boolean } };
      expect(res.noteCode).toBe('REUSEADDR_FORCED_WOULD_FAIL');
      expect(res.soReuseAddr?.requested).toBe(false);
      expect(res.portHeldBy?.['TIME_WAIT']).toBeGreaterThanOrEqual(1);
    }
    expect(withReuse.error).toBeUndefined();
    expect((withReuse.result as { portHeldBy?: Record<string, number> }).portHeldBy?.['TIME_WAIT']).toBeGreaterThanOrEqual(1);
    expect(r.calls.some((c) => c.call === 'listen' && c.sock === withReuse.sock && !c.error)).toBe(true);

    skipWire(r, skip, 'tcp-teardown wire checks');
    const s = `127.0.0.1:${r.port}`;
    const c = connect.local!;
    const fins = r.segments.filter((x) => x.flags.includes('FIN'));
    expect(fins.map((x) => x.src)).toEqual([s, c]); // the server's FIN first, then the client's
    for (const fin of fins) {
      const acked = r.segments.find((x) => x.src === fin.dst && x.seq > fin.seq && x.flags.includes('ACK') && x.ackNo === ((fin.seqNo ?? 0) + 1) % 2 ** 32);
      expect(acked, `the ACK of ${fin.src}'s FIN`).toBeDefined();
    }
  });

  it('tcp-buffers: the reader that does not read fills its receive queue to a plateau, the window goes to zero, the sender’s queue fills and send blocks; then it all drains', async ({ skip }) => {
    const r = await runLesson('tcp-buffers', 'auto');
    expectCompleted('tcp-buffers', r);
    expectAllClosed(r);
    const connect = one(r.calls.filter((c) => c.call === 'connect' && !c.error), 'connect()');
    const client = connect.sock!;
    const conn = one(r.calls.filter((c) => c.call === 'accept' && !c.error), 'accept()').newSock!;
    const firstRecv = one(r.calls.filter((c) => c.call === 'recv' && c.sock === conn), 'the server’s first recv()');
    const before = (xs: Kernel[]) => xs.filter((k) => k.seq < firstRecv.seq);
    // Recv-Q rose and then held: its last value before the first read is the highest it reached
    const recvQ = before(r.kernel.filter((k) => k.sock === conn)).map((k) => k.recvQueue);
    const plateau = Math.max(...recvQ);
    expect(plateau, recvQ.join(',')).toBeGreaterThan(16 * 1024);
    expect(recvQ.at(-1)).toBe(plateau);
    // the sender's kernel queue filled up (megabytes on loopback) and the send blocked
    const sendQ = Math.max(...before(r.kernel.filter((k) => k.sock === client)).map((k) => k.sendQueue));
    expect(sendQ).toBeGreaterThan(512 * 1024);
    const blocked = one(r.events.filter((e) => e.type === 'api.notice' && e.what === 'blocked' && e.sock === client), 'blocked notice');
    expect(blocked.seq).toBeLessThan(firstRecv.seq);
    const writable = one(r.events.filter((e) => e.type === 'api.notice' && e.what === 'writable' && e.sock === client), 'writable notice');
    expect(writable.seq).toBeGreaterThan(firstRecv.seq);
    // every byte arrived, in at most 64 KiB per recv(); the receive queue is empty again
    const reads = r.calls.filter((c) => c.call === 'recv' && c.sock === conn).map((c) => c.data?.len ?? 0);
    expect(reads.reduce((a, b) => a + b, 0)).toBe(BUFFERS_BYTES);
    expect(Math.max(...reads)).toBeLessThanOrEqual(64 * 1024);
    expect(r.kernel.filter((k) => k.sock === conn && k.seq > firstRecv.seq).some((k) => k.recvQueue === 0)).toBe(true);

    skipWire(r, skip, 'tcp-buffers zero-window check');
    const s = `127.0.0.1:${r.port}`;
    const zero = one(r.segments.filter((x) => x.src === s && x.dst === connect.local && (x.win === 0 || (x.analysis ?? []).includes('zero-window'))), 'a zero window from the server');
    expect(zero.seq).toBeLessThan(firstRecv.seq);
  });

  it('tcp-stream: two sends come out of one recv (粘包) and one send takes three recv(4)', async () => {
    const r = await runLesson('tcp-stream');
    expectCompleted('tcp-stream', r);
    expectAllClosed(r);
    const client = one(r.calls.filter((c) => c.call === 'connect' && !c.error), 'connect()').sock!;
    const conn = one(r.calls.filter((c) => c.call === 'accept' && !c.error), 'accept()').newSock!;
    const sends = r.calls.filter((c) => c.call === 'send' && c.sock === client);
    expect(sends.map(text)).toEqual(['hello', 'world']);
    const serverRecvs = r.calls.filter((c) => c.call === 'recv' && c.sock === conn);
    expect(serverRecvs.length).toBe(1);
    expect(serverRecvs[0]!.seq).toBeGreaterThan(sends[1]!.seq);
    expect(text(serverRecvs[0])).toBe('helloworld');
    const reply = r.calls.filter((c) => c.call === 'send' && c.sock === conn);
    expect(reply.map(text)).toEqual(['HELLOWORLD']);
    const clientRecvs = r.calls.filter((c) => c.call === 'recv' && c.sock === client);
    expect(clientRecvs.map((c) => c.args['max'])).toEqual([4, 4, 4]);
    expect(clientRecvs.map(text)).toEqual(['HELL', 'OWOR', 'LD']);
  });

  it('tcp-echo: A is served until recv() returns empty bytes; B, connected meanwhile, waits with its bytes in the kernel receive queue until the server accepts it', async () => {
    const r = await runLesson('tcp-echo');
    expectCompleted('tcp-echo', r);
    expectAllClosed(r);
    const listen = one(r.calls.filter((c) => c.call === 'listen'), 'listen()');
    expect(listen.args['backlog']).toBe(5);
    const [connA, connB] = r.calls.filter((c) => c.call === 'connect' && !c.error) as [Call, Call];
    const [acceptA, acceptB] = r.calls.filter((c) => c.call === 'accept' && !c.error) as [Call, Call];
    expect(acceptA.remote).toBe(connA.local);
    expect(acceptB.remote).toBe(connB.local);
    const a = acceptA.newSock!;
    const b = acceptB.newSock!;
    // the inner loop for A ends on a recv() that returns 0 bytes, after A closed
    const closeA = one(r.calls.filter((c) => c.call === 'close' && c.sock === connA.sock), 'A close()');
    const recvsA = r.calls.filter((c) => c.call === 'recv' && c.sock === a);
    expect(recvsA.map((c) => c.data?.len)).toEqual([12, 0]);
    expect(recvsA[1]!.seq).toBeGreaterThan(closeA.seq);
    expect(recvsA[1]!.result).toMatchObject({ eof: true });
    // single task: B connected and sent while A was being served, and is accepted only after A's socket closed
    const sendB = one(r.calls.filter((c) => c.call === 'send' && c.sock === connB.sock), 'B send()');
    const closeServerA = one(r.calls.filter((c) => c.call === 'close' && c.sock === a), 'the server closing A');
    expect(connB.seq).toBeLessThan(closeA.seq);
    expect(sendB.seq).toBeLessThan(closeA.seq);
    expect(acceptB.seq).toBeGreaterThan(closeServerA.seq);
    // B's bytes sat in the kernel's receive queue of its server-side socket before the server read them
    const firstRecvB = one(r.calls.filter((c) => c.call === 'recv' && c.sock === b), 'the server’s recv() on B');
    const waiting = r.kernel.filter((k) => k.local === listen.local && k.remote === connB.local && k.recvQueue > 0 && k.seq < firstRecvB.seq);
    expect(waiting.length, 'a kernel.tcp event showing B’s unread bytes').toBeGreaterThan(0);
    expect(waiting[0]!.recvQueue).toBe('hello from B'.length);
    expect(text(firstRecvB)).toBe('hello from B');
    // B's answer comes only after A is done
    const recvB = one(r.calls.filter((c) => c.call === 'recv' && c.sock === connB.sock), 'B recv()');
    expect(text(recvB)).toBe('hello from B');
    expect(recvB.seq).toBeGreaterThan(closeA.seq);
  });

  it('tcp-refused: connect() to a port nobody listens on fails with ECONNREFUSED, answered by RST', async ({ skip }) => {
    const r = await runLesson('tcp-refused', 'auto');
    expectCompleted('tcp-refused', r);
    expectAllClosed(r);
    const connect = one(r.calls.filter((c) => c.call === 'connect'), 'connect()');
    expect(connect.error?.code).toBe('ECONNREFUSED');
    expect(connect.args['port']).toBe(r.port);
    expect(r.kernel.some((k) => k.state === 'ESTABLISHED')).toBe(false);

    skipWire(r, skip, 'tcp-refused RST check');
    const target = `127.0.0.1:${r.port}`;
    const syn = one(r.segments.filter((x) => x.dst === target && x.flags.includes('SYN')), 'SYN');
    const rst = one(r.segments.filter((x) => x.src === target && x.flags.includes('RST')), 'RST');
    expect(rst.seq).toBeGreaterThan(syn.seq);
    expect(rst.dst).toBe(syn.src);
  });

  it('a lesson that finds its port taken says so: tcp-refused fails when something listens there', async () => {
    const blocker = net.createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', () => res()));
    const port = (blocker.address() as net.AddressInfo).port;
    blocker.on('connection', (sock) => sock.destroy());
    try {
      const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(tsx, [cli, 'run', 'tcp-refused', '--json', '--port', String(port), '--capture', 'off'], { cwd: root, env: { ...process.env, NODE_ENV: 'test' }, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
        const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('tcp-refused did not finish')); }, RUN_TIMEOUT_MS);
        child.on('close', (c) => { clearTimeout(t); resolve({ code: c, stderr: err }); });
      });
      expect(code).toBe(1);
      expect(stderr).toMatch(/E_NOT_REFUSED/);
    } finally {
      blocker.close();
    }
  });
});
