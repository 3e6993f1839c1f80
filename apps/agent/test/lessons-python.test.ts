/**
 * The lessons' Python listings are real programs: every listing, in every language, parses as Python 3,
 * and every lesson's server and client run against each other on loopback (the tutorial port moved to a
 * free one) and print what the lesson says they do. Needs python3; without it the tests are skipped, loudly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LESSON_LANGS, LESSONS, lessonById, listingText, type Lesson, type Listing } from '@socketscope/shared/lessons/index';

const PYTHON = spawnSync('python3', ['--version'], { encoding: 'utf8' }).status === 0;
if (!PYTHON) console.warn('SKIPPED lessons-python: python3 is not installed, so the lesson listings cannot be checked');

const dir = mkdtempSync(path.join(tmpdir(), 'socketscope-py-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

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

/** The listing as a file, with the tutorial port moved to `port`. */
function writeProgram(lesson: Lesson, listing: Listing, port: number): string {
  const text = listingText(listing, 'zh-CN', { from: lesson.ports[0]!, to: port });
  const file = path.join(dir, `${port}-${listing.file}`);
  writeFileSync(file, text);
  return file;
}

interface Program {
  child: ChildProcess;
  out(): string;
  /** resolves with the exit code, or rejects after timeoutMs (and kills the program) */
  exit(timeoutMs?: number): Promise<number | null>;
  write(line: string): void;
}

function run(file: string): Program {
  const child = spawn('python3', [file], { env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => { children.delete(child); resolve(code); }));
  return {
    child,
    out: () => out,
    write: (line) => { child.stdin!.write(`${line}\n`); },
    exit: (timeoutMs = 10_000) => new Promise((resolve, reject) => {
      const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${path.basename(file)} did not finish in ${timeoutMs} ms; output:\n${out}`)); }, timeoutMs);
      void done.then((code) => { clearTimeout(t); resolve(code); });
    }),
  };
}

/** Polls /proc/net/{tcp,udp} until something is bound on the port (listening, for TCP). */
async function bound(proto: 'tcp' | 'udp', port: number, timeoutMs = 5000): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = readFileSync(`/proc/net/${proto}`, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    if (rows.some((f) => f[1]?.endsWith(`:${hex}`) && (proto === 'udp' || f[3] === '0A'))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing bound on ${proto} port ${port} after ${timeoutMs} ms`);
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts the lesson's server on a free port and waits until it is bound. */
async function startServer(id: string, proto: 'tcp' | 'udp' = 'tcp'): Promise<{ lesson: Lesson; port: number; server: Program }> {
  const lesson = lessonById(id)!;
  const port = await freePort();
  const server = run(writeProgram(lesson, lesson.listings.server!, port));
  await bound(proto, port);
  return { lesson, port, server };
}

function client(lesson: Lesson, port: number): Program {
  return run(writeProgram(lesson, lesson.listings.client, port));
}

describe.skipIf(!PYTHON)('lesson listings are Python 3', () => {
  it('every listing parses in every language (python3 ast.parse)', () => {
    // one python3 for all listings (a spawn costs a few hundred ms on a busy machine); each parsed on its own
    const sources = LESSONS.flatMap((lesson) => Object.values(lesson.listings).flatMap((listing) =>
      LESSON_LANGS.map((lang) => [`${lesson.id} ${listing.file} [${lang}]`, listingText(listing, lang)])));
    const script = 'import ast,json,sys\nfor name, src in json.load(sys.stdin):\n    try:\n        ast.parse(src, name)\n        print("ok", name)\n    except SyntaxError as e:\n        print("FAILED", name, e)';
    const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(sources), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('FAILED'))).toEqual([]);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('ok ')).length).toBe(LESSONS.reduce((n, l) => n + Object.keys(l.listings).length, 0) * 3);
  });

  it('a listing with a syntax error is caught (the check can fail)', () => {
    const r = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], { input: 'conn, addr = server.accept(\n', encoding: 'utf8' });
    expect(r.status).not.toBe(0);
  });
});

describe.skipIf(!PYTHON)('lesson programs run against each other on loopback', () => {
  it('tcp-hello: the client sends hello, the server answers once', async () => {
    const { lesson, port, server } = await startServer('tcp-hello');
    const c = client(lesson, port);
    expect(await c.exit(), c.out()).toBe(0);
    expect(await server.exit(), server.out()).toBe(0);
    expect(c.out()).toContain('received: hi, client');
    expect(server.out()).toContain('received: hello');
  });

  it('tcp-handshake: the client has no port before connect(); the uppercase server answers on a new socket', async () => {
    const { lesson, port, server } = await startServer('tcp-handshake');
    const c = client(lesson, port);
    expect(await c.exit(), c.out()).toBe(0);
    expect(await server.exit(), server.out()).toBe(0);
    expect(c.out()).toContain("before connect(): ('0.0.0.0', 0)");
    expect(c.out()).toContain('HELLO, TCP');
    expect(server.out()).toContain(`listening socket: ('127.0.0.1', ${port})`);
    expect(server.out()).toMatch(new RegExp(`new socket: \\('127\\.0\\.0\\.1', ${port}\\) <-> \\('127\\.0\\.0\\.1', \\d+\\)`));
  });

  it('tcp-teardown: after the server closed first, a restart without SO_REUSEADDR fails with EADDRINUSE and one with it succeeds', async () => {
    const { lesson, port, server } = await startServer('tcp-teardown');
    const c = client(lesson, port);
    expect(await c.exit(), c.out()).toBe(0);
    expect(await server.exit(), server.out()).toBe(0);
    expect(c.out()).toContain("recv() returned b'bye'");
    expect(c.out()).toContain("recv() returned b''");
    expect(server.out()).toContain('restart without SO_REUSEADDR failed: [Errno 98] Address already in use');
    expect(server.out()).toContain('restart with SO_REUSEADDR: ok');
  });

  it('tcp-buffers: sendall() blocks until the late reader reads, and every byte arrives', async () => {
    const { lesson, port, server } = await startServer('tcp-buffers');
    const c = client(lesson, port);
    expect(await c.exit(20_000), c.out()).toBe(0);
    expect(await server.exit(20_000), server.out()).toBe(0);
    const waited = Number(/sendall\(\) returned after ([\d.]+) s/.exec(c.out())?.[1]);
    expect(waited, c.out()).toBeGreaterThanOrEqual(2); // the server sleeps 3 s before its first recv()
    expect(server.out()).toContain(`received ${6 * 1024 * 1024} bytes`);
  });

  it('tcp-stream: one recv() gets both sends (粘包) and one send takes three recv(4)', async () => {
    const { lesson, port, server } = await startServer('tcp-stream');
    const c = client(lesson, port);
    expect(await c.exit(), c.out()).toBe(0);
    expect(await server.exit(), server.out()).toBe(0);
    expect(server.out()).toContain("one recv() got: b'helloworld'");
    expect(c.out().match(/recv\(4\) got: b'[A-Z]+'/g)).toEqual(["recv(4) got: b'HELL'", "recv(4) got: b'OWOR'", "recv(4) got: b'LD'"]);
  });

  it('tcp-echo: the single-task server answers B only after A quits, and stops on Ctrl+C', async () => {
    const { lesson, port, server } = await startServer('tcp-echo');
    const a = client(lesson, port);
    a.write('hello from A');
    await until(() => a.out().includes('> hello from A'), 'the echo to A');
    const b = client(lesson, port);
    b.write('hello from B');
    await new Promise((r) => setTimeout(r, 500));
    expect(b.out(), 'B must not be served while A is').not.toContain('hello from B');
    a.write('');
    expect(await a.exit(), a.out()).toBe(0);
    await until(() => b.out().includes('hello from B'), 'the echo to B after A quit');
    b.write('');
    expect(await b.exit(), b.out()).toBe(0);
    await until(() => (server.out().match(/done with/g) ?? []).length === 2, 'the server finishing both clients');
    server.child.kill('SIGINT');
    expect(await server.exit(), server.out()).toBe(0);
  });

  it('tcp-refused: with nobody listening, connect() fails with ConnectionRefusedError', async () => {
    const lesson = lessonById('tcp-refused')!;
    const port = await freePort();
    const c = client(lesson, port);
    expect(await c.exit(), c.out()).toBe(0);
    expect(c.out()).toContain('connect() failed: [Errno 111] Connection refused');
  });

  it('udp-echo: the answer carries the address, and a flooded small buffer drops datagrams', async () => {
    const { lesson, port, server } = await startServer('udp-echo', 'udp');
    const c = client(lesson, port);
    expect(await c.exit(), c.out()).toBe(0);
    expect(await server.exit(), server.out()).toBe(0);
    expect(c.out()).toContain(`HELLO from ('127.0.0.1', ${port})`);
    expect(server.out()).toContain("datagram: b'one'");
    expect(server.out()).toContain("datagram: b'two'");
    const survived = Number(/(\d+) of 200 datagrams survived/.exec(server.out())?.[1]);
    expect(survived, server.out()).toBeLessThan(200);
  });

  it('every lesson has its programs run above', () => {
    const covered = ['tcp-hello', 'tcp-handshake', 'tcp-teardown', 'tcp-buffers', 'tcp-stream', 'tcp-echo', 'tcp-refused', 'udp-echo'];
    expect(LESSONS.map((l) => l.id).toSorted()).toEqual(covered.toSorted());
  });
});
