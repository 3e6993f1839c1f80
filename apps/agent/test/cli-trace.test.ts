/**
 * `socketscope trace` (python/trace-command.ts TC1–TC5) on the tutorial's echo server and client, unmodified,
 * checked against an independent witness: strace of the same run sees the same socket calls per socket,
 * in the same order.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyModel, foldAll, type SessionEvent } from '@socketscope/shared';
import { cli, root, tsx } from './cli-kit.ts';
import { freePort, lineOf, PY } from './python-kit.ts';

const STRACE = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;
if (!STRACE) console.warn('SKIPPED the strace cross-check of trace: strace is not installed (apt-get install strace)');

const dir = mkdtempSync(path.join(tmpdir(), 'socketscope-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// the tutorial's programs as a student types them, on a free port instead of 9999
const server = (port: number) => `import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", ${port}))
s.listen(5)
print("waiting")
conn, addr = s.accept()
print("connected by", addr)
while True:
    data = conn.recv(1024)
    if not data:
        break
    conn.send(data)
conn.close()
s.close()
`;
const client = (port: number) => `import socket

c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.connect(("127.0.0.1", ${port}))
c.sendall(b"Hello, world")
data = c.recv(1024)
c.close()
print("Received", repr(data))
`;

interface Ran { code: number | null; events: SessionEvent[]; stderr: string }

function runCli(args: string[], wrap: string[] = [], timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const [cmd, ...rest] = wrap.length ? [...wrap, tsx, cli, ...args] : [tsx, cli, ...args];
    const child = spawn(cmd!, rest, { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`trace did not end within ${timeoutMs} ms: ${err}`)); }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve({ code, stderr: err, events: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as SessionEvent) });
      } catch (e) {
        reject(new Error(`stdout is not NDJSON (${(e as Error).message}):\n${out.slice(0, 2000)}`));
      }
    });
  });
}

async function programs(): Promise<{ port: number; s: string; c: string }> {
  const port = await freePort();
  const s = path.join(dir, `echo_server_${port}.py`);
  const c = path.join(dir, `echo_client_${port}.py`);
  writeFileSync(s, server(port));
  writeFileSync(c, client(port));
  return { port, s, c };
}

type Call = Extract<SessionEvent, { type: 'api.call' }>;

describe.skipIf(!PY.available)('socketscope trace', () => {
  it('the echo server and client under trace --json: calls with lines, waits, kernel states, packets, output', async () => {
    const { port, s, c } = await programs();
    const r = await runCli(['trace', '--json', s, '--then', c]);
    expect(r.code, r.stderr).toBe(0);
    const starts = r.events.filter((e): e is Extract<SessionEvent, { type: 'proc.start' }> => e.type === 'proc.start');
    expect(starts.map((e) => e.file)).toEqual([path.basename(s), path.basename(c)]);
    const [srv, cl] = starts.map((e) => e.proc.run) as [string, string];
    const calls = (run: string) => r.events.filter((e): e is Call => e.type === 'api.call' && e.proc?.run === run);
    const code = server(port);
    expect(calls(srv).map((e) => `${e.call}@${e.src?.line}`)).toEqual([
      `socket@${lineOf(code, 'socket.socket(')}`, `bind@${lineOf(code, 's.bind')}`, `listen@${lineOf(code, 's.listen')}`,
      `accept@${lineOf(code, 's.accept')}`, `recv@${lineOf(code, 'conn.recv')}`, `send@${lineOf(code, 'conn.send')}`,
      `recv@${lineOf(code, 'conn.recv')}`, `close@${lineOf(code, 'conn.close')}`, `close@${lineOf(code, 's.close')}`,
    ]);
    // the server started first and the client only once it waited in accept()
    const acceptBegin = r.events.find((e) => e.type === 'api.begin' && e.proc?.run === srv && e.call === 'accept')!;
    expect(acceptBegin.seq).toBeLessThan(starts[1]!.seq);
    // the client's printed output is in the stream
    const out = r.events.filter((e) => e.type === 'proc.output' && e.run === cl).map((e) => (e as { text: string }).text).join('');
    expect(out).toBe("Received b'Hello, world'\n");
    // the kernel's states attach to the same sockets
    const connect = calls(cl).find((e) => e.call === 'connect')!;
    const listen = calls(srv).find((e) => e.call === 'listen')!;
    expect(r.events.some((e) => e.type === 'kernel.tcp' && e.sock === listen.sock && e.state === 'LISTEN')).toBe(true);
    const model = foldAll(emptyModel(), r.events);
    expect(model.sockets[connect.sock!]?.run).toBe(cl);
    // the wire: captured where capture runs here, else inferred and marked so; the SYN is the connect()'s
    const syn = r.events.find((e): e is Extract<SessionEvent, { type: 'tcp.segment' }> => e.type === 'tcp.segment' && e.flags.includes('SYN') && !e.flags.includes('ACK') && e.dst === `127.0.0.1:${port}`);
    expect(syn, 'a SYN to the server').toBeDefined();
    expect(syn!.src).toBe(connect.local);
    expect(model.conns[connect.conn!]?.clientSock).toBe(connect.sock);
    const wire = r.events.find((e) => e.type === 'source.status' && e.source === 'wire') as Extract<SessionEvent, { type: 'source.status' }> | undefined;
    if (wire?.status.running) expect(syn!.inferred).toBe(false);
    else console.warn(`NOTE trace test: capture is not running here (${wire?.status.reason ?? 'no status'}); the wire layer was inferred`);
    // both programs ended by themselves
    expect(r.events.filter((e) => e.type === 'proc.exit').map((e) => (e as { code: number | null }).code)).toEqual([0, 0]);
  });

  it.skipIf(!STRACE)('strace of the same run sees the same socket calls, per socket, in the same order', async () => {
    const { s, c } = await programs();
    const log = path.join(dir, `strace-${Date.now()}.txt`);
    // the whole tree: the agent, and the programs it starts (its children)
    const r = await runCli(['trace', '--json', '--capture', 'off', s, '--then', c], ['strace', '-f', '-qq', '-e', 'trace=%network,close', '-o', log], 120_000);
    expect(r.code, r.stderr).toBe(0);
    for (const start of r.events.filter((e): e is Extract<SessionEvent, { type: 'proc.start' }> => e.type === 'proc.start')) {
      const traced = perSocketFromTracer(r.events.filter((e): e is Call => e.type === 'api.call' && e.proc?.run === start.proc.run));
      const text = readFileSync(log, 'utf8');
      const seen = perSocketFromStrace(text, start.proc.pid);
      const lines = text.split('\n').filter((l) => l.startsWith(`${start.proc.pid} `)).join('\n');
      expect(seen, `${start.file}; strace saw:\n${lines.slice(0, 6000)}`).toEqual(traced);
      // not two empty lists: the server's accept4 and the client's connect are there
      expect(seen.flat()).toContain(start.file.startsWith('echo_server') ? 'accept4' : 'connect');
    }
  }, 180_000);

  it('a program that cannot start: exit 2 and a clear message; a usage error: exit 2', async () => {
    const missing = await runCli(['trace', '--json', path.join(dir, 'nope.py')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot start .*nope\.py: no such file/);
    expect(missing.events).toEqual([]);
    const usage = await runCli(['trace', '--json']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/trace needs a Python file/);
  });

  it('a program\'s own arguments are its own, and a failing program makes trace exit 1', async () => {
    const f = path.join(dir, 'args.py');
    writeFileSync(f, 'import sys\nprint(sys.argv[1:])\nsys.exit(3)\n');
    const r = await runCli(['trace', '--json', f, '--json', '--port', '9']);
    expect(r.code).toBe(1);
    const out = r.events.filter((e) => e.type === 'proc.output').map((e) => (e as { text: string }).text).join('');
    expect(out).toBe("['--json', '--port', '9']\n");
    expect(r.events.find((e) => e.type === 'proc.exit')).toMatchObject({ code: 3, reason: 'exited' });
  });
});

/** The Python calls per socket (by fd lifetime), as the system calls they make (x86-64 Linux, glibc). */
function perSocketFromTracer(calls: Call[]): string[][] {
  const SYSCALL: Record<string, string> = {
    socket: 'socket', bind: 'bind', listen: 'listen', accept: 'accept4', connect: 'connect', connect_ex: 'connect',
    send: 'sendto', sendall: 'sendto', sendto: 'sendto', recv: 'recvfrom', recvfrom: 'recvfrom', recv_into: 'recvfrom',
    recvfrom_into: 'recvfrom', setsockopt: 'setsockopt', shutdown: 'shutdown', close: 'close',
  };
  const bySock = new Map<string, string[]>();
  const order: string[] = [];
  for (const c of calls) {
    const name = SYSCALL[c.call];
    if (!name || !c.sock || c.error?.code === 'EBADF') continue;
    if (!bySock.has(c.sock)) { bySock.set(c.sock, []); order.push(c.sock); }
    bySock.get(c.sock)!.push(name);
    if (c.call === 'accept' && c.newSock) { bySock.set(c.newSock, []); order.push(c.newSock); }
  }
  return collapse(order.map((k) => bySock.get(k)!));
}

/**
 * strace's lines for one process (-f prefixes each with its pid; a blocking call is split into
 * "<unfinished ...>" and "<... name resumed>"), grouped by socket: from the socket() or accept4() that
 * returned its fd to its close(). getsockname, getpeername and getsockopt are left out: they are the
 * tracer's own look-ups of the addresses it reports.
 */
function perSocketFromStrace(text: string, pid: number): string[][] {
  const open = new Map<number, string[]>();
  const done: string[][] = [];
  const all: string[][] = [];
  for (const raw of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(raw);
    if (!m || Number(m[1]) !== pid) continue;
    const line = m[2]!;
    if (line.startsWith('<...')) continue; // the start line already named the call and its fd
    const call = /^(\w+)\((\d+)?/.exec(line);
    if (!call) continue;
    const name = call[1]!;
    if (name === 'getsockname' || name === 'getpeername' || name === 'getsockopt' || name === 'socketpair') continue;
    if (name === 'socket') {
      const fd = resultOf(text, raw);
      if (fd >= 0) { const seq = ['socket']; open.set(fd, seq); all.push(seq); }
      continue;
    }
    const fd = Number(call[2]);
    let seq = open.get(fd);
    if (!seq) {
      // a socket call on a descriptor whose accept4() result was not read (a result line strace split in
      // a way this parser does not know): the program's only sockets are the ones it made or accepted,
      // so it is the accepted one. Files' close() calls are not socket calls.
      if (name === 'close' || Number.isNaN(fd)) continue;
      seq = [];
      open.set(fd, seq);
      all.push(seq);
    }
    seq.push(name);
    if (name === 'accept4') {
      const nfd = resultOf(text, raw);
      if (nfd >= 0) { const ns: string[] = []; open.set(nfd, ns); all.push(ns); }
    }
    if (name === 'close') { open.delete(fd); done.push(seq); }
  }
  return collapse(all);
}

/** The value a call returned: on its own line, or on its "resumed" line when it blocked. */
function resultOf(text: string, line: string): number {
  const direct = / = (-?\d+)/.exec(line);
  if (!line.includes('<unfinished ...>') && direct) return Number(direct[1]);
  const [pid, rest] = [line.split(/\s+/)[0]!, line.slice(line.indexOf(' ') + 1)];
  const name = /^(\w+)\(/.exec(rest)?.[1];
  const after = text.slice(text.indexOf(line) + line.length);
  const resumed = new RegExp(`^${pid}\\s+<\\.\\.\\. ${name} resumed>.* = (-?\\d+)`, 'm').exec(after);
  return resumed ? Number(resumed[1]) : -1;
}

/** sendall() may take several sendto()s: runs of one call count once, on both sides. */
function collapse(seqs: string[][]): string[][] {
  return seqs.map((s) => s.filter((x, i) => i === 0 || x !== s[i - 1]));
}
