import { parseEvent, type Model, type SessionEvent } from '@socketscope/shared';
import { parseModel } from '@socketscope/shared/model/model-schema';
import type { MessageKey } from '../i18n/en.ts';

/**
 * A saved session: JSON Lines. Line 1 is the header, every further line one event exactly as the
 * agent sent it (the shared event schema, the agent's seq and ts), in the agent's order:
 *
 *   {"format":"socketscope-session","version":1,"events":54,"savedAt":"…","app":"SocketScope web 0.1.0",…}
 *   {"v":1,"seq":0,"ts":340713.5,"layer":"session","type":"source.status",…}
 *   …
 *
 * Rules (tests quote them):
 * R1 The header names the format and version; another format is refused, a newer version is refused
 *    with a message that says so.
 * R2 Every event line must pass the shared schema and seqs must rise; the first bad line is reported
 *    by number and nothing is loaded.
 * R3 The header's `events` count must match the lines found, so a file cut at a line boundary is
 *    recognised as truncated, not shown as a shorter session.
 * R4 `base` (optional) is the model the events start from, for a page that joined a long session late.
 *    It must pass the shared model schema to the last field (ModelSchema), and the header's other fields
 *    their types (HEADER_FIELDS; unknown ones are dropped): a crafted file is refused with where it is
 *    wrong, never handed to a view (issue 16: a socket without `proto` in `base` blanked the page).
 * It lives in the web app because only the page reads and writes it; the agent's CLI streams the same
 * event lines (`run --json`), so its output with a header line in front is a valid recording.
 */
export const SESSION_FORMAT = 'socketscope-session';
export const SESSION_VERSION = 1;
/** the largest file the page reads (bytes) */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

export interface SessionHeader {
  format: typeof SESSION_FORMAT;
  version: number;
  /** number of event lines that follow */
  events: number;
  savedAt?: string;
  app?: string;
  /** the agent session the events came from */
  session?: { id: string; agentVersion?: string };
  /** where the events came from: the agent, or an imported capture */
  source?: 'agent' | 'pcap' | 'pcapng';
  /** the lesson the recording shows, when it is one */
  lesson?: string;
  base?: Model;
}

export interface Problem {
  key: MessageKey;
  params: Record<string, string | number>;
}

export type ParsedSession = { ok: true; header: SessionHeader; events: SessionEvent[] } | { ok: false; problem: Problem };

export function serializeSession(header: Omit<SessionHeader, 'format' | 'version' | 'events'>, events: readonly SessionEvent[]): string {
  const head: SessionHeader = { format: SESSION_FORMAT, version: SESSION_VERSION, events: events.length, ...header };
  const lines = [JSON.stringify(head)];
  for (const e of events) lines.push(JSON.stringify(e));
  return `${lines.join('\n')}\n`;
}

const str = (max: number) => (v: unknown) => typeof v === 'string' && v.length <= max;
/** R4: the header's optional fields and their types (format, version and events are checked first; base by the shared model schema). */
const HEADER_FIELDS: Record<string, (v: unknown) => boolean> = {
  savedAt: str(64),
  app: str(200),
  session: (v) => typeof v === 'object' && v !== null && str(128)((v as { id?: unknown }).id)
    && ((v as { agentVersion?: unknown }).agentVersion === undefined || str(64)((v as { agentVersion?: unknown }).agentVersion)),
  source: (v) => v === 'agent' || v === 'pcap' || v === 'pcapng',
  lesson: str(64),
};

/**
 * R4: a base saved before traced programs existed has no `procs` / `procOrder`; it is the same model with
 * no program in it, so those two are added (empty) before the check. Nothing else is filled in.
 */
function olderBase(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const o = raw as Record<string, unknown>;
  return o['procs'] === undefined && o['procOrder'] === undefined ? { ...o, procs: {}, procOrder: [] } : raw;
}

/** The header with only the fields this page knows, each checked; or the first that is wrong. */
function checkHeader(h: Partial<SessionHeader>): { header: Omit<SessionHeader, 'base'> } | { wrong: string } {
  const out: Record<string, unknown> = { format: SESSION_FORMAT, version: h.version, events: h.events };
  for (const [k, ok] of Object.entries(HEADER_FIELDS)) {
    const v = (h as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (!ok(v)) return { wrong: k };
    out[k] = v;
  }
  return { header: out as unknown as Omit<SessionHeader, 'base'> };
}

const fail = (key: MessageKey, params: Record<string, string | number> = {}): ParsedSession => ({ ok: false, problem: { key, params } });

/** One line of detail from an error text (zod's are several lines). */
function short(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  return line.length > 200 ? `${line.slice(0, 197)}…` : line;
}

export function parseSession(text: string): ParsedSession {
  if (text.trim() === '') return fail('load.err.empty');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let header: unknown;
  try {
    header = JSON.parse(lines[0]!);
  } catch {
    return fail('load.err.notSession');
  }
  const h = header as Partial<SessionHeader> | null;
  if (typeof h !== 'object' || h === null || h.format !== SESSION_FORMAT) return fail('load.err.notSession');
  if (typeof h.version !== 'number' || !Number.isInteger(h.version)) return fail('load.err.header', { detail: 'version is missing' });
  if (h.version > SESSION_VERSION) return fail('load.err.version', { version: h.version });
  if (typeof h.events !== 'number' || !Number.isInteger(h.events) || h.events < 0) return fail('load.err.header', { detail: '"events" (the number of event lines) is missing' });
  const fields = checkHeader(h);
  if ('wrong' in fields) return fail('load.err.header', { detail: `"${fields.wrong}" has the wrong type` });
  let base: Model | undefined;
  if (h.base !== undefined) {
    const m = parseModel(olderBase(h.base));
    if (!m.ok) return fail('load.err.header', { detail: short(`"base" is not a model: ${m.error}`) });
    base = m.model;
  }
  const parsedHeader: SessionHeader = { ...fields.header, ...(base ? { base } : {}) };

  const events: SessionEvent[] = [];
  let prev = -1;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      return fail('load.err.line', { line: i + 1, detail: short((err as Error).message) });
    }
    const r = parseEvent(raw);
    if (!r.ok) return fail('load.err.line', { line: i + 1, detail: short(r.error) });
    if (r.event.seq <= prev) return fail('load.err.order', { line: i + 1, seq: r.event.seq, prev });
    prev = r.event.seq;
    events.push(r.event);
  }
  if (events.length !== h.events) return fail('load.err.truncated', { expected: h.events, found: events.length });
  return { ok: true, header: parsedHeader, events };
}
