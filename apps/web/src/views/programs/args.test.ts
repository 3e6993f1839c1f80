import { describe, expect, it } from 'vitest';
import { MAX_ARGS, splitArgs } from './args.ts';

describe('splitArgs: the arguments field split as a terminal splits a command line', () => {
  it('splits on blanks and keeps nothing for an empty field', () => {
    expect(splitArgs('')).toEqual({ ok: true, args: [] });
    expect(splitArgs('  127.0.0.1   8888 ')).toEqual({ ok: true, args: ['127.0.0.1', '8888'] });
  });

  it('keeps quoted blanks, an empty quoted word, and Chinese text', () => {
    expect(splitArgs(`"hello world" 'a b' "" 你好`)).toEqual({ ok: true, args: ['hello world', 'a b', '', '你好'] });
    expect(splitArgs(`pre"fix mid"post`)).toEqual({ ok: true, args: ['prefix midpost'] });
  });

  it('takes backslash escapes outside quotes and \\" inside double quotes; single quotes take everything', () => {
    expect(splitArgs(String.raw`a\ b "say \"hi\"" 'c\d'`)).toEqual({ ok: true, args: ['a b', 'say "hi"', String.raw`c\d`] });
  });

  it('refuses an unclosed quote, too many words and a word that is too long', () => {
    expect(splitArgs(`"open`)).toEqual({ ok: false, problem: 'quote' });
    expect(splitArgs(Array.from({ length: MAX_ARGS + 1 }, (_, i) => String(i)).join(' '))).toEqual({ ok: false, problem: 'tooMany' });
    expect(splitArgs('x'.repeat(1025))).toEqual({ ok: false, problem: 'tooLong' });
  });
});
