import { useState, type ReactElement, type ReactNode } from 'react';
import type { SessionEvent, TcpOptions } from '@socketscope/shared';
import { formatBytes } from '../../format/bytes.ts';
import { formatTime, type T } from './format.ts';
import { flagsLabel } from './marks.ts';
import { decodePayload } from './payload.ts';
import type { BundleRow, LadderRow } from './types.ts';

/** The selected event in full: raw numbers one click away from the relative ones (DESIGN.md). */
export function LadderDetail(p: { event: SessionEvent; row: LadderRow | undefined; t: T; onClose: () => void }): ReactElement {
  const { event: e, row, t } = p;
  const rows: [string, ReactNode][] = [[t('ladder.detail.layer'), e.layer], [t('ladder.detail.time'), formatTime(e.ts)]];
  let payload: { b64: string; len: number } | null = null;
  let why: string | undefined;

  switch (e.type) {
    case 'tcp.segment': {
      const rel = row && row.kind === 'arrow' && row.seq === e.seq ? row : undefined;
      rows.push(
        [t('ladder.detail.from'), e.src], [t('ladder.detail.to'), e.dst], [t('ladder.detail.flags'), flagsLabel(e.flags)],
        [t('ladder.detail.seq'), pair(rel?.relSeq ?? e.relSeq, e.seqNo)],
        [t('ladder.detail.ack'), e.flags.includes('ACK') ? pair(rel?.relAck ?? e.relAck, e.ackNo) : '—'],
        [t('ladder.detail.len'), `${e.len} B`], [t('ladder.detail.win'), e.win === null ? '?' : `${e.win} B`],
      );
      const opts = optionsText(e.options);
      if (opts) rows.push([t('ladder.detail.options'), opts]);
      if (e.analysis?.length) rows.push([t('ladder.detail.analysis'), e.analysis.map((a) => t(`ladder.analysis.${a}`)).join(', ')]);
      if (e.wireTs !== undefined) rows.push([t('ladder.detail.wireTime'), formatTime(e.wireTs)]);
      if (e.inferred) why = e.inferredFrom ?? '—';
      payload = { b64: e.bytes, len: e.len };
      break;
    }
    case 'udp.datagram':
      rows.push([t('ladder.detail.from'), e.src], [t('ladder.detail.to'), e.dst], [t('ladder.detail.len'), `${e.len} B`]);
      if (e.wireTs !== undefined) rows.push([t('ladder.detail.wireTime'), formatTime(e.wireTs)]);
      if (e.inferred) why = e.inferredFrom ?? '—';
      payload = { b64: e.bytes, len: e.len };
      break;
    // the lab's link lost it: what it was (as its capture would show it) and why
    case 'link.drop': {
      const rel = row && row.kind === 'arrow' && row.seq === e.seq ? row : undefined;
      rows.push([t('ladder.detail.from'), e.src], [t('ladder.detail.to'), e.dst], [t('ladder.detail.flags'), e.proto === 'udp' ? 'UDP' : flagsLabel(e.flags ?? [])]);
      if (e.seqNo !== undefined) rows.push([t('ladder.detail.seq'), pair(rel?.relSeq, e.seqNo)]);
      rows.push([t('ladder.detail.len'), `${e.len} B`], ['✕', t('ladder.link.lost', { reason: t(`ladder.link.reason.${e.reason}`) })], [t('ladder.detail.wireTime'), formatTime(e.wireTs)]);
      break;
    }
    case 'api.call':
      rows.push([t('ladder.detail.call'), `${e.sock ?? ''} ${e.call}()`], [t('ladder.detail.args'), json(e.args)]);
      if (e.result !== undefined) rows.push([t('ladder.detail.result'), json(e.result)]);
      if (e.error) rows.push([t('ladder.detail.error'), `${e.error.code}: ${e.error.message}`]);
      rows.push([t('ladder.detail.duration'), formatTime(e.durationUs)]);
      if (e.data) payload = { b64: e.data.b64, len: e.data.len };
      break;
    case 'api.notice':
      rows.push([t('ladder.detail.call'), `${e.sock ?? ''} ${t(`ladder.notice.${e.what}`, { code: e.error?.code ?? '' })}`]);
      if (e.error) rows.push([t('ladder.detail.error'), `${e.error.code}: ${e.error.message}`]);
      break;
    case 'kernel.tcp':
      rows.push([t('ladder.detail.from'), e.local], [t('ladder.detail.to'), e.remote ?? '—'], [t('ladder.detail.state'), e.state],
        ['', t('ladder.detail.queues', { sendQueue: e.sendQueue, recvQueue: e.recvQueue })]);
      break;
    default:
      rows.push(['', json(e)]);
  }
  const bundle = row?.kind === 'bundle' ? (row as BundleRow) : undefined;

  return (
    <aside className="ll-detail" aria-live="polite">
      <header>
        <h3>{t('ladder.detail.title', { seq: e.seq })}</h3>
        <button type="button" onClick={p.onClose} aria-label={t('ladder.detail.close')}>×</button>
      </header>
      {bundle && <p className="ll-detail-bundle">{t('ladder.detail.bundle', { segments: bundle.segments, acks: bundle.acks, size: formatBytes(bundle.bytes) })}</p>}
      {why !== undefined && <p className="ll-detail-inferred">{t('ladder.detail.inferredWhy', { why })}</p>}
      <dl>
        {rows.map(([k, v], i) => (
          <div key={i}><dt>{k}</dt><dd>{v}</dd></div>
        ))}
      </dl>
      {payload && <Payload b64={payload.b64} len={payload.len} t={t} />}
    </aside>
  );
}

function Payload(p: { b64: string; len: number; t: T }): ReactElement {
  const { t } = p;
  const [encoding, setEncoding] = useState<'utf8' | 'gbk'>('utf8');
  const d = decodePayload(p.b64, encoding);
  return (
    <section className="ll-payload">
      <h4>
        {t('ladder.detail.payload')}
        <label>
          {t('ladder.detail.encoding')}{' '}
          <select value={encoding} onChange={(ev) => setEncoding(ev.target.value as 'utf8' | 'gbk')}>
            <option value="utf8">UTF-8</option>
            <option value="gbk">GBK</option>
          </select>
        </label>
      </h4>
      {d.bytes.length === 0 ? <p>{t('ladder.detail.payloadNone')}</p> : (
        <>
          {d.text !== null
            ? <pre className="ll-payload-text">{d.text}</pre>
            : <p className="ll-payload-note">{t('ladder.detail.notText', { encoding: encoding === 'gbk' ? 'GBK' : 'UTF-8' })}</p>}
          <p className="ll-payload-caption">{t('ladder.detail.payloadHex')}</p>
          <pre className="ll-payload-hex">{d.hex}</pre>
          {d.bytes.length < p.len && <p className="ll-payload-note">{t('ladder.detail.payloadTruncated', { shown: d.bytes.length, len: p.len })}</p>}
        </>
      )}
    </section>
  );
}

function pair(rel: number | null | undefined, raw: number | null): string {
  if (raw === null) return '?';
  return rel === null || rel === undefined ? String(raw) : `${rel} / ${raw}`;
}

function optionsText(o: TcpOptions): string {
  const parts: string[] = [];
  if (o.mss !== undefined) parts.push(`MSS=${o.mss}`);
  if (o.wscale !== undefined) parts.push(`WS=${o.wscale} (×${2 ** o.wscale})`);
  if (o.sackPermitted) parts.push('SACK_PERM');
  if (o.sack?.length) parts.push(`SACK ${o.sack.map(([a, b]) => `${a}-${b}`).join(',')}`);
  if (o.ts) parts.push(`TSval=${o.ts[0]} TSecr=${o.ts[1]}`);
  return parts.join(' · ');
}

function json(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
