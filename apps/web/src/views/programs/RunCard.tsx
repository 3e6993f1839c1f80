import { memo, useCallback } from 'react';
import type { ProcModel } from '@socketscope/shared';
import { procExitText } from '../../format/describe.ts';
import { useT } from '../../i18n/useT.ts';
import { useApp } from '../../store/store.ts';
import { ErrorHint } from '../Reply.tsx';
import { runCmd, runTarget, useAccess, type Access } from './access.ts';
import { LIT_MARK, RunCode, litKind, type LitKind } from './RunCode.tsx';
import { RunInput, RunOutput } from './RunOutput.tsx';
import { setStepMode, takeJustStarted, useRunSource, useStepMode } from './sources.ts';

/**
 * One run of a traced program at the playback cursor: where it is (status and lit line), its code,
 * its output, input() when it asks, how it ended; on the teacher's live page the buttons that drive it.
 * Re-renders when this run's entity is replaced (fold F13, F15), not for other events.
 */
export const RunCard = memo(function RunCard({ run }: { run: string }) {
  const t = useT();
  const proc = useApp((s) => s.model.procs[run]);
  const access = useAccess();
  const source = useRunSource(run);
  // the program the teacher just started comes into view (the playground's column scrolls)
  const box = useCallback((el: HTMLElement | null) => {
    if (el && takeJustStarted(run)) el.scrollIntoView({ block: 'nearest' });
  }, [run]);
  if (!proc) return null;
  const failed = proc.exit !== undefined && (proc.exit.exception !== undefined || proc.exit.reason === 'failed-to-start');
  const kind = litKind(proc.status, failed);
  return (
    <article ref={box} className={`run-card run-${kind}`} data-testid="run-card" data-run={run} data-status={proc.status}
      data-line={proc.line ?? ''} data-program={proc.program} aria-label={`${proc.program} ${t('prog.pid', { pid: proc.pid })}`}>
      <header className="run-head">
        <strong className="run-file">{proc.program}</strong>
        <span className="muted small">{t('prog.pid', { pid: proc.pid })}</span>
        {proc.args.length > 0 ? <code className="run-args small">{proc.args.map(quoteArg).join(' ')}</code> : null}
        <StatusChip proc={proc} kind={kind} />
      </header>
      {access !== 'watch' && proc.status !== 'exited' ? <RunControls proc={proc} access={access} /> : null}
      <RunErrors run={run} />
      {source ? <RunCode text={source.text} line={proc.line} kind={kind} /> : (
        <p className="run-nosource muted" data-testid="run-nosource">
          {t('prog.noSource', { file: proc.file })}
          {proc.line !== undefined ? <> <strong>{LIT_MARK[kind]} {t('prog.lineNow', { line: proc.line })}</strong></> : null}
        </p>
      )}
      {proc.status === 'input' ? <RunInput proc={proc} access={access} /> : null}
      <RunOutput proc={proc} />
      {proc.exit ? <ExitLine exit={proc.exit} failed={failed} /> : null}
    </article>
  );
});

function quoteArg(a: string): string {
  return a === '' || /[\s"'\\]/.test(a) ? `"${a.replace(/(["\\])/g, '\\$1')}"` : a;
}

/** Where the program is, in words and a mark (never colour alone). */
function StatusChip({ proc, kind }: { proc: ProcModel; kind: LitKind }) {
  const t = useT();
  const call = proc.pending?.call ?? '';
  const text = proc.status === 'paused' || proc.status === 'in-call' ? t(`prog.status.${proc.status}`, { call }) : t(`prog.status.${proc.status}`);
  return (
    <span className={`run-status-chip chip-${kind}`} data-testid="run-status" data-status={proc.status}>
      <span aria-hidden="true">{LIT_MARK[kind]} </span>{text}
      {proc.line !== undefined && proc.status !== 'exited' ? <span className="muted"> · {t('code.line', { n: proc.line })}</span> : null}
    </span>
  );
}

function RunControls({ proc, access }: { proc: ProcModel; access: Access }) {
  const t = useT();
  const session = useApp((s) => s.session?.id ?? null);
  const step = useStepMode(session, proc.run, proc.step);
  const off = access !== 'act';
  const toggleStep = async () => {
    const r = await runCmd(proc.run, { op: 'py.step', run: proc.run, on: !step });
    if (r.ok && session) setStepMode(session, proc.run, !step);
  };
  return (
    <div className="btns run-controls">
      <button type="button" className="primary" data-testid="run-go" disabled={off || proc.status !== 'paused'} title={t('prog.goHint')}
        onClick={() => void runCmd(proc.run, { op: 'py.go', run: proc.run })}>⇥ {t('prog.go')}</button>
      <button type="button" className={`toggle${step ? ' on' : ''}`} data-testid="run-step" aria-pressed={step} disabled={off} title={t('prog.stepHint')}
        onClick={() => void toggleStep()}>{step ? '☑' : '☐'} {t('prog.step')}</button>
      <button type="button" className="danger" data-testid="run-stop" disabled={off} onClick={() => void runCmd(proc.run, { op: 'py.stop', run: proc.run })}>■ {t('prog.stop')}</button>
    </div>
  );
}

/** A command on this run that the agent refused (a success needs no line: the program moves). */
function RunErrors({ run }: { run: string }) {
  const t = useT();
  const entry = useApp((s) => s.replies[runTarget(run)]);
  const r = entry?.reply;
  if (!entry || entry.pending || !r || r.ok) return null;
  return (
    <div className="reply reply-error" data-testid="run-error" data-code={r.error.code} role="alert">
      <span aria-hidden="true">✗ </span><strong>{entry.op}</strong> {t('reply.failed', { code: r.error.code })}
      <ErrorHint code={r.error.code} fallback={r.error.hint} />
    </div>
  );
}

function ExitLine({ exit, failed }: { exit: NonNullable<ProcModel['exit']>; failed: boolean }) {
  const t = useT();
  const exc = exit.exception;
  const at = exc?.frames.at(-1);
  return (
    <div className={`run-exit${failed ? ' failed' : ''}`} data-testid="run-exit" data-reason={exit.reason} data-code={exit.code ?? ''}>
      <strong><span aria-hidden="true">{failed ? '✗ ' : '■ '}</span>{procExitText(exit, t)}</strong>
      {exc ? (
        <div className="run-exc" data-testid="run-exception">
          {at ? t('prog.exit.exception', { type: exc.type, message: exc.message, line: at.line }) : `${exc.type}: ${exc.message}`}
        </div>
      ) : null}
      {exit.message && exit.reason !== 'exited' ? <div className="muted small">{exit.message}</div> : null}
    </div>
  );
}
