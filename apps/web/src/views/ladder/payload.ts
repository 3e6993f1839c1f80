import { b64ToBytes } from '../../format/bytes.ts';

/**
 * Payload bytes for people: UTF-8 text when the bytes are valid UTF-8 (control characters written
 * as escapes so "\r\n" is visible), otherwise hex. Data are bytes (LESSONS fact 12): the page always
 * offers the hex too, and may decode as GBK on request.
 */

export interface DecodedPayload {
  bytes: Uint8Array;
  /** null when the bytes are not valid in the encoding */
  text: string | null;
  hex: string;
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function toHex(bytes: Uint8Array, max = bytes.length): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.min(bytes.length, max); i++) parts.push(bytes[i]!.toString(16).padStart(2, '0'));
  return parts.join(' ') + (bytes.length > max ? ' …' : '');
}

export function decodePayload(b64: string, encoding: 'utf8' | 'gbk' = 'utf8'): DecodedPayload {
  const bytes = b64ToBytes(b64);
  let text: string | null;
  try {
    text = escapeControls(new TextDecoder(encoding === 'gbk' ? 'gbk' : 'utf-8', { fatal: true }).decode(bytes));
  } catch {
    text = null;
  }
  return { bytes, text, hex: toHex(bytes) };
}

/** A short quoted preview for labels: 'Hello, ser…' or 0x00ff… for binary. Empty for no bytes. */
export function shortPreview(b64: string, max = 12): string {
  if (!b64) return '';
  const p = decodePayload(b64);
  if (p.text !== null) {
    const chars = [...p.text];
    const cut = chars.length > max ? `${chars.slice(0, max).join('')}…` : p.text;
    return `'${cut.replace(/'/g, "\\'")}'`;
  }
  const hex = Array.from(p.bytes.subarray(0, Math.ceil(max / 2)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `0x${hex}${p.bytes.length > Math.ceil(max / 2) ? '…' : ''}`;
}
