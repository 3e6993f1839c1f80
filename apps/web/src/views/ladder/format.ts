import { formatBytes } from '../../format/bytes.ts';
import { shortPreview } from './payload.ts';
import type { ArrowRow, BundleRow, LaneView, MarkInfo, NoteRow } from './types.ts';

/**
 * Words for the ladder's rows. Socket calls are written as code (connect(), recv(1024) → 2 B) and
 * segment fields in Wireshark's notation (seq= ack= len= win=): both are technical notation, the same
 * in every locale. Everything else is a locale key (apps/web/src/i18n/parts/ladder.*.ts).
 */

export type T = (key: string, vars?: Record<string, string | number>) => string;

/** 41 → "0.041 ms", 12_345 → "12.345 ms", 2_500_000 → "2.500000 s": µs in, real time out, never rounded past a µs. */
export function formatTime(us: number): string {
  return us >= 1_000_000 ? `${(us / 1_000_000).toFixed(6)} s` : `${(us / 1000).toFixed(3)} ms`;
}

export function formatDelta(us: number | null): string {
  return us === null ? '' : `+${formatTime(us)}`;
}

/** "seq=1 ack=1 len=2 win=65536"; fields the segment does not have (inferred) are left out. */
export function arrowNumbers(a: ArrowRow): string {
  if (a.proto === 'udp') return `len=${a.len}`;
  const parts: string[] = [];
  if (a.relSeq !== null) parts.push(`seq=${a.relSeq}`);
  if (a.hasAck && a.relAck !== null) parts.push(`ack=${a.relAck}`);
  parts.push(`len=${a.len}`);
  if (a.win !== null) parts.push(`win=${a.win}`);
  return parts.join(' ');
}

export function arrowTitle(a: ArrowRow): string {
  return a.proto === 'udp' ? 'UDP' : a.flags;
}

/**
 * A lab packet's words (layout.ts L8), for the rows' list: lost with its reason, or how long the link took.
 * '' for a packet that was not on the lab.
 */
export function linkWords(a: ArrowRow, t: T): string {
  if (a.lost) return `✕ ${t('ladder.link.lost', { reason: t(`ladder.link.reason.${a.lost}`) })}`;
  if (a.leg === 'depart') return a.delay !== undefined ? t('ladder.link.departed', { delay: formatTime(a.delay) }) : t('ladder.link.inFlight');
  if (a.leg === 'arrive') return a.delay !== undefined ? t('ladder.link.arrived', { delay: formatTime(a.delay) }) : t('ladder.link.unseen');
  return '';
}

/** The same, as the canvas writes it beside the arrow: the drop's row says the loss by its ✕, a departure only while in flight. */
export function linkCanvasLabel(a: ArrowRow, t: T): string {
  if (a.leg === undefined) return a.lost ? t('ladder.link.lost', { reason: t(`ladder.link.reason.${a.lost}`) }) : '';
  if (a.leg === 'depart') return a.lost || a.delay !== undefined ? '' : t('ladder.link.inFlight');
  return a.delay !== undefined ? t('ladder.link.arrived', { delay: formatTime(a.delay) }) : t('ladder.link.unseen');
}

export function markLabel(m: MarkInfo, t: T): string {
  switch (m.kind) {
    case 'notice':
      return t(`ladder.notice.${m.what}`, { code: m.code ?? '' });
    case 'drops':
      return t('ladder.drops', { added: m.added, total: m.total });
    case 'call': {
      const arg = m.call === 'send' || m.call === 'sendto'
        ? [m.data ? shortPreview(m.data) : '', m.call === 'sendto' ? m.arg ?? '' : ''].filter(Boolean).join(', ')
        : m.arg ?? '';
      let text = `${m.call}(${arg})`;
      if (!m.ok) return `${text} ✗ ${m.code ?? ''}`.trim();
      if (m.call === 'accept' && m.newSock) text += ` → ${m.newSock}`;
      if ((m.call === 'send' || m.call === 'sendto') && m.bytes !== undefined) text += ` ${m.bytes} B`;
      if ((m.call === 'recv' || m.call === 'recvfrom') && m.bytes !== undefined) {
        text += ` → ${m.bytes} B`;
        if (m.bytes > 0 && m.data) text += ` ${shortPreview(m.data, 10)}`;
        if (m.call === 'recvfrom' && m.from) text += ` ← ${m.from}`;
        if (m.call === 'recv' && m.bytes === 0) text += ` (${t('ladder.mark.peerClosed')})`;
      }
      return text;
    }
  }
}

/**
 * `compact`: a lane too narrow for the role in words (five sockets on a projector's 1024 px) says it in
 * a word (ladder.roleShort.*) and its addresses without the host where that is this machine's own
 * (127.0.0.1, ::1, 0.0.0.0): the ports are what tells the lanes apart there.
 */
export function laneTitle(l: LaneView, t: T, compact = false): string {
  const kind = l.listenerEvidence === 'refused' ? 'closedPort' : l.role;
  const role = t(compact ? `ladder.roleShort.${kind}` : `ladder.role.${kind}`);
  // a socket only the kernel shows (a watched port's, a connection waiting for accept()) has no program's
  // id worth reading, only the key the fold made of its addresses, which the subtitle already shows
  return l.sock && !l.sock.startsWith('w:') ? `${role} ${l.sock}` : role;
}

/** Second header line: where the socket is, and what it is known from. */
const LOCAL_HOST = /^(127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):(\d+)$/;

/** "127.0.0.1:8888" → ":8888" in a compact header; any other host stays. */
function shortEndpoint(ep: string, compact: boolean): string {
  const m = compact ? LOCAL_HOST.exec(ep) : null;
  return m ? `:${m[2]}` : ep;
}

export function laneSubtitle(l: LaneView, t: T, compact = false): string {
  const parts: string[] = [];
  if (l.endpoint) parts.push(shortEndpoint(l.endpoint, compact));
  if (l.peer) parts.push(`↔ ${shortEndpoint(l.peer, compact)}`);
  if (l.parent) parts.push(t('ladder.lane.from', { parent: l.parent }));
  if (l.listenerEvidence === 'refused') parts.push(t('ladder.lane.nobodyListening'));
  else if (l.listenerEvidence === 'synack') parts.push(t('ladder.lane.inferredListener'));
  else if (l.synthetic) parts.push(t('ladder.lane.synthetic'));
  return parts.join(' ');
}

export function bundleLabel(b: BundleRow, t: T): string {
  return t('ladder.bundle', { segments: b.segments.toLocaleString('en-US'), size: formatBytes(b.bytes) });
}

export function bundleDetail(b: BundleRow, t: T): string {
  const parts = [t('ladder.bundle.duration', { duration: formatTime(Math.max(0, b.lastTs - b.ts)) })];
  if (b.acks > 0) parts.push(t('ladder.bundle.acks', { acks: b.acks.toLocaleString('en-US') }));
  return parts.join(' · ');
}

export function noteLabel(n: NoteRow, t: T): string {
  const state = !n.available ? 'off' : n.running ? 'on' : 'stopped';
  return t(`ladder.note.${n.source}.${state}`, { reason: n.reason ?? '' }).trim();
}
