/**
 * `socketscope` (`pnpm -s socketscope …`). stdout carries only what a command promises (the URL
 * line, NDJSON events, the summary); every diagnostic goes to stderr. Rules:
 * C1 The token appears only in the start-up URL line (S6).
 * C2 `run --json` prints one event per line, in seq order, and nothing else; it exits 0 when the
 *    scenario completed, 1 when a step failed, 2 for a usage error (unknown scenario or option).
 * C3 SIGINT/SIGTERM: stop the lesson, close the sockets, stop the sources, flush the clients, exit.
 *    A second signal exits at once.
 * C4 `start` fails clearly when its port is taken (it does not silently pick another: a teacher's
 *    bookmark and the printed URL must agree); `--port 0` asks for any free port.
 * C5 `start --share` (or `--share-host ADDR`) also listens on the LAN address (the first non-internal
 *    IPv4, or ADDR) and prints a second, read-only link with its own viewer token, on its own line.
 *    The teacher's listener stays on loopback: `--share` with a non-loopback `--host` is a usage error.
 *    Without an address to share on it fails clearly (exit 2) instead of sharing nothing.
 * C6 `run` and `trace` take the lab's flags (`--lab --delay --jitter --loss --rate`; lab/cli-lab.ts); a
 *    lesson with `lab` runs on the lab without them (their conditions, given, replace the lesson's).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cac } from 'cac';
import { emptyModel, fold, type SessionEvent } from '@socketscope/shared';
import { CaptureReader, type CaptureRecord } from '@socketscope/shared/pcap/index';
import { importRecords } from '@socketscope/shared/wire/index';
import { AGENT_VERSION, createAgent, type Agent } from './agent.ts';
import { LESSONS, lessonById } from '@socketscope/shared/lessons/index';

const lessonIds = (): string[] => LESSONS.map((l) => l.id);
import { isLoopbackHost } from '@socketscope/shared';
import { makeToken } from './server/security.ts';
import { DEFAULT_PORT, startServer, type RunningServer, type ShareOptions } from './server/server.ts';
import { pickShareHost, shareHostProblem } from './server/share.ts';
import { formatEvent, formatSummary } from './session/format.ts';
import { trace, TraceUsageError } from './python/trace-command.ts';
import { LAB_FLAG_HELP, LabFlagError, takeLabFlags, type LabFlagValues } from './lab/flags.ts';
import { labOption, lessonNeedsLab, runLab, traceLab } from './lab/cli-lab.ts';

class UsageError extends Error {
  override name = 'UsageError';
}

const err = (line: string) => process.stderr.write(`socketscope: ${line}\n`);

function portOption(v: unknown, name = '--port'): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${name} must be a port number 0–65535, not "${String(v)}"`);
  return n;
}

function captureOption(v: unknown): 'auto' | 'off' | undefined {
  if (v === undefined) return undefined;
  if (v === 'auto' || v === 'off') return v;
  throw new UsageError(`--capture must be auto or off, not "${String(v)}"`);
}

function tokenOption(v: unknown): string {
  const t = v === undefined ? process.env['SOCKETSCOPE_TOKEN'] : String(v);
  if (t === undefined || t === '') return makeToken();
  // it travels in a URL query, so keep it URL-safe; short tokens are guessable
  if (!/^[A-Za-z0-9._~-]{16,256}$/.test(t)) throw new UsageError('the token must be 16–256 characters of A–Z a–z 0–9 . _ ~ -');
  return t;
}

/** Writes to stdout respecting back-pressure, so nothing is lost when the process exits. */
function stdoutWriter(): { write(line: string): void; drain(): Promise<void> } {
  let pending = Promise.resolve();
  let blocked = false;
  const queue: string[] = [];
  return {
    write(line) {
      if (blocked) { queue.push(line); return; }
      if (!process.stdout.write(line)) {
        blocked = true;
        pending = new Promise((resolve) => process.stdout.once('drain', () => {
          blocked = false;
          const rest = queue.splice(0).join('');
          if (rest) process.stdout.write(rest);
          resolve();
        }));
      }
    },
    async drain() {
      await pending;
      if (queue.length) process.stdout.write(queue.splice(0).join(''));
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    },
  };
}

/**
 * C3: the first signal runs `stop` and exits with `code` (0 where a signal is the normal way to end,
 * as for `start` and `watch`; 130 for an interrupted `run`); the second exits at once.
 */
function onSignals(stop: () => Promise<void>, code = 0): void {
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) process.exit(130);
      stopping = true;
      stop().then(() => process.exit(code), (e: unknown) => { err(`shutdown: ${(e as Error).message}`); process.exit(1); });
    });
  }
}

interface StartFlags {
  port?: unknown; host?: unknown; open?: boolean; token?: unknown; allowRemote?: boolean; capture?: unknown;
  share?: boolean; shareHost?: unknown;
}

/** C5: where to share, or undefined when not sharing. */
function shareOption(flags: StartFlags, host: string): ShareOptions | undefined {
  if (flags.share !== true && flags.shareHost === undefined) return undefined;
  if (flags.shareHost === true || flags.shareHost === '') throw new UsageError('--share-host needs an address');
  if (!isLoopbackHost(host)) throw new UsageError('--share keeps the teacher’s page on this machine; leave out --host (students get their own read-only address)');
  const shareHost = flags.shareHost === undefined ? pickShareHost() : String(flags.shareHost);
  if (shareHost === null) throw new UsageError('--share: this machine has no network address other than loopback; connect to the classroom network or give --share-host ADDRESS');
  const problem = shareHostProblem(shareHost);
  if (problem) throw new UsageError(problem);
  return { host: shareHost, viewerToken: makeToken() };
}

async function start(flags: StartFlags): Promise<void> {
  const port = portOption(flags.port) ?? DEFAULT_PORT;
  const host = flags.host === undefined ? '127.0.0.1' : String(flags.host);
  const token = tokenOption(flags.token);
  const capture = captureOption(flags.capture);
  const share = shareOption(flags, host);
  const agent = createAgent({ allowRemote: flags.allowRemote === true, ...(capture ? { capture } : {}) });
  let server: RunningServer;
  try {
    server = await startServer(agent, { host, port, token, log: err, ...(share ? { share } : {}) });
    // the page's own WebSocket traffic is not part of any lesson: capture leaves its port out
    await agent.setUiPorts([server.port]);
    agent.start();
  } catch (e) {
    await agent.stop();
    const code = (e as { code?: string }).code;
    if (share && (code === 'EADDRNOTAVAIL' || code === 'EINVAL')) {
      err(`cannot listen on ${share.host}: it is not an address of this machine (${code}).`);
      process.exit(1);
    }
    if (code === 'EADDRINUSE') {
      err(`port ${port} on ${host}${share ? ` or ${share.host}` : ''} is already in use (is another SocketScope running?).`);
      err(`stop it, or choose another port: pnpm start --port ${port + 1}   (--port 0 picks any free port)`);
      process.exit(1);
    }
    throw e;
  }
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    err(`warning: listening on ${host}, not only on this machine; anyone who can reach it and has the token can open sockets here`);
  }
  onSignals(async () => {
    err('shutting down');
    await server.close();
    await agent.stop();
  });
  if (flags.allowRemote === true) err('warning: --allow-remote: sockets may reach machines other than this one');
  process.stdout.write(`SocketScope: ${server.url}\n`); // C1: the one place the token is printed
  if (server.viewerUrl) {
    // C5: the viewer token's one place; the teacher's page also shows it (and a QR code of it)
    process.stdout.write(`SocketScope read-only link for students: ${server.viewerUrl}\n`);
    err(`sharing on ${share!.host}: students on this network can watch; only this machine's page can make calls`);
  }
  if (flags.open !== false) {
    try {
      const { default: open } = await import('open');
      const child = await open(server.url);
      child.on('error', () => err('could not open a browser; open the address above yourself'));
    } catch {
      err('could not open a browser; open the address above yourself');
    }
  }
}

interface RunFlags extends LabFlagValues { json?: boolean; port?: unknown; capture?: unknown; pcap?: unknown }

async function run(name: string, flags: RunFlags): Promise<number> {
  const lesson = lessonById(name);
  if (!lesson) throw new UsageError(`no lesson "${name}"; there are: ${lessonIds().join(', ')}`);
  const conditions = labOption(flags);
  lessonNeedsLab(lesson, conditions);
  const port = portOption(flags.port);
  const capture = captureOption(flags.capture);
  const pcap = flags.pcap === undefined ? undefined : String(flags.pcap);
  if (pcap === '' || flags.pcap === true) throw new UsageError('--pcap needs a file name');
  // on the lab too the kernel's tracepoints run: they see the hosts' namespaces (kernel/ebpf-kernel.ts useHosts)
  const agent = createAgent({ ...(capture ? { capture } : {}), ...(port !== undefined ? { scenarioPort: port } : {}) });
  const out = stdoutWriter();
  const events: SessionEvent[] = [];
  agent.session.subscribe((e) => {
    if (flags.json) out.write(`${JSON.stringify(e)}\n`);
    else { events.push(e); out.write(`${formatEvent(e)}\n`); }
  });
  const abort = new AbortController();
  onSignals(async () => { abort.abort(); await agent.stop(); await out.drain(); }, 130);
  agent.start();
  const lab = conditions && !lesson.lab ? await runLab(agent, name, conditions, err) : null;
  let result;
  try {
    result = await agent.runScenario(name, port, abort.signal, conditions && lesson.lab ? { link: conditions } : {});
    // let the probe report what the last step did (e.g. the socket leaving LAST_ACK) before stopping
    agent.kernel?.poke();
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    await lab?.detach();
  }
  await agent.stop(); // removes the lab (agent-lab.ts G5)
  if (pcap !== undefined) await savePcap(agent, pcap);
  if (!flags.json) {
    const model = events.reduce((m, e) => fold(m, e), emptyModel());
    out.write(formatSummary(result, model));
  }
  await out.drain();
  if (!result.ok) err(`${name}: step ${result.failedStep} failed: ${result.error?.code} ${result.error?.message}`);
  return result.ok ? 0 : 1;
}

/** `run --pcap FILE`: the captured packets (not inferred ones: those never existed as bytes). */
async function savePcap(agent: Agent, file: string): Promise<void> {
  if (!agent.wire?.writePcap) throw new Error('--pcap: packet capture is not part of this build');
  const r = await agent.wire.writePcap(file);
  err(`--pcap: wrote ${r.packets} packets to ${file}${r.note ? ` (${r.note})` : ''}`);
  if (r.packets === 0) err('--pcap: no packet was captured (capture off or not permitted here: the wire layer was inferred)');
}

interface WatchFlags { port?: unknown; json?: boolean; for?: unknown; capture?: unknown }

/** Observes another program's port (the students' own scripts) until stopped. */
async function watch(flags: WatchFlags): Promise<number> {
  const port = portOption(flags.port);
  if (!port) throw new UsageError('watch needs --port N (1–65535): the port of the program to observe');
  const capture = captureOption(flags.capture);
  const agent = createAgent(capture ? { capture } : {});
  const out = stdoutWriter();
  agent.session.subscribe((e) => out.write(flags.json ? `${JSON.stringify(e)}\n` : `${formatEvent(e)}\n`));
  await agent.exec({ op: 'watch.add', port });
  agent.start();
  err(`watching port ${port}; Ctrl+C stops`);
  const finish = async () => { await agent.stop(); await out.drain(); };
  onSignals(finish);
  const seconds = flags.for === undefined ? undefined : Number(flags.for);
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) {
    setInterval(() => {}, 1 << 30); // keep running until a signal even while the probe is idle
    return new Promise<number>(() => {});
  }
  await new Promise((r) => setTimeout(r, Math.min(seconds, 86_400) * 1000));
  await finish();
  return 0;
}

/** Largest capture file `import` reads (the events it makes stay in memory). */
const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

/** `import FILE`: a .pcap/.pcapng as session events, decoded like a live capture (shared/wire). */
async function importFile(file: string, flags: { json?: boolean }): Promise<number> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (size > MAX_IMPORT_BYTES) throw new UsageError(`${file} is ${size} bytes; import reads at most ${MAX_IMPORT_BYTES}`);
  const reader = new CaptureReader();
  const records: CaptureRecord[] = [];
  for await (const chunk of createReadStream(file)) reader.push(chunk as Buffer, records);
  reader.end(records);
  const result = importRecords(records, reader.stats);
  const out = stdoutWriter();
  for (const e of result.events) out.write(flags.json ? `${JSON.stringify(e)}\n` : `${formatEvent(e)}\n`);
  if (!flags.json) {
    const model = result.events.reduce((m, e) => fold(m, e), emptyModel());
    out.write(`\n${file}: ${reader.stats.format ?? 'unknown format'}, ${reader.stats.frames} frames, ${result.events.length} events (tcp ${reader.stats.tcp}, udp ${reader.stats.udp}, other ${reader.stats.other}), ${model.connOrder.length} connections\n`);
  }
  await out.drain();
  for (const e of result.errors.slice(0, 5)) err(`${file}: ${JSON.stringify(e)}`);
  if (result.errors.length > 5) err(`${file}: … ${result.errors.length - 5} more errors`);
  if (result.dropped > 0) err(`${file}: ${result.dropped} packets beyond the event limit were left out`);
  if (reader.stats.format === null) {
    err(`${file} is not a pcap or pcapng file`);
    return 1;
  }
  return 0;
}

/** Runs one command; resolves with its exit code, or -1 for `start`, which runs until a signal. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    // a LabFlagError is a usage error of the lab's flags (lab/flags.ts, lab/cli-lab.ts)
    if (e instanceof UsageError || e instanceof LabFlagError || (e as Error)?.name === 'CACError') {
      err((e as Error).message);
      return 2;
    }
    err((e as Error)?.stack ?? String(e));
    return 1;
  }
}

async function dispatch(argv: string[]): Promise<number> {
  // `trace` reads its own arguments: a program's arguments after its file are the program's, not ours
  if (argv[0] === 'trace') {
    const out = stdoutWriter();
    const { flags, rest } = takeLabFlags(argv.slice(1));
    const conditions = labOption(flags);
    try {
      return await trace(rest, { write: out.write, drain: out.drain, err, onSignals, ...(conditions ? { lab: traceLab(conditions, err) } : {}) });
    } catch (e) {
      if (e instanceof TraceUsageError) throw new UsageError(e.message);
      throw e;
    }
  }
  const cli = cac('socketscope');
  cli.command('start', 'Start the agent and open the page')
    .option('--port <port>', `Port for the page and its WebSocket (default ${DEFAULT_PORT}; 0 = any free port)`)
    .option('--host <host>', 'Address to listen on (default 127.0.0.1)')
    .option('--no-open', 'Do not open a browser')
    .option('--token <token>', 'Use this token instead of a random one (also SOCKETSCOPE_TOKEN)')
    .option('--allow-remote', 'Allow sockets to targets outside this machine')
    .option('--capture <mode>', 'Packet capture: auto or off (default auto)')
    .option('--share', 'Also give students a read-only link on this machine’s network address')
    .option('--share-host <address>', 'The address for --share (default: the first non-internal IPv4)');
  const runCommand = cli.command('run <lesson>', `Run a lesson's Python programs headless: ${lessonIds().join(', ')}`)
    .option('--json', 'Print every event as one JSON line (NDJSON) and nothing else')
    .option('--port <port>', "Move the lesson's port (e.g. 8888) to this one")
    .option('--capture <mode>', 'Packet capture: auto or off (default auto)')
    .option('--pcap <file>', 'Also write the captured packets to a .pcap file');
  for (const [flag, help] of LAB_FLAG_HELP) runCommand.option(flag, help);
  cli.command('watch', "Observe another program's port (kernel states and packets)")
    .option('--port <port>', 'The port to watch')
    .option('--json', 'Print events as NDJSON')
    .option('--capture <mode>', 'Packet capture: auto or off (default auto)')
    .option('--for <seconds>', 'Stop after this many seconds');
  cli.command('import <file>', 'Read a .pcap/.pcapng and print it as events')
    .option('--json', 'Print events as NDJSON');
  cli.command('trace', 'Run Python programs traced: trace [--json] [--capture auto|off] [--timeout S] [--idle MS] [--lab [--delay MS] [--jitter MS] [--loss PCT] [--rate KBIT]] <file.py> [args…] [--then <file.py> [args…]]…');
  cli.command('list', 'List the lessons');
  cli.help();
  cli.version(AGENT_VERSION);

  const parsed = cli.parse(['node', 'socketscope', ...argv], { run: false });
  const name = cli.matchedCommandName;
  const o = parsed.options;
  if (o['help'] || o['version']) return 0;
  if (!name) {
    if (parsed.args.length > 0) throw new UsageError(`unknown command "${parsed.args[0]}"; try --help`);
    cli.outputHelp();
    return 0;
  }
  // the commands are dispatched here rather than by cac's actions, so they can return exit codes
  cli.matchedCommand?.checkUnknownOptions();
  cli.matchedCommand?.checkRequiredArgs();
  switch (name) {
    case 'start': await start(o as StartFlags); return -1; // keeps running until a signal
    case 'run': return run(String(parsed.args[0]), o as RunFlags);
    case 'watch': return watch(o as WatchFlags);
    case 'import': return importFile(String(parsed.args[0]), o);
    case 'list':
      for (const l of LESSONS) process.stdout.write(`${l.id.padEnd(16)}${l.title.en}\n`);
      return 0;
    default: throw new UsageError(`unknown command "${name}"`);
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
// a finished command exits even if a source left a handle open; `start` (-1) runs on
if (isMain) void main(process.argv.slice(2)).then((code) => { if (code >= 0) process.exit(code); });
