import { StrictMode, useCallback, useEffect, useMemo, useState, type ReactElement } from 'react';
import { createRoot } from 'react-dom/client';
import { emptyModel, foldAll, type SessionEvent } from '@socketscope/shared';
import { ladderEn } from '../../i18n/parts/ladder.en.ts';
import { ladderZhCN } from '../../i18n/parts/ladder.zh-CN.ts';
import { ladderZhTW } from '../../i18n/parts/ladder.zh-TW.ts';
import { machineEn } from '../../i18n/parts/machine.en.ts';
import { machineZhCN } from '../../i18n/parts/machine.zh-CN.ts';
import { machineZhTW } from '../../i18n/parts/machine.zh-TW.ts';
import { buffersEn } from '../../i18n/parts/buffers.en.ts';
import { buffersZhCN } from '../../i18n/parts/buffers.zh-CN.ts';
import { buffersZhTW } from '../../i18n/parts/buffers.zh-TW.ts';
import { Buffers } from '../buffers/Buffers.tsx';
import { chunksFromEvents } from '../buffers/chunks.ts';
import { windowsFromEvents } from '../buffers/windows.ts';
import { StateMachine } from '../machine/StateMachine.tsx';
import { demoRefused, demoStream, demoSynthetic, demoTcpHello, demoUdpEcho } from './demo.ts';
import { Ladder, type LadderView } from './Ladder.tsx';
import { layoutLadder } from './layout.ts';
import './harness.css';

/**
 * Visual harness (demo data only; never part of the app). Query: ?lang=en|zh-CN|zh-TW &projector=1
 * &demo=hello|inferred|refused|udp|bulk|pingpong &n=100000 &cut=<events> &sel=<seq>
 * &views=ladder|machine|buffers|all &measure=1
 */
const q = new URLSearchParams(location.search);
const lang = q.get('lang') ?? 'en';
const projector = q.get('projector') === '1';
const views = q.get('views') ?? 'ladder';
const messages: Record<string, string> = lang === 'zh-CN'
  ? { ...ladderZhCN, ...machineZhCN, ...buffersZhCN }
  : lang === 'zh-TW' ? { ...ladderZhTW, ...machineZhTW, ...buffersZhTW } : { ...ladderEn, ...machineEn, ...buffersEn };
const t = (key: string, vars?: Record<string, string | number>): string =>
  (messages[key] ?? `⟦${key}⟧`).replace(/\{(\w+)\}/g, (w, k: string) => (vars && k in vars ? String(vars[k]) : w));

function demoEvents(): SessionEvent[] {
  const n = Number(q.get('n') ?? 100_000);
  let events: SessionEvent[];
  switch (q.get('demo')) {
    case 'inferred': events = demoTcpHello({ inferred: true }); break;
    case 'refused': events = demoRefused(); break;
    case 'udp': events = demoUdpEcho(); break;
    case 'stream': events = demoStream(); break;
    case 'analysis': {
      // analysis badges on a short bulk transfer (a drawn example, like every demo here)
      const flags: Record<number, ('retransmission' | 'zero-window' | 'window-update' | 'dup-ack')[]> = { 9: ['retransmission'], 14: ['zero-window'], 17: ['window-update'], 20: ['dup-ack', 'retransmission'] };
      events = demoSynthetic({ pattern: 'bulk', segments: 24, mss: 1000 }).map((e, i) => (e.type === 'tcp.segment' && flags[i] ? { ...e, analysis: flags[i], ...(i === 14 ? { win: 0 } : {}) } : e));
      break;
    }
    case 'bulk': events = demoSynthetic({ pattern: 'bulk', segments: n }); break;
    case 'pingpong': events = demoSynthetic({ pattern: 'pingpong', segments: n }); break;
    default: events = demoTcpHello();
  }
  return q.has('cut') ? events.slice(0, Number(q.get('cut'))) : events;
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
  const [sel, setSel] = useState<number | undefined>(q.has('sel') ? Number(q.get('sel')) : undefined);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set());
  const layout = useMemo(() => layoutLadder(events, model, { expanded }), [events, model, expanded]);
  const onView = useCallback((v: LadderView) => setExpanded((p) => (p.size === v.expanded.length && v.expanded.every((x) => p.has(x)) ? p : new Set(v.expanded))), []);
  const detail = sel === undefined ? undefined : events.find((e) => e.seq === sel);
  useEffect(() => {
    // first commit of the whole page, layout included; a frame later it is painted
    timings['firstCommit'] = performance.now() - t0;
    requestAnimationFrame(() => { (window as unknown as { harnessTimings: unknown }).harnessTimings = timings; (window as unknown as { harnessPaintMs: number }).harnessPaintMs = performance.now() - t0; });
  }, []);
  const h = window.innerHeight;
  const sockets = model.socketOrder.map((id) => model.sockets[id]!).filter((s) => s.proto === 'tcp');

  if (views === 'machine') {
    return (
      <div className="hx-grid">
        {sockets.slice(0, 2).map((s) => (
          <section key={s.id}>
            <h2 className="hx-h">{s.id} · {s.role}</h2>
            <StateMachine state={s.state} history={s.stateHistory} t={t} projector={projector} />
          </section>
        ))}
        <section className="hx-compact">
          {sockets.map((s) => (
            <div key={s.id}><h2 className="hx-h">{s.id} (compact)</h2><StateMachine state={s.state} history={s.stateHistory} t={t} compact /></div>
          ))}
        </section>
      </div>
    );
  }
  const buffersFor = (id: string, peerId?: string) => {
    const s = model.sockets[id];
    if (!s) return null;
    const peer = peerId && model.sockets[peerId] ? { socket: model.sockets[peerId], recentData: chunksFromEvents(events, peerId) } : undefined;
    return <Buffers key={id} socket={s} recentData={chunksFromEvents(events, id)} {...(peer ? { peer } : {})} windows={windowsFromEvents(events, s)} t={t} projector={projector} />;
  };
  if (views === 'buffers') {
    const udpEvents = demoUdpEcho();
    const udpModel = foldAll(emptyModel(), udpEvents);
    return (
      <div className="hx-grid">
        <section>{buffersFor('s3', 's2')}</section>
        <section>{buffersFor('s2', 's3')}</section>
        <section>{buffersFor('s1')}</section>
        <section><Buffers socket={udpModel.sockets['u1']!} recentData={chunksFromEvents(udpEvents, 'u1')} t={t} projector={projector} /></section>
        <section className="hx-compact">{['s1', 's2', 's3'].map((id) => model.sockets[id] && <Buffers key={id} socket={model.sockets[id]} t={t} compact />)}</section>
      </div>
    );
  }
  if (views === 'all') {
    const s = model.sockets[q.get('sock') ?? 's3'];
    return (
      <div className="hx-all" style={{ height: h }}>
        <Ladder layout={layout} detail={detail} onView={onView} t={t} selectedSeq={sel} onSelect={setSel} height={Math.round(h * 0.58)} projector={projector} />
        <div className="hx-bottom">
          {s && <StateMachine state={s.state} history={s.stateHistory} t={t} projector={projector} />}
          {s && buffersFor(s.id, s.role === 'accepted' ? 's2' : 's3')}
        </div>
      </div>
    );
  }
  return <Ladder layout={layout} detail={detail} onView={onView} t={t} selectedSeq={sel} onSelect={setSel} height={h} projector={projector} />;
}

const t0 = performance.now();
createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
