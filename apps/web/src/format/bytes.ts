import type { TextEncodingName } from '@socketscope/shared';

/** Base64 (as events carry payload previews) to bytes. Invalid input gives no bytes rather than an exception. */
export function b64ToBytes(b64: string): Uint8Array {
  try {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return new Uint8Array(0);
  }
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

/**
 * Bytes as text in the chosen encoding, with control characters written as escapes so "hello\r\n"
 * shows its line ending. Bytes that are not valid in the encoding show as U+FFFD (�), which is itself
 * the lesson when utf8 and gbk are mixed up.
 */
export function decodeText(bytes: Uint8Array, encoding: TextEncodingName): string {
  let text: string;
  try {
    text = new TextDecoder(encoding === 'gbk' ? 'gbk' : 'utf-8').decode(bytes);
  } catch {
    text = new TextDecoder('utf-8').decode(bytes);
  }
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function previewText(b64: string, encoding: TextEncodingName, max = 200): string {
  const text = decodeText(b64ToBytes(b64), encoding);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function hexPreview(b64: string, max = 32): string {
  const bytes = b64ToBytes(b64);
  const parts: string[] = [];
  for (let i = 0; i < Math.min(bytes.length, max); i++) parts.push(bytes[i]!.toString(16).padStart(2, '0'));
  return parts.join(' ') + (bytes.length > max ? ' …' : '');
}

/** 0 B, 512 B, 1.5 KiB, 64 KiB, 4.0 MiB: exact below 1 KiB where single bytes matter. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * Bar fill for a queue on a log scale, 0..1: a 5-byte greeting must be visible next to a 4 MiB
 * buffer. Any non-zero amount gets at least a sliver so "empty" and "not empty" never look alike.
 */
export function queueFill(bytes: number, fullScale = 4 * 1024 * 1024): number {
  if (bytes <= 0) return 0;
  return Math.min(1, Math.max(0.04, Math.log2(1 + bytes) / Math.log2(1 + fullScale)));
}
