import { useLayoutEffect, useMemo, useRef } from 'react';
import type { ProcStatus } from '@socketscope/shared';
import { useT } from '../../i18n/useT.ts';

/**
 * The exact text a run was started with, numbered, with the line the tracer last saw lit. How it is lit
 * says where the program is, in a mark and a frame as well as a colour: ❚❚ paused before the line's call
 * (step mode: it has not happened), ◴ inside a call that has not returned (blocked: accept, recv …),
 * ⌨ waiting in input(), ▶ running on from there, ✗ the line of the exception that ended it, ■ ended.
 */
export type LitKind = 'paused' | 'in-call' | 'input' | 'running' | 'exited' | 'error';

/** marks the fonts of a classroom machine have (DejaVu, Noto CJK): no media-control or emoji code points */
export const LIT_MARK: Record<LitKind, string> = { paused: '❚❚', 'in-call': '◴', input: '⌨', running: '▶', exited: '■', error: '✗' };

export function litKind(status: ProcStatus, failed: boolean): LitKind {
  if (status === 'exited') return failed ? 'error' : 'exited';
  return status;
}

export function RunCode({ text, line, kind }: { text: string; line: number | undefined; kind: LitKind }) {
  const t = useT();
  const lines = useMemo(() => {
    const all = text.split(/\r?\n/);
    if (all.length > 1 && all[all.length - 1] === '') all.pop();
    return all;
  }, [text]);
  const scroller = useRef<HTMLOListElement | null>(null);

  // the lit line in the middle of the listing whenever it moves (and when the listing is resized)
  useLayoutEffect(() => {
    const ol = scroller.current;
    if (!ol || line === undefined) return;
    const center = () => {
      const li = ol.querySelector<HTMLElement>('li.lit');
      if (li) ol.scrollTop = Math.max(0, li.offsetTop - (ol.clientHeight - li.offsetHeight) / 2);
    };
    center();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(center);
    ro.observe(ol);
    return () => ro.disconnect();
  }, [line, lines]);

  return (
    <ol className="code run-code" ref={scroller} data-testid="run-code">
      {lines.map((src, i) => {
        const n = i + 1;
        const lit = n === line;
        return (
          <li key={i} className={lit ? `lit lit-${kind}` : undefined} data-line={n} data-lit={lit ? kind : undefined}
            aria-current={lit ? 'step' : undefined} aria-label={lit ? t('code.line', { n }) : undefined}>
            <span className="ln" aria-hidden="true">{lit ? LIT_MARK[kind] : n}</span>
            <Indented src={src} />
          </li>
        );
      })}
    </ol>
  );
}

/**
 * A line whose indentation is a margin: when a long line wraps on a narrow panel, its continuation stays
 * under the code instead of starting at the left edge (and a line never breaks after its indentation
 * alone). Tabs count as four columns, as the code box shows them.
 */
function Indented({ src }: { src: string }) {
  const m = /^[ \t]*/.exec(src)![0];
  if (m.length === 0 || m.length === src.length) return <code>{src || ' '}</code>;
  const cols = [...m].reduce((n, c) => (c === '\t' ? n + 4 - (n % 4) : n + 1), 0);
  return <code className="indented" style={{ paddingLeft: `${cols}ch` }}>{src.slice(m.length)}</code>;
}
