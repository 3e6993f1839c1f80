import type { EventInput, SessionEvent, TcpFlag, TcpState } from '@socketscope/shared';
import { SessionEvent as SessionEventSchema } from '@socketscope/shared';

/**
 * Illustrative sessions for the views' unit tests and the visual harness. NOT real observations:
 * the app never shows these as data (DESIGN.md: nothing is drawn that did not happen). They follow
 * what Linux does on loopback for the course's programs, so the views are exercised on realistic
 * shapes: a hello exchange on 127.0.0.1:8888, a refused connect, a UDP echo, and bulk synthetic loads.
 */

export const DEMO_SERVER = '127.0.0.1:8888';
export const DEMO_CLIENT = '127.0.0.1:51234';
const CONN = `${DEMO_CLIENT}>${DEMO_SERVER}`;

function b64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function utf8Len(text: string): number {
  return new TextEncoder().encode(text).length;
}

class Recorder {
  readonly events: SessionEvent[];
  ts: number;
  constructor(private readonly validate: boolean, start: readonly SessionEvent[] = []) {
    this.events = [...start];
    this.ts = start.at(-1)?.ts ?? 0;
  }
  /** adds an event `gapUs` after the previous one */
  add(input: EventInput, gapUs = 20): SessionEvent {
    this.ts += gapUs;
    const raw = { v: 1, seq: this.events.length, ts: this.ts, ...input };
    const e = this.validate ? SessionEventSchema.parse(raw) : (raw as SessionEvent);
    this.events.push(e);
    return e;
  }
}

export interface DemoOptions {
  /** packet capture unavailable: segments are inferred (no numbers), and a source note says why */
  inferred?: boolean;
  clientText?: string;
  serverText?: string;
}

/** The course's hello exchange (lesson tcp-hello): handshake, one greeting each way, teardown, kernel states. */
export function demoTcpHello(opts: DemoOptions = {}): SessionEvent[] {
  const r = new Recorder(true);
  const inferred = opts.inferred ?? false;
  const hello = opts.clientText ?? 'Hello, server! 你好';
  const reply = opts.serverText ?? 'Hi, client';
  const isnC = 3_091_253_201;
  const isnS = 1_848_712_906;
  const S = DEMO_SERVER;
  const C = DEMO_CLIENT;
  const seg = (src: string, dst: string, flags: TcpFlag[], rel: number, relAck: number, len = 0, text = '', gap = 40): SessionEvent => {
    const c2s = src === C;
    const seqNo = (c2s ? isnC : isnS) + rel;
    const ackNo = flags.includes('ACK') ? (c2s ? isnS : isnC) + relAck : 0;
    const syn = flags.includes('SYN');
    return r.add({
      layer: 'wire', type: 'tcp.segment', conn: CONN, src, dst, flags, len,
      seqNo: inferred ? null : seqNo, ackNo: inferred ? null : ackNo,
      relSeq: inferred ? null : rel, relAck: inferred ? null : flags.includes('ACK') ? relAck : null,
      win: inferred ? null : syn ? (c2s ? 65495 : 65483) : 65536,
      options: syn && !inferred ? { mss: 65495, sackPermitted: true, ts: [2_761_004_112, c2s ? 0 : 2_761_004_112], wscale: 7 } : {},
      inferred, bytes: text ? b64(text) : '',
      ...(inferred ? { inferredFrom: 'packet capture is not permitted: inferred from the socket calls and kernel states' } : { wireTs: r.ts + gap - 7 }),
    }, gap);
  };
  const ktcp = (sock: string, local: string, remote: string | undefined, state: TcpState, extra: Record<string, unknown> = {}, gap = 30): SessionEvent =>
    r.add({ layer: 'kernel', type: 'kernel.tcp', sock, local, ...(remote ? { remote, conn: CONN } : {}), state, sendQueue: 0, recvQueue: 0, ...extra } as EventInput, gap);
  const call = (sock: string, callName: string, extra: Record<string, unknown>, gap = 25): SessionEvent =>
    r.add({ layer: 'api', type: 'api.call', sock, call: callName as never, args: {}, durationUs: 6, ...extra } as EventInput, gap);

  if (inferred) {
    r.add({ layer: 'session', type: 'source.status', source: 'wire', status: { available: false, running: false, reason: 'dumpcap is not allowed to capture on lo (no CAP_NET_RAW)' } }, 10);
  }
  // server: socket → bind → listen
  call('s1', 'socket', { args: { family: 'ipv4', type: 'SOCK_STREAM' }, proto: 'tcp' }, 120);
  call('s1', 'bind', { args: { host: '127.0.0.1', port: 8888 }, local: S });
  call('s1', 'listen', { args: { backlog: 5 }, local: S });
  ktcp('s1', S, undefined, 'LISTEN', { acceptQueue: 0, backlog: 5 }, 400);
  // client: socket → connect (the call completes after the handshake; its mark's bar reaches back to the SYN)
  call('s2', 'socket', { args: { family: 'ipv4', type: 'SOCK_STREAM' }, proto: 'tcp' }, 1500);
  const synAt = r.ts + 30;
  seg(C, S, ['SYN'], 0, 0, 0, '', 30);
  ktcp('s2', C, S, 'SYN_SENT', {}, 8);
  seg(S, C, ['SYN', 'ACK'], 0, 1, 0, '', 33);
  seg(C, S, ['ACK'], 1, 1, 0, '', 21);
  call('s2', 'connect', { args: { host: '127.0.0.1', port: 8888 }, proto: 'tcp', local: C, remote: S, conn: CONN, durationUs: r.ts + 18 - synAt + 12 }, 18);
  ktcp('s2', C, S, 'ESTABLISHED');
  r.add({ layer: 'api', type: 'api.notice', sock: 's1', what: 'incoming', local: S, remote: C }, 15);
  ktcp('s1', S, undefined, 'LISTEN', { acceptQueue: 1, backlog: 5 }, 20);
  call('s1', 'accept', { newSock: 's3', local: S, remote: C, conn: CONN, durationUs: 9 }, 60);
  ktcp('s3', S, C, 'ESTABLISHED', {}, 20);
  ktcp('s1', S, undefined, 'LISTEN', { acceptQueue: 0, backlog: 5 }, 5);
  // client → server greeting
  const n1 = utf8Len(hello);
  call('s2', 'send', { args: { len: n1 }, data: { len: n1, b64: b64(hello), truncated: false }, result: n1, durationUs: 11 }, 900);
  seg(C, S, ['PSH', 'ACK'], 1, 1, n1, hello, 14);
  seg(S, C, ['ACK'], 1, 1 + n1, 0, '', 29);
  ktcp('s3', S, C, 'ESTABLISHED', { recvQueue: n1 }, 30);
  call('s3', 'recv', { args: { max: 1024 }, data: { len: n1, b64: b64(hello), truncated: false }, result: n1, durationUs: 41 }, 300);
  ktcp('s3', S, C, 'ESTABLISHED', { recvQueue: 0 }, 30);
  // server → client reply
  const n2 = utf8Len(reply);
  call('s3', 'send', { args: { len: n2 }, data: { len: n2, b64: b64(reply), truncated: false }, result: n2, durationUs: 9 }, 700);
  seg(S, C, ['PSH', 'ACK'], 1, 1 + n1, n2, reply, 12);
  seg(C, S, ['ACK'], 1 + n1, 1 + n2, 0, '', 31);
  call('s2', 'recv', { args: { max: 1024 }, data: { len: n2, b64: b64(reply), truncated: false }, result: n2, durationUs: 812 }, 40);
  // four-way teardown: the client closes first, so it is the one left in TIME_WAIT
  call('s2', 'close', { durationUs: 7 }, 1200);
  seg(C, S, ['FIN', 'ACK'], 1 + n1, 1 + n2, 0, '', 10);
  ktcp('s2', C, S, 'FIN_WAIT1', {}, 6);
  seg(S, C, ['ACK'], 1 + n2, 2 + n1, 0, '', 25);
  ktcp('s2', C, S, 'FIN_WAIT2', {}, 20);
  ktcp('s3', S, C, 'CLOSE_WAIT', {}, 5);
  call('s3', 'recv', { args: { max: 1024 }, data: { len: 0, b64: '', truncated: false }, result: 0, durationUs: 30 }, 200);
  call('s3', 'close', { durationUs: 8 }, 300);
  seg(S, C, ['FIN', 'ACK'], 1 + n2, 2 + n1, 0, '', 9);
  ktcp('s3', S, C, 'LAST_ACK', {}, 6);
  seg(C, S, ['ACK'], 2 + n1, 2 + n2, 0, '', 24);
  ktcp('s2', C, S, 'TIME_WAIT', {}, 20);
  ktcp('s3', S, C, 'LAST_ACK', { gone: true }, 5);
  call('s1', 'close', { durationUs: 5 }, 2000);
  ktcp('s1', S, undefined, 'LISTEN', { gone: true, acceptQueue: 0, backlog: 5 }, 40);
  return r.events;
}

/**
 * Lesson tcp-stream (粘包): after the hello handshake the client sends "hello" and "world", the server's
 * one recv(1024) returns both; then one send of ten bytes is read by three recv(4).
 */
export function demoStream(): SessionEvent[] {
  const hello = demoTcpHello();
  const established = hello.findIndex((e) => e.type === 'api.call' && e.call === 'send');
  const r = new Recorder(true, hello.slice(0, established));
  const S = DEMO_SERVER;
  const C = DEMO_CLIENT;
  const info = { rcvSpace: 65483, sndWnd: 65536, rttMs: 0.05, cwnd: 10 };
  const bytesC = { sent: 1 };
  const send = (text: string, tracked: boolean): void => {
    const len = utf8Len(text);
    r.add({ layer: 'api', type: 'api.call', sock: 's2', call: 'send', args: { len }, durationUs: 8, result: len, data: { len, b64: b64(text), truncated: false } }, 400);
    r.add({ layer: 'wire', type: 'tcp.segment', conn: CONN, src: C, dst: S, flags: ['PSH', 'ACK'], seqNo: 3_091_253_201 + bytesC.sent, ackNo: 1_848_712_907,
      relSeq: bytesC.sent, relAck: 1, win: 65536, len, options: {}, inferred: false, bytes: b64(text) }, 12);
    if (tracked) r.add({ layer: 'kernel', type: 'kernel.tcp', sock: 's2', conn: CONN, local: C, remote: S, state: 'ESTABLISHED', sendQueue: len, recvQueue: 0, info }, 4);
    bytesC.sent += len;
    r.add({ layer: 'wire', type: 'tcp.segment', conn: CONN, src: S, dst: C, flags: ['ACK'], seqNo: 1_848_712_907, ackNo: 3_091_253_201 + bytesC.sent,
      relSeq: 1, relAck: bytesC.sent, win: 65536, len: 0, options: {}, inferred: false, bytes: '' }, 25);
    if (tracked) r.add({ layer: 'kernel', type: 'kernel.tcp', sock: 's2', conn: CONN, local: C, remote: S, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 0, info }, 4);
  };
  const queue = (n: number): void => {
    r.add({ layer: 'kernel', type: 'kernel.tcp', sock: 's3', conn: CONN, local: S, remote: C, state: 'ESTABLISHED', sendQueue: 0, recvQueue: n, info }, 30);
  };
  const recv = (max: number, text: string): void => {
    const len = utf8Len(text);
    r.add({ layer: 'api', type: 'api.call', sock: 's3', call: 'recv', args: { max }, durationUs: 9, result: len, data: { len, b64: b64(text), truncated: false } }, 600);
  };
  send('hello', true);
  queue(5);
  send('world', false);
  queue(10);
  recv(1024, 'helloworld');
  queue(0);
  send('abcdefghij', false);
  queue(10);
  recv(4, 'abcd');
  queue(6);
  recv(4, 'efgh');
  queue(2);
  recv(4, 'ij');
  queue(0);
  return r.events;
}

/** Lesson tcp-refused: nobody listens on :9, the SYN is answered by RST, connect() fails. */
export function demoRefused(): SessionEvent[] {
  const r = new Recorder(true);
  const C = '127.0.0.1:40112';
  const S = '127.0.0.1:9';
  r.add({ layer: 'api', type: 'api.call', sock: 's4', call: 'socket', args: {}, proto: 'tcp', durationUs: 4 });
  r.add({ layer: 'wire', type: 'tcp.segment', src: C, dst: S, flags: ['SYN'], seqNo: 11, ackNo: 0, relSeq: 0, win: 65495, len: 0, options: { mss: 65495 }, inferred: false, bytes: '' });
  r.add({ layer: 'wire', type: 'tcp.segment', src: S, dst: C, flags: ['RST', 'ACK'], seqNo: 0, ackNo: 12, relSeq: 0, relAck: 1, win: 0, len: 0, options: {}, inferred: false, bytes: '' });
  r.add({
    layer: 'api', type: 'api.call', sock: 's4', call: 'connect', args: { host: '127.0.0.1', port: 9 }, proto: 'tcp', durationUs: 90,
    error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' },
  });
  return r.events;
}

/** Lesson udp-echo: no handshake, datagrams with their boundaries, a receiver dropping some. */
export function demoUdpEcho(): SessionEvent[] {
  const r = new Recorder(true);
  const S = '127.0.0.1:9998';
  const C = '127.0.0.1:47001';
  const call = (sock: string, name: string, extra: Record<string, unknown>): void => {
    r.add({ layer: 'api', type: 'api.call', sock, call: name as never, args: {}, durationUs: 5, proto: 'udp', ...extra } as EventInput);
  };
  call('u1', 'socket', {});
  call('u1', 'bind', { local: S, args: { port: 9998 } });
  call('u2', 'socket', {});
  for (const text of ['ping 1', 'ping 2']) {
    const data = { len: utf8Len(text), b64: b64(text), truncated: false };
    call('u2', 'sendto', { local: C, remote: S, args: { host: '127.0.0.1', port: 9998 }, data });
    r.add({ layer: 'wire', type: 'udp.datagram', src: C, dst: S, len: data.len, inferred: false, bytes: data.b64 });
    call('u1', 'recvfrom', { local: S, remote: C, args: { max: 1024 }, data });
    call('u1', 'sendto', { local: S, remote: C, args: { host: '127.0.0.1', port: 47001 }, data });
    r.add({ layer: 'wire', type: 'udp.datagram', src: S, dst: C, len: data.len, inferred: false, bytes: data.b64 });
    call('u2', 'recvfrom', { local: C, remote: S, args: { max: 1024 }, data });
  }
  r.add({ layer: 'kernel', type: 'kernel.udp', sock: 'u1', local: S, sendQueue: 0, recvQueue: 212_992, drops: 0 });
  r.add({ layer: 'kernel', type: 'kernel.udp', sock: 'u1', local: S, sendQueue: 0, recvQueue: 212_992, drops: 17 });
  return r.events;
}

export interface SyntheticOptions {
  /** 'bulk': one long transfer client → server (ACK every 2nd segment); 'pingpong': 1-segment echoes */
  pattern: 'bulk' | 'pingpong';
  segments: number;
  mss?: number;
}

/**
 * A long synthetic session for performance measurements: a handshake then `segments` data segments.
 * Built without schema validation (the shapes are the schema's) so 100,000 events take milliseconds.
 */
export function demoSynthetic(opts: SyntheticOptions): SessionEvent[] {
  const r = new Recorder(false);
  const S = DEMO_SERVER;
  const C = DEMO_CLIENT;
  const mss = opts.mss ?? 65483;
  const segs = { c: 1, s: 1 };
  const seg = (c2s: boolean, flags: TcpFlag[], len: number): void => {
    const rel = c2s ? segs.c : segs.s;
    r.add({
      layer: 'wire', type: 'tcp.segment', conn: CONN, src: c2s ? C : S, dst: c2s ? S : C, flags, seqNo: 1000 + rel, ackNo: 5000 + (c2s ? segs.s : segs.c),
      relSeq: rel, relAck: c2s ? segs.s : segs.c, win: 65536, len, options: {}, inferred: false, bytes: len > 0 ? 'eHh4eHh4eHg=' : '',
    }, 7);
    if (c2s) segs.c += len; else segs.s += len;
  };
  r.add({ layer: 'api', type: 'api.call', sock: 's1', call: 'listen', args: { backlog: 5 }, local: S, durationUs: 4, proto: 'tcp' });
  r.add({ layer: 'wire', type: 'tcp.segment', conn: CONN, src: C, dst: S, flags: ['SYN'], seqNo: 1000, ackNo: 0, relSeq: 0, win: 65495, len: 0, options: {}, inferred: false, bytes: '' });
  r.add({ layer: 'wire', type: 'tcp.segment', conn: CONN, src: S, dst: C, flags: ['SYN', 'ACK'], seqNo: 5000, ackNo: 1001, relSeq: 0, relAck: 1, win: 65483, len: 0, options: {}, inferred: false, bytes: '' });
  r.add({ layer: 'wire', type: 'tcp.segment', conn: CONN, src: C, dst: S, flags: ['ACK'], seqNo: 1001, ackNo: 5001, relSeq: 1, relAck: 1, win: 65536, len: 0, options: {}, inferred: false, bytes: '' });
  for (let i = 0; i < opts.segments; i++) {
    if (opts.pattern === 'bulk') {
      seg(true, ['PSH', 'ACK'], mss);
      if (i % 2 === 1) seg(false, ['ACK'], 0);
    } else {
      seg(i % 2 === 0, ['PSH', 'ACK'], 5);
    }
  }
  return r.events;
}
