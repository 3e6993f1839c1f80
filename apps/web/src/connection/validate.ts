import { ServerMessage } from '@socketscope/shared';

/**
 * Validates one message from the agent against the shared ServerMessage schema.
 *
 * Why not just ServerMessage.safeParse: with zod 4, a discriminatedUnion whose members share a
 * discriminator value (the two `reply` shapes, ok: true / ok: false) throws "Duplicate discriminator
 * value" on every parse. Until the shared schema is reshaped, we try the union and, if it throws,
 * check the raw message against the union's members whose `t` matches. Same schemas, same result.
 */
type Result = { ok: true; msg: ServerMessage } | { ok: false; error: string };
type Member = (typeof ServerMessage.options)[number];

let unionWorks = true;
let byType: Map<string, Member[]> | null = null;

function membersByType(): Map<string, Member[]> {
  if (byType) return byType;
  byType = new Map();
  for (const member of ServerMessage.options) {
    const shape = (member as { shape?: { t?: { value?: unknown } } }).shape;
    const t = shape?.t?.value;
    if (typeof t !== 'string') continue;
    byType.set(t, [...(byType.get(t) ?? []), member]);
  }
  return byType;
}

export function parseServerMessage(raw: unknown): Result {
  if (unionWorks) {
    try {
      const r = ServerMessage.safeParse(raw);
      return r.success ? { ok: true, msg: r.data } : { ok: false, error: r.error.message };
    } catch {
      unionWorks = false;
    }
  }
  const t = typeof raw === 'object' && raw !== null ? (raw as { t?: unknown }).t : undefined;
  const members = typeof t === 'string' ? membersByType().get(t) : undefined;
  if (!members) return { ok: false, error: `unknown message type ${JSON.stringify(t)}` };
  let error = '';
  for (const m of members) {
    const r = m.safeParse(raw);
    if (r.success) return { ok: true, msg: r.data as ServerMessage };
    error = r.error.message;
  }
  return { ok: false, error };
}
