import { useEffect, useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import type { ProcModel } from '@socketscope/shared';
import { useT } from '../../i18n/useT.ts';
import { runCmd, type Access } from './access.ts';

/**
 * What the program printed (stdout), its errors (stderr: bold and red) and the lines typed for it
 * (⌨), the newest at the bottom. The text is the fold's tail of the output (ProcModel.output) and its
 * pieces by stream (F20: ProcModel.outputPieces); a start older than the pieces is shown in one colour.
 */
export function RunOutput({ proc }: { proc: ProcModel }) {
  const t = useT();
  const box = useRef<HTMLPreElement | null>(null);
  const pieces = proc.outputPieces ?? [];
  const known = pieces.reduce((n, p) => n + p.text.length, 0);
  const before = proc.output.slice(0, Math.max(0, proc.output.length - known));
  useLayoutEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [proc.output]);
  return (
    <div className="run-output-box">
      <div className="run-output-head">
        <span className="label">{t('prog.output')}</span>
        <span className="muted small">{t('prog.output.legend')}</span>
      </div>
      <pre className="run-output" ref={box} data-testid="run-output" aria-live="polite">
        {proc.output === '' ? <span className="muted">{t('prog.output.empty')}</span>
          : <>{before}{pieces.map((p, i) => (
            <span key={i} className={`out-${p.stream}`} data-stream={p.stream}>{p.stream === 'stdin' ? `⌨ ${p.text}` : p.text}</span>
          ))}</>}
      </pre>
    </div>
  );
}

/** input() is waiting: its prompt, and on the teacher's page a box whose Enter sends the line. */
export function RunInput({ proc, access }: { proc: ProcModel; access: Access }) {
  const t = useT();
  const [line, setLine] = useState('');
  const own = useRef<HTMLFormElement | null>(null);
  const box = useRef<HTMLInputElement | null>(null);
  // when input() starts asking, the box takes the focus if nothing else has it, or this program's own
  // buttons had it (Next call led here); never from another program's box or the new-program form
  useEffect(() => {
    const el = box.current;
    const active = document.activeElement;
    if (el && (!active || active === document.body || own.current?.closest('.run-card')?.contains(active))) el.focus();
  }, []);
  if (access === 'watch') {
    return <div className="run-input" data-testid="run-input-watch"><span className="label">⌨ {t('prog.input.label')}</span> <q>{proc.prompt ?? ''}</q></div>;
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void runCmd(proc.run, { op: 'py.input', run: proc.run, line });
    setLine('');
  };
  return (
    <form className="run-input" ref={own} onSubmit={submit} data-testid="run-input-form">
      <label>
        <span className="label">⌨ {t('prog.input.label')}</span> <q className="prompt" data-testid="run-prompt">{proc.prompt ?? ''}</q>
        <span className="inline-form">
          <input ref={box} data-testid="run-input" value={line} placeholder={t('prog.input.placeholder')} maxLength={4096}
            disabled={access !== 'act'} onChange={(e) => setLine(e.target.value)} />
          <button type="submit" className="primary" data-testid="run-input-send" disabled={access !== 'act'}>{t('prog.input.send')}</button>
        </span>
      </label>
    </form>
  );
}
