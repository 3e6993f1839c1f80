import { useRef, useState, type DragEvent, type FormEvent } from 'react';
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { EXAMPLES, findExample, type CommandInput } from '@socketscope/shared';
import { runCommand } from '../../app/session.ts';
import type { MessageKey } from '../../i18n/en.ts';
import { useT } from '../../i18n/useT.ts';
import { appStore, useApp } from '../../store/store.ts';
import { ErrorHint } from '../Reply.tsx';
import type { Access } from './access.ts';
import { MAX_ARG_LEN, MAX_ARGS, splitArgs } from './args.ts';
import { rememberSource, startedHere } from './sources.ts';

/** the agent takes at most this much code (commands.ts py.run) */
const MAX_CODE = 256 * 1024;
const NAME = /^[^/\\\0]{1,128}$/;

/**
 * The program to run next: an example of the tutorials (its text is shown, and it runs as that example
 * unless it was edited), or code pasted, typed, opened or dropped here under a file name; its
 * arguments; Run, or Run step by step. Kept outside the component, so that showing one view alone
 * (which unmounts the playground) does not throw away what the teacher pasted.
 */
interface Draft {
  example: string;
  text: string;
  name: string;
  args: string;
  /** where it runs: this machine, or a host of the lab network while its link is up */
  where: 'here' | 'client' | 'server';
}
const first = EXAMPLES[0]!;
const draft = createStore<Draft>()(() => ({ example: first.id, text: first.source, name: first.file, args: '', where: 'here' }));
const setDraft = (patch: Partial<Draft>) => draft.setState(patch);

type Problem = { key: MessageKey; params?: Record<string, string | number> } | { code: string; message: string; hint?: string | undefined };

export function NewProgram({ access }: { access: Access }) {
  const t = useT();
  const d = useStore(draft);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement | null>(null);
  const example = d.example ? findExample(d.example) : undefined;
  const labUp = useApp((s) => s.model.link?.up === true);
  const host = labUp && d.where !== 'here' ? d.where : undefined;
  const edited = example !== undefined && d.text !== example.source;

  const pickExample = (id: string) => {
    const ex = findExample(id);
    setProblem(null);
    setDraft(ex ? { example: ex.id, text: ex.source, name: ex.file } : { example: '' });
  };

  const readFile = async (f: File) => {
    setProblem(null);
    if (f.size > MAX_CODE) return setProblem({ key: 'prog.problem.tooBig', params: { max: MAX_CODE / 1024 } });
    try {
      const bytes = new Uint8Array(await f.arrayBuffer());
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        text = new TextDecoder('gbk').decode(bytes); // saved by an editor on a Chinese Windows machine
      }
      setDraft({ example: '', text: text.replace(/^\uFEFF/, ''), name: f.name.replace(/[/\\\0]/g, '_').slice(0, 128) });
    } catch {
      setProblem({ key: 'prog.problem.read' });
    }
  };

  const onDrop = (e: DragEvent<HTMLTextAreaElement>) => {
    const f = e.dataTransfer.files[0];
    if (!f) return;
    // the page opens dropped recordings; a file dropped on the code is the program
    e.preventDefault();
    e.stopPropagation();
    void readFile(f);
  };

  const run = async (step: boolean) => {
    setProblem(null);
    const args = splitArgs(d.args);
    if (!args.ok) return setProblem({ key: `prog.problem.${args.problem}`, params: { max: args.problem === 'tooMany' ? MAX_ARGS : MAX_ARG_LEN } });
    if (d.text.trim() === '') return setProblem({ key: 'prog.problem.empty' });
    if (!example || edited) {
      if (!NAME.test(d.name)) return setProblem({ key: 'prog.problem.name' });
      if (d.text.length > MAX_CODE) return setProblem({ key: 'prog.problem.tooBig', params: { max: MAX_CODE / 1024 } });
    }
    const asExample = example && !edited ? example : undefined;
    const cmd: CommandInput = asExample
      ? { op: 'py.run', example: asExample.id, args: args.args, step, ...(host ? { host } : {}) }
      : { op: 'py.run', code: d.text, name: d.name, args: args.args, step, ...(host ? { host } : {}) };
    const session = appStore().getState().session?.id;
    setBusy(true);
    const r = await runCommand('py.run', cmd);
    setBusy(false);
    if (!r.ok) return setProblem({ code: r.error.code, message: r.error.message, hint: r.error.hint });
    const runId = (r.result as { run?: unknown } | null)?.run;
    if (typeof runId !== 'string') return;
    if (session) rememberSource(session, runId, { file: asExample ? asExample.file : d.name, text: d.text });
    // its card may be on the page already (proc.start came before this reply), else it is when it mounts
    const shown = document.querySelector(`[data-testid="run-card"][data-run="${CSS.escape(runId)}"]`);
    if (shown) shown.scrollIntoView({ block: 'nearest' });
    else startedHere(runId);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(false);
  };
  const disabled = access !== 'act' || busy;

  return (
    <form className="prog-new" data-testid="prog-new" onSubmit={submit}>
      <label>{t('prog.example')}
        <select data-testid="prog-example" value={d.example} onChange={(e) => pickExample(e.target.value)}>
          <option value="">{t('prog.example.own')}</option>
          {EXAMPLES.map((ex) => (
            <option key={ex.id} value={ex.id}>{t('prog.example.option', { file: ex.file, proto: ex.proto.toUpperCase(), role: t(`prog.role.${ex.role}`) })}</option>
          ))}
        </select>
      </label>
      <label>{t('prog.code')}
        <textarea data-testid="prog-code" className="prog-code" rows={9} spellCheck={false} autoCapitalize="off" autoCorrect="off"
          placeholder={t('prog.codePlaceholder')} value={d.text} onDrop={onDrop}
          onChange={(e) => setDraft({ text: e.target.value })} />
      </label>
      {edited ? <p className="muted small prog-edited" data-testid="prog-edited">✎ {t('prog.edited')}</p> : null}
      <div className="row">
        <label className="grow">{t('prog.name')}
          <input data-testid="prog-name" value={d.name} readOnly={example !== undefined && !edited} onChange={(e) => setDraft({ name: e.target.value })} />
        </label>
        <button type="button" className="open-py" data-testid="prog-open" onClick={() => fileInput.current?.click()}>{t('prog.open')}</button>
        <input ref={fileInput} type="file" hidden data-testid="prog-file" accept=".py,.pyw,text/x-python,text/plain"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void readFile(f);
          }} />
      </div>
      <label>{t('prog.args')}
        <input data-testid="prog-args" value={d.args} title={t('prog.argsHint')} placeholder={t('prog.argsPlaceholder')} onChange={(e) => setDraft({ args: e.target.value })} />
      </label>
      {labUp ? (
        <label>{t('prog.where')}
          <select data-testid="prog-where" value={d.where} title={t('prog.whereHint')} onChange={(e) => setDraft({ where: e.target.value as Draft['where'] })}>
            <option value="here">{t('prog.where.here')}</option>
            <option value="client">{t('prog.where.client')}</option>
            <option value="server">{t('prog.where.server')}</option>
          </select>
        </label>
      ) : null}
      {host ? <p className="muted small" data-testid="prog-where-note">{t('prog.where.note')}</p> : null}
      <div className="btns">
        <button type="submit" className="primary" data-testid="prog-run" disabled={disabled}>▶ {t('prog.run')}</button>
        <button type="button" className="primary" data-testid="prog-run-step" disabled={disabled} title={t('prog.runStepHint')} onClick={() => void run(true)}>⇥ {t('prog.runStep')}</button>
      </div>
      {problem ? <ProblemLine problem={problem} /> : null}
    </form>
  );
}

function ProblemLine({ problem }: { problem: Problem }) {
  const t = useT();
  if ('key' in problem) return <div className="reply reply-error" data-testid="prog-problem" role="alert"><span aria-hidden="true">✗ </span>{t(problem.key, problem.params)}</div>;
  return (
    <div className="reply reply-error" data-testid="prog-problem" data-code={problem.code} role="alert">
      <span aria-hidden="true">✗ </span><strong>{t('prog.failed', { code: problem.code })}</strong>
      <ErrorHint code={problem.code} fallback={problem.hint} />
      <div className="muted small">{problem.message}</div>
    </div>
  );
}
