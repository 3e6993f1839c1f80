import type { ReactElement } from 'react';
import type { StateChange, TcpState } from '@socketscope/shared';
import { EDGES, NODES, VIEW_H, VIEW_W, machineView, nodeById, normalizeState, type MachineEdge, type NodeId } from './layout.ts';
import { textWidth } from '../ladder/geometry.ts';
import './machine.css';

export interface StateMachineProps {
  /** the socket's current kernel state (SocketModel.state) */
  state?: TcpState;
  /** SocketModel.stateHistory */
  history: readonly StateChange[];
  t: (key: string, vars?: Record<string, string | number>) => string;
  /** small, for a socket card: no transition labels, legend or history */
  compact?: boolean;
  projector?: boolean;
}

/**
 * The RFC 793 diagram with this socket's life drawn on it: the current state lit, outlined twice and
 * tagged "now" (never colour alone), the path it took thick, and the newest transition animated.
 */
export function StateMachine(p: StateMachineProps): ReactElement {
  const { t } = p;
  const compact = p.compact ?? false;
  const view = machineView(p.state, p.history);
  const lastEdge = view.last?.edge ? EDGES.find((e) => e.id === view.last!.edge) : undefined;
  const current = p.state ? normalizeState(p.state) : undefined;
  const cls = `sm-root${compact ? ' compact' : ''}${p.projector ? ' projector' : ''}`;

  return (
    <figure className={cls}>
      {!compact && (
        <figcaption>
          <strong>{t('machine.title')}</strong>
          <span className="sm-now">
            {current ? <><b>{current}</b> — {t(`machine.desc.${current}`)}</> : t('machine.noState')}
          </span>
        </figcaption>
      )}
      <svg viewBox={`0 0 ${VIEW_W} ${VIEW_H}`} role="img" aria-label={`${t('machine.title')}${current ? `: ${current}` : ''}`}>
        <defs>
          {['plain', 'visited', 'last'].map((k) => (
            <marker key={k} id={`sm-head-${k}`} className={`sm-head sm-head-${k}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth={k === 'plain' ? 14 : 20} markerHeight={k === 'plain' ? 14 : 20} markerUnits="userSpaceOnUse" orient="auto-start-reverse">
              <path d="M0,0L10,5L0,10z" />
            </marker>
          ))}
        </defs>
        {EDGES.map((e) => (
          <path key={e.id} d={e.d} className={`sm-edge sm-${e.kind}${view.visitedEdges.has(e.id) ? ' sm-visited' : ''}`}
            markerEnd={`url(#sm-head-${view.visitedEdges.has(e.id) ? 'visited' : 'plain'})`} />
        ))}
        {lastEdge && <path key={`last${view.last!.seq}`} d={lastEdge.d} className="sm-edge sm-last" markerEnd="url(#sm-head-last)" />}
        {view.last?.offDiagram && view.last.from && <OffDiagram key={`off${view.last.seq}`} from={view.last.from} to={view.last.to} />}
        {!compact && EDGES.map((e) => <EdgeLabel key={e.id} e={e} t={t} visited={view.visitedEdges.has(e.id)} />)}
        {NODES.map((n) => {
          const isCurrent = view.current === n.id;
          const visited = view.visitedNodes.has(n.id);
          return (
            <g key={n.id} className={`sm-node${visited ? ' sm-visited' : ''}${isCurrent ? ' sm-current' : ''}`} transform={`translate(${n.x} ${n.y})`}>
              {isCurrent && <rect key={`pulse${view.last?.seq ?? 0}`} className="sm-pulse" x={-n.w / 2 - 9} y={-n.h / 2 - 9} width={n.w + 18} height={n.h + 18} rx={16} />}
              <rect x={-n.w / 2} y={-n.h / 2} width={n.w} height={n.h} rx={10} />
              <text y={8} textAnchor="middle">{n.state}</text>
              {n.id === 'CLOSED_END' && !compact && <text className="sm-sub" y={n.h / 2 + 20} textAnchor="middle">({t('machine.closedEnd')})</text>}
              {isCurrent && (
                <g className="sm-tag" transform={`translate(${-n.w / 2} ${-n.h / 2 - 6})`}>
                  <rect x={0} y={-26} width={textWidth(`▶ ${t('machine.current')}`, 18) + 22} height={26} rx={5} />
                  <text x={10} y={-7}>▶ {t('machine.current')}</text>
                </g>
              )}
            </g>
          );
        })}
      </svg>
      {!compact && (
        <>
          <ul className="sm-legend">
            <li><svg width="40" height="10"><line x1="0" y1="5" x2="40" y2="5" className="sm-edge sm-client" /></svg>{t('machine.legend.client')}</li>
            <li><svg width="40" height="10"><line x1="0" y1="5" x2="40" y2="5" className="sm-edge sm-server" /></svg>{t('machine.legend.server')}</li>
            <li><svg width="40" height="10"><line x1="0" y1="5" x2="40" y2="5" className="sm-edge sm-other" /></svg>{t('machine.legend.other')}</li>
            <li><svg width="40" height="10"><line x1="0" y1="5" x2="40" y2="5" className="sm-edge sm-client sm-visited" /></svg>{t('machine.legend.visited')}</li>
          </ul>
          {p.history.length > 0 && (
            <ol className="sm-history" aria-label={t('machine.history')}>
              {p.history.map((h, i) => (
                <li key={h.seq} className={i === p.history.length - 1 ? 'sm-history-last' : undefined}>
                  {i === 0 && h.from !== null ? `${h.from} → ` : ''}{h.to}
                </li>
              ))}
            </ol>
          )}
          {view.offDiagram.map((o) => (
            <p key={o.seq} className="sm-offnote">{t('machine.offDiagram', { from: nodeById(o.from).state, to: nodeById(o.to).state })}</p>
          ))}
        </>
      )}
    </figure>
  );
}

function EdgeLabel({ e, t, visited }: { e: MachineEdge; t: StateMachineProps['t']; visited: boolean }): ReactElement {
  return (
    <text className={`sm-label${visited ? ' sm-visited' : ''}`} x={e.lx} y={e.ly} textAnchor={e.anchor}>{t(e.label)}</text>
  );
}

/** A transition the diagram has no edge for, drawn dashed between the two states so it is not hidden. */
function OffDiagram({ from, to }: { from: NodeId; to: NodeId }): ReactElement {
  const a = nodeById(from);
  const b = nodeById(to);
  return <line className="sm-edge sm-last sm-off" x1={a.x} y1={a.y} x2={b.x} y2={b.y} markerEnd="url(#sm-head-last)" />;
}
