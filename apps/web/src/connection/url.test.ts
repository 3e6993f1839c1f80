import { describe, expect, it } from 'vitest';
import { readPageParams, withParam, wsUrl } from './url.ts';

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
