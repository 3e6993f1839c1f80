import { StrictMode, useEffect, useMemo, useState, type ReactElement } from 'react';
import { createRoot } from 'react-dom/client';
import { emptyModel, foldAll, type SessionEvent } from '@socketscope/shared';
import { ladderEn } from '../../i18n/parts/ladder.en.ts';
import { ladderZhCN } from '../../i18n/parts/ladder.zh-CN.ts';
import { ladderZhTW } from '../../i18n/parts/ladder.zh-TW.ts';
import { demoRefused, demoSynthetic, demoTcpHello, demoUdpEcho } from './demo.ts';
import { Ladder } from './Ladder.tsx';
import { layoutLadder } from './layout.ts';

/**
 * Visual harness (demo data only; never part of the app). Query: ?lang=en|zh-CN|zh-TW &projector=1
 * &demo=hello|inferred|refused|udp|bulk|pingpong &n=100000 &sel=<seq> &views=ladder,machine,buffers
 */
const q = new URLSearchParams(location.search);
const lang = q.get('lang') ?? 'en';
const projector = q.get('projector') === '1';
const messages: Record<string, string> = {
  ...(lang === 'zh-CN' ? { ...ladderZhCN } : lang === 'zh-TW' ? { ...ladderZhTW } : { ...ladderEn }),
};
const t = (key: string, vars?: Record<string, string | number>): string =>
  (messages[key] ?? `⟦${key}⟧`).replace(/\{(\w+)\}/g, (w, k: string) => (vars && k in vars ? String(vars[k]) : w));

function demoEvents(): SessionEvent[] {
  const n = Number(q.get('n') ?? 100_000);
  switch (q.get('demo')) {
    case 'inferred': return demoTcpHello({ inferred: true });
    case 'refused': return demoRefused();
    case 'udp': return demoUdpEcho();
    case 'bulk': return demoSynthetic({ pattern: 'bulk', segments: n });
    case 'pingpong': return demoSynthetic({ pattern: 'pingpong', segments: n });
    default: return demoTcpHello();
  }
}

const timings: Record<string, number> = {};
function timed<R>(name: string, f: () => R): R {
  const t0 = performance.now();
  const r = f();
  timings[name] = performance.now() - t0;
  return r;
}

function App(): ReactElement {
  const events = useMemo(() => timed('generate', demoEvents), []);
  const model = useMemo(() => timed('fold', () => foldAll(emptyModel(), events)), [events]);
  useMemo(() => {
    if (!q.has('measure')) return;
    timed('layoutCold', () => layoutLadder(events, model));
    timed('layoutWarm', () => layoutLadder(events, model));
  }, [events, model]);
  useEffect(() => {
    // first commit of the whole page, layout included; a frame later it is painted
    timings['firstCommit'] = performance.now() - t0;
    requestAnimationFrame(() => { (window as unknown as { __timings: unknown }).__timings = timings; (window as unknown as { __renderMs: number }).__renderMs = performance.now() - t0; });
  }, []);
  const [sel, setSel] = useState<number | undefined>(q.has('sel') ? Number(q.get('sel')) : undefined);
  const h = window.innerHeight;
  return (
    <Ladder events={events} model={model} t={t} selectedSeq={sel} onSelect={setSel} height={h} projector={projector} />
  );
}

const t0 = performance.now();
createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
