import { describe, expect, it } from 'vitest';
import { parseTraceLine } from './ebpf-parse.ts';

describe('bpftrace line parser (ebpf-script.ts E2)', () => {
  it('reads a state change, with the SYN_SENT that has no local port yet', () => {
    expect(parseTraceLine('S 3622453303470 ffff88818d363780 7 2 4 0 8899 127.0.0.1 127.0.0.1')).toEqual({
      kind: 'state', ns: 3622453303470n, sk: 'ffff88818d363780', from: 'CLOSE', to: 'SYN_SENT',
      local: null, remote: '127.0.0.1:8899', localPort: 0, remotePort: 8899,
    });
    const v6 = parseTraceLine('S 5 ff 10 3 6 8899 51086 ::1 ::1');
    expect(v6).toMatchObject({ from: 'LISTEN', to: 'SYN_RECV', local: '[::1]:8899', remote: '[::1]:51086' });
  });
  it('reads notices, tcp_probe (infinite ssthresh as -1) and sends with a process name holding spaces', () => {
    expect(parseTraceLine('R 9 ff 2 4 36610 8898 127.0.0.1 127.0.0.1')).toMatchObject({ kind: 'notice', what: 'retransmit', state: 'SYN_SENT', local: '127.0.0.1:36610' });
    expect(parseTraceLine('X 9 0 0 4 8898 36610 127.0.0.1 127.0.0.1')).toMatchObject({ kind: 'notice', what: 'reset-sent', sk: '0' });
    expect(parseTraceLine('P 9 ff 10 2147483647 65536 41 65483')).toMatchObject({ kind: 'probe', cwnd: 10, ssthresh: -1, srttUs: 41, rcvWnd: 65483 });
    expect(parseTraceLine('T 9 1 4242 6 4 8899 51086 127.0.0.1 127.0.0.1 2 Web Content')).toMatchObject({
      kind: 'io', dir: 'recv', pid: 4242, proto: 'tcp', bytes: 2, comm: 'Web Content', local: '127.0.0.1:8899', remote: '127.0.0.1:51086',
    });
  });
  it('ignores what it does not understand', () => {
    for (const l of ['', 'Attaching 12 probes...', 'S x', 'S 1 ff 99 1 4 1 2 a b', 'T 1 7 1 6 4 1 2 a b 3 c', 'ERROR: x']) expect(parseTraceLine(l)).toBeNull();
  });
});
