import { describe, expect, it } from 'vitest';
import { parseServerMessage } from './validate.ts';

describe('parseServerMessage', () => {
  it('accepts every server message shape, including both reply shapes', () => {
    expect(parseServerMessage({ t: 'synced', lastSeq: 3 }).ok).toBe(true);
    expect(parseServerMessage({ t: 'reply', re: 'a-1', ok: true, result: { sock: 's1' } }).ok).toBe(true);
    const err = parseServerMessage({ t: 'reply', re: 'a-2', ok: false, error: { code: 'ECONNREFUSED', message: 'refused' } });
    expect(err.ok && err.msg.t === 'reply' && !err.msg.ok && err.msg.error.code).toBe('ECONNREFUSED');
    expect(parseServerMessage({ t: 'events', events: [{}] }).ok).toBe(true);
  });
  it('rejects what is not a server message', () => {
    expect(parseServerMessage({ t: 'nope' }).ok).toBe(false);
    expect(parseServerMessage({ t: 'synced', lastSeq: 'x' }).ok).toBe(false);
    expect(parseServerMessage({ t: 'reply', re: 'a', ok: false }).ok).toBe(false);
    expect(parseServerMessage(null).ok).toBe(false);
  });
});
