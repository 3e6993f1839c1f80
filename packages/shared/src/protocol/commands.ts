import { z } from 'zod';
import { Host, Payload, Port } from './primitives.ts';

/**
 * Commands: UI (or CLI) → agent. Each carries a request id and gets exactly one reply.
 * Anything that fails validation gets an error reply and changes nothing.
 */
const SockId = z.string().min(1).max(64);
const RunId = z.string().min(1).max(32);
const Max = z.number().int().min(1).max(1 << 20);

/**
 * A change to the lab link's conditions (each applies to both directions; the agent's lab/conditions.ts
 * checks the rest: jitter ≤ delay). rateKbit null: no rate limit.
 */
export const LinkConditionsInput = z.object({
  delayMs: z.number().min(0).max(10_000).optional(),
  jitterMs: z.number().min(0).max(10_000).optional(),
  lossPct: z.number().min(0).max(100).optional(),
  rateKbit: z.number().int().min(8).max(10_000_000).nullable().optional(),
}).strict();
export type LinkConditionsInput = z.infer<typeof LinkConditionsInput>;

export const Command = z.discriminatedUnion('op', [
  z.object({ op: z.literal('tcp.listen'), host: Host.default('127.0.0.1'), port: Port, backlog: z.number().int().min(0).max(4096).default(128), reuseAddr: z.boolean().default(false) }),
  z.object({ op: z.literal('tcp.connect'), host: Host.default('127.0.0.1'), port: Port.refine((p) => p > 0, 'port must be 1–65535'), localPort: Port.optional() }),
  z.object({ op: z.literal('tcp.accept'), sock: SockId }),
  z.object({ op: z.literal('tcp.send'), sock: SockId, data: Payload }),
  /** bulk data from a generator, so no single frame has to carry it */
  // chunk: each chunk is one real send() and one api.call event. The default is the largest, 1 MiB: an event
  // (folded, inferred, recorded, streamed) costs the agent far more than the kernel's copy of 64 KiB, and
  // 1 GiB in 64 KiB chunks ran at half of plain node:net (bench/throughput.ts). A lesson that wants to show
  // small sends names its chunk (tcp-buffers does).
  z.object({ op: z.literal('tcp.sendBulk'), sock: SockId, bytes: z.number().int().min(1).max(1 << 30), chunk: z.number().int().min(1).max(1 << 20).default(1 << 20) }),
  z.object({ op: z.literal('tcp.recv'), sock: SockId, max: Max.default(1024) }),
  z.object({ op: z.literal('tcp.shutdown'), sock: SockId }),
  z.object({ op: z.literal('tcp.close'), sock: SockId }),
  /** abortive close: SO_LINGER 0 then close, so the kernel sends RST */
  z.object({ op: z.literal('tcp.abort'), sock: SockId }),
  z.object({ op: z.literal('udp.bind'), host: Host.default('127.0.0.1'), port: Port, recvBufferSize: z.number().int().min(1024).max(1 << 26).optional() }),
  z.object({ op: z.literal('udp.socket'), family: z.enum(['ipv4', 'ipv6']).default('ipv4') }),
  z.object({ op: z.literal('udp.sendto'), sock: SockId, host: Host.default('127.0.0.1'), port: Port.refine((p) => p > 0, 'port must be 1–65535'), data: Payload }),
  z.object({ op: z.literal('udp.recvfrom'), sock: SockId, max: Max.default(1024) }),
  z.object({ op: z.literal('udp.setRecvBuffer'), sock: SockId, bytes: z.number().int().min(1024).max(1 << 26) }),
  z.object({ op: z.literal('udp.close'), sock: SockId }),
  /**
   * Run a lesson as its Python programs (apps/agent/src/lessons/). live: the first step now, each next one
   * on lesson.next (the reply comes at once); otherwise every step at once and the reply when it ended.
   * lang: the language of the comments in the files that run (the code lines are the same in all).
   */
  z.object({ op: z.literal('scenario.run'), name: z.string().min(1).max(64), port: Port.optional(), live: z.boolean().default(false), lang: z.enum(['zh-CN', 'zh-TW', 'en']).optional() }),
  /** a live lesson's next step: the reply comes when the step is done */
  z.object({ op: z.literal('lesson.next') }),
  /** end the live lesson and its programs */
  z.object({ op: z.literal('lesson.stop') }),
  /** the captured segments a tcp.bundle event summarised, from the agent's capture ring */
  z.object({ op: z.literal('capture.packets'), bundle: z.number().int().nonnegative() }),
  z.object({ op: z.literal('capture.set'), mode: z.enum(['auto', 'off']) }),
  z.object({ op: z.literal('watch.add'), port: Port.refine((p) => p > 0, 'port must be 1–65535') }),
  z.object({ op: z.literal('watch.remove'), port: Port }),
  z.object({ op: z.literal('session.reset') }),
  /**
   * Run a Python program under the tracer (apps/agent/src/python/). From the page: pasted or opened code
   * with a file name, or one of the tutorial's examples by id; `path` (a file on the agent's machine) is
   * the CLI's. Exactly one of code, example, path.
   */
  z.object({
    op: z.literal('py.run'),
    name: z.string().min(1).max(128).regex(/^[^/\\\0]+$/, 'a file name, without folders').optional(),
    code: z.string().max(256 * 1024).optional(),
    example: z.string().min(1).max(64).optional(),
    path: z.string().min(1).max(4096).optional(),
    args: z.array(z.string().max(1024)).max(32).default([]),
    /** pause before every socket call until py.go */
    step: z.boolean().default(false),
    /** run it on this host of the lab network (lab.up first); absent: on this machine */
    host: z.enum(['client', 'server']).optional(),
  }).refine((c) => [c.code, c.example, c.path].filter((x) => x !== undefined).length === 1, 'give exactly one of code, example or path'),
  /** make the paused call of a run happen now */
  z.object({ op: z.literal('py.go'), run: RunId }),
  /** turn step mode on (pause before the next socket call) or off (run freely) */
  z.object({ op: z.literal('py.step'), run: RunId, on: z.boolean() }),
  /** a line for the program's input() (a newline is added) */
  z.object({ op: z.literal('py.input'), run: RunId, line: z.string().max(4096) }),
  /** end the program and every process it started */
  z.object({ op: z.literal('py.stop'), run: RunId }),
  /**
   * The lab network (apps/agent/src/lab): two hosts joined by a link with delay, loss and rate. lab.up makes
   * it (or changes the conditions of the one that is up) and from then on programs and lessons that ask for
   * it run on its hosts; lab.set changes the link's conditions; lab.oneshot arms the link to lose (or, with
   * holdMs, to hold back) the next matching packet from one host; lab.down removes it. Each change is a
   * link.state event.
   */
  z.object({ op: z.literal('lab.up'), conditions: LinkConditionsInput.default({}) }),
  z.object({ op: z.literal('lab.set'), conditions: LinkConditionsInput }),
  z.object({
    op: z.literal('lab.oneshot'),
    from: z.enum(['client', 'server']),
    match: z.enum(['data', 'syn', 'any']).default('data'),
    proto: z.enum(['tcp', 'udp']).optional(),
    /** hold the packet this many ms beyond the link's delay instead of losing it: it arrives after later ones */
    holdMs: z.number().int().min(1).max(5000).optional(),
  }),
  z.object({ op: z.literal('lab.down') }),
  /** while sharing: hide payload bytes from read-only pages (hide), or just ask whether they are hidden (no hide) */ z.object({ op: z.literal('share.payloads'), hide: z.boolean().optional() }),
]);
export type Command = z.infer<typeof Command>;
export type CommandInput = z.input<typeof Command>;
export type Op = Command['op'];
export type CommandOf<O extends Op> = Extract<Command, { op: O }>;
