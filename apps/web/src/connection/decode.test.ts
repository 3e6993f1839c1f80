import { describe, expect, it } from 'vitest';
import { decodeBatch, decodeFrame, encodeBatch, POST_EVENTS, PostQueue } from './decode.ts';

const good = (seq: number) => ({ v: 1, seq, ts: seq * 10, layer: 'api', type: 'api.call', sock: 's1', call: 'socket', args: {}, durationUs: 1, proto: 'tcp' });

describe('decodeFrame (what the connection worker does with every frame)', () => {
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

  it('what it posts survives a structured clone unchanged (the worker → page hop)', () => {
    const d = decodeFrame(JSON.stringify({ t: 'events', events: [good(7)] }));
    expect(structuredClone(d)).toEqual(d);
  });

  it('a batch for the page carries every frame as it was checked: good frames as sent, bad events left out, errors as errors', () => {
    const frames = [
      JSON.stringify({ t: 'events', events: [good(1), good(2)] }),
      JSON.stringify({ t: 'events', events: [good(3), { nope: 1 }, good(4)] }),
      JSON.stringify({ t: 'synced', lastSeq: 4 }),
      '{not json',
    ];
    const checked = frames.map((raw) => ({ raw, d: decodeFrame(raw) }));
    const back = decodeBatch(encodeBatch(checked));
    expect(back).toEqual(checked.map((c) => c.d));
    // the good frame went as its own text, the one with a bad event as what zod returned
    expect(encodeBatch(checked.slice(0, 1))).toBe(`[{"ok":true,"raw":${frames[0]}}]`);
    expect(encodeBatch(checked.slice(1, 2))).not.toContain('nope');
  });
});


const frame = (from: number, n: number) => JSON.stringify({ t: 'events', events: Array.from({ length: n }, (_, i) => good(from + i)) });

describe('PostQueue (what the connection worker hands the page in one post)', () => {
  it('says to post once it holds POST_EVENTS events, and the post carries every queued frame in order', () => {
    const q = new PostQueue();
    const n = POST_EVENTS / 4;
    for (let k = 0; k < 3; k++) { const raw = frame(k * n, n); expect(q.add(decodeFrame(raw), raw)).toBe(false); }
    const last = frame(3 * n, n);
    expect(q.add(decodeFrame(last), last)).toBe(true);
    const seqs = decodeBatch(q.take()!).flatMap((d) => (d.ok && d.msg.t === 'events' ? d.msg.events.map((e) => e.seq) : []));
    expect(seqs).toEqual(Array.from({ length: 4 * n }, (_, i) => i));
    expect(q.take()).toBeNull(); // empty after
    const small = frame(0, 1);
    expect(q.add(decodeFrame(small), small)).toBe(false); // counting starts over
  });

  it('never splits a frame: one frame larger than POST_EVENTS is one post', () => {
    const q = new PostQueue();
    const big = frame(0, POST_EVENTS * 2);
    expect(q.add(decodeFrame(big), big)).toBe(true);
    expect(decodeBatch(q.take()!)).toHaveLength(1);
  });
});
