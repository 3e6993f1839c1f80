import { describe, expect, it } from 'vitest';
import { parseSsInfo } from './tcp-info.ts';

// `ss -tinHn state connected …` on this project's machine (iproute2 6.1), shortened details lines.
const SS = `ESTAB 0      0               127.0.0.1:38722          127.0.0.1:44811
\t bbr wscale:10,10 rto:204 rtt:0.056/0.031 mss:32768 cwnd:11 bytes_sent:100 bbr:(bw:13107187496bps,mrtt:0.02,pacing_gain:2.88672,cwnd_gain:2.88672) rcv_space:65495 rcv_ssthresh:65495 minrtt:0.02 snd_wnd:65536
ESTAB 0      0                   [::1]:51192              [::1]:44811
\t bbr wscale:10,10 rto:204 rtt:0.029/0.014 mss:32732 cwnd:10 rcv_space:65476 minrtt:0.029 snd_wnd:65464
ESTAB 0      0      [::ffff:127.0.0.1]:44811 [::ffff:127.0.0.1]:38722
\t bbr wscale:10,10 rto:204 rtt:0.025/0.012 ato:40 mss:32768 cwnd:10 rcv_space:65483 snd_wnd:65536
`;

describe('parseSsInfo', () => {
  it('reads rtt, cwnd, snd_wnd and rcv_space per connection, keyed like /proc rows', () => {
    const m = parseSsInfo(SS);
    expect(m.get('127.0.0.1:38722|127.0.0.1:44811')).toEqual({ rttMs: 0.056, cwnd: 11, sndWnd: 65536, rcvSpace: 65495 });
    expect(m.get('[::1]:51192|[::1]:44811')).toEqual({ rttMs: 0.029, cwnd: 10, sndWnd: 65464, rcvSpace: 65476 });
  });
  it('reads the buffer sizes from skmem (ss -m): rb is the receive buffer, tb the send buffer', () => {
    // a real line from this machine: a reader that stopped reading, its receive queue near rb
    const line = `ESTAB 113152 0 127.0.0.1:34875 127.0.0.1:59894
\t skmem:(r116480,rb131072,t0,tb4194304,f2304,w0,o0,bl0,d1) bbr wscale:10,10 rto:204 rtt:0.031/0.015 ato:40 mss:32768 cwnd:10 rcv_space:65483 rcv_ssthresh:95232 minrtt:0.031 snd_wnd:65536
`;
    expect(parseSsInfo(line).get('127.0.0.1:34875|127.0.0.1:59894')).toEqual({ rttMs: 0.031, cwnd: 10, sndWnd: 65536, rcvSpace: 65483, rcvBuf: 131072, sndBuf: 4194304 });
  });
  it('shows IPv4-mapped endpoints as IPv4, as the /proc parser does', () => {
    expect(parseSsInfo(SS).get('127.0.0.1:44811|127.0.0.1:38722')?.cwnd).toBe(10);
  });
  it('does not mistake mrtt, minrtt or cwnd_gain for the fields', () => {
    const m = parseSsInfo('ESTAB 0 0 127.0.0.1:1 127.0.0.1:2\n\t bbr:(mrtt:9.5,cwnd_gain:2) minrtt:9\n');
    expect(m.get('127.0.0.1:1|127.0.0.1:2')).toEqual({});
  });
  it('ignores empty output and a details line without its socket line', () => {
    expect(parseSsInfo('').size).toBe(0);
    expect(parseSsInfo('\t rtt:1/1 cwnd:10\n').size).toBe(0);
  });
});
