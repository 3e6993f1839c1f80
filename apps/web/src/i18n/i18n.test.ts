import { describe, expect, it } from 'vitest';
import { ERROR_HINTS } from '@socketscope/shared';
import { LOCALES, MESSAGES, pickLocale, placeholders, translate } from './index.ts';
import { en } from './en.ts';

const enKeys = Object.keys(en).toSorted();

describe('locale files', () => {
  for (const locale of LOCALES) {
    it(`${locale} has exactly the English keys, none missing, none extra`, () => {
      const keys = Object.keys(MESSAGES[locale]).toSorted();
      expect(enKeys.filter((k) => !keys.includes(k)), 'missing keys').toEqual([]);
      expect(keys.filter((k) => !enKeys.includes(k)), 'unknown keys').toEqual([]);
    });

    it(`${locale} uses the same {placeholders} as English in every message`, () => {
      const messages = MESSAGES[locale] as Record<string, string>;
      const wrong = enKeys.filter((k) => placeholders(messages[k] ?? '').join() !== placeholders((en as Record<string, string>)[k]!).join());
      expect(wrong).toEqual([]);
    });

    it(`${locale} has no empty message`, () => {
      expect(Object.entries(MESSAGES[locale]).filter(([, v]) => v.trim() === '').map(([k]) => k)).toEqual([]);
    });
  }

  it('every error code the protocol explains has a translated hint', () => {
    const missing = Object.keys(ERROR_HINTS).filter((code) => !(`err.${code}` in en));
    expect(missing).toEqual([]);
  });

  it('Chinese locales actually differ from English for prose (not left untranslated)', () => {
    expect(MESSAGES['zh-CN']['log.title']).not.toBe(en['log.title']);
    expect(MESSAGES['zh-TW']['log.title']).not.toBe(MESSAGES['zh-CN']['log.title']);
    expect(MESSAGES['zh-CN']['card.sendQueue']).toContain('发送缓冲区');
    expect(MESSAGES['zh-CN']['card.recvQueue']).toContain('接收缓冲区');
    expect(MESSAGES['zh-TW']['card.sendQueue']).toContain('發送緩衝區');
  });
});

describe('pickLocale', () => {
  it('prefers ?lang= over the browser languages', () => {
    expect(pickLocale('zh-TW', ['en-US'])).toBe('zh-TW');
    expect(pickLocale('en', ['zh-CN'])).toBe('en');
  });
  it('maps Chinese variants by script and region', () => {
    expect(pickLocale(null, ['zh-HK'])).toBe('zh-TW');
    expect(pickLocale(null, ['zh-Hant-TW'])).toBe('zh-TW');
    expect(pickLocale(null, ['zh'])).toBe('zh-CN');
    expect(pickLocale(null, ['zh-Hans-CN'])).toBe('zh-CN');
  });
  it('skips languages it cannot serve and falls back to English', () => {
    expect(pickLocale('fr', ['de-DE', 'zh-CN'])).toBe('zh-CN');
    expect(pickLocale(null, ['de-DE'])).toBe('en');
  });
});

describe('translate', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('en', 'reply.bytes', { len: 5 })).toBe('5 bytes');
    expect(translate('zh-CN', 'reply.bytes', { len: 5 })).toBe('5 字节');
    expect(translate('en', 'reply.bytes')).toBe('{len} bytes');
  });
});
