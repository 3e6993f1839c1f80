import { describe, expect, it } from 'vitest';
import { predictEn } from './predict.en.ts';
import { predictZhCN } from './predict.zh-CN.ts';
import { predictZhTW } from './predict.zh-TW.ts';
import { MESSAGES } from '../index.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).toSorted().join();
// the views' sources, to find every key they use
const sources = import.meta.glob(['../../views/predict/*.{ts,tsx}', '!**/*.test.ts'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

describe('the strings of "Ask first"', () => {
  for (const [locale, messages] of Object.entries({ en: predictEn, 'zh-CN': predictZhCN, 'zh-TW': predictZhTW })) {
    it(`${locale}: exactly the English keys, the same {placeholders}, none empty, all in the page's dictionary`, () => {
      expect(Object.keys(messages).toSorted()).toEqual(Object.keys(predictEn).toSorted());
      expect(Object.keys(predictEn).filter((k) => placeholders(messages[k]!) !== placeholders(predictEn[k]!))).toEqual([]);
      expect(Object.values(messages).filter((v) => v.trim() === '')).toEqual([]);
      expect(Object.keys(messages).every((k) => k.startsWith('predict.'))).toBe(true);
      for (const [k, v] of Object.entries(messages)) expect(MESSAGES[locale as keyof typeof MESSAGES][k]).toBe(v);
    });
  }

  it('every key the views name exists, and no Chinese sits in their code', () => {
    const used = new Set<string>();
    for (const src of Object.values(sources)) {
      for (const m of src.matchAll(/'(predict\.[\w.]+)'/g)) used.add(m[1]!);
      expect(src).not.toMatch(/[\u4e00-\u9fff]/);
    }
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((k) => !(k in predictEn))).toEqual([]);
  });
});
