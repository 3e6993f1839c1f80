import { useState } from 'react';
import { useT } from '../../i18n/useT.ts';
import { useApp } from '../../store/store.ts';
import { useAccess } from './access.ts';
import { NewProgram } from './NewProgram.tsx';
import { RunCard } from './RunCard.tsx';
import './programs.css';

/**
 * "Python programs" in the playground: a program to run (or, where the agent has no Python, why not and
 * the one command that installs it), then one card per run, in the order they started.
 */
export function ProgramsPanel() {
  const t = useT();
  const access = useAccess();
  return (
    <div className="play-form programs" data-testid="programs">
      <h3>{t('prog.title')}</h3>
      <p className="muted small">{t('prog.hint')}</p>
      {access === 'watch' ? null : <PythonOrNot access={access} />}
      <RunList />
    </div>
  );
}

/**
 * The runs alone, for a page that cannot start programs (a student's read-only page, a recording): in
 * the playground's place, so the programs' code panels are seen there too.
 */
export function ProgramRunsPanel() {
  const t = useT();
  return (
    <section className="panel playground programs-only" data-testid="programs" aria-labelledby="prog-title">
      <h2 id="prog-title">{t('prog.title')}</h2>
      <RunList />
    </section>
  );
}

function PythonOrNot({ access }: { access: 'act' | 'wait' }) {
  const t = useT();
  const python = useApp((s) => s.capabilities?.python);
  const known = useApp((s) => s.capabilities !== null);
  if (known && !python) return <p className="prog-missing" data-testid="prog-unknown">{t('prog.unknown')}</p>;
  if (python && !python.available) {
    return (
      <div className="prog-missing" data-testid="prog-missing" role="status">
        <strong><span aria-hidden="true">⚠ </span>{t('prog.missing.title')}</strong>
        <p>{t('prog.missing.why')}{python.reason ? <span className="muted small"> ({python.reason})</span> : null}</p>
        {python.fix?.linux ? (
          <p>{t('prog.missing.fix')} <code className="cmd" data-testid="prog-install">{python.fix.linux}</code></p>
        ) : null}
      </div>
    );
  }
  return <NewProgram access={access} />;
}

function RunList() {
  const t = useT();
  const order = useApp((s) => s.model.procOrder);
  const [hideEnded, setHideEnded] = useState(false);
  if (order.length === 0) return null;
  return (
    <div className="runs" data-testid="runs">
      <label className="check small">
        <input type="checkbox" data-testid="runs-hide-ended" checked={hideEnded} onChange={(e) => setHideEnded(e.target.checked)} /> {t('prog.hideEnded')}
      </label>
      {order.map((run) => <MaybeRun key={run} run={run} hideEnded={hideEnded} />)}
    </div>
  );
}

function MaybeRun({ run, hideEnded }: { run: string; hideEnded: boolean }) {
  const ended = useApp((s) => s.model.procs[run]?.status === 'exited');
  return hideEnded && ended ? null : <RunCard run={run} />;
}
