import { describe, expect, it } from 'vitest';
import { b64ToBytes, decodeText, formatBytes, hexPreview, previewText, queueFill } from './bytes.ts';

describe('payload text', () => {
  it('decodes utf8 and shows control characters as escapes', () => {
    expect(previewText(btoa('hello\r\n'), 'utf8')).toBe('hello\\r\\n');
  });
  it('decodes gbk text (the tutorials’ Windows encoding)', () => {
    // 你好 in GBK
    expect(decodeText(new Uint8Array([0xc4, 0xe3, 0xba, 0xc3]), 'gbk')).toBe('你好');
  });
  it('shows gbk bytes read as utf8 as replacement characters, not as an exception', () => {
    expect(decodeText(new Uint8Array([0xc4, 0xe3]), 'utf8')).toContain('\ufffd');
  });
  it('survives invalid base64', () => {
    expect(b64ToBytes('%%%')).toHaveLength(0);
  });
  it('hex preview is bounded', () => {
    expect(hexPreview(btoa('AB'))).toBe('41 42');
    expect(hexPreview(btoa('ABCD'), 2)).toBe('41 42 …');
  });
});

describe('sizes', () => {
  it('formats bytes exactly below 1 KiB', () => {
    expect(formatBytes(5)).toBe('5 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(65536)).toBe('64 KiB');
  });
  it('queue bars: empty is zero, anything else is visible, full scale is full', () => {
    expect(queueFill(0)).toBe(0);
    expect(queueFill(1)).toBeGreaterThan(0);
    expect(queueFill(5)).toBeGreaterThan(queueFill(1));
    expect(queueFill(4 * 1024 * 1024)).toBe(1);
  });
});
