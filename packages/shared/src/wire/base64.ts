/**
 * Base64 for payload previews, without btoa/atob or Buffer: packages/shared runs in the browser and
 * in Node, and the previews are short (≤ 64 bytes). Encoding looks up two characters per 12 bits:
 * in the capture pipeline that was twice as fast as building from char codes (V8 keeps the short
 * concatenations as ropes and flattens them once, when the event is serialised).
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
const PAIRS: string[] = Array.from({ length: 4096 }, (_, i) => ALPHABET[i >> 6]! + ALPHABET[i & 63]!);
/** long inputs are encoded in pieces of this many bytes (a multiple of 3, so they join without padding) and joined, to keep ropes shallow */
const CHUNK = 3 * 2048;

/** The first `max` bytes of b, base64-encoded (standard alphabet, padded). */
export function bytesToBase64(b: Uint8Array, max = b.length): string {
  const n = Math.min(max, b.length);
  if (n > CHUNK) {
    const parts: string[] = [];
    for (let at = 0; at < n; at += CHUNK) parts.push(bytesToBase64(b.subarray(at, Math.min(n, at + CHUNK))));
    return parts.join('');
  }
  let out = '';
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += PAIRS[v >> 12]! + PAIRS[v & 4095]!;
  }
  if (n - i === 1) out += `${PAIRS[b[i]! << 4]!}==`;
  else if (n - i === 2) {
    const v = (b[i]! << 8) | b[i + 1]!;
    out += `${PAIRS[v >> 4]!}${ALPHABET[(v & 15) << 2]!}=`;
  }
  return out;
}

/** Decodes base64 (padding optional, whitespace ignored); null when it is not base64. */
export function base64ToBytes(s: string): Uint8Array | null {
  const clean = s.replace(/\s+/g, '').replace(/=+$/, '');
  if (clean.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 255;
    }
  }
  return out;
}
