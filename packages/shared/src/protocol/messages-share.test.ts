import { describe, expect, it } from 'vitest';
import { ServerMessage } from './messages.ts';

const hello = {
  t: 'hello', protocolVersion: 1, agentVersion: '0.1.0', session: { id: 's', startedAt: '2026-01-01T00:00:00.000Z' },
  capabilities: { kernel: { available: true }, wire: { available: false }, tcpInfo: { available: false }, remoteTargets: false, scenarios: [] },
  readOnly: false,
};

describe('sharing messages', () => {
  it('hello may carry the viewer link and count (teacher only); a hello without it stays valid', () => {
    expect(ServerMessage.safeParse(hello).success).toBe(true);
    expect(ServerMessage.safeParse({ ...hello, share: { viewerUrl: 'http://10.0.0.2:8787/?token=v', viewers: 3 } }).success).toBe(true);
    expect(ServerMessage.safeParse({ ...hello, share: { viewers: 3 } }).success).toBe(false);
  });

  it('viewers carries a non-negative count', () => {
    expect(ServerMessage.safeParse({ t: 'viewers', count: 2 }).success).toBe(true);
    expect(ServerMessage.safeParse({ t: 'viewers', count: -1 }).success).toBe(false);
  });
});
