import { describe, expect, it } from 'vitest';
import { readPageParams, tokenForTab, TOKEN_KEY, withoutToken, withParam, wsUrl } from './url.ts';

describe('page address', () => {
  it('reads token, lang and projector', () => {
    expect(readPageParams('?token=abc&lang=zh-CN&projector=1')).toEqual({ token: 'abc', lang: 'zh-CN', projector: true });
  });
  it('treats a missing or blank token as none', () => {
    expect(readPageParams('').token).toBeNull();
    expect(readPageParams('?token=%20').token).toBeNull();
  });
  it('builds the WebSocket URL on the same origin with the token escaped', () => {
    expect(wsUrl({ protocol: 'http:', host: '127.0.0.1:7357' }, 'a+b/c')).toBe('ws://127.0.0.1:7357/ws?token=a%2Bb%2Fc');
    expect(wsUrl({ protocol: 'https:', host: 'x:1' }, 't')).toBe('wss://x:1/ws?token=t');
  });
  it('sets and removes one query parameter, keeping the others', () => {
    expect(withParam('http://h/?token=t', 'lang', 'en')).toBe('http://h/?token=t&lang=en');
    expect(withParam('http://h/?token=t&lang=en', 'lang', null)).toBe('http://h/?token=t');
  });
});

function memory() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => { m.set(k, v); }, m };
}

describe('the token leaves the address bar', () => {
  it('takes ?token= from the address and keeps it for a reload of this tab', () => {
    const s = memory();
    expect(tokenForTab('?token=abc&lang=en', s)).toBe('abc');
    expect(s.m.get(TOKEN_KEY)).toBe('abc');
    expect(tokenForTab('?lang=en', s)).toBe('abc'); // the reload, after the address lost it
  });

  it('a new ?token= (a restarted agent’s link) replaces the kept one; nothing kept and none given is none', () => {
    const s = memory();
    tokenForTab('?token=old', s);
    expect(tokenForTab('?token=new', s)).toBe('new');
    expect(tokenForTab('', memory())).toBeNull();
  });

  it('works without storage, and when storage throws', () => {
    expect(tokenForTab('?token=t', null)).toBe('t');
    const throwing = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } };
    expect(tokenForTab('?token=t', throwing)).toBe('t');
    expect(tokenForTab('', throwing)).toBeNull();
  });

  it('removes only the token from the address', () => {
    expect(withoutToken('http://127.0.0.1:8787/?token=secret&lang=zh-CN&lesson=tcp-hello')).toBe('http://127.0.0.1:8787/?lang=zh-CN&lesson=tcp-hello');
    expect(withoutToken('http://127.0.0.1:8787/?token=secret')).toBe('http://127.0.0.1:8787/');
  });
});
