import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseEvent, type SessionEvent } from '@socketscope/shared';
import { lessonById } from '@socketscope/shared/lessons/index';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const cli = path.join(root, 'apps/agent/src/cli.ts');

function freePort(kind: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  void kind;
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function runCli(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [cli, ...args], { cwd: root, env: { ...process.env, NODE_ENV: 'test' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`cli timed out; stderr: ${stderr}`)); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

function ndjson(stdout: string): SessionEvent[] {
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  return lines.map((l, i) => {
    const r = parseEvent(JSON.parse(l));
    if (!r.ok) throw new Error(`line ${i + 1} is not a valid event: ${r.error}\n${l}`);
    return r.event;
  });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Index of each wanted item in order within the list, or -1 for the first that is missing. */
function inOrder<T>(list: T[], preds: ((x: T) => boolean)[]): number[] {
  const at: number[] = [];
  let from = 0;
  for (const p of preds) {
    const i = list.findIndex((x, k) => k >= from && p(x));
    at.push(i);
    if (i < 0) break;
    from = i + 1;
  }
  return at;
}

describe('socketscope run', () => {
  it('tcp-hello --json prints every event as NDJSON in order: the calls with their bytes and the kernel states of the teardown', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await runCli(['run', 'tcp-hello', '--json', '--port', String(port), '--capture', 'off']);
    expect(code, stderr).toBe(0);
    const events = ndjson(stdout);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));

    const calls = events.filter((e): e is Extract<SessionEvent, { type: 'api.call' }> => e.type === 'api.call');
    for (const c of calls) expect(c.error, `${c.call} failed`).toBeUndefined();
    const listen = calls.find((c) => c.call === 'listen')!;
    const connect = calls.find((c) => c.call === 'connect')!;
    const accept = calls.find((c) => c.call === 'accept')!;
    expect(listen.local).toBe(`127.0.0.1:${port}`);
    expect(connect.remote).toBe(`127.0.0.1:${port}`);
    const server = accept.newSock!;
    const client = connect.sock!;
    const order = inOrder(calls, [
      (c) => c.call === 'listen',
      (c) => c.call === 'connect',
      (c) => c.call === 'accept',
      (c) => c.call === 'send' && c.sock === client && c.data?.b64 === b64('hello'),
      (c) => c.call === 'recv' && c.sock === server && c.data?.b64 === b64('hello'),
      (c) => c.call === 'send' && c.sock === server && c.data?.b64 === b64('hi, client'),
      (c) => c.call === 'recv' && c.sock === client && c.data?.b64 === b64('hi, client'),
      (c) => c.call === 'close' && c.sock === client,
      (c) => c.call === 'close' && c.sock === server,
    ]);
    expect(order.every((i) => i >= 0), JSON.stringify(order)).toBe(true);

    const kernel = events.filter((e): e is Extract<SessionEvent, { type: 'kernel.tcp' }> => e.type === 'kernel.tcp');
    const statesOf = (local: string | undefined, remote?: string) =>
      kernel.filter((k) => k.local === local && (remote === undefined || k.remote === remote) && !k.gone).map((k) => k.state);
    expect(statesOf(`127.0.0.1:${port}`, undefined)).toContain('LISTEN');
    const clientStates = statesOf(connect.local, connect.remote);
    const serverStates = statesOf(`127.0.0.1:${port}`, connect.local);
    expect(clientStates).toContain('ESTABLISHED');
    expect(serverStates).toContain('ESTABLISHED');
    expect(clientStates.some((s) => s === 'FIN_WAIT2' || s === 'TIME_WAIT'), clientStates.join(',')).toBe(true);
    expect(serverStates, serverStates.join(',')).toContain('CLOSE_WAIT');
    // the closer's FIN_WAIT2/TIME_WAIT comes after its close() call
    const clientClose = calls.find((c) => c.call === 'close' && c.sock === client)!;
    expect(kernel.some((k) => k.local === connect.local && (k.state === 'FIN_WAIT2' || k.state === 'TIME_WAIT') && k.seq > clientClose.seq)).toBe(true);

    const steps = events.filter((e) => e.type === 'scenario.step');
    expect(steps.at(-1)).toMatchObject({ step: 'server.close', status: 'done' });
    expect(steps.some((s) => s.type === 'scenario.step' && s.status === 'failed')).toBe(false);
  });

  it('udp-echo --json shows sendto/recvfrom with addresses, kept boundaries, and no kernel.tcp events', async () => {
    const port = await freePort('udp');
    const { code, stdout, stderr } = await runCli(['run', 'udp-echo', '--json', '--port', String(port), '--capture', 'off']);
    expect(code, stderr).toBe(0);
    const events = ndjson(stdout);
    expect(events.some((e) => e.type === 'kernel.tcp')).toBe(false);
    const calls = events.filter((e): e is Extract<SessionEvent, { type: 'api.call' }> => e.type === 'api.call');
    const serverAddr = `127.0.0.1:${port}`;
    const firstSend = calls.find((c) => c.call === 'sendto')!;
    expect(firstSend.remote ?? firstSend.args['port']).toBeTruthy();
    const recvs = calls.filter((c) => c.call === 'recvfrom' && !c.error);
    const serverRecv = recvs.find((c) => c.local === serverAddr || c.data?.b64 === b64('hello'))!;
    expect(serverRecv.data?.b64).toBe(b64('hello'));
    // recvfrom() names the sender: the client's port (its socket was bound implicitly by sendto, to 0.0.0.0)
    const clientPort = firstSend.local!.split(':').at(-1);
    expect(serverRecv.remote).toBe(`127.0.0.1:${clientPort}`);
    const echo = recvs.find((c) => c.data?.b64 === b64('HELLO'))!;
    expect(echo.remote).toBe(serverAddr);
    // two sendto() are two recvfrom(): "one" and "two" arrive separately
    expect(recvs.some((c) => c.data?.b64 === b64('one'))).toBe(true);
    expect(recvs.some((c) => c.data?.b64 === b64('two'))).toBe(true);
    // the flood: the kernel counts the datagrams the small buffer could not hold, the ones it held are read
    const udp = events.filter((e): e is Extract<SessionEvent, { type: 'kernel.udp' }> => e.type === 'kernel.udp' && e.local === serverAddr);
    const drops = Math.max(...udp.map((e) => e.drops));
    expect(drops).toBeGreaterThan(100);
    const floodRecvs = recvs.filter((c) => c.local === serverAddr && c.data?.len === 1000);
    expect(floodRecvs.length).toBeGreaterThan(0);
    expect(floodRecvs.length + drops).toBe(200);
  });

  it('without --json prints a readable summary', async () => {
    const port = await freePort();
    const { code, stdout } = await runCli(['run', 'tcp-hello', '--port', String(port), '--capture', 'off']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/tcp-hello: completed/);
    expect(stdout).toMatch(/connect\(\)/);
  });

  it('an unknown scenario exits 2 with a message on stderr and nothing on stdout', async () => {
    const { code, stdout, stderr } = await runCli(['run', 'no-such-lesson', '--json']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/no lesson "no-such-lesson".*tcp-hello/);
  });

  it('a lesson whose port is taken shows the real program failing: bind() raises EADDRINUSE on its line', async () => {
    const blocker = net.createServer((c) => c.destroy());
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { code, stdout, stderr } = await runCli(['run', 'tcp-hello', '--json', '--port', String(port), '--capture', 'off']);
      // a program's own error is part of the lesson (lesson-run L3): the lesson still runs its steps
      expect(code, stderr).toBe(0);
      const events = ndjson(stdout);
      const bind = events.find((e): e is Extract<SessionEvent, { type: 'api.call' }> => e.type === 'api.call' && e.call === 'bind')!;
      expect(bind.error?.code).toBe('EADDRINUSE');
      const bindLine = lessonById('tcp-hello')!.steps[0]!.lines.server!.find((n) => n === bind.src?.line);
      expect(bindLine, `bind() on line ${bind.src?.line}`).toBeDefined();
      const exit = events.find((e) => e.type === 'proc.exit' && e.run === bind.proc?.run);
      expect(exit).toMatchObject({ code: 1 });
      expect(events.some((e) => e.type === 'scenario.step' && e.status === 'failed')).toBe(false);
    } finally {
      blocker.close();
    }
  });
});
