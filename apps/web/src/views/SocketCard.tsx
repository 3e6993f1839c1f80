import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { bindNoteOf, bindNoteText, type BindNote } from '../format/bindNote.ts';
import type { LastData as LastDataFacts, SocketModel, TextEncodingName } from '@socketscope/shared';
import { formatBytes, previewText } from '../format/bytes.ts';
import { useT } from '../i18n/useT.ts';
import type { MessageKey } from '../i18n/en.ts';
import type { AppState } from '../store/slices.ts';
import { useApp } from '../store/store.ts';
import { AcceptQueue, PendingAccept, QueueBar, TcpStateView } from './CardParts.tsx';
import { CardKernelViews } from './CardKernel.tsx';
import { ErrorHint, ReplyLine } from './Reply.tsx';
import { SocketActions } from './SocketActions.tsx';
import { ProgramTag } from './programs/ProgramTag.tsx';

/**
 * One socket at the playback cursor. Re-renders only when this socket's entity (or its last data /
 * reply) is replaced, and only while it is on screen: a card scrolled out of view keeps what it last
 * showed (nobody sees it) and catches up the moment it comes back into view — a busy session has
 * hundreds of cards and only a few in view. In such a list a card that has not been on screen yet is a
 * shell (its id, protocol and role, and the data attributes): a burst of 90 new sockets used to lay out
 * 90 full cards in one frame (160 ms here), of which two were in view. `rich` adds the TCP state machine and the kernel buffers
 * views (the lesson player); the calls a socket offers appear only when the page shows the live head
 * of a live session (one cannot act on the past, or on a recording).
 */
export const SocketCard = memo(function SocketCard({ id, rich = false, since, pauseOffScreen = false }: { id: string; rich?: boolean; since?: number | undefined; pauseOffScreen?: boolean }) {
  const t = useT();
  const [box, seenOnScreen, everOnScreen] = useOnScreen(pauseOffScreen);
  const onScreen = !pauseOffScreen || seenOnScreen;
  const sock = useWhileOnScreen(onScreen, (s) => s.model.sockets[id]);
  const hideClosed = useApp((s) => s.hideClosed);
  const interactive = useApp((s) => s.cursor === null && s.source.kind === 'live' && s.conn.status !== 'no-token' && !(s.session?.readOnly ?? false));
  const [encoding, setEncoding] = useState<TextEncodingName>('utf8');
  if (!sock) return null;
  const finished = sock.apiState === 'closed' || sock.gone;
  if (hideClosed && finished) return null;
  // changed during the lesson step being shown: marked (a word-free ▶ and a frame, not colour alone)
  const touched = since !== undefined && sock.lastSeq >= since;
  // a socket of the agent's own whose role is not known yet (socket() only, or a connect() that failed) is not a watched one
  const roleText = sock.role === 'accepted' ? t('role.accepted', { parent: sock.parent ?? '?' })
    : sock.role === 'unknown' && sock.owned ? t('role.socket') : t(`role.${sock.role}` as MessageKey);
  const shell = pauseOffScreen && !everOnScreen;
  return (
    <article
      ref={box}
      className={`card role-${sock.role} ${finished ? 'finished' : ''}${rich ? ' rich' : ''}${touched ? ' touched' : ''}${shell ? ' shell' : ''}`}
      data-touched={touched || undefined}
      data-testid={`socket-card-${id}`}
      data-sock={id}
      data-role={sock.role}
      data-proto={sock.proto}
      data-state={sock.state ?? ''}
      data-sendq={sock.sendQueue}
      data-recvq={sock.recvQueue}
      data-drops={sock.drops ?? 0}
      aria-label={`${id} ${roleText}`}
    >
      <header className="card-head">
        {touched ? <span className="touched-mark" aria-hidden="true">▶</span> : null}
        <span className="sock-id">{id}</span>
        <span className={`proto proto-${sock.proto}`}>{sock.proto.toUpperCase()}</span>
        <span className="role" data-testid="sock-role">{roleText}</span>
        {sock.run ? <ProgramTag run={sock.run} /> : null}
        {finished ? <span className="badge badge-muted" data-testid="sock-closed">✕ {sock.gone ? t('card.gone') : t('card.closed')}</span> : null}
      </header>
      {shell ? null : <>

      <dl className="addrs">
        <div><dt>{t('card.local')}</dt><dd data-testid="sock-local">{sock.local ?? '—'}</dd></div>
        <div><dt>{t('card.remote')}</dt><dd data-testid="sock-remote">{sock.remote ?? '—'}</dd></div>
      </dl>

      {sock.proto === 'tcp' ? <TcpStateView sock={sock} /> : null}
      {rich ? <CardKernelViews sock={sock} /> : <Queues sock={sock} />}
      <CongestionWindow sock={sock} />
      {sock.peerClosed ? <div className="peer-closed" data-testid="sock-peer-closed"><span aria-hidden="true">⇤ </span>{t('card.peerClosed')}</div> : null}
      <LastData seen={sock.lastData} encoding={encoding} />
      <CallsAndErrors sock={sock} />
      <BindNoteLine sock={sock} />
      {/* a traced program's socket is the program's: the agent cannot make calls on it */}
      {!finished && interactive && !sock.run ? <SocketActions sock={sock} encoding={encoding} onEncoding={setEncoding} /> : null}
      {interactive ? <ReplyLine target={id} encoding={encoding} /> : null}
      </>}
    </article>
  );
});

/** TCP_INFO (sock_diag, or the tcp_probe tracepoint): how many segments the sender may have in flight. */
function CongestionWindow({ sock }: { sock: SocketModel }) {
  const t = useT();
  const info = sock.info;
  if (sock.proto !== 'tcp' || sock.role === 'listener' || info?.cwnd === undefined) return null;
  return (
    <div className="queue cwnd" data-testid="sock-cwnd" data-cwnd={info.cwnd} title={t('card.cwndHint')}>
      <span className="queue-label">{t('card.cwnd')}</span>
      <span className="queue-num strong">{info.cwnd}</span>
      {info.rttMs !== undefined ? <span className="queue-num">{t('card.rtt', { ms: info.rttMs < 10 ? info.rttMs.toFixed(2) : String(Math.round(info.rttMs)) })}</span> : null}
    </div>
  );
}

function Queues({ sock }: { sock: SocketModel }) {
  const t = useT();
  if (sock.role === 'listener') {
    return (
      <div className="queues">
        <AcceptQueue sock={sock} />
        <PendingAccept count={sock.pendingAccept} />
      </div>
    );
  }
  return (
    <div className="queues">
      {sock.proto === 'tcp' ? <QueueBar label={t('card.sendQueue')} bytes={sock.sendQueue} testId="sock-sendq" hint={t('card.queueHint')} /> : null}
      <QueueBar label={t('card.recvQueue')} bytes={sock.recvQueue} testId="sock-recvq" hint={t('card.queueHint')} />
      {sock.proto === 'udp' ? (
        <div className="queue drops" data-testid="sock-drops" data-drops={sock.drops ?? 0}>
          <span className="queue-label">{t('card.drops')}</span>
          <span className="queue-num strong">{sock.drops ?? 0}</span>
        </div>
      ) : null}
    </div>
  );
}

function LastData({ seen, encoding }: { seen: LastDataFacts | undefined; encoding: TextEncodingName }) {
  const t = useT();
  if (!seen) return null;
  const arrow = seen.call === 'send' || seen.call === 'sendto' ? '→' : '←';
  return (
    <div className="last-data" data-testid="sock-last-data" data-call={seen.call}>
      <span className="label">{t('card.lastData')}</span>{' '}
      <span className="call">{seen.call}()</span> {arrow}{seen.peer ? ` ${seen.peer}` : ''} {formatBytes(seen.data.len)}:{' '}
      <q className="payload">{previewText(seen.data.b64, encoding, 80)}</q>
      {seen.data.truncated ? <span className="muted"> {t('card.truncated')}</span> : null}
    </div>
  );
}

function CallsAndErrors({ sock }: { sock: SocketModel }) {
  const t = useT();
  const last = sock.recentCalls.at(-1);
  const moved = sock.role !== 'listener'
    ? <span className="muted small moved" data-testid="sock-moved">{t('card.bytesMoved', { sent: sock.bytesSent, received: sock.bytesReceived })}</span>
    : null;
  return (
    <div className="calls">
      {last ? (
        <div data-testid="sock-last-call" className="action-row">
          <span>
          <span className="label">{t('card.lastCall')}</span>{' '}
          <span className={last.ok ? 'ok' : 'err'}>{last.ok ? '✓' : '✗'} {last.call}(){last.len !== undefined ? ` · ${formatBytes(last.len)}` : ''}{last.code ? ` · ${last.code}` : ''}</span>
          {sock.recentCalls.length > 1 ? (
            <span className="muted small"> ← {sock.recentCalls.slice(-4, -1).toReversed().map((c) => `${c.call}${c.ok ? '' : '✗'}`).join(' ← ')}</span>
          ) : null}
          </span>
          {moved}
        </div>
      ) : moved}
      {sock.lastError ? (
        <div className="last-error" data-testid="sock-last-error" data-code={sock.lastError.code}>
          <span className="label">{t('card.lastError')}</span> <strong>✗ {sock.lastError.code}</strong>
          <ErrorHint code={sock.lastError.code} fallback={sock.lastError.hint} />
        </div>
      ) : null}
    </div>
  );
}

/** What bind() said about SO_REUSEADDR and the port (EADDRINUSE for a program without it), when it said something. */
function BindNoteLine({ sock }: { sock: SocketModel }) {
  const t = useT();
  // what the bind said is kept on the socket by the fold (F19)
  const note = useMemo((): BindNote | null => bindNoteOf(sock.bind), [sock.bind]);
  // "Node set SO_REUSEADDR, nothing else held the port" is true of every bind: only the two that teach are shown
  if (!note || note.code === 'REUSEADDR_FORCED') return null;
  const warn = note.code === 'REUSEADDR_FORCED_WOULD_FAIL';
  return (
    <div className={`bind-note${warn ? ' warn' : ''}`} data-testid="sock-bind-note" data-code={note.code}>
      <strong aria-hidden="true">{warn ? '⚠ ' : 'ⓘ '}</strong>{bindNoteText(note, t)}
    </div>
  );
}

/**
 * Whether the card is on screen (within 300 px of the viewport), and whether it ever was. All cards share
 * one IntersectionObserver: one per card cost 14 ms of intersection work a frame with 90 cards.
 */
function useOnScreen(watch: boolean): [(el: HTMLElement | null) => void, boolean, boolean] {
  const [onScreen, setOnScreen] = useState(!watch);
  const [ever, setEver] = useState(!watch);
  const watched = useRef<HTMLElement | null>(null);
  const box = useCallback((el: HTMLElement | null) => {
    if (watched.current) unwatch(watched.current);
    watched.current = null;
    if (!el || !watch || typeof IntersectionObserver === 'undefined') {
      setOnScreen(true);
      setEver(true);
      return;
    }
    watched.current = el;
    watchOnScreen(el, (is) => {
      setOnScreen(is);
      if (is) setEver(true);
    });
  }, [watch]);
  useEffect(() => () => { if (watched.current) unwatch(watched.current); }, []);
  return [box, onScreen, ever];
}

const onScreenCallbacks = new Map<Element, (is: boolean) => void>();
let sharedObserver: IntersectionObserver | null = null;

function watchOnScreen(el: Element, cb: (is: boolean) => void): void {
  sharedObserver ??= new IntersectionObserver((entries) => {
    for (const e of entries) onScreenCallbacks.get(e.target)?.(e.isIntersecting);
  }, { rootMargin: '300px' });
  onScreenCallbacks.set(el, cb);
  sharedObserver.observe(el);
}

function unwatch(el: Element): void {
  onScreenCallbacks.delete(el);
  sharedObserver?.unobserve(el);
}

/** A store value that follows the store while on screen and stays as it was while off screen. */
function useWhileOnScreen<T>(onScreen: boolean, select: (s: AppState) => T): T {
  const kept = useRef<{ v: T } | null>(null);
  const v = useApp((s) => (onScreen || !kept.current ? select(s) : kept.current.v));
  kept.current = { v };
  return v;
}
