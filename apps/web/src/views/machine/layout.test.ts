import { describe, expect, it } from 'vitest';
import type { StateChange, TcpState } from '@socketscope/shared';
import { TCP_STATES, emptyModel, foldAll } from '@socketscope/shared';
import { machineEn } from '../../i18n/parts/machine.en.ts';
import { machineZhCN } from '../../i18n/parts/machine.zh-CN.ts';
import { machineZhTW } from '../../i18n/parts/machine.zh-TW.ts';
import { textWidth } from '../ladder/geometry.ts';
import { demoTcpHello } from '../ladder/demo.ts';
import { EDGES, NODES, VIEW_H, VIEW_W, machineView, normalizeState } from './layout.ts';

const history = (...states: (TcpState | null)[]): StateChange[] =>
  states.slice(1).map((to, i) => ({ from: states[i] ?? null, to: to!, seq: i, ts: i * 10 }));

interface Box { x0: number; y0: number; x1: number; y1: number; what: string }
const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
/** label font in viewBox units: the projector size, the largest the CSS uses */
const LABEL_PX = 21;

function labelBoxes(messages: Record<string, string>): Box[] {
  return EDGES.map((e) => {
    const w = textWidth(messages[e.label]!, LABEL_PX);
    const x0 = e.anchor === 'start' ? e.lx : e.anchor === 'end' ? e.lx - w : e.lx - w / 2;
    return { x0, x1: x0 + w, y0: e.ly - LABEL_PX * 0.8, y1: e.ly + LABEL_PX * 0.2, what: `${e.id} "${messages[e.label]}"` };
  });
}

describe('state machine layout', () => {
  it('M1: every kernel state has a node (CLOSE and NEW_SYN_RECV under their RFC names)', () => {
    const names = new Set(NODES.map((n) => n.state));
    for (const s of TCP_STATES) expect(names.has(normalizeState(s)), s).toBe(true);
  });

  it('draws the RFC 793 transitions the course teaches, each between two existing nodes', () => {
    const ids = new Set(EDGES.map((e) => e.id));
    for (const id of ['CLOSED>SYN_SENT', 'LISTEN>SYN_RECV', 'SYN_SENT>ESTABLISHED', 'SYN_RECV>ESTABLISHED', 'ESTABLISHED>FIN_WAIT1',
      'ESTABLISHED>CLOSE_WAIT', 'FIN_WAIT1>FIN_WAIT2', 'FIN_WAIT2>TIME_WAIT', 'CLOSE_WAIT>LAST_ACK', 'LAST_ACK>CLOSED_END',
      'TIME_WAIT>CLOSED_END', 'FIN_WAIT1>CLOSING', 'CLOSING>TIME_WAIT', 'SYN_SENT>CLOSED']) expect(ids.has(id), id).toBe(true);
  });

  for (const [locale, messages] of [['en', machineEn], ['zh-CN', machineZhCN], ['zh-TW', machineZhTW]] as const) {
    it(`${locale}: no transition label covers a state or another label, and all stay inside the picture`, () => {
      const labels = labelBoxes(messages);
      const nodes: Box[] = NODES.map((n) => ({ x0: n.x - n.w / 2, x1: n.x + n.w / 2, y0: n.y - n.h / 2, y1: n.y + n.h / 2, what: n.id }));
      const problems: string[] = [];
      for (const l of labels) {
        if (l.x0 < 0 || l.x1 > VIEW_W || l.y0 < 0 || l.y1 > VIEW_H) problems.push(`${l.what} leaves the picture`);
        for (const n of nodes) if (overlaps(l, n)) problems.push(`${l.what} covers ${n.what}`);
      }
      for (let i = 0; i < labels.length; i++) {
        for (let j = i + 1; j < labels.length; j++) if (overlaps(labels[i]!, labels[j]!)) problems.push(`${labels[i]!.what} × ${labels[j]!.what}`);
      }
      expect(problems.join('\n')).toBe('');
    });
  }
});

describe('machineView', () => {
  it('the client of the hello exchange: its path is lit edge by edge and it ends in TIME_WAIT', () => {
    const model = foldAll(emptyModel(), demoTcpHello());
    const s2 = model.sockets['s2']!;
    const v = machineView(s2.state, s2.stateHistory);
    expect(v.current).toBe('TIME_WAIT');
    expect([...v.visitedEdges]).toEqual(['SYN_SENT>ESTABLISHED', 'ESTABLISHED>FIN_WAIT1', 'FIN_WAIT1>FIN_WAIT2', 'FIN_WAIT2>TIME_WAIT']);
    expect(v.last).toMatchObject({ edge: 'FIN_WAIT2>TIME_WAIT', offDiagram: false });
  });

  it('M2: CLOSED after TIME_WAIT is the bottom CLOSED; a fresh socket is in the top one', () => {
    expect(machineView('CLOSE', history(null, 'ESTABLISHED', 'FIN_WAIT1', 'TIME_WAIT', 'CLOSE')).current).toBe('CLOSED_END');
    expect(machineView('CLOSED', []).current).toBe('CLOSED');
    expect(machineView('NEW_SYN_RECV', []).current).toBe('SYN_RECV');
  });

  it('M3: a transition the diagram does not draw is reported, not dropped', () => {
    const v = machineView('CLOSE', history(null, 'ESTABLISHED', 'CLOSE'));
    expect(v.offDiagram).toEqual([{ from: 'ESTABLISHED', to: 'CLOSED_END', seq: 1 }]);
    expect(v.last).toMatchObject({ offDiagram: true, from: 'ESTABLISHED', to: 'CLOSED_END' });
  });

  it('no state at all lights nothing', () => {
    const v = machineView(undefined, []);
    expect(v.current).toBeUndefined();
    expect(v.visitedEdges.size).toBe(0);
  });
});
