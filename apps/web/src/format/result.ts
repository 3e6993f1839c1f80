import type { BytesPreview, TextEncodingName } from '@socketscope/shared';
import type { Translate } from '../i18n/index.ts';
import { formatBytes, previewText } from './bytes.ts';

/**
 * A command's successful result in a line of text. The agent's results are small objects; we pick
 * out what a person cares about (the new socket, addresses, the bytes and their text) and fall back
 * to compact JSON for anything else.
 */
export function describeResult(result: unknown, t: Translate, encoding: TextEncodingName = 'utf8'): string {
  if (result === null || result === undefined) return t('reply.ok');
  if (typeof result !== 'object') return String(result);
  const r = result as Record<string, unknown>;
  const parts: string[] = [];
  const sock = r['newSock'] ?? r['sock'];
  if (typeof sock === 'string') parts.push(t('reply.newSocket', { sock }));
  const local = r['local'];
  const remote = r['remote'] ?? r['from'] ?? r['peer'];
  if (typeof local === 'string' && typeof remote === 'string') parts.push(`${local} ⇄ ${remote}`);
  else if (typeof local === 'string') parts.push(local);
  else if (typeof remote === 'string') parts.push(remote);
  const data = asPreview(r['data']);
  if (data) {
    if (data.len === 0) parts.push(t('reply.empty'));
    else parts.push(`${t('reply.bytes', { len: data.len })}: “${previewText(data.b64, encoding)}”${data.truncated ? '…' : ''}`);
    const whole = r['datagramLen'];
    if (typeof whole === 'number' && whole > data.len) parts.push(t('reply.datagramCut', { len: whole }));
  } else if (typeof r['bytes'] === 'number') {
    parts.push(t('reply.bytes', { len: r['bytes'] as number }));
  } else if (typeof r['len'] === 'number') {
    parts.push(t('reply.bytes', { len: r['len'] as number }));
  }
  if (parts.length > 0) return parts.join(' · ');
  try {
    const json = JSON.stringify(result);
    return json.length > 120 ? `${json.slice(0, 120)}…` : json;
  } catch {
    return t('reply.ok');
  }
}

function asPreview(v: unknown): BytesPreview | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  return typeof o['b64'] === 'string' && typeof o['len'] === 'number'
    ? { b64: o['b64'], len: o['len'], truncated: o['truncated'] === true }
    : null;
}

export { formatBytes };
