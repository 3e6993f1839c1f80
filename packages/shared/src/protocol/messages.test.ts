import { describe, expect, it } from 'vitest';
import { ServerMessage } from './messages.ts';

describe('ServerMessage', () => {
  it('accepts both kinds of reply and rejects a reply that is neither', () => {
    expect(ServerMessage.safeParse({ t: 'reply', re: '1', ok: true, result: { sock: 's1' } }).success).toBe(true);
    expect(ServerMessage.safeParse({ t: 'reply', re: '1', ok: false, error: { code: 'EADDRINUSE', message: 'x' } }).success).toBe(true);
    expect(ServerMessage.safeParse({ t: 'reply', re: '1', ok: false }).success).toBe(false);
    expect(ServerMessage.safeParse({ t: 'events', events: [] }).success).toBe(true);
    expect(ServerMessage.safeParse({ t: 'nope' }).success).toBe(false);
  });
});
