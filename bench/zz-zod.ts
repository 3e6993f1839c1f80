import { SessionEvent, emptyModel, fold } from '../packages/shared/src/index.ts';
const e = { v: 1, seq: 0, ts: 1, layer: 'api', type: 'api.call', sock: 's1', call: 'send', args: { len: 65536, bulk: true }, durationUs: 12.3, proto: 'tcp', local: '127.0.0.1:40000', remote: '127.0.0.1:8888', conn: '127.0.0.1:40000>127.0.0.1:8888', data: { len: 65536, b64: 'MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVotXzAxMjM0NTY3ODlhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ekFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaLV8wMTIzNDU2Nzg5YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXpBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWi1fMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVotXw==', truncated: true }, result: { bytes: 65536, waiting: 0 } };
const s = { v: 1, seq: 1, ts: 1, layer: 'wire', type: 'tcp.segment', sock: 's1', conn: '127.0.0.1:40000>127.0.0.1:8888', src: '127.0.0.1:40000', dst: '127.0.0.1:8888', flags: ['ACK', 'PSH'], seqNo: null, ackNo: null, win: null, len: 65536, options: {}, inferred: true, inferredFrom: 'send() of 65536 bytes', bytes: 'MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6' };
for (const [name, ev] of [['api.call send', e], ['tcp.segment', s]] as const) {
  for (let r = 0; r < 3; r++) {
    const N = 50000; const t0 = performance.now();
    for (let i = 0; i < N; i++) SessionEvent.safeParse(ev);
    console.log(name, 'safeParse µs', ((performance.now() - t0) * 1000 / N).toFixed(2));
  }
}
const m = emptyModel(); const N = 200000; const t0 = performance.now();
for (let i = 0; i < N; i++) fold(m, { ...(i % 2 ? e : s), seq: i } as any);
console.log('fold µs', ((performance.now() - t0) * 1000 / N).toFixed(2));
const t1 = performance.now(); for (let i = 0; i < N; i++) JSON.stringify(e); console.log('stringify µs', ((performance.now() - t1) * 1000 / N).toFixed(2));
