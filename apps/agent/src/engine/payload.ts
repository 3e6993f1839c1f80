import iconv from 'iconv-lite';
import type { Payload } from '@socketscope/shared';

/**
 * A person's payload as the bytes a program would send: text encoded as utf-8 or gbk (the course's fact 12:
 * data are bytes, and many Chinese Windows machines use gbk), or hex pairs.
 */
export function encodePayload(p: Payload): { bytes: Buffer; encoding: 'utf8' | 'gbk' | 'hex' } {
  if ('hex' in p) return { bytes: Buffer.from(p.hex.replace(/\s+/g, ''), 'hex'), encoding: 'hex' };
  const encoding = p.encoding ?? 'utf8';
  return { bytes: encoding === 'gbk' ? iconv.encode(p.text, 'gbk') : Buffer.from(p.text, 'utf8'), encoding };
}
