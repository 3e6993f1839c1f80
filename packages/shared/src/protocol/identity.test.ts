import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { SessionEvent } from './events.ts';
import { parseEvent, ServerMessage } from './messages.ts';

/**
 * The page's connection worker forwards an events frame as the agent's own text once every event in it
 * passed SessionEvent (apps/web/src/connection/decode.ts, encodeBatch). That is only the same as
 * forwarding what zod returned if parsing changes nothing but unknown keys: no transform, default,
 * catch or pipe anywhere in the schemas. This walks them and says where one is.
 */
const CHANGING = new Set(['transform', 'default', 'prefault', 'catch', 'pipe', 'success']);

function changing(schema: z.ZodType, at: string, seen = new Set<unknown>()): string[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = (schema as unknown as { def: Record<string, unknown> & { type: string } }).def;
  if (CHANGING.has(def.type)) return [`${at}: ${def.type}`];
  const out: string[] = [];
  const visit = (s: unknown, where: string) => { if (s && typeof s === 'object' && 'def' in s) out.push(...changing(s as z.ZodType, where, seen)); };
  if (def.type === 'object') for (const [k, v] of Object.entries(def['shape'] as Record<string, unknown>)) visit(v, `${at}.${k}`);
  for (const [i, o] of ((def['options'] as unknown[] | undefined) ?? []).entries()) visit(o, `${at}|${i}`);
  for (const [i, o] of ((def['items'] as unknown[] | undefined) ?? []).entries()) visit(o, `${at}[${i}]`);
  for (const key of ['element', 'innerType', 'keyType', 'valueType', 'left', 'right', 'rest', 'catchall']) visit(def[key], `${at}<${key}>`);
  if (def.type === 'lazy') visit((def['getter'] as () => unknown)(), `${at}<lazy>`);
  return out;
}

describe('the protocol schemas change nothing they pass (the worker forwards what passed as it came)', () => {
  it('SessionEvent and ServerMessage have no transform, default, catch or pipe anywhere', () => {
    expect(changing(SessionEvent, 'SessionEvent')).toEqual([]);
    expect(changing(ServerMessage, 'ServerMessage')).toEqual([]);
  });

  it('the walk finds one where there is one (it can fail)', async () => {
    const { z } = await import('zod');
    const withDefault = z.object({ a: z.array(z.object({ b: z.number().default(1) })) });
    expect(changing(withDefault, 'x')).toEqual(['x.a<element>.b: default']);
  });

  it('a valid event comes out of parseEvent equal to what went in', () => {
    const e = { v: 1, seq: 3, ts: 30, layer: 'api', type: 'api.call', sock: 's1', call: 'connect', args: { host: '127.0.0.1', port: 8888 }, durationUs: 12, proto: 'tcp' };
    const r = parseEvent(JSON.parse(JSON.stringify(e)));
    expect(r.ok && r.event).toEqual(e);
  });
});
