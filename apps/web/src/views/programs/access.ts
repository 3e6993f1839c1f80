import { runCommand } from '../../app/session.ts';
import type { CommandInput } from '@socketscope/shared';
import { useApp } from '../../store/store.ts';

/**
 * What this page may do with the programs it shows:
 * - 'watch': no buttons at all — a read-only (shared) page, a recording, a page without the token.
 * - 'wait': the buttons are there but disabled — not connected right now, or the teacher scrubbed back
 *   (one cannot act on the past: the view shows the program as it was then).
 * - 'act': the teacher's live page at the live head.
 */
export type Access = 'watch' | 'wait' | 'act';

export function useAccess(): Access {
  return useApp((s) => {
    if (s.source.kind !== 'live' || (s.session?.readOnly ?? false) || s.conn.status === 'no-token') return 'watch';
    return s.conn.status === 'live' && s.cursor === null ? 'act' : 'wait';
  });
}

/** The reply slot of one run's commands (its errors show on its card). */
export function runTarget(run: string): string {
  return `run:${run}`;
}

export function runCmd(run: string, cmd: CommandInput): ReturnType<typeof runCommand> {
  return runCommand(runTarget(run), cmd);
}
