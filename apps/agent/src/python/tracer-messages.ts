/**
 * What the tracer (tracer/_socketscope_trace.py) writes on its descriptor: one JSON object per line. These
 * schemas are the agent's side of that channel (tracer/README.md names the same fields). A traced program
 * can write to any of its descriptors, so every line is validated here and a bad one is counted and
 * dropped, never trusted.
 */
import { z } from 'zod';

const Src = z.tuple([z.string().max(4096), z.number().int().nonnegative()]).nullable().optional();
const Ep = z.string().min(3).max(64).nullable().optional();
const Thread = z.string().max(128).nullable().optional();
const Args = z.record(z.string(), z.unknown());

export const TracerHello = z.object({
  k: z.literal('hello'), pid: z.number().int(), ppid: z.number().int().optional(), python: z.string().max(64),
  executable: z.string().max(4096).optional(), t: z.number().optional(),
});

export const TracerBegin = z.object({
  k: z.literal('begin'), id: z.number().int().nonnegative(), call: z.string().max(32), sock: z.number().int().nonnegative().nullable().optional(),
  args: Args.optional(), src: Src, thread: Thread, t: z.number(), paused: z.boolean().optional(),
  /** a forked child's messages carry its pid (tracer T14) */
  pid: z.number().int().optional(),
});

export const TracerCall = z.object({
  k: z.literal('call'), id: z.number().int().nonnegative(), call: z.string().max(32),
  sock: z.number().int().nonnegative().nullable().optional(), fd: z.number().int().nullable().optional(), ino: z.number().int().nonnegative().nullable().optional(),
  family: z.string().max(32).nullable().optional(), type: z.string().max(32).nullable().optional(),
  args: Args.optional(), src: Src, thread: Thread, t0: z.number(), t1: z.number(),
  result: z.unknown().optional(),
  error: z.object({ type: z.string().max(128), errno: z.number().int().nullable().optional(), code: z.string().max(64).nullable().optional(), message: z.string().max(2000) }).nullable().optional(),
  local: Ep, remote: Ep,
  data: z.object({ len: z.number().int().nonnegative(), b64: z.string().max(4096), truncated: z.boolean() }).nullable().optional(),
  new: z.object({ sock: z.number().int().nonnegative(), fd: z.number().int().optional(), ino: z.number().int().nonnegative().nullable().optional(), local: Ep, remote: Ep }).nullable().optional(),
  pid: z.number().int().optional(),
});

export const TracerInput = z.object({ k: z.literal('input'), prompt: z.string().max(4096), src: Src, pid: z.number().int().optional() });

export const TracerExc = z.object({
  k: z.literal('exc'), type: z.string().max(256), message: z.string().max(4000),
  frames: z.array(z.tuple([z.string().max(4096), z.number().int().nonnegative(), z.string().max(256)])).max(256),
  thread: Thread,
});

export const TracerMessage = z.discriminatedUnion('k', [TracerHello, TracerBegin, TracerCall, TracerInput, TracerExc]);
export type TracerMessage = z.infer<typeof TracerMessage>;
export type TracerCall = z.infer<typeof TracerCall>;
export type TracerBegin = z.infer<typeof TracerBegin>;

/** Longest line taken from the tracer; a longer one is dropped (its calls carry at most 3 KiB of bytes). */
export const MAX_TRACER_LINE = 64 * 1024;

/**
 * Splits a byte stream into lines and parses each. Bounded: a line over MAX_TRACER_LINE is skipped whole.
 */
export class LineReader {
  private parts: Buffer[] = [];
  private held = 0;
  private skipping = false;
  dropped = 0;

  constructor(private readonly onMessage: (m: TracerMessage) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.skipping || this.held + piece.length > MAX_TRACER_LINE) {
        this.reset();
        this.dropped++;
        continue;
      }
      const line = this.held ? Buffer.concat([...this.parts, piece]).toString('utf8') : piece.toString('utf8');
      this.reset();
      this.parse(line);
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) return;
    if (this.skipping || this.held + rest.length > MAX_TRACER_LINE) {
      this.parts = [];
      this.held = 0;
      this.skipping = true;
      return;
    }
    this.parts.push(Buffer.from(rest));
    this.held += rest.length;
  }

  private reset(): void {
    this.parts = [];
    this.held = 0;
    this.skipping = false;
  }

  private parse(line: string): void {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.dropped++;
      return;
    }
    const r = TracerMessage.safeParse(raw);
    if (r.success) this.onMessage(r.data);
    else this.dropped++;
  }
}
