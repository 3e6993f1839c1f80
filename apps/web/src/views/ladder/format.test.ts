import { describe, expect, it } from 'vitest';
import type { ApiCallEvent } from '@socketscope/shared';
import { ladderEn } from '../../i18n/parts/ladder.en.ts';
import { arrowNumbers, formatDelta, formatTime, laneSubtitle, laneTitle, markLabel } from './format.ts';
import { callMark, flagsLabel } from './marks.ts';
import { decodePayload, shortPreview } from './payload.ts';
import type { ArrowRow, LaneView } from './types.ts';

const t = (key: string, vars?: Record<string, string | number>) =>
  (ladderEn[key] ?? key).replace(/\{(\w+)\}/g, (w, k: string) => (vars && k in vars ? String(vars[k]) : w));
const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
const call = (c: Partial<ApiCallEvent>): ApiCallEvent => ({ v: 1, seq: 1, ts: 1, layer: 'api', type: 'api.call', sock: 's1', call: 'send', args: {}, durationUs: 3, ...c });

describe('ladder words', () => {
  it('socket calls read as code, with what they returned', () => {
    expect(markLabel(callMark(call({ call: 'connect' })), t)).toBe('connect()');
    expect(markLabel(callMark(call({ call: 'accept', newSock: 's3' })), t)).toBe('accept() → s3');
    expect(markLabel(callMark(call({ call: 'send', data: { len: 2, b64: b64('hi'), truncated: false } })), t)).toBe("send('hi') 2 B");
    expect(markLabel(callMark(call({ call: 'recv', args: { max: 1024 }, data: { len: 2, b64: b64('hi'), truncated: false } })), t)).toBe("recv(1024) → 2 B 'hi'");
    expect(markLabel(callMark(call({ call: 'recv', args: { max: 1024 }, data: { len: 0, b64: '', truncated: false } })), t)).toBe('recv(1024) → 0 B (peer closed)');
    expect(markLabel(callMark(call({ call: 'close' })), t)).toBe('close()');
    expect(markLabel(callMark(call({ call: 'listen', args: { backlog: 128 } })), t)).toBe('listen(128)');
    expect(markLabel(callMark(call({ call: 'bind', local: '0.0.0.0:8989' })), t)).toBe('bind(:8989)');
    expect(markLabel(callMark(call({ call: 'connect', error: { code: 'ECONNREFUSED', message: 'x' } })), t)).toBe('connect() ✗ ECONNREFUSED');
    expect(markLabel(callMark(call({ call: 'sendto', remote: '127.0.0.1:9998', data: { len: 4, b64: b64('ping'), truncated: false } })), t))
      .toBe("sendto('ping', 127.0.0.1:9998) 4 B");
  });

  it('flags read SYN+ACK, PSH+ACK, FIN+ACK, RST+ACK whatever order the capture gave', () => {
    expect(flagsLabel(['ACK', 'SYN'])).toBe('SYN+ACK');
    expect(flagsLabel(['ACK', 'PSH'])).toBe('PSH+ACK');
    expect(flagsLabel(['ACK', 'FIN'])).toBe('FIN+ACK');
    expect(flagsLabel(['RST'])).toBe('RST');
    expect(flagsLabel([])).toBe('—');
  });

  it('segment numbers leave out what an inferred segment does not have', () => {
    const a = { proto: 'tcp', relSeq: 1, relAck: 22, hasAck: true, len: 10, win: 65536 } as ArrowRow;
    expect(arrowNumbers(a)).toBe('seq=1 ack=22 len=10 win=65536');
    expect(arrowNumbers({ ...a, relSeq: null, relAck: null, win: null, inferred: true })).toBe('len=10');
    expect(arrowNumbers({ ...a, hasAck: false })).toBe('seq=1 len=10 win=65536');
  });

  it('real time in ms with µs precision; deltas signed', () => {
    expect(formatTime(41)).toBe('0.041 ms');
    expect(formatTime(12_345)).toBe('12.345 ms');
    expect(formatTime(2_500_001)).toBe('2.500001 s');
    expect(formatDelta(41)).toBe('+0.041 ms');
    expect(formatDelta(null)).toBe('');
  });

  it('lane headers say the role, the socket and what the lane is known from', () => {
    const lane: LaneView = { id: 0, column: 0, role: 'accepted', sock: 's3', parent: 's1', endpoint: '127.0.0.1:8888', peer: '127.0.0.1:51234', synthetic: false, ended: false, firstRow: 0, lastRow: 1 };
    expect(laneTitle(lane, t)).toBe('server · socket from accept() s3');
    expect(laneSubtitle(lane, t)).toBe('127.0.0.1:8888 ↔ 127.0.0.1:51234 from s1');
    const refused: LaneView = { id: 1, column: 1, role: 'listener', endpoint: '127.0.0.1:8888', synthetic: true, listenerEvidence: 'refused', ended: false, firstRow: 0, lastRow: 1 };
    expect(laneTitle(refused, t)).toBe('server port: no socket');
    // a socket only the kernel shows is titled by its role; its addresses are the subtitle
    expect(laneTitle({ ...lane, sock: 'w:127.0.0.1:12000|127.0.0.1:40000' }, t)).toBe('server · socket from accept()');
    expect(laneSubtitle(refused, t)).toBe('127.0.0.1:8888 (nobody listening)');
  });

  it('a narrow lane says its role in a word and its loopback addresses by their ports (others in full)', () => {
    const lane: LaneView = { id: 3, column: 2, role: 'accepted', sock: 's3', parent: 's1', endpoint: '127.0.0.1:8888', peer: '127.0.0.1:51234', synthetic: false, ended: false, firstRow: 0, lastRow: 5 };
    expect(laneTitle(lane, t, true)).toBe('accept() s3');
    expect(laneSubtitle(lane, t, true)).toBe(':8888 ↔ :51234 from s1');
    expect(laneSubtitle({ ...lane, endpoint: '0.0.0.0:9998', peer: '10.0.0.2:5000' }, t, true)).toBe(':9998 ↔ 10.0.0.2:5000 from s1');
    expect(laneSubtitle({ ...lane, endpoint: '[::1]:8888', peer: undefined }, t, true)).toBe(':8888 from s1');
  });
});

describe('payload', () => {
  it('valid UTF-8 is text with control characters visible; anything else is hex', () => {
    expect(decodePayload(b64('hi 你好\r\n'))).toMatchObject({ text: 'hi 你好\\r\\n' });
    const bin = decodePayload(btoa('\x00\xff\xfe'));
    expect(bin.text).toBeNull();
    expect(bin.hex).toBe('00 ff fe');
    expect(shortPreview(b64('Hello, server!'))).toBe("'Hello, serve…'");
    expect(shortPreview(btoa('\xff\xfe'))).toBe('0xfffe');
  });

  it('GBK bytes decode as GBK when asked (Chinese Windows programs), and are not valid UTF-8', () => {
    const gbk = btoa('\xc4\xe3\xba\xc3'); // 你好 in GBK
    expect(decodePayload(gbk).text).toBeNull();
    expect(decodePayload(gbk, 'gbk').text).toBe('你好');
  });
});
