import { afterAll, afterEach, expect } from 'vitest';
/**
 * Test harness for the engine and the kernel probe on real loopback sockets: a collecting emit that
 * validates every event against the shared schema (so the contract is checked on every test), the
 * fold over what was emitted, bounded waits, and a free-port helper.
 */
import net from 'node:net';
import {
  Command, emptyModel, foldAll, SessionEvent, type CommandInput, type EventInput, type Model, type TcpState,
} from '@socketscope/shared';
import { createEngine } from '../src/engine/index.ts';
import { CommandError, type EngineCommand, type Limits, type SocketEngine } from '../src/engine/types.ts';
import { KernelProbe, type KernelProbeOptions } from '../src/kernel/proc-probe.ts';

export type Ev = SessionEvent;
export type KernelTcp = Extract<Ev, { type: 'kernel.tcp' }>;
export type KernelUdp = Extract<Ev, { type: 'kernel.udp' }>;
export type ApiCall = Extract<Ev, { type: 'api.call' }>;
export type ApiNotice = Extract<Ev, { type: 'api.notice' }>;

/** A port nobody listens on right now (the kernel picks it; we close it again). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(0, host, resolve); });
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Harness {
  events: Ev[];
  engine: SocketEngine;
  probe: KernelProbe;
  /** invalid events the emit refused (must stay empty) */
  invalid: { event: unknown; error: string }[];
  exec(c: CommandInput): Promise<Record<string, unknown>>;
  /** exec that must fail: resolves with the CommandError */
  fails(c: CommandInput): Promise<CommandError>;
  model(): Model;
  waitFor<T extends Ev>(pred: (e: Ev) => e is T, ms?: number): Promise<T>;
  waitFor(pred: (e: Ev) => boolean, ms?: number): Promise<Ev>;
  /** the kernel events for a socket, in order */
  kernel(sock: string): (KernelTcp | KernelUdp)[];
  /** waits for the kernel to show one of the states for a socket */
  state(sock: string, states: TcpState[], ms?: number): Promise<KernelTcp>;
  calls(sock?: string): ApiCall[];
  notices(sock?: string): ApiNotice[];
  close(): Promise<void>;
}

export function harness(opts: { limits?: Partial<Limits>; allowRemote?: boolean; watchedPorts?: () => number[]; probe?: boolean; probeOptions?: Partial<KernelProbeOptions> } = {}): Harness {
  const events: Ev[] = [];
  const invalid: Harness['invalid'] = [];
  const start = performance.now();
  let seq = 0;
  const emit = (e: EventInput): Ev => {
    const full = { v: 1, seq: seq++, ts: (performance.now() - start) * 1000, ...e };
    const parsed = SessionEvent.safeParse(full);
    if (!parsed.success) invalid.push({ event: full, error: parsed.error.message });
    events.push(full as Ev);
    return full as Ev;
  };
  const engine = createEngine({ emit, allowRemote: opts.allowRemote ?? false, limits: opts.limits });
  const probe = new KernelProbe({ targets: () => engine.tracked(), watchedPorts: opts.watchedPorts, tcpInfo: false, ...opts.probeOptions });
  const off = engine.onChange(() => probe.poke());
  if (opts.probe !== false) probe.start(emit);

  const waitFor = async (pred: (e: Ev) => boolean, ms = 3000): Promise<Ev> => {
    const deadline = Date.now() + ms;
    let from = 0;
    for (;;) {
      for (; from < events.length; from++) if (pred(events[from]!)) return events[from]!;
      if (Date.now() > deadline) throw new Error(`no matching event within ${ms} ms; last: ${JSON.stringify(events.slice(-4))}`);
      await sleep(5);
    }
  };
  const h: Harness = {
    events,
    engine,
    probe,
    invalid,
    exec: async (c) => (await engine.exec(Command.parse(c) as EngineCommand)) as Record<string, unknown>,
    fails: async (c) => {
      try {
        await engine.exec(Command.parse(c) as EngineCommand);
      } catch (err) {
        if (!(err instanceof CommandError)) throw new Error(`rejected with something other than CommandError: ${String(err)}`, { cause: err });
        return err;
      }
      throw new Error(`${c.op} succeeded but was expected to fail`);
    },
    model: () => foldAll(emptyModel(), events),
    waitFor: waitFor as Harness['waitFor'],
    kernel: (sock) => events.filter((e): e is KernelTcp | KernelUdp => (e.type === 'kernel.tcp' || e.type === 'kernel.udp') && e.sock === sock),
    state: (sock, states, ms) => waitFor((e) => e.type === 'kernel.tcp' && e.sock === sock && !e.gone && states.includes(e.state), ms) as Promise<KernelTcp>,
    calls: (sock) => events.filter((e): e is ApiCall => e.type === 'api.call' && (sock === undefined || e.sock === sock)),
    notices: (sock) => events.filter((e): e is ApiNotice => e.type === 'api.notice' && (sock === undefined || e.sock === sock)),
    close: async () => {
      off();
      probe.stop();
      await engine.closeAll();
    },
  };
  return h;
}

/**
 * The checks after every engine test: every event emitted matched the shared schema, the harness
 * closed its sockets, and nothing escaped as an uncaught exception or unhandled rejection.
 */
export function checkEachTest(current: () => Harness | undefined): void {
  const unhandled = trackUnhandled();
  afterAll(() => unhandled.dispose());
  afterEach(async () => {
    const h = current();
    if (h) {
      expect(h.invalid).toEqual([]);
      await h.close();
    }
    unhandled.check();
  });
}

/** Fails the test if anything escaped as an uncaught exception or unhandled rejection while `fn` ran. */
export function trackUnhandled(): { check(): void; dispose(): void } {
  const seen: unknown[] = [];
  const onErr = (err: unknown) => { seen.push(err); };
  process.on('uncaughtException', onErr);
  process.on('unhandledRejection', onErr);
  return {
    check() {
      if (seen.length) throw new Error(`unhandled: ${seen.map(String).join('; ')}`);
    },
    dispose() {
      process.off('uncaughtException', onErr);
      process.off('unhandledRejection', onErr);
    },
  };
}
