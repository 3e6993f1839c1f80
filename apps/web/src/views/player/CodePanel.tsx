import { renderListing, type Lesson, type LessonStep, type Listing, type MovedPort } from '@socketscope/shared/lessons/index';
import { useT } from '../../i18n/useT.ts';
import type { AppState } from '../../store/slices.ts';
import { useApp } from '../../store/store.ts';
import { MaximizeButton } from '../Panel.tsx';
import { LIT_MARK, RunCode, litKind } from '../programs/RunCode.tsx';
import '../programs/programs.css';
import './player.css';

/**
 * The programs the lesson runs, server and client side by side (one above the other when narrow), in
 * the chosen language (comments are translated; code is the same in every language, so line numbers
 * hold). The lit line is the line the tracer saw: the ProcModel.line, at the cursor, of the program that
 * runs this listing (the code panel of the playground's runs, RunCode: paused before a call looks
 * different from waiting inside one). A listing run more than once (a second client, a restarted
 * server) names each of its runs above the code and lights the one that moved last.
 */
export function CodePanel({ lesson, moved, embedded = false }: { lesson: Lesson; moved?: MovedPort; embedded?: boolean }) {
  const t = useT();
  const locale = useApp((s) => s.locale);
  const { server, client } = lesson.listings;
  return (
    <section className={embedded ? 'code-panel embedded' : 'panel code-panel'} data-testid="code-panel" aria-label={`${t('code.server')} / ${t('code.client')}`}>
      {embedded ? null : <MaximizeButton panel="code" />}
      <div className={`listings${server ? '' : ' single'}`}>
        {server ? (
          <ListingView title={t('code.server')} listing={server} role="server" lang={locale} moved={moved} />
        ) : (
          <p className="no-server" data-testid="no-server">{t('code.noServer')}</p>
        )}
        <ListingView title={t('code.client')} listing={client} role="client" lang={locale} moved={moved} />
      </div>
    </section>
  );
}

/** The step's explanation of what just happened in the kernel and on the wire (the lesson's summary before step 1). */
export function StepExplain({ lesson, step }: { lesson: Lesson; step: LessonStep | null }) {
  const t = useT();
  const locale = useApp((s) => s.locale);
  return (
    <div className="explain" data-testid="step-explain" aria-live="polite">
      <h3>{step ? t('code.explain') : lesson.title[locale]}</h3>
      <p>{step ? step.explain[locale] : lesson.summary[locale]}</p>
    </div>
  );
}

/** Run ids (in start order) of the programs at the cursor that run `file`, joined (a string: a stable selector result). */
function runsOf(file: string) {
  return (s: AppState) =>
    s.model.procOrder.filter((r) => s.model.procs[r]?.program === file).join(' ');
}

/** Of a listing's runs, the one whose line is lit: the latest to move that is still running, else the latest to move. */
function litRun(file: string) {
  return (s: AppState) => {
    let best: { run: string; live: boolean; seq: number } | null = null;
    for (const r of s.model.procOrder) {
      const p = s.model.procs[r];
      if (!p || p.program !== file) continue;
      const live = p.status !== 'exited';
      if (!best || (live && !best.live) || (live === best.live && p.lastSeq > best.seq)) best = { run: r, live, seq: p.lastSeq };
    }
    return best?.run ?? null;
  };
}

function ListingView(p: { title: string; listing: Listing; role: 'server' | 'client'; lang: 'en' | 'zh-CN' | 'zh-TW'; moved: MovedPort | undefined }) {
  const t = useT();
  const text = renderListing(p.listing, p.lang, p.moved).join('\n');
  const runs = useApp(runsOf(p.listing.file));
  const lit = useApp(litRun(p.listing.file));
  const proc = useApp((s) => (lit ? s.model.procs[lit] : undefined));
  const failed = proc?.exit !== undefined && (proc.exit.exception !== undefined || proc.exit.reason === 'failed-to-start');
  const kind = proc ? litKind(proc.status, failed) : 'running';
  const ids = runs === '' ? [] : runs.split(' ');
  return (
    <div className={`listing listing-${p.role}`} data-testid={`listing-${p.role}`} data-run={lit ?? ''} data-line={proc?.line ?? ''} data-status={proc?.status ?? 'none'}>
      <div className="listing-head">
        <strong>{p.title}</strong> <code className="file">{p.listing.file}</code>
        {ids.length === 0 ? <span className="muted small" data-testid="listing-not-started">{t('code.notStarted')}</span> : (
          <ul className="listing-runs" aria-label={p.listing.file}>
            {ids.map((r) => <RunChip key={r} run={r} lit={r === lit} />)}
          </ul>
        )}
      </div>
      <RunCode text={text} line={proc?.line} kind={kind} />
    </div>
  );
}

/** One run of the listing: which program (pid), where it is, in a mark and words. */
function RunChip({ run, lit }: { run: string; lit: boolean }) {
  const t = useT();
  const proc = useApp((s) => s.model.procs[run]);
  if (!proc) return null;
  const failed = proc.exit !== undefined && (proc.exit.exception !== undefined || proc.exit.reason === 'failed-to-start');
  const kind = litKind(proc.status, failed);
  const call = proc.pending?.call ?? '';
  const where = proc.status === 'paused' || proc.status === 'in-call' ? t(`prog.status.${proc.status}`, { call }) : t(`prog.status.${proc.status}`);
  return (
    <li className={`listing-run chip-${kind}${lit ? ' lit' : ''}`} data-testid="listing-run" data-run={run} data-status={proc.status} data-line={proc.line ?? ''}
      title={t('code.runOf', { program: proc.program, pid: proc.pid })}>
      <span aria-hidden="true">{LIT_MARK[kind]} </span><strong>{where}</strong>
      {proc.line !== undefined && proc.status !== 'exited' ? <span className="muted"> · {t('code.line', { n: proc.line })}</span> : null}
    </li>
  );
}
