import { useLayoutEffect, useRef } from 'react';
import { renderListing, type Lesson, type LessonStep, type Listing, type MovedPort } from '@socketscope/shared/lessons/index';
import { useT } from '../../i18n/useT.ts';
import { useApp } from '../../store/store.ts';
import { MaximizeButton } from '../Panel.tsx';

/**
 * The programs the lesson runs, server and client side by side (one above the other when narrow), in
 * the chosen language (comments are translated; code is the same in every language, so line numbers
 * hold). The current step's lines are marked with ▶ and a frame as well as a colour, and scrolled
 * into view.
 */
export function CodePanel({ lesson, step, moved, embedded = false }: { lesson: Lesson; step: LessonStep | null; moved?: MovedPort; embedded?: boolean }) {
  const t = useT();
  const locale = useApp((s) => s.locale);
  const { server, client } = lesson.listings;
  return (
    <section className={embedded ? 'code-panel embedded' : 'panel code-panel'} data-testid="code-panel" aria-label={`${t('code.server')} / ${t('code.client')}`}>
      {embedded ? null : <MaximizeButton panel="code" />}
      <div className={`listings${server ? '' : ' single'}`}>
        {server ? (
          <ListingView title={t('code.server')} listing={server} lines={step?.lines.server ?? []} role="server" lang={locale} moved={moved} />
        ) : (
          <p className="no-server" data-testid="no-server">{t('code.noServer')}</p>
        )}
        <ListingView title={t('code.client')} listing={client} lines={step?.lines.client ?? []} role="client" lang={locale} moved={moved} />
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

function ListingView(p: { title: string; listing: Listing; lines: readonly number[]; role: 'server' | 'client'; lang: 'en' | 'zh-CN' | 'zh-TW'; moved: MovedPort | undefined }) {
  const t = useT();
  const text = renderListing(p.listing, p.lang, p.moved);
  const scroller = useRef<HTMLOListElement | null>(null);
  const key = p.lines.join(',');
  // keep the step's first line in the middle of the listing, also when the listing is laid out or resized later
  useLayoutEffect(() => {
    const ol = scroller.current;
    if (!ol) return;
    const center = () => {
      const lit = ol.querySelectorAll<HTMLElement>('.hl');
      const first = lit[0];
      const last = lit[lit.length - 1];
      if (!first || !last) return;
      // the list is positioned, so offsetTop is measured from its top; a block taller than the view starts at its top
      const top = first.offsetTop;
      const span = last.offsetTop + last.offsetHeight - top;
      ol.scrollTop = span >= ol.clientHeight ? top : Math.max(0, top - (ol.clientHeight - span) / 2);
    };
    center();
    const ro = new ResizeObserver(center);
    ro.observe(ol);
    return () => ro.disconnect();
  }, [key]);
  const hl = new Set(p.lines);
  return (
    <div className={`listing listing-${p.role}`} data-testid={`listing-${p.role}`}>
      <div className="listing-head">
        <strong>{p.title}</strong> <code className="file">{p.listing.file}</code>
      </div>
      <ol className="code" ref={scroller}>
        {text.map((line, i) => {
          const n = i + 1;
          const on = hl.has(n);
          const comment = p.listing.lines[i]?.kind === 'comment';
          return (
            <li key={i} className={`${on ? 'hl' : ''}${comment ? ' comment' : ''}`} data-line={n} data-hl={on || undefined}
              aria-current={on ? 'step' : undefined} aria-label={on ? t('code.line', { n }) : undefined}>
              <span className="ln" aria-hidden="true">{on ? '▶' : n}</span>
              <code>{line || ' '}</code>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
