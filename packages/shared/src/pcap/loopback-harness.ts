/**
 * Test support for real-capture.test.ts: capture tools, loopback sockets and tshark, driven from Node.
 *
 * packages/shared is type-checked without Node's types, so no Node global (Buffer, process) can slip
 * into code the browser runs, and lint forbids static node:* imports here. This harness is for tests
 * only: it loads the few Node modules it needs at run time and describes, in the small interfaces
 * below, exactly the parts of them it uses. Sockets go to 127.0.0.1 only.
 */

interface Readable { setEncoding(e: 'utf8'): Readable; on(ev: 'data', cb: (d: string) => void): void }
interface Child {
  stdout: Readable;
  stderr: Readable;
  once(ev: 'exit' | 'close', cb: (code: number | null) => void): void;
  once(ev: 'error', cb: (e: Error) => void): void;
  kill(signal: 'SIGINT' | 'SIGKILL'): boolean;
}
interface SyncResult { status: number | null; stdout: string; stderr: string; error?: Error }
export interface Sock {
  write(d: string | Uint8Array): boolean;
  end(): void;
  pause(): void;
  resume(): void;
  on(ev: 'data', cb: (d: Uint8Array) => void): void;
  on(ev: 'end', cb: () => void): void;
  once(ev: 'connect' | 'close' | 'data', cb: () => void): void;
}
export interface Server { listen(port: number, host: string, cb: () => void): void; address(): { port: number }; close(cb: () => void): void }
interface Udp {
  on(ev: 'message', cb: (m: Uint8Array, from: { port: number; address: string }) => void): void;
  send(m: string | Uint8Array, port: number, host: string): void;
  bind(port: number, host: string, cb: () => void): void;
  address(): { port: number };
  close(): void;
}

// timers are not in this package's lib (ES2023): take them from the global object, typed here
type Timer = unknown;
const g = globalThis as unknown as {
  setTimeout(cb: () => void, ms: number): Timer;
  clearTimeout(t: Timer): void;
  setInterval(cb: () => void, ms: number): Timer;
  clearInterval(t: Timer): void;
};
const setTimeout = (cb: () => void, ms: number): Timer => g.setTimeout(cb, ms);
const clearTimeout = (t: Timer): void => g.clearTimeout(t);
const setInterval = (cb: () => void, ms: number): Timer => g.setInterval(cb, ms);
const clearInterval = (t: Timer): void => g.clearInterval(t);

const load = (m: string): Promise<Record<string, unknown>> => import(/* @vite-ignore */ `node:${m}`);
const [cp, net, dgram, fs, os, path] = await Promise.all(['child_process', 'net', 'dgram', 'fs', 'os', 'path'].map(load));

export const node = {
  spawn: cp!['spawn'] as (cmd: string, args: string[], opts: { stdio: string[] }) => Child,
  spawnSync: cp!['spawnSync'] as (cmd: string, args: string[], opts?: { timeout?: number; encoding?: 'utf8'; maxBuffer?: number }) => SyncResult,
  readFile: fs!['readFileSync'] as (file: string) => Uint8Array,
  writeFile: fs!['writeFileSync'] as (file: string, data: Uint8Array) => void,
  tempDir: (): string => (fs!['mkdtempSync'] as (p: string) => string)((path!['join'] as (...p: string[]) => string)((os!['tmpdir'] as () => string)(), 'socketscope-capture-')),
  removeDir: (dir: string): void => (fs!['rmSync'] as (p: string, o: object) => void)(dir, { recursive: true, force: true }),
  join: path!['join'] as (...parts: string[]) => string,
  warn: (msg: string): void => { (globalThis as unknown as { console: { warn(m: string): void } }).console.warn(msg); },
  env: (name: string): string | undefined => (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name],
};

export function have(tool: string): boolean {
  return node.spawnSync('which', [tool]).status === 0;
}

/** null when this process can capture on lo, else why not. */
export function whyCannotCapture(): string | null {
  for (const t of ['tcpdump', 'dumpcap', 'tshark']) if (!have(t)) return `${t} is not installed (apt-get install tcpdump tshark)`;
  const r = node.spawnSync('tcpdump', ['-i', 'lo', '-w', '/dev/null', '-c', '1', 'tcp port 9'], { timeout: 1500, encoding: 'utf8' });
  if (r.stderr?.includes('listening on')) return null;
  return `tcpdump cannot capture on lo here: ${(r.stderr ?? '').trim().split('\n')[0] ?? r.error?.message}`;
}

export interface Capture {
  file: string;
  stop(): Promise<void>;
}

/**
 * Starts a capture tool and resolves once it captures. tcpdump's "listening on" comes after its
 * filter is attached. dumpcap says "Capturing on" before it really is, so for it `probe` sends
 * datagrams (that its filter takes) until its packet counter on stderr moves.
 */
export function startCapture(cmd: string, args: string[], file: string, ready: RegExp, probe?: () => void): Promise<Capture> {
  return new Promise((resolve, reject) => {
    const child = node.spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let started = false;
    let prober: Timer;
    const timer = setTimeout(() => { clearInterval(prober); child.kill('SIGKILL'); reject(new Error(`${cmd} did not start: ${err}`)); }, 10_000);
    const done = (): void => {
      clearTimeout(timer);
      clearInterval(prober);
      resolve({
        file,
        stop: () => new Promise<void>((exited) => {
          // let the last packets reach the capture before asking it to flush and exit
          setTimeout(() => {
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => { clearTimeout(kill); exited(); });
            child.kill('SIGINT');
          }, 300);
        }),
      });
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      err += d;
      if (!started && ready.test(err)) {
        started = true;
        if (!probe) { done(); return; }
        probe();
        prober = setInterval(probe, 50);
      }
      if (started && probe && /Packets(?: captured)?: [1-9]/.test(err)) done();
    });
    child.once('error', (e: Error) => { clearTimeout(timer); clearInterval(prober); reject(e); });
    child.once('exit', (code: number | null) => { clearTimeout(timer); clearInterval(prober); reject(new Error(`${cmd} exited (${code}): ${err}`)); });
  });
}


export function listen(onConn: (s: Sock) => void): Promise<Server> {
  const createServer = net!['createServer'] as (cb: (s: Sock) => void) => Server;
  return new Promise((resolve) => { const srv = createServer(onConn); srv.listen(0, '127.0.0.1', () => resolve(srv)); });
}
export const portOf = (srv: Server): number => srv.address().port;
export const sleep = (ms: number): Promise<void> => new Promise((r) => { setTimeout(r, ms); });
export const closeServer = (srv: Server): Promise<void> => new Promise((r) => srv.close(() => r()));

/** The tutorial's hello server: answers a greeting once, closes when the client does; may wait before reading. */
export function helloServer(opts: { pauseMs?: number } = {}): Promise<Server> {
  return listen((s) => {
    if (opts.pauseMs) { s.pause(); setTimeout(() => { s.resume(); }, opts.pauseMs); }
    s.on('data', (d) => { if (String(d).startsWith('hello')) s.write('hello, client'); });
    s.on('end', () => s.end());
  });
}

/** hello both ways, three small messages, a burst of `burst` bytes, then the client closes first. */
export async function helloClient(port: number, burst: number): Promise<void> {
  const c = (net!['connect'] as (port: number, host: string) => Sock)(port, '127.0.0.1');
  await new Promise<void>((r) => c.once('connect', () => r()));
  c.write('hello, server');
  await new Promise<void>((r) => c.once('data', () => r()));
  for (const m of ['one', 'two', 'three']) { c.write(m); await sleep(5); }
  if (burst > 0) c.write(new Uint8Array(burst).fill(0x41));
  c.end();
  c.resume();
  await new Promise<void>((r) => c.once('close', () => r()));
}

export function udpSocket(): Udp {
  return (dgram!['createSocket'] as (type: 'udp4') => Udp)('udp4');
}

export function bindUdp(s: Udp): Promise<number> {
  return new Promise((r) => s.bind(0, '127.0.0.1', () => r(s.address().port)));
}

/** A UDP echo on 127.0.0.1: three datagrams out, three back. */
export async function udpEcho(): Promise<{ port: number; run(): Promise<void> }> {
  const srv = udpSocket();
  srv.on('message', (m, from) => srv.send(m, from.port, from.address));
  const port = await bindUdp(srv);
  return {
    port,
    async run() {
      const c = udpSocket();
      let got = 0;
      const all = new Promise<void>((r) => c.on('message', () => { if (++got === 3) r(); }));
      for (const m of ['ping', 'datagram boundaries are kept', 'x'.repeat(1000)]) c.send(m, port, '127.0.0.1');
      await Promise.race([all, sleep(2000)]);
      c.close();
      srv.close();
    },
  };
}

export type SharkRow = Record<string, string>;

function tsharkArgs(file: string, fields: string[], filter?: string): string[] {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=f', ...fields.flatMap((f) => ['-e', f])];
  return filter ? [...args, '-Y', filter] : args;
}

function rowsOf(out: string, fields: string[]): SharkRow[] {
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const cols = l.split('|');
    return Object.fromEntries(fields.map((f, i) => [f, cols[i] ?? '']));
  });
}

/** tshark's view of a capture: one row per frame (matching the display filter), the given fields. */
export function tshark(file: string, fields: string[], filter?: string): SharkRow[] {
  const r = node.spawnSync('tshark', tsharkArgs(file, fields, filter), { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return rowsOf(r.stdout, fields);
}

/** The same, without blocking, so several tshark runs can share the machine's cores. */
export function tsharkAsync(file: string, fields: string[], filter?: string): Promise<SharkRow[]> {
  return new Promise((resolve, reject) => {
    const child = node.spawn('tshark', tsharkArgs(file, fields, filter), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    child.once('error', reject);
    child.once('close', (code: number | null) => (code === 0 ? resolve(rowsOf(out, fields)) : reject(new Error(`tshark failed: ${err}`))));
  });
}

/** Writes a copy of `file` with only the frames matching `filter`. */
export function tsharkFilter(file: string, filter: string, out: string): void {
  const r = node.spawnSync('tshark', ['-r', file, '-Y', filter, '-w', out, '-F', 'pcap'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
}
