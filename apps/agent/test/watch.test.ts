/**
 * Watch mode: a Python TCP echo server and client that the agent did not start (as the students' own
 * scripts), followed from the handshake to the teardown through the kernel layer (states) and the wire
 * layer (captured segments; with capture off, segments inferred from the kernel states).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyModel, foldAll, type KernelTcpEvent } from '@socketscope/shared';
import { PortWatcher } from '../src/watch/port-watcher.ts';
import { CaptureSource } from '../src/wire/capture.ts';
import { freePort } from './engine-harness.ts';
import { brief, haveTool, sleep, wireHarness, type WireHarness } from './wire-harness.ts';

const probe = new CaptureSource({ mode: 'off' }).status();
const python = haveTool('python3');
if (!python) console.warn('\n*** SKIPPED watch tests: python3 is not installed\n');
if (python && !probe.available) console.warn(`\n*** SKIPPED the captured-watch test: packet capture is not available here: ${probe.reason}\n`);

const SERVER = (port: number) => `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', ${port}))
s.listen(5)
print('listening', flush=True)
s.settimeout(10)
conn, addr = s.accept()
while True:
    data = conn.recv(1024)
    if not data:
        break
    conn.sendall(data)
conn.close()
s.close()
`;

const CLIENT = (port: number) => `
import socket, time
c = socket.create_connection(('127.0.0.1', ${port}), timeout=10)
time.sleep(0.2)
c.sendall('你好, echo'.encode('utf-8'))
print(c.recv(1024).decode('utf-8'), flush=True)
time.sleep(0.2)
c.close()
`;

function py(code: string): { proc: ChildProcess; out: Promise<string>; exited: Promise<number | null> } {
  const proc = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += String(d); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (status) => r(status)));
  return { proc, out: exited.then(() => out), exited };
}

async function untilPrinted(p: ChildProcess, text: string, ms = 5000): Promise<void> {
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`python did not print "${text}"`)), ms);
    p.stdout!.on('data', (d: Buffer) => { out += String(d); if (out.includes(text)) { clearTimeout(t); resolve(); } });
  });
}

async function echoRun(h: WireHarness, port: number): Promise<{ clientEnd: string; conn: string; kernel: KernelTcpEvent[] }> {
  h.watcher.add(port);
  const server = py(SERVER(port));
  try {
    await untilPrinted(server.proc, 'listening');
    await h.waitFor((e) => e.type === 'kernel.tcp' && e.state === 'LISTEN' && e.local === `127.0.0.1:${port}`, 3000, 'the LISTEN row');
    const client = py(CLIENT(port));
    expect(await client.out).toContain('你好, echo');
    expect(await server.exited).toBe(0);
    const tw = await h.waitFor((e) => e.type === 'kernel.tcp' && e.state === 'TIME_WAIT' && e.remote === `127.0.0.1:${port}`, 3000, 'TIME_WAIT') as KernelTcpEvent;
    await sleep(200);
    const kernel = h.events.filter((e): e is KernelTcpEvent => e.type === 'kernel.tcp' && (e.local.endsWith(`:${port}`) || e.remote?.endsWith(`:${port}`) === true));
    return { clientEnd: tw.local, conn: `${tw.local}>127.0.0.1:${port}`, kernel };
  } finally {
    server.proc.kill();
  }
}

describe.skipIf(!python)('watch: programs the agent did not start', () => {
  let h: WireHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it.skipIf(!probe.available)('follows a Python echo server and client from handshake to teardown: kernel states and captured segments', async () => {
    h = await wireHarness({ waitRunning: true });
    const port = await freePort();
    const run = await echoRun(h, port);
    // kernel: the listener, the client's connection established then in TIME_WAIT (it closed first)
    const client = run.kernel.filter((e) => e.local === run.clientEnd);
    expect(client.map((e) => e.state)).toContain('ESTABLISHED');
    expect(client.at(-1)!.state).toBe('TIME_WAIT');
    expect(run.kernel.every((e) => e.sock === undefined)).toBe(true);
    expect(client[0]!.conn).toBe(run.conn);
    // wire: every segment captured, none inferred, none claimed by an agent socket
    const segs = h.segments(run.conn);
    expect(segs.every((s) => !s.inferred && s.sock === undefined)).toBe(true);
    const lines = segs.map((s) => brief(s, run.clientEnd));
    const n = Buffer.byteLength('你好, echo');
    expect(lines.slice(0, 3)).toEqual(['C>S SYN 0/- len 0', 'S>C ACK+SYN 0/1 len 0', 'C>S ACK 1/1 len 0']);
    expect(lines).toContain(`C>S ACK+PSH 1/1 len ${n}`);
    expect(lines).toContain(`S>C ACK+PSH 1/${1 + n} len ${n}`);
    expect(lines).toContain(`C>S ACK+FIN ${1 + n}/${1 + n} len 0`);
    expect(lines.some((l) => l.startsWith(`S>C ACK+FIN ${1 + n}/${2 + n}`))).toBe(true);
    expect(lines.at(-1)).toBe(`C>S ACK ${2 + n}/${2 + n} len 0`);
    // the shared model shows them as watched sockets (not the agent's) on one closed connection
    const model = foldAll(emptyModel(), h.events);
    expect(model.conns[run.conn]?.stage).toBe('closed');
    expect(Object.values(model.sockets).some((s) => !s.owned && s.local === run.clientEnd)).toBe(true);
  });

  it('with capture off, infers the handshake and both FINs from the kernel states, each marked', async () => {
    h = await wireHarness({ capture: 'off' });
    const port = await freePort();
    const run = await echoRun(h, port);
    const segs = h.segments(run.conn);
    expect(segs.length).toBeGreaterThanOrEqual(5);
    expect(segs.every((s) => s.inferred && s.seqNo === null && /kernel/.test(s.inferredFrom ?? ''))).toBe(true);
    const lines = segs.map((s) => brief(s, run.clientEnd).replace(' -/-', ''));
    expect(lines.slice(0, 3)).toEqual(['C>S SYN len 0', 'S>C ACK+SYN len 0', 'C>S ACK len 0']);
    expect(lines).toContain('C>S ACK+FIN len 0');
    expect(lines).toContain('S>C ACK+FIN len 0');
    expect(lines.at(-1)).toBe('C>S ACK len 0');
  });

  it('bounds the watched ports and refuses the agent’s own port', () => {
    let changes = 0;
    const w = new PortWatcher({ max: 2, refused: () => [8080], onChange: () => changes++ });
    expect(w.add(9999)).toEqual([9999]);
    expect(w.add(9999)).toEqual([9999]);
    expect(w.add(12000)).toEqual([9999, 12000]);
    expect(() => w.add(8888)).toThrow(expect.objectContaining({ code: 'E_LIMIT' }));
    expect(() => w.add(8080)).toThrow(expect.objectContaining({ code: 'E_INVALID' }));
    expect(() => w.add(0)).toThrow(expect.objectContaining({ code: 'E_INVALID' }));
    expect(w.remove(9999)).toEqual([12000]);
    expect(changes).toBe(3);
  });
});
