import { describe, expect, it } from 'vitest';
import { decodeFrame } from './decode.ts';

const good = (seq: number) => ({ v: 1, seq, ts: seq * 10, layer: 'api', type: 'api.call', sock: 's1', call: 'socket', args: {}, durationUs: 1, proto: 'tcp' });

describe('decodeFrame (what the session worker does with every frame)', () => {
  it('validates every event of a batch: a bad one is dropped and counted, the ones around it go on in order', () => {
    const frame = JSON.stringify({ t: 'events', events: [good(1), { v: 1, seq: 2, layer: 'api', type: 'api.call' }, 'not an event', good(3)] });
    const d = decodeFrame(frame);
    expect(d.ok).toBe(true);
    if (!d.ok || d.msg.t !== 'events') throw new Error('expected events');
    expect(d.msg.events.map((e) => e.seq)).toEqual([1, 3]);
    expect(d.msg.bad).toHaveLength(2);
    expect(d.msg.bad[0]).toMatch(/./); // the first errors say why
  });

  it('keeps only the first few error texts of a bad burst, but counts every bad event', () => {
    const d = decodeFrame(JSON.stringify({ t: 'events', events: Array.from({ length: 50 }, () => ({ nope: 1 })) }));
    if (!d.ok || d.msg.t !== 'events') throw new Error('expected events');
    expect(d.msg.events).toHaveLength(0);
    expect(d.msg.bad).toHaveLength(50);
    expect(d.msg.bad.filter((e) => e !== '').length).toBeLessThanOrEqual(5);
  });

  it('refuses a frame that is not JSON or not a server message, and passes the others through checked', () => {
    expect(decodeFrame('{not json')).toEqual({ ok: false, error: 'not JSON' });
    expect(decodeFrame(JSON.stringify({ t: 'nope' })).ok).toBe(false);
    const synced = decodeFrame(JSON.stringify({ t: 'synced', lastSeq: 4 }));
    expect(synced.ok && synced.msg).toEqual({ t: 'synced', lastSeq: 4 });
  });
});
