import type { ReactElement } from 'react';
import type { SocketModel } from '@socketscope/shared';
import { formatBytes } from '../../format/bytes.ts';
import { layoutBuffers, type BufferChunk, type BufferView, type Glyph, type RecvView } from './layout.ts';
import './buffers.css';

type T = (key: string, vars?: Record<string, string | number>) => string;

export interface BuffersProps {
  socket: SocketModel;
  /** this socket's recent send()/recv() (or sendto/recvfrom) calls with their bytes, oldest first */
  recentData?: readonly BufferChunk[];
  /**
   * Optional: the other end of the connection with its recent calls, so the receive buffer can show
   * which send() wrote each waiting byte (粘包 made visible). Without it only the count is known.
   */
  peer?: { socket: SocketModel; recentData?: readonly BufferChunk[] };
  /** Optional: last advertised windows from the wire (see windowsFromEvents) */
  windows?: { advertised?: number | null; peerAdvertised?: number | null };
  t: T;
  projector?: boolean;
  /** bars only, for a socket card */
  compact?: boolean;
}

const CHUNK_COLOURS = 6;

/** The kernel's send and receive buffers of one socket (or a listener's accept queue, a UDP receive queue). */
export function Buffers(p: BuffersProps): ReactElement {
  const { t, socket } = p;
  const compact = p.compact ?? false;
  const l = layoutBuffers(socket, p.recentData, p.peer, p.windows);
  const cls = `bf-root${p.projector ? ' projector' : ''}${compact ? ' compact' : ''}`;

  return (
    <section className={cls} aria-label={t('buffers.title', { sock: socket.id })}>
      <header className="bf-head">
        <strong>{t('buffers.title', { sock: socket.id })}</strong>
        <span className="bf-source">{l.kernelUnknown ? `⚠ ${t('buffers.unknown')}` : t('buffers.source')}</span>
      </header>

      {l.kind === 'listener' && l.accept && <AcceptQueue a={l.accept} t={t} />}

      {l.kind === 'tcp' && (
        <div className="bf-flow">
          <div className="bf-lane">
            <div className="bf-end">{t('buffers.app.send')}</div>
            <div className="bf-arrow" aria-hidden="true">→</div>
            <Tank title={t('buffers.send')} v={l.send} t={t} compact={compact} kind="send" />
            <div className="bf-arrow" aria-hidden="true">→</div>
            <div className="bf-end">{t('buffers.wire.out')}</div>
          </div>
          <div className="bf-lane">
            <div className="bf-end">{t('buffers.wire.in')}</div>
            <div className="bf-arrow" aria-hidden="true">→</div>
            <Tank title={t('buffers.recv')} v={l.recv} t={t} compact={compact} kind="recv" />
            <div className="bf-arrow" aria-hidden="true">→</div>
            <div className="bf-end">{t('buffers.app.recv')}</div>
          </div>
          <p className="bf-windows">
            <Window label="buffers.window.advertised" win={l.windows.advertised} t={t} />
            <Window label="buffers.window.peer" win={l.windows.peer} t={t} />
          </p>
        </div>
      )}

      {l.kind === 'udp' && (
        <div className="bf-flow">
          <div className="bf-lane">
            <div className="bf-end">{t('buffers.wire.in')}</div>
            <div className="bf-arrow" aria-hidden="true">→</div>
            <Tank title={t('buffers.udp.recv')} v={l.recv} t={t} compact={compact} kind="recv" />
            <div className="bf-arrow" aria-hidden="true">→</div>
            <div className="bf-end">recvfrom()</div>
          </div>
          <p className={`bf-drops${l.udp?.drops ? ' bf-alert' : ''}`}>
            {l.udp?.drops === null || l.udp === undefined ? t('buffers.udp.dropsUnknown') : `${l.udp.drops ? '⚠ ' : ''}${t('buffers.udp.drops', { drops: l.udp.drops })}`}
          </p>
        </div>
      )}

      {!compact && l.recentRecvs.length > 0 && (
        <div className="bf-recvs">
          <h4>{t(l.kind === 'udp' ? 'buffers.udp.datagrams' : 'buffers.recentRecvs')}</h4>
          {l.recentRecvs.map((r) => <RecvRow key={r.seq} r={r} t={t} udp={l.kind === 'udp'} />)}
        </div>
      )}
      {!compact && (l.send.glyphs || l.recv.glyphs) && <p className="bf-legend">{t('buffers.chunkLegend')}</p>}
    </section>
  );
}

function Tank(p: { title: string; v: BufferView; t: T; compact: boolean; kind: 'send' | 'recv' }): ReactElement {
  const { v, t } = p;
  const scaleText = v.capacitySource === 'rcvBuf' || v.capacitySource === 'sndBuf'
    ? t(`buffers.capacity.${v.capacitySource}`, { capacity: formatBytes(v.capacity!) })
    : v.capacitySource === 'rcvSpace'
    ? t('buffers.capacity.rcvSpace', { capacity: formatBytes(v.capacity!) })
    : v.capacitySource === 'sndWnd'
      ? t('buffers.capacity.sndWnd', { capacity: formatBytes(v.capacity!) })
      : t('buffers.capacity.auto', { scale: formatBytes(v.scale) });
  // any byte at all gets a visible sliver; the number next to it is the truth
  const pct = v.used ? Math.max(1.5, v.fill * 100) : 0;
  return (
    <div className={`bf-tank bf-${p.kind}${v.used === null ? ' bf-unknown' : ''}`}>
      <div className="bf-title">{p.title}</div>
      <div className="bf-bar" role="meter" aria-valuemin={0} aria-valuemax={v.scale} aria-valuenow={v.used ?? 0}>
        <div className="bf-fill" style={{ width: `${pct}%` }} />
      </div>
      <div className="bf-count">
        <b>{v.used === null ? '?' : v.used === 0 ? t('buffers.empty') : t('buffers.count', { used: formatBytes(v.used) })}</b>
        {v.used !== null && <span className="bf-scale">{scaleText}</span>}
      </div>
      {!p.compact && v.glyphs && <Cells glyphs={v.glyphs} t={t} />}
      {!p.compact && v.used !== null && v.used > 0 && !v.glyphs && <div className="bf-nocontents">{t('buffers.contentsUnknown')}</div>}
    </div>
  );
}

function Cells({ glyphs, t }: { glyphs: readonly Glyph[]; t: T }): ReactElement {
  return (
    <div className="bf-cells">
      {glyphs.map((g, i) => (
        <span key={i} className={`bf-cell bf-c${g.chunk < 0 ? 'x' : g.chunk % CHUNK_COLOURS}${g.boundary ? ' bf-boundary' : ''}${g.hex ? ' bf-hex' : ''}`}
          style={{ width: `${g.bytes * 1.45}em` }} title={g.chunk >= 0 ? t('buffers.chunk', { n: g.chunk + 1 }) : undefined}>
          {(g.boundary || i === 0) && g.chunk >= 0 && <span className="bf-tag">{g.boundary ? '' : '…'}#{g.chunk + 1}</span>}
          {g.text}
        </span>
      ))}
    </div>
  );
}

function RecvRow({ r, t, udp }: { r: RecvView; t: T; udp: boolean }): ReactElement {
  const note = udp ? '' : r.fromSends >= 2 ? t('buffers.sticky', { n: r.fromSends }) : r.partOfSend ? t('buffers.split') : r.fromSends === 1 ? t('buffers.whole') : '';
  return (
    <div className={`bf-recvrow${r.fromSends >= 2 ? ' bf-sticky' : ''}`}>
      <span className="bf-call">{udp ? `recvfrom() → ${r.len} B` : t('buffers.recvCall', { len: r.len })}</span>
      <Cells glyphs={r.glyphs} t={t} />
      {note && <span className="bf-note">{r.fromSends >= 2 ? '⚑ ' : ''}{note}</span>}
    </div>
  );
}

function Window({ label, win, t }: { label: string; win: number | null; t: T }): ReactElement {
  const text = win === null ? t('buffers.window.unknown') : win === 0 ? `0 B — ${t('buffers.window.zero')}` : formatBytes(win);
  return <span className={win === 0 ? 'bf-alert' : undefined}>{t(label, { win: text })}</span>;
}

function AcceptQueue({ a, t }: { a: NonNullable<ReturnType<typeof layoutBuffers>['accept']>; t: T }): ReactElement {
  const queued = a.queued ?? 0;
  const full = a.backlog !== null && a.queued !== null && a.queued > a.backlog;
  return (
    <div className="bf-accept">
      <div className="bf-title">{t('buffers.accept.title')}</div>
      <div className="bf-slots">
        {Array.from({ length: Math.max(a.slots, Math.min(queued, 64)) }, (_, i) => (
          <span key={i} className={`bf-slot${i < queued ? ' bf-taken' : ''}`}>{i < queued ? '■' : ''}</span>
        ))}
      </div>
      <div className="bf-count">
        <b>{a.queued === null ? '?' : t('buffers.accept.count', { queued: a.queued, backlog: a.backlog ?? t('buffers.accept.unknownBacklog') })}</b>
        {full && <span className="bf-alert"> ⚠ {t('buffers.accept.full')}</span>}
      </div>
      {a.heldByAgent > 0 && <div className="bf-held">{t('buffers.accept.held', { n: a.heldByAgent })}</div>}
    </div>
  );
}
