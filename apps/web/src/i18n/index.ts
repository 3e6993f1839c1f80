import { en, type Dictionary, type MessageKey, type Messages } from './en.ts';
import { zhCN } from './zh-CN.ts';
import { zhTW } from './zh-TW.ts';

export type { Dictionary, MessageKey, Messages };
export const LOCALES = ['zh-CN', 'zh-TW', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** Every locale's dictionary, including the ladder, state machine and buffer views' parts (i18n/parts). */
export const MESSAGES: Record<Locale, Dictionary> = { 'zh-CN': zhCN, 'zh-TW': zhTW, en };

export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;
/** For views that build keys from data (ladder, state machine, buffers): any key; an unknown one shows as itself. */
export type TranslateAny = (key: string, params?: Params) => string;

/**
 * The locale for a page: `?lang=` wins, else the first of navigator.languages we can serve.
 * Traditional-script regions (TW, HK, MO, Hant) get zh-TW, any other Chinese zh-CN.
 */
export function pickLocale(query: string | null | undefined, languages: readonly string[]): Locale {
  const fromQuery = query ? matchLocale(query) : null;
  if (fromQuery) return fromQuery;
  for (const l of languages) {
    const m = matchLocale(l);
    if (m) return m;
  }
  return 'en';
}

function matchLocale(tag: string): Locale | null {
  const t = tag.trim().toLowerCase().replace(/_/g, '-');
  if (t.startsWith('zh')) return /-(tw|hk|mo|hant)\b/.test(t) ? 'zh-TW' : 'zh-CN';
  if (t.startsWith('en')) return 'en';
  return null;
}

const PLACEHOLDER = /\{(\w+)\}/g;

export function translate(locale: Locale, key: MessageKey | (string & {}), params?: Params): string {
  const template = MESSAGES[locale][key] ?? en[key] ?? key;
  if (!params) return template;
  return template.replace(PLACEHOLDER, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function translator(locale: Locale): Translate & TranslateAny {
  return (key: string, params?: Params) => translate(locale, key, params);
}

/** The translated plain-language hint for an errno or agent error code, if the locale has one. */
export function errorHintKey(code: string): MessageKey | null {
  const key = `err.${code}`;
  return key in en ? (key as MessageKey) : null;
}

export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).toSorted();
}
