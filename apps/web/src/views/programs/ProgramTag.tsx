import { useT } from '../../i18n/useT.ts';
import { useApp } from '../../store/store.ts';
import './programs.css';

/**
 * On a socket card: the traced program that made the socket (SocketModel.run → its ProcModel). Reads
 * only the program's name and pid, so the card does not re-render as the program moves from line to line.
 */
export function ProgramTag({ run }: { run: string }) {
  const t = useT();
  const program = useApp((s) => s.model.procs[run]?.program);
  const pid = useApp((s) => s.model.procs[run]?.pid);
  return (
    <span className="sock-program" data-testid="sock-program" data-run={run}>
      <span aria-hidden="true">⚙ </span>{program !== undefined && pid !== undefined ? t('prog.program', { program, pid }) : run}
    </span>
  );
}
