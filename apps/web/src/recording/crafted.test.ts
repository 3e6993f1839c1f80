import { describe, expect, it } from 'vitest';
import { emptyModel, foldAll, type SessionEvent } from '@socketscope/shared';
import { parseSession, serializeSession } from './format.ts';

/**
 * Issue 16, item 4: a recording is checked to the last field before anything of it reaches a view (R4).
 * The crafted file is the one the hostile classroom used: 270 bytes whose `base` passed the old shallow
 * check, with a socket that has nothing but an id. The page side is e2e/hardening.spec.ts.
 */
const CRAFTED = `${JSON.stringify({
  format: 'socketscope-session', version: 1, events: 0,
  base: { version: 1, lastSeq: 0, events: 1, missing: 0, counts: { api: 1, kernel: 0, wire: 0, session: 0 }, sockets: { s1: { id: 's1' } }, socketOrder: ['s1'], conns: {}, connOrder: [], byEndpoints: {} },
})}\n`;

const events: SessionEvent[] = [
  { v: 1, seq: 0, ts: 10, layer: 'api', type: 'api.call', sock: 's1', call: 'socket', args: {}, durationUs: 3, proto: 'tcp' },
  { v: 1, seq: 1, ts: 20, layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 5 }, durationUs: 3, local: '127.0.0.1:8888' },
];

/** The problem with a header of these extra fields, or null when it opens. */
function wrong(extra: Record<string, unknown>) {
  const r = parseSession(`${JSON.stringify({ format: 'socketscope-session', version: 1, events: 0, ...extra })}\n`);
  return r.ok ? null : r.problem;
}

describe('R4: a recording’s base and header are checked to the last field', () => {
  it('the crafted 270-byte recording is refused, saying where', () => {
    expect(CRAFTED.length).toBeLessThan(300);
    const r = parseSession(CRAFTED);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.key).toBe('load.err.header');
    expect(String(r.problem.params['detail'])).toMatch(/"base" is not a model: sockets\.s1\./);
  });

  it('a base the fold made is taken as it is; the events follow it', () => {
    const base = JSON.parse(JSON.stringify(foldAll(emptyModel(), events)));
    const later: SessionEvent = { v: 1, seq: 2, ts: 30, layer: 'api', type: 'api.call', sock: 's1', call: 'close', args: {}, durationUs: 1 };
    const r = parseSession(serializeSession({ base }, [later]));
    expect(r.ok).toBe(true);
    expect(r.ok && r.header.base).toEqual(base);
  });

  it('a base saved before traced programs existed (no procs, no procOrder) still opens, as a model without programs', () => {
    const base = JSON.parse(JSON.stringify(foldAll(emptyModel(), events)));
    delete base.procs;
    delete base.procOrder;
    const r = parseSession(serializeSession({ base }, []));
    expect(r.ok && r.header.base).toEqual({ ...base, procs: {}, procOrder: [] });
  });

  it('the header’s other fields must have their types; unknown ones are dropped', () => {
    expect(wrong({ lesson: { id: 'tcp-hello' } })).toEqual({ key: 'load.err.header', params: { detail: '"lesson" has the wrong type' } });
    expect(wrong({ session: { id: 5 } })?.params['detail']).toMatch(/"session"/);
    expect(wrong({ source: 'tcpdump' })?.params['detail']).toMatch(/"source"/);
    expect(wrong({ savedAt: 'x'.repeat(65) })?.params['detail']).toMatch(/"savedAt"/);
    const ok = parseSession(`${JSON.stringify({ format: 'socketscope-session', version: 1, events: 0, lesson: 'tcp-hello', extra: { deep: 1 } })}\n`);
    expect(ok.ok && ok.header).toEqual({ format: 'socketscope-session', version: 1, events: 0, lesson: 'tcp-hello' });
  });
});
