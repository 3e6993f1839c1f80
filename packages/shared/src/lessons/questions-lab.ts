import type {
  ApiCallEvent, LinkDropEvent, SessionEvent, TcpBundleEvent, TcpSegmentEvent, UdpDatagramEvent,
} from '../protocol/events.ts';
import { base64ToBytes } from '../wire/base64.ts';
import { t } from './build.ts';
import { bytesOf, calls, segments, textOf, unfinished } from './questions-facts.ts';
import type { Question } from './questions.ts';

/**
 * The questions of the lab lessons: tcp-loss, udp-loss, tcp-delayed, tcp-slow-link (questions.ts says what
 * a question is). On the lab both hosts are captured (`host` on the wire events) and the link reports what
 * it dropped (link.drop), so a verdict can tell a packet that left the client from one that reached the
 * server. Every verdict reads the step's events; nothing here knows an answer in advance.
 */

const RECVS = ['recv', 'recv_into'];
const SENDS = ['send', 'sendall'];

function drops(events: readonly SessionEvent[]): LinkDropEvent[] {
  return events.filter((e): e is LinkDropEvent => e.type === 'link.drop');
}

function datagrams(events: readonly SessionEvent[]): UdpDatagramEvent[] {
  return events.filter((e): e is UdpDatagramEvent => e.type === 'udp.datagram');
}

const total = (cs: readonly ApiCallEvent[]) => cs.reduce((n, c) => n + (bytesOf(c) ?? 0), 0);
const ms = (us: number) => `${Math.round(us / 1000)} ms`;
const secs = (us: number) => `${(us / 1e6).toFixed(2)} s`;

/** Where `needle` first occurs in `hay`, or -1. */
function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Where the first bytes a recv() returned sit in what the other program sent in the same step: 0 = they
 * are its first bytes; > 0 = bytes from further on; undefined = no previews to compare (hidden, or no send).
 */
function recvStartsAt(events: readonly SessionEvent[], recv: ApiCallEvent): number | undefined {
  const got = recv.data?.b64 ? base64ToBytes(recv.data.b64) : null;
  const send = calls(events, SENDS).find((c) => !c.error && c.proc?.run !== recv.proc?.run && c.data?.b64);
  const sent = send?.data?.b64 ? base64ToBytes(send.data.b64) : null;
  if (!got || !sent || got.length === 0) return undefined;
  const at = indexOfBytes(sent, got.subarray(0, Math.min(32, got.length)));
  return at < 0 ? undefined : at;
}

/** The True/False a program printed after checking its bytes ("… in order, no gap: True"), if it printed one. */
function programCheck(events: readonly SessionEvent[], run: string | undefined): boolean | undefined {
  let out: boolean | undefined;
  for (const e of events) {
    if (e.type !== 'proc.output' || (run !== undefined && e.run !== run)) continue;
    const m = /in order[^\n]*:\s*(True|False)\b/.exec(e.text);
    if (m) out = m[1] === 'True';
  }
  return out;
}

/** A segment or bundle of `src` whose data covers sequence number `seq`. */
function covers(e: TcpSegmentEvent | TcpBundleEvent, src: string, seq: number): boolean {
  if (e.src !== src) return false;
  if (e.type === 'tcp.bundle') return e.firstSeq <= seq && seq < e.endSeq;
  return e.seqNo !== null && (e.seqNo === seq || (e.seqNo < seq && seq < e.seqNo + e.len));
}

const lossQuestions: Question[] = [
  {
    id: 'tcp-loss/recv-after-loss', lesson: 'tcp-loss', step: 'burst',
    ask: t(
      '客户端一口气发出 8000 字节，链路会丢掉其中第一个报文段。服务端的 recv() 得到什么？',
      '客戶端一口氣送出 8000 位元組，鏈路會丟掉其中第一個區段。服務端的 recv() 得到什麼？',
      'The client sends 8000 bytes at once and the link will lose the first of their segments. What does the server’s recv() get?',
    ),
    choices: [
      t('全部字节，按顺序：它先等丢失的字节补上', '全部位元組，依順序：它先等遺失的位元組補上', 'every byte, in order: it waits until the lost bytes are filled in'),
      t('有空洞的字节：丢的那一段没有了', '有空洞的位元組：遺失的那一段沒有了', 'the bytes with a gap: the lost piece is missing'),
      t('先拿到空洞后面的字节，丢的那段稍后才到', '先拿到空洞後面的位元組，遺失的那段稍後才到', 'the bytes after the gap first, the lost ones later'),
      t('一个错误', '一個錯誤', 'an error'),
    ],
    verdict: (ev) => {
      const got = calls(ev, RECVS);
      const first = got[0];
      if (!first) {
        const waiting = unfinished(ev, RECVS)[0];
        return { correct: null, seen: waiting ? `${waiting.call}() …` : 'no recv()' };
      }
      if (first.error) return { correct: 3, seen: first.error.code };
      const sizes = got.map((c) => (c.error ? c.error.code : String(bytesOf(c) ?? '?')));
      const check = programCheck(ev, first.proc?.run);
      const seen = `recv() → ${sizes.join(' + ')}${check === undefined ? '' : `; no gap: ${check ? 'True' : 'False'}`}`;
      const at = recvStartsAt(ev, first);
      if (at !== undefined && at > 0) return { correct: 2, seen };
      if (check === false) return { correct: 1, seen };
      if (check === true) return { correct: 0, seen };
      // no check printed: the bytes say it, when they start where the sender's did and none are missing
      const sent = calls(ev, SENDS).filter((c) => c.proc?.run !== first.proc?.run);
      return { correct: at === 0 && sent.length > 0 && total(got) === total(sent) ? 0 : null, seen };
    },
  },
  {
    id: 'tcp-loss/who-resends', lesson: 'tcp-loss', step: 'timeout',
    ask: t(
      '客户端再只发一个 8 字节的报文段，链路又把它丢了。谁把这些字节再发一次？',
      '客戶端再只送一個 8 位元組的區段，鏈路又把它丟了。誰把這些位元組再送一次？',
      'The client sends one 8-byte segment alone, and the link loses it again. Who sends those bytes again?',
    ),
    choices: [
      t('客户端的内核（重传）', '客戶端的核心（重傳）', 'the client’s kernel (a retransmission)'),
      t('客户端程序再调用一次 send()', '客戶端程式再呼叫一次 send()', 'the client program, calling send() again'),
      t('链路自己补发', '鏈路自己補送', 'the link itself'),
      t('谁也不发：这些字节丢了', '誰也不送：這些位元組丟了', 'nobody: the bytes are lost'),
    ],
    verdict: (ev) => {
      const lost = drops(ev).find((d) => d.proto === 'tcp' && d.len > 0 && d.seqNo !== undefined);
      if (!lost || lost.seqNo === undefined) return { correct: null, seen: 'no loss' };
      const seq = lost.seqNo;
      const wire = ev.filter((e): e is TcpSegmentEvent | TcpBundleEvent => e.type === 'tcp.segment' || e.type === 'tcp.bundle');
      // the sender's own capture: the original left before the link dropped it; a copy after that is a retransmission
      const again = wire.find((e) => e.host !== 'server' && covers(e, lost.src, seq) && (
        e.type === 'tcp.bundle' ? e.retransmissions > 0 : e.analysis?.includes('retransmission') === true || (e.wireTs ?? e.ts) > lost.wireTs));
      if (again) return { correct: 0, seen: `retransmission +${ms((again.wireTs ?? again.ts) - lost.wireTs)}` };
      const sent = calls(ev, SENDS).filter((c) => !c.error && c.data?.b64);
      if (sent.some((c, i) => sent.findIndex((o) => o.data!.b64 === c.data!.b64) < i)) return { correct: 1, seen: 'send() again' };
      if (wire.some((e) => e.host === 'server' && covers(e, lost.src, seq))) return { correct: 2, seen: 'arrived, not resent' };
      return { correct: 3, seen: 'lost, not resent' };
    },
  },
];

/** The number a datagram's text ends with ("datagram 3" → 3), where the bytes are shown. */
function numberOf(b64: string | undefined): number | undefined {
  const bytes = b64 ? base64ToBytes(b64) : null;
  if (!bytes) return undefined;
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  const m = /(\d+)\s*$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

const udpLossQuestions: Question[] = [
  {
    id: 'udp-loss/order-45', lesson: 'udp-loss', step: 'send45',
    ask: t(
      '链路会把第 4 个数据报扣住 80 毫秒，第 5 个紧跟着发出。它们以什么顺序到达服务端主机？',
      '鏈路會把第 4 個資料包扣住 80 毫秒，第 5 個緊跟著送出。它們以什麼順序到達服務端主機？',
      'The link will hold datagram 4 back 80 ms, and datagram 5 is sent right after it. In what order do they reach the server host?',
    ),
    choices: [
      t('先 4 后 5：和发送的顺序一样', '先 4 後 5：和送出的順序一樣', '4, then 5: the order they were sent in'),
      t('先 5 后 4：5 超过了 4', '先 5 後 4：5 超過了 4', '5, then 4: 5 overtakes 4'),
      t('只有 5 到了：4 丢了', '只有 5 到了：4 丟了', 'only 5: 4 is lost'),
      t('只有 4 到了：5 丢了', '只有 4 到了：5 丟了', 'only 4: 5 is lost'),
    ],
    verdict: (ev) => {
      const sent = calls(ev, ['sendto']).filter((c) => !c.error && c.data?.b64);
      if (sent.length < 2) return { correct: null, seen: `${sent.length} sendto()` };
      const [a, b] = [sent[0]!, sent[1]!];
      // what the server host's capture saw arrive, in the order it saw them
      const arrived = datagrams(ev).filter((d) => d.host === 'server').toSorted((x, y) => (x.wireTs ?? x.ts) - (y.wireTs ?? y.ts));
      const at = (c: ApiCallEvent) => arrived.findIndex((d) => d.bytes === c.data!.b64);
      const ia = at(a);
      const ib = at(b);
      const name = (c: ApiCallEvent) => String(numberOf(c.data?.b64) ?? (c === a ? '#1' : '#2'));
      if (ia >= 0 && ib >= 0) return { correct: ia < ib ? 0 : 1, seen: ia < ib ? `${name(a)}, ${name(b)}` : `${name(b)}, ${name(a)}` };
      // one of them arrived: the other counts as lost only when the link said it dropped a datagram
      const dropped = drops(ev).some((d) => d.proto === 'udp');
      if (dropped && ia < 0 && ib >= 0) return { correct: 2, seen: `${name(b)} (${name(a)} lost)` };
      if (dropped && ib < 0 && ia >= 0) return { correct: 3, seen: `${name(a)} (${name(b)} lost)` };
      return { correct: null, seen: ia >= 0 ? name(a) : ib >= 0 ? name(b) : '—' };
    },
  },
  {
    id: 'udp-loss/after-lost', lesson: 'udp-loss', step: 'server.recvfrom',
    ask: t(
      "第 2 个数据报在链路上丢了。服务端的 recvfrom() 先返回 b'datagram 1'，下一次 recvfrom() 返回什么？",
      "第 2 個資料包在鏈路上丟了。服務端的 recvfrom() 先傳回 b'datagram 1'，下一次 recvfrom() 傳回什麼？",
      "Datagram 2 was lost on the link. The server’s recvfrom() returned b'datagram 1' first: what does the next recvfrom() return?",
    ),
    choices: [
      t("b'datagram 3'：下一个到达的", "b'datagram 3'：下一個到達的", "b'datagram 3': the next one that arrived"),
      t("b'datagram 2'：客户端内核重发了它", "b'datagram 2'：客戶端核心重送了它", "b'datagram 2': the client’s kernel sent it again"),
      t('一个错误：数据报丢了', '一個錯誤：資料包丟了', 'an error: a datagram was lost'),
      t('不返回，一直等第 2 个', '不返回，一直等第 2 個', 'nothing: it waits for datagram 2 forever'),
    ],
    verdict: (ev) => {
      const names = ['recvfrom', 'recv', 'recvfrom_into', 'recv_into'];
      const got = calls(ev, names);
      const next = got[1];
      if (!next) {
        if (got.length === 1 && unfinished(ev, names).length > 0) return { correct: 3, seen: `${got[0]!.call}() …` };
        return { correct: null, seen: `${got.length} recvfrom()` };
      }
      if (next.error) return { correct: 2, seen: next.error.code };
      const text = textOf(next);
      const n = numberOf(next.data?.b64);
      const seen = text !== undefined ? `b'${text}'` : `${next.call}() → ${bytesOf(next) ?? '?'}`;
      return { correct: n === 3 ? 0 : n === 2 ? 1 : null, seen };
    },
  },
];

/** The step's connect(): done (with how long it took) or still waiting. */
function connectOf(events: readonly SessionEvent[]): { done: ApiCallEvent } | { waiting: true } | undefined {
  const done = calls(events, ['connect', 'connect_ex'])[0];
  if (done) return { done };
  return unfinished(events, ['connect', 'connect_ex']).length > 0 ? { waiting: true } : undefined;
}


const delayedQuestions: Question[] = [
  {
    id: 'tcp-delayed/syn-lost', lesson: 'tcp-delayed', step: 'client.connect',
    ask: t(
      '链路会丢掉客户端的第一个 SYN。connect() 会怎样？',
      '鏈路會丟掉客戶端的第一個 SYN。connect() 會怎樣？',
      'The link will lose the client’s first SYN. What does connect() do?',
    ),
    choices: [
      t('等着：没有回答，它不返回', '等著：沒有回答，它不返回', 'it waits: no answer comes, so it does not return'),
      t('立刻失败，返回一个错误', '立刻失敗，傳回一個錯誤', 'it fails at once with an error'),
      t('一个来回后照常返回，好像什么也没丢', '一個來回後照常返回，好像什麼也沒丟', 'it returns after one round trip, as if nothing was lost'),
    ],
    verdict: (ev) => {
      const c = connectOf(ev);
      const lost = drops(ev).some((d) => d.flags?.includes('SYN') === true && !d.flags.includes('ACK'));
      if (!c) return { correct: null, seen: 'no connect()' };
      if ('waiting' in c) return { correct: 0, seen: lost ? 'SYN lost, connect() …' : 'connect() …' };
      const took = secs(c.done.durationUs);
      if (c.done.error) return { correct: c.done.durationUs < 800_000 ? 1 : null, seen: `${c.done.error.code} after ${took}` };
      // a round trip here is 200 ms; waiting out the lost SYN takes a retransmission timeout (1 s) more
      return { correct: c.done.durationUs < 800_000 ? 2 : 0, seen: `connect() → ok after ${took}` };
    },
  },
  {
    id: 'tcp-delayed/ack-rtt', lesson: 'tcp-delayed', step: 'client.send',
    ask: t(
      '链路单向延迟 100 毫秒。客户端发出 "hello"，多久以后它的内核收到这段数据的 ACK？',
      '鏈路單向延遲 100 毫秒。客戶端送出 "hello"，多久以後它的核心收到這段資料的 ACK？',
      'The link delays 100 ms each way. The client sends "hello": how long until its kernel gets the ACK for it?',
    ),
    choices: [
      t('大约 200 毫秒：一个来回', '大約 200 毫秒：一個來回', 'about 200 ms: one round trip'),
      t('大约 100 毫秒', '大約 100 毫秒', 'about 100 ms'),
      t('马上：ACK 由本机内核给出', '馬上：ACK 由本機核心給出', 'at once: the local kernel acknowledges it'),
      t('大约 1 秒', '大約 1 秒', 'about 1 s'),
    ],
    verdict: (ev) => {
      // both on the client host's capture: the data leaving, the ACK that covers it arriving
      const segs = segments(ev).filter((s) => s.host !== 'server');
      const data = segs.find((s) => s.type === 'tcp.segment' && s.len > 0);
      if (!data || data.type !== 'tcp.segment' || data.seqNo === null) return { correct: null, seen: 'no data segment' };
      const end = (data.seqNo + data.len) % 2 ** 32;
      const ack = segs.find((s) => s.type === 'tcp.segment' && s.src === data.dst && s.flags.includes('ACK') && s.ackNo === end);
      if (!ack) return { correct: null, seen: 'no ACK' };
      const gap = (ack.wireTs ?? ack.ts) - (data.wireTs ?? data.ts);
      const correct = gap < 50_000 ? 2 : gap < 150_000 ? 1 : gap < 600_000 ? 0 : gap < 2_000_000 ? 3 : null;
      return { correct, seen: `ACK +${ms(gap)}` };
    },
  },
];

const slowLinkQuestions: Question[] = [
  {
    id: 'tcp-slow-link/connect-time', lesson: 'tcp-slow-link', step: 'client.connect',
    ask: t(
      '链路每秒只能送 100,000 字节，每个方向延迟 10 毫秒。connect() 要多久？',
      '鏈路每秒只能送 100,000 位元組，每個方向延遲 10 毫秒。connect() 要多久？',
      'The link carries only 100,000 bytes a second, 10 ms each way. How long does connect() take?',
    ),
    choices: [
      t('大约 20 毫秒：一个来回，握手的报文段很小', '大約 20 毫秒：一個來回，握手的區段很小', 'about 20 ms: one round trip; the handshake’s segments are tiny'),
      t('大约 200 毫秒', '大約 200 毫秒', 'about 200 ms'),
      t('大约 2 秒：链路太慢了', '大約 2 秒：鏈路太慢了', 'about 2 s: the link is so slow'),
      t('失败：链路太慢，连接建立不起来', '失敗：鏈路太慢，連線建立不起來', 'it fails: the link is too slow to connect'),
    ],
    verdict: (ev) => {
      const c = connectOf(ev);
      if (!c) return { correct: null, seen: 'no connect()' };
      if ('waiting' in c) return { correct: null, seen: 'connect() …' };
      if (c.done.error) return { correct: 3, seen: c.done.error.code };
      const us = c.done.durationUs;
      const correct = us < 80_000 ? 0 : us >= 120_000 && us < 500_000 ? 1 : us >= 1_000_000 && us < 4_000_000 ? 2 : null;
      return { correct, seen: `connect() ${ms(us)}` };
    },
  },
  {
    id: 'tcp-slow-link/sendall', lesson: 'tcp-slow-link', step: 'transfer',
    ask: t(
      '服务端全速读取，但链路很慢。客户端用 sendall() 发 200,000 字节：它会立刻返回吗？',
      '服務端全速讀取，但鏈路很慢。客戶端用 sendall() 送 200,000 位元組：它會立刻返回嗎？',
      'The server reads at full speed, but the link is slow. The client sendall()s 200,000 bytes: does it return at once?',
    ),
    choices: [
      t('立刻返回：字节都进了发送缓冲区', '立刻返回：位元組都進了發送緩衝區', 'yes, at once: the bytes all go into the send buffer'),
      t('不会：阻塞好几秒，字节只能按链路的速度离开', '不會：阻塞好幾秒，位元組只能依鏈路的速度離開', 'no: it blocks for seconds; bytes leave only at the link’s speed'),
      t('不会：接收窗口降到 0，它等服务端读', '不會：接收視窗降到 0，它等服務端讀', 'no: the receive window falls to 0 and it waits for the server to read'),
      t('失败：链路丢了报文段', '失敗：鏈路丟了區段', 'it fails: the link dropped segments'),
    ],
    verdict: (ev) => {
      // the reader's window: a segment from the server host advertising 0
      const zero = segments(ev).some((s) => s.win === 0 && s.len === 0);
      const done = calls(ev, ['sendall', 'send'])[0];
      if (!done) {
        if (unfinished(ev, ['sendall', 'send']).length === 0) return { correct: null, seen: 'no sendall()' };
        return { correct: zero ? 2 : 1, seen: zero ? 'win 0, sendall() …' : 'sendall() …' };
      }
      if (done.error) return { correct: 3, seen: done.error.code };
      const seen = `${done.call}() ${secs(done.durationUs)}${zero ? ', win 0' : ''}`;
      if (done.durationUs < 300_000) return { correct: 0, seen };
      return { correct: done.durationUs >= 1_000_000 ? (zero ? 2 : 1) : null, seen };
    },
  },
];

export const QUESTIONS_LAB: readonly Question[] = [...lossQuestions, ...udpLossQuestions, ...delayedQuestions, ...slowLinkQuestions];
