import { describe, expect, it } from 'vitest';
import { diagContext, toInfo, toRow } from './diag-look.ts';
import type { DiagRow } from './diag-helper.ts';
import type { KernelEvent } from './look.ts';

// rows as sock-diag.py printed them on this project's machine (Linux 6.18), for the sockets named
const LISTENER: DiagRow = ['tcp', 4, 10, '127.0.0.1', 46003, '0.0.0.0', 0, 1, 5, 1385553, null, null];
const ACCEPTED_MAPPED: DiagRow = ['tcp', 6, 1, '::ffff:127.0.0.1', 53705, '::ffff:127.0.0.1', 60950, 0, 0, 1385560, 0, [8, 10, 65536, 65483, 131072, 3939840]];
const V6_LISTENER: DiagRow = ['tcp', 6, 10, '::', 53705, '::', 0, 0, 1, 1385558, null, null];
const TIME_WAIT: DiagRow = ['tcp', 4, 6, '127.0.0.1', 59348, '127.0.0.1', 46003, 0, 0, 0, null, null];
const UDP: DiagRow = ['udp', 4, 7, '127.0.0.1', 44746, '0.0.0.0', 0, 4608, 0, 1385557, 37, null];

describe('toRow: a sock_diag answer as /proc would have shown it', () => {
  it('a listener: no remote, its accept queue in rxQueue, its send queue 0 as /proc prints it (sock_diag puts the backlog there)', () => {
    expect(toRow(LISTENER)).toEqual({ proto: 'tcp', family: 4, local: '127.0.0.1:46003', localPort: 46003, remotePort: 0, state: 'LISTEN', txQueue: 0, rxQueue: 1, inode: 1385553 });
    expect(toRow(V6_LISTENER)).toMatchObject({ local: '[::]:53705', family: 6, txQueue: 0 });
    expect(toRow(V6_LISTENER).remote).toBeUndefined();
  });
  it('an IPv4-mapped socket of a dual-stack listener: IPv4 endpoints, family 6 (it lives in tcp6)', () => {
    expect(toRow(ACCEPTED_MAPPED)).toMatchObject({ local: '127.0.0.1:53705', remote: '127.0.0.1:60950', family: 6, state: 'ESTABLISHED' });
  });
  it('TIME_WAIT keeps its remote and has no inode; UDP carries its drops', () => {
    expect(toRow(TIME_WAIT)).toMatchObject({ state: 'TIME_WAIT', remote: '127.0.0.1:46003', inode: 0 });
    expect(toRow(UDP)).toMatchObject({ proto: 'udp', state: 'CLOSE', rxQueue: 4608, drops: 37 });
    expect(toRow(UDP).remote).toBeUndefined();
  });
});

describe('toInfo: TCP_INFO as ss -tinm prints it', () => {
  it('rtt in ms, cwnd, windows, buffers', () => {
    expect(toInfo(ACCEPTED_MAPPED[11]!)).toEqual({ rttMs: 0.008, cwnd: 10, sndWnd: 65536, rcvSpace: 65483, rcvBuf: 131072, sndBuf: 3939840 });
  });
  it('leaves out what the kernel gave as 0, as ss does', () => {
    expect(toInfo([0, 10, 0, 0, 131072, 16384])).toEqual({ cwnd: 10, rcvBuf: 131072, sndBuf: 16384 });
  });
});

const ev = (e: Partial<KernelEvent>): { last: KernelEvent } => ({ last: { layer: 'kernel', type: 'kernel.tcp', local: '127.0.0.1:1', state: 'ESTABLISHED', sendQueue: 0, recvQueue: 0, ...e } as KernelEvent });

describe('diagContext', () => {
  it('names the connections a walk found (K8, watched) and says whether a listener holds waiting connections', () => {
    const followed = new Map([
      ['s1', ev({ state: 'LISTEN', acceptQueue: 0 })],
      ['q|tcp|127.0.0.1:1|127.0.0.1:9', ev({ remote: '127.0.0.1:9' })],
      ['w|tcp|127.0.0.1:2|127.0.0.1:8', ev({ local: '127.0.0.1:2', remote: '127.0.0.1:8' })],
      ['s2', ev({ remote: '127.0.0.1:7' })],
    ]);
    expect(diagContext(followed)).toEqual({ known: [{ local: '127.0.0.1:1', remote: '127.0.0.1:9' }, { local: '127.0.0.1:2', remote: '127.0.0.1:8' }], queued: false });
    followed.set('s1', ev({ state: 'LISTEN', acceptQueue: 2 }));
    expect(diagContext(followed).queued).toBe(true);
  });
});
