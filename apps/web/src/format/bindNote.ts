import type { BindFacts, SessionEvent } from '@socketscope/shared';
import type { MessageKey, Translate } from '../i18n/index.ts';

/**
 * A bind() result's account of SO_REUSEADDR (apps/agent/src/engine/reuseaddr.ts): the agent runs on
 * Node, which sets SO_REUSEADDR on every TCP socket, so its own bind cannot fail with EADDRINUSE while
 * TIME_WAIT holds the port; instead the result says what the kernel held and that a program without
 * SO_REUSEADDR would have failed. The agent's `note` is English for the CLI; the page translates `noteCode`.
 */
export const BIND_NOTES = ['REUSEADDR_FORCED_WOULD_FAIL', 'REUSEADDR_FORCED', 'REUSEADDR_HELPED'] as const;
export type BindNoteCode = (typeof BIND_NOTES)[number];

export interface BindNote {
  code: BindNoteCode;
  port: number | string;
  /** "TIME_WAIT ×1" */
  held: string;
}

export function bindNote(e: SessionEvent): BindNote | null {
  if (e.type !== 'api.call' || e.call !== 'bind' || e.error || !e.result || typeof e.result !== 'object') return null;
  const r = e.result as Record<string, unknown>;
  const code = r['noteCode'];
  if (typeof code !== 'string' || !(BIND_NOTES as readonly string[]).includes(code)) return null;
  const heldBy = r['portHeldBy'];
  const held = heldBy && typeof heldBy === 'object'
    ? Object.entries(heldBy as Record<string, unknown>).filter(([, n]) => typeof n === 'number' && n > 0).map(([s, n]) => `${s} ×${String(n)}`).join(', ')
    : '';
  const port = e.args['port'];
  return { code: code as BindNoteCode, port: typeof port === 'number' ? port : '?', held: held || '—' };
}

/** The same note from what the fold kept of the bind (F19: SocketModel.bind), so a card reads no event. */
export function bindNoteOf(b: BindFacts | undefined): BindNote | null {
  if (!b?.noteCode || !(BIND_NOTES as readonly string[]).includes(b.noteCode)) return null;
  const held = b.heldBy ? Object.entries(b.heldBy).filter(([, n]) => typeof n === 'number' && n > 0).map(([st, n]) => `${st} ×${String(n)}`).join(', ') : '';
  return { code: b.noteCode as BindNoteCode, port: b.port ?? '?', held: held || '—' };
}

export function bindNoteText(n: BindNote, t: Translate): string {
  return t(`bind.${n.code}` as MessageKey, { port: n.port, held: n.held });
}

export function bindNoteBadge(n: BindNote, t: Translate): string {
  return t(`bind.badge.${n.code}` as MessageKey);
}
