import { useMemo } from 'react';
import { useApp } from '../store/store.ts';
import { translator, type Translate, type TranslateAny } from './index.ts';

/** The translate function for the page's current locale; components re-render when it changes. */
export function useT(): Translate & TranslateAny {
  const locale = useApp((s) => s.locale);
  return useMemo(() => translator(locale), [locale]);
}
