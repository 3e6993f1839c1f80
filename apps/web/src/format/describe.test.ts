import { describe, expect, it } from 'vitest';
import { parseEvent } from '@socketscope/shared';
import { translator } from '../i18n/index.ts';
import { describeEvent, formatArgs, linkConditionsText } from './describe.ts';

function ev(raw: Record<string, unknown>) {
  const r = parseEvent({ v: 1, seq: 1, ts: 1, ...raw });
  if (!r.ok) throw new Error(r.error);
  return r.event;
}

describe('describeEvent', () => {
  const en = translator('en');
  const zh = translator('zh-CN');

  it('marks an inferred SYN as inferred and names the handshake step', () => {
    const e = ev({ layer: 'wire', type: 'tcp.segment', src: '127.0.0.1:5', dst: '127.0.0.1:6', flags: ['SYN'], seqNo: null, ackNo: null, win: null, len: 0, options: {}, inferred: true, bytes: '' });
    const en1 = describeEvent(e, en);
    expect(en1.inferred).toBe(true);
    expect(en1.text).toBe('127.0.0.1:5 → 127.0.0.1:6 [SYN] len=0');
    expect(en1.badge).toBe('three-way handshake 1/3');
    expect(describeEvent(e, zh).badge).toBe('三次握手 1/3');
  });

  it('says an agent bundle of data what it carried, and a bundle of the receiver’s pure ACKs that it carried none', () => {
    const base = { layer: 'wire', type: 'tcp.bundle', bundle: 3, src: '127.0.0.1:5', dst: '127.0.0.1:6', firstSeq: 1, endSeq: 1, flags: ['ACK'], retransmissions: 0, win: 100, wireTs: 1, wireEndTs: 2, open: false };
    expect(describeEvent(ev({ ...base, count: 40, bytes: 2_000_000, endSeq: 2_000_001 }), en).text).toContain('40 data segments, 2000000 bytes');
    const acks = describeEvent(ev({ ...base, count: 12, bytes: 0 }), en).text;
    expect(acks).toBe('127.0.0.1:5 → 127.0.0.1:6 12 pure ACKs, no data');
    expect(acks).not.toContain('data segments');
  });

  it('shows relative sequence numbers of a captured segment', () => {
    const e = ev({ layer: 'wire', type: 'tcp.segment', src: 'a:1', dst: 'b:2', flags: ['ACK'], seqNo: 1000, ackNo: 2000, relSeq: 1, relAck: 1, win: 512, len: 5, options: {}, inferred: false, bytes: '' });
    const d = describeEvent(e, en);
    expect(d.text).toBe('a:1 → b:2 [ACK] seq=1 ack=1 win=512 len=5');
    expect(d.inferred).toBe(false);
  });

  it('shows a failed call with its errno', () => {
    const e = ev({ layer: 'api', type: 'api.call', sock: 's1', call: 'connect', args: { host: '127.0.0.1', port: 9 }, durationUs: 1, error: { code: 'ECONNREFUSED', message: 'refused' } });
    const d = describeEvent(e, en);
    expect(d.text).toBe('connect(127.0.0.1:9) failed: ECONNREFUSED');
    expect(d.error).toBe('ECONNREFUSED');
  });

  it('shows the bytes a recv returned as text', () => {
    const e = ev({ layer: 'api', type: 'api.call', sock: 's3', call: 'recv', args: { max: 1024 }, durationUs: 1, data: { len: 5, b64: btoa('hello'), truncated: false } });
    expect(describeEvent(e, en).text).toBe('recv(max=1024) → 5 B “hello”');
  });

  it('keeps TCP state names untranslated in Chinese', () => {
    const e = ev({ layer: 'kernel', type: 'kernel.tcp', local: '127.0.0.1:1', remote: '127.0.0.1:2', state: 'TIME_WAIT', sendQueue: 0, recvQueue: 0 });
    expect(describeEvent(e, zh).text).toContain('TIME_WAIT');
  });

  it('describes a traced program: its paused call with the student’s line, its output on one line, how it ended', () => {
    const proc = { run: 'p1', pid: 42, program: 'client.py' };
    const begin = ev({ layer: 'api', type: 'api.begin', call: 'connect', args: { host: '127.0.0.1', port: 12000 }, paused: true, proc, callId: 2, src: { file: '/tmp/x/client.py', line: 6 } });
    expect(describeEvent(begin, en)).toMatchObject({ text: 'connect(127.0.0.1:12000) paused before the call', detail: ' · client.py:6' });
    expect(describeEvent(begin, zh).text).toBe('connect(127.0.0.1:12000) 调用之前暂停');
    const out = ev({ layer: 'session', type: 'proc.output', run: 'p1', stream: 'stderr', b64: '', text: 'Traceback\n  line 6\n', encoding: 'utf-8' });
    expect(describeEvent(out, en).text).toBe('p1 stderr: “Traceback⏎  line 6⏎”');
    const exit = ev({ layer: 'session', type: 'proc.exit', run: 'p1', code: 1, signal: null, reason: 'exited', exception: { type: 'ConnectionRefusedError', message: '[Errno 111] Connection refused', frames: [{ file: 'client.py', line: 6, name: '<module>' }] } });
    expect(describeEvent(exit, en)).toMatchObject({ text: 'p1 ended: Exited with code 1 — ConnectionRefusedError: [Errno 111] Connection refused', error: 'ConnectionRefusedError' });
    const stopped = ev({ layer: 'session', type: 'proc.exit', run: 'p2', code: null, signal: 'SIGTERM', reason: 'stopped' });
    expect(describeEvent(stopped, en).text).toBe('p2 ended: Stopped from the page · Ended by signal SIGTERM');
    expect(describeEvent(stopped, zh).text).toBe('p2 已结束：已从页面停止 · 被信号 SIGTERM 结束');
  });

  it('formats args with host:port together', () => {
    expect(formatArgs({ host: '::1', port: 80, backlog: 5 })).toBe('::1:80, backlog=5');
  });
});

describe('describeEvent on the lab', () => {
  const en = translator('en');
  const zh = translator('zh-CN');
  const tw = translator('zh-TW');

  it('says what a lost packet was (flags, seq, len) and why the link lost it, in the three languages', () => {
    const e = ev({ layer: 'wire', type: 'link.drop', src: '10.77.0.1:40000', dst: '10.77.0.2:9000', proto: 'tcp', len: 100, flags: ['PSH', 'ACK'], seqNo: 1001, reason: 'oneshot', wireTs: 5 });
    expect(describeEvent(e, en)).toMatchObject({ text: '10.77.0.1:40000 → 10.77.0.2:9000 TCP len=100 [PSH,ACK] seq=1001: lost on the link (“lose next”)', error: 'oneshot' });
    expect(describeEvent(e, zh).text).toBe('10.77.0.1:40000 → 10.77.0.2:9000 TCP len=100 [PSH,ACK] seq=1001：在链路上丢失（“丢弃下一个”）');
    expect(describeEvent(e, tw).text).toContain('「遺失下一個」');
    const udp = ev({ layer: 'wire', type: 'link.drop', src: '10.77.0.1:5', dst: '10.77.0.2:6', proto: 'udp', len: 3, reason: 'queue', wireTs: 5 });
    expect(describeEvent(udp, en).text).toBe('10.77.0.1:5 → 10.77.0.2:6 UDP len=3: lost on the link (the link’s queue was full)');
  });

  it('says the link’s conditions in words', () => {
    const up = ev({ layer: 'session', type: 'link.state', up: true, conditions: { delayMs: 100, jitterMs: 0, lossPct: 2, rateKbit: 800 }, hosts: { client: '10.77.0.1', server: '10.77.0.2' } });
    expect(describeEvent(up, en)).toMatchObject({ text: 'lab link up: 100 ms each way, 2 % loss, 800 kbit/s', detail: 'client 10.77.0.1 ↔ server 10.77.0.2' });
    expect(describeEvent(up, zh).text).toBe('实验链路已启用：单向时延 100 毫秒，丢包率 2 %，800 kbit/s');
    const plain = ev({ layer: 'session', type: 'link.state', up: true, conditions: { delayMs: 50, jitterMs: 5, lossPct: 0, rateKbit: null } });
    expect(describeEvent(plain, en).text).toBe('lab link up: 50 ms ± 5 ms each way');
    expect(linkConditionsText({ delayMs: 0, jitterMs: 0, lossPct: 0, rateKbit: null }, en)).toBe('no delay, no loss, no rate limit');
    const down = ev({ layer: 'session', type: 'link.state', up: false, conditions: { delayMs: 0, jitterMs: 0, lossPct: 0, rateKbit: null } });
    expect(describeEvent(down, tw).text).toBe('實驗鏈路已關閉');
  });
});
