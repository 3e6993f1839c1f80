/**
 * Fuzzing a real running agent over its WebSocket (reliability-fuzz.test.ts at ~1–2k cases, bench/fuzz.ts
 * at 100,000). Frames: every command shape with near-valid and invalid fields, mutated valid commands,
 * random JSON, random text, random binary, malformed client messages, over-long frames.
 * Properties checked on every case:
 * - the agent never crashes (no uncaught exception, no E_INTERNAL) and keeps serving;
 * - every frame gets exactly one reply (the page is synced, so even a sync is answered: P9), whose `re`
 *   is the frame's id where the id is readable and "" otherwise, ok or with an error code and message;
 * - nothing recorded is lost: the session's last seq never goes down (except by session.reset, which
 *   starts a new session), and a separate page receives every event in strictly increasing seq order.
 * Safety of the fuzz itself: targets are loopback ports the fuzz owns, port 1 (nobody listens) or
 * invalid; names are never looked up (E_TARGET comes first); lessons are never started (names are
 * never valid) — so the fuzz cannot disturb anything else running on this machine.
 */
import fc from 'fast-check';
import { LESSONS } from '@socketscope/shared/lessons/index';
import { StreamClient, type AgentServer, type Reply } from './reliability-kit.ts';

/** a socket id: one the fuzz was given (by index) or anything */
type SockT = { known: number } | { raw: string };
/** a port: one the fuzz owns (by index), port 1 (closed), or any number */
type PortT = { own: number } | { value: number };
type Tmpl = Record<string, unknown>;

const CLOSED_PORT = 1;
// every lesson's name, lab lessons included: the fuzz sends scenario.run only with names that are none of
// them (a real lesson runs for seconds; a lab lesson would also bring up the lab's namespaces)
const SCENARIOS = new Set(LESSONS.map((l) => l.id));

const sockT: fc.Arbitrary<SockT> = fc.oneof(
  { weight: 6, arbitrary: fc.nat(64).map((known) => ({ known })) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('s0', 's1', 's99999', '', ' ', 'S1', 's-1')).map((raw) => ({ raw })) },
);
const anyPort = fc.oneof(fc.constantFrom(-1, 65536, 70000, 1.5, 2 ** 31), fc.integer({ min: -5, max: 70000 }));
const connectPortT: fc.Arbitrary<PortT> = fc.oneof(
  { weight: 5, arbitrary: fc.nat(32).map((own) => ({ own })) },
  { weight: 2, arbitrary: fc.constant({ value: CLOSED_PORT }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 65536, 70000, 1.5).map((value) => ({ value })) },
);
const bindPortT: fc.Arbitrary<PortT> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ value: 0 }) },
  { weight: 2, arbitrary: fc.nat(32).map((own) => ({ own })) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 65536, 70000, 2.5).map((value) => ({ value })) },
);
const host = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('127.0.0.1', 'localhost', '::1', '127.0.0.2', '127.1.2.3') },
  { weight: 2, arbitrary: fc.constantFrom('10.0.0.1', '8.8.8.8', '0.0.0.0', '::', 'example.com', '192.168.1.1', '::ffff:10.0.0.1', '[::1]', '') },
  // names are refused before any lookup (engine R1): random text never reaches DNS
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }).filter((h) => !/^(localhost|127\.|::1$|0:0:0:0:0:0:0:1$)/i.test(h)) },
);
const payload = fc.oneof(
  { weight: 4, arbitrary: fc.record({ text: fc.string({ maxLength: 200, unit: 'grapheme' }), encoding: fc.constantFrom('utf8', 'gbk') }, { requiredKeys: ['text'] }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 100 }).map((b) => ({ hex: Buffer.from(b).toString('hex') })) },
  { weight: 1, arbitrary: fc.oneof(fc.constant({ hex: 'zz' }), fc.constant({ text: 5 }), fc.constant({}), fc.constant(null), fc.constant({ text: 'x', encoding: 'latin9' })) },
);
const maxBytes = fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.constantFrom(0, -1, 1 << 20, (1 << 20) + 1, 1.5));

/** Every command shape, fields mostly valid. */
export const commandT: fc.Arbitrary<Tmpl> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('tcp.listen'), host, port: bindPortT, backlog: fc.oneof(fc.integer({ min: 0, max: 16 }), fc.constantFrom(4096, 4097, -1)), reuseAddr: fc.boolean() }, { requiredKeys: ['op', 'port'] }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('tcp.connect'), host, port: connectPortT, localPort: fc.oneof(fc.constant({ value: 0 }), fc.nat(8).map((own) => ({ own })), fc.constant({ value: 70000 })) }, { requiredKeys: ['op', 'port'] }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('tcp.accept'), sock: sockT }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('tcp.send'), sock: sockT, data: payload }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tcp.sendBulk'), sock: sockT, bytes: fc.oneof(fc.integer({ min: 1, max: 1 << 20 }), fc.constantFrom(1 << 30, (1 << 30) + 1, 0)), chunk: fc.oneof(fc.integer({ min: 1, max: 65536 }), fc.constantFrom(65537, 1 << 20, 0)) }, { requiredKeys: ['op', 'sock', 'bytes'] }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('tcp.recv'), sock: sockT, max: maxBytes }, { requiredKeys: ['op', 'sock'] }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tcp.shutdown'), sock: sockT }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('tcp.close'), sock: sockT }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tcp.abort'), sock: sockT }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('udp.bind'), host, port: bindPortT, recvBufferSize: fc.oneof(fc.integer({ min: 1024, max: 1 << 20 }), fc.constantFrom(1023, 1 << 27)) }, { requiredKeys: ['op', 'port'] }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('udp.socket'), family: fc.constantFrom('ipv4', 'ipv6', 'ipx') }, { requiredKeys: ['op'] }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('udp.sendto'), sock: sockT, host, port: connectPortT, data: payload }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('udp.recvfrom'), sock: sockT, max: maxBytes }, { requiredKeys: ['op', 'sock'] }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('udp.setRecvBuffer'), sock: sockT, bytes: fc.oneof(fc.integer({ min: 1024, max: 1 << 22 }), fc.constantFrom(0, 1 << 27)) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('udp.close'), sock: sockT }) },
  // never a real lesson: they take seconds and use the course's fixed ports
  { weight: 1, arbitrary: fc.record({ op: fc.constant('scenario.run'), name: fc.string({ maxLength: 80 }).filter((n) => !SCENARIOS.has(n)), port: bindPortT }, { requiredKeys: ['op', 'name'] }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('capture.set'), mode: fc.constantFrom('off', 'off', 'auto', 'on', '') }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('watch.add'), port: anyPort }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('watch.remove'), port: anyPort }) },
  { weight: 1, arbitrary: fc.constant({ op: 'session.reset' }) },
  { weight: 1, arbitrary: fc.record({ op: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('tcp.', 'udp.bindx', 'TCP.LISTEN', 'session', 'capture')) }) },
);

/** A change to a valid command: a field removed, given another type, or a field added. */
const mutation = fc.record({
  kind: fc.constantFrom('delete', 'retype', 'add', 'nest', 'array'),
  key: fc.oneof(fc.constantFrom('op', 'sock', 'port', 'host', 'data', 'bytes', 'max', 'backlog', '__proto__', 'constructor'), fc.string({ maxLength: 12 })),
  value: fc.jsonValue({ maxDepth: 3 }),
});

export type Frame =
  | { kind: 'cmd'; cmd: Tmpl; mutate?: { kind: string; key: string; value: unknown }; id: string }
  | { kind: 'text'; text: string }
  | { kind: 'binary'; bytes: Uint8Array }
  | { kind: 'json'; value: unknown };

const idArb = fc.oneof(
  { weight: 8, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
);

export const frameT: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('cmd' as const), cmd: commandT, id: idArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('cmd' as const), cmd: commandT, mutate: mutation, id: idArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 4 }) }) },
  {
    weight: 2, arbitrary: fc.record({
      kind: fc.constant('json' as const),
      value: fc.oneof(
        fc.record({ t: fc.constantFrom('sync', 'cmd', 'hello', 'reply', 'events', ''), id: idArb, cmd: fc.jsonValue({ maxDepth: 2 }), protocolVersion: fc.oneof(fc.constant(1), fc.integer()), since: fc.oneof(fc.integer({ min: -2, max: 1_000_000 }), fc.constant(null)) }, { requiredKeys: ['t'] }),
        fc.record({ t: fc.constant('sync'), protocolVersion: fc.constantFrom(0, 1, 2), since: fc.oneof(fc.constant(null), fc.integer({ min: -1, max: 10 })) }),
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.oneof(fc.string({ maxLength: 300, unit: 'grapheme' }), fc.constantFrom('', '{', '{"t":"cmd"', '[]', 'null', '"cmd"', '{"t":"cmd","id":"x","cmd":', '\u0000')) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('binary' as const), bytes: fc.uint8Array({ maxLength: 300 }) }) },
  // longer than MAX_FRAME (256 KiB), shorter than ws's own cut-off (4 ×): an error reply
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.integer({ min: 256 * 1024 + 1, max: 300 * 1024 }).map((n) => `{"t":"cmd","id":"big","cmd":{"op":"tcp.send","sock":"s1","data":{"text":"${'x'.repeat(n)}"}}}`) }) },
);

/** What the fuzz owns, so generated commands can name real sockets and ports. */
export class FuzzState {
  socks: string[] = [];
  ports: number[] = [];

  resolve(t: unknown): unknown {
    if (t && typeof t === 'object' && !Array.isArray(t)) {
      const o = t as Record<string, unknown>;
      if ('known' in o && Object.keys(o).length === 1) return this.socks.length ? this.socks[(o['known'] as number) % this.socks.length] : 's1';
      if ('raw' in o && Object.keys(o).length === 1) return o['raw'];
      if ('own' in o && Object.keys(o).length === 1) return this.ports.length ? this.ports[(o['own'] as number) % this.ports.length] : CLOSED_PORT;
      if ('value' in o && Object.keys(o).length === 1) return o['value'];
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) out[k] = this.resolve(v);
      return out;
    }
    return t;
  }

  /** Learns sockets and ports from a reply's result. */
  learn(r: Reply): void {
    if (!r.ok || !r.result || typeof r.result !== 'object') return;
    const res = r.result as Record<string, unknown>;
    for (const k of ['sock', 'newSock']) {
      const v = res[k];
      if (typeof v === 'string' && !this.socks.includes(v)) this.socks.push(v);
    }
    const local = res['local'];
    if (typeof local === 'string') {
      const p = Number(local.slice(local.lastIndexOf(':') + 1));
      if (p > 0 && !this.ports.includes(p)) this.ports.push(p);
    }
    if (this.socks.length > 64) this.socks.splice(0, this.socks.length - 64);
    if (this.ports.length > 32) this.ports.splice(0, this.ports.length - 32);
  }
}

/** The frame as sent, and the `re` its reply must carry. */
export function materialize(f: Frame, st: FuzzState): { data: string | Buffer; binary: boolean; re: string } {
  if (f.kind === 'binary') return { data: Buffer.from(f.bytes), binary: true, re: '' };
  let text: string;
  if (f.kind === 'text') text = f.text;
  else if (f.kind === 'json') text = JSON.stringify(f.value) ?? 'null';
  else {
    const cmd = st.resolve(f.cmd) as Record<string, unknown>;
    if (f.mutate) {
      const m = f.mutate;
      if (m.kind === 'delete') delete cmd[m.key];
      else if (m.kind === 'nest') cmd[m.key] = { [m.key]: m.value };
      else if (m.kind === 'array') cmd[m.key] = [m.value];
      else cmd[m.key] = m.value;
    }
    text = JSON.stringify({ t: 'cmd', id: f.id, cmd });
  }
  return { data: text, binary: false, re: expectedRe(text) };
}

/** connection.ts idOf, on what the server will read (UTF-8 round trip: lone surrogates become U+FFFD). */
function expectedRe(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 256 * 1024) return '';
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return '';
  }
  if (raw && typeof raw === 'object' && 'id' in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === 'string' && id.length <= 64) return id;
  }
  return '';
}

export interface FuzzStats {
  cases: number;
  ms: number;
  replies: { ok: number; error: number };
  codes: Record<string, number>;
  violations: string[];
  resets: number;
  events: number;
}

/**
 * Runs `numRuns` fuzz cases against `h` (an agent started with UNLIMITED_RATE and a short maxWaitMs).
 * Never throws for a property violation: it collects them (first 50) so the caller can report them all.
 */
export async function runFuzz(h: AgentServer, opts: { numRuns: number; seed?: number; maxMs?: number }): Promise<FuzzStats> {
  const st = new FuzzState();
  const stats: FuzzStats = { cases: 0, ms: 0, replies: { ok: 0, error: 0 }, codes: {}, violations: [], resets: 0, events: 0 };
  const bad = (v: string) => { if (stats.violations.length < 50) stats.violations.push(v); };
  const observer = await StreamClient.open(h.port);
  observer.autoResync = true;
  await observer.sync();
  let attacker = await StreamClient.open(h.port);
  await attacker.sync();
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => { crashes.push(err); };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  let session = h.agent.session.id;
  let last = h.agent.session.lastSeq;
  const t0 = performance.now();
  const deadline = Date.now() + (opts.maxMs ?? 1e12);
  try {
    await fc.assert(fc.asyncProperty(frameT, async (frame) => {
      if (Date.now() > deadline) return;
      stats.cases++;
      const { data, binary, re } = materialize(frame, st);
      const hellosBefore = attacker.hellos;
      let reply: Reply;
      try {
        const waiting = re === '' ? attacker.nextUnclaimed(10_000) : attacker.waitFor(re, 10_000);
        attacker.ws.send(data, { binary });
        reply = await waiting;
      } catch (err) {
        bad(`no reply to ${describe(frame, data)}: ${(err as Error).message}`);
        if (attacker.closed) {
          attacker = await StreamClient.open(h.port);
          await attacker.sync();
        }
        return;
      }
      if (reply.re !== re) bad(`reply re=${JSON.stringify(reply.re)} to a frame whose id is ${JSON.stringify(re)}: ${describe(frame, data)}`);
      if (reply.ok) {
        stats.replies.ok++;
        st.learn(reply);
      } else {
        stats.replies.error++;
        const code = reply.error?.code;
        if (typeof code !== 'string' || !code || typeof reply.error?.message !== 'string' || !reply.error.message) bad(`error reply without code/message: ${JSON.stringify(reply)}`);
        stats.codes[code ?? '?'] = (stats.codes[code ?? '?'] ?? 0) + 1;
        if (code === 'E_INTERNAL') bad(`E_INTERNAL (a bug) for ${describe(frame, data)}: ${reply.error?.message}`);
      }
      // a session.reset starts a new session; the page then syncs again (P6, P9)
      const s = h.agent.session;
      if (s.id !== session) {
        stats.resets++;
        session = s.id;
        last = -1;
        st.socks = []; // the reset closed them all
        st.ports = [];
        await attacker.until(() => attacker.hellos > hellosBefore, 5000, 'hello after reset').catch(() => {});
        await attacker.sync();
      }
      if (s.lastSeq < last) bad(`session lost events: last seq ${last} → ${s.lastSeq}`);
      last = s.lastSeq;
      // every few hundred cases: drop the fuzz's sockets, so it does not live at the socket limit
      if (stats.cases % 300 === 0) {
        await h.agent.engine.closeAll();
        st.socks = [];
        st.ports = [];
      }
    }), { numRuns: opts.numRuns, ...(opts.seed !== undefined ? { seed: opts.seed } : {}), endOnFailure: true });
  } catch (err) {
    bad(`property failed: ${(err as Error).message.slice(0, 2000)}`);
  }
  stats.ms = performance.now() - t0;
  // nothing answered twice, nothing left over
  await new Promise((r) => setTimeout(r, 100));
  if (attacker.unclaimed.length) bad(`${attacker.unclaimed.length} extra replies: ${JSON.stringify(attacker.unclaimed.slice(0, 3))}`);
  // the observer holds every event of the current session, once, in order
  const end = h.agent.session.lastSeq;
  await observer.until(() => observer.sessionId === h.agent.session.id && observer.lastSeq >= end, 30_000, `observer at ${end}`).catch((e: Error) => bad(e.message));
  for (const v of observer.violations) bad(`observer: ${v}`);
  if (observer.seqs.length + observer.merged !== observer.lastSeq + 1) bad(`observer holds ${observer.seqs.length} events (+${observer.merged} merged) for seqs 0..${observer.lastSeq}`);
  stats.events = observer.events;
  if (!h.agent.session.id) bad('agent session vanished');
  for (const c of crashes) bad(`uncaught: ${(c as Error)?.stack ?? String(c)}`);
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  for (const l of h.logs) if (/failed unexpectedly|uncaught|subscriber failed/i.test(l)) bad(`agent log: ${l.slice(0, 300)}`);
  await attacker.close();
  await observer.close();
  return stats;
}

function describe(f: Frame, data: string | Buffer): string {
  const s = typeof data === 'string' ? data : `<binary ${data.length} bytes>`;
  return `${f.kind} ${s.length > 300 ? `${s.slice(0, 300)}… (${s.length})` : s}`;
}
