import type { SessionEvent } from '../protocol/events.ts';
import { t } from './build.ts';
import {
  answerToSyn, bytesOf, calls, choiceOf, flagsText, handshakeSegments, segments, timeWaitSides, unfinished,
} from './questions-facts.ts';
import type { Question, Verdict } from './questions.ts';

/**
 * The questions of the connection lessons: tcp-hello, tcp-handshake, tcp-teardown, tcp-refused (questions.ts
 * says what a question is). Every verdict reads the step's events; nothing here knows an answer in advance.
 */

/** What came back to the step's SYN: the choices SYN+ACK / ACK / nothing / RST, in that order. */
export function synReplyVerdict(events: readonly SessionEvent[]): Verdict {
  const a = answerToSyn(events);
  if (!a) return { correct: null, seen: 'no SYN' };
  const r = a.reply;
  if (!r) return { correct: 2, seen: '—' };
  const seen = flagsText(r.flags);
  if (r.flags.includes('RST')) return { correct: 3, seen };
  if (r.flags.includes('SYN') && r.flags.includes('ACK')) return { correct: 0, seen };
  if (r.flags.includes('ACK')) return { correct: 1, seen };
  return { correct: null, seen };
}

/** The first completed recv of the step: its bytes against the choices' values; a recv still waiting is `blocks`. */
export function recvBytesVerdict(events: readonly SessionEvent[], values: readonly number[], blocks: number | null): Verdict {
  const first = calls(events, ['recv', 'recvfrom', 'recv_into', 'recvfrom_into'])[0];
  if (!first) {
    const waiting = unfinished(events, ['recv', 'recvfrom', 'recv_into', 'recvfrom_into'])[0];
    return waiting ? { correct: blocks, seen: `${waiting.call}() …` } : { correct: null, seen: 'no recv()' };
  }
  const n = bytesOf(first);
  const size = typeof first.args['bufsize'] === 'number' ? String(first.args['bufsize']) : '';
  if (n === undefined) return { correct: null, seen: `${first.call}(${size}) → ${first.error?.code ?? '?'}` };
  return { correct: choiceOf(values, n), seen: `${first.call}(${size}) → ${n}` };
}

/** Who the kernel showed in TIME_WAIT: the client / the server / both / neither. */
function timeWaitVerdict(events: readonly SessionEvent[]): Verdict {
  const sides = timeWaitSides(events);
  const c = sides.has('client');
  const s = sides.has('server');
  const correct = c && s ? 2 : c ? 0 : s ? 1 : 3;
  return { correct, seen: c && s ? 'client + server TIME_WAIT' : c ? 'client TIME_WAIT' : s ? 'server TIME_WAIT' : '—' };
}

const WHO_TIME_WAIT = [
  t('客户端', '客戶端', 'the client'),
  t('服务端', '服務端', 'the server'),
  t('两边都是', '兩邊都是', 'both'),
  t('都不是', '都不是', 'neither'),
];

const SYN_REPLIES = [
  t('SYN+ACK', 'SYN+ACK', 'SYN+ACK'),
  t('只有 ACK', '只有 ACK', 'a bare ACK'),
  t('什么也不回，等服务端调用 accept()', '什麼也不回，等服務端呼叫 accept()', 'nothing until the server calls accept()'),
  t('RST', 'RST', 'RST'),
];

const helloQuestions: Question[] = [
  {
    id: 'tcp-hello/syn-reply', lesson: 'tcp-hello', step: 'client.connect',
    ask: t(
      '客户端调用 connect()，它的内核发出 SYN。服务端程序还没有调用 accept()。服务端的内核回什么？',
      '客戶端呼叫 connect()，它的核心送出 SYN。服務端程式還沒有呼叫 accept()。服務端的核心回什麼？',
      'The client calls connect() and its kernel sends SYN. The server program has not called accept() yet. What does the server’s kernel send back?',
    ),
    choices: SYN_REPLIES,
    verdict: synReplyVerdict,
  },
  {
    id: 'tcp-hello/recv-bytes', lesson: 'tcp-hello', step: 'server.recv',
    ask: t(
      '客户端发送了 "hello"。服务端的 recv(1024) 会返回多少个字节？',
      '客戶端發送了 "hello"。服務端的 recv(1024) 會傳回多少個位元組？',
      'The client sent "hello". How many bytes will the server’s recv(1024) return?',
    ),
    choices: [t('1024', '1024', '1024'), t('5', '5', '5'), t('0', '0', '0'), t('不返回，一直等', '不返回，一直等', 'none yet: it waits')],
    verdict: (ev) => recvBytesVerdict(ev, [1024, 5, 0], 3),
  },
  {
    id: 'tcp-hello/time-wait', lesson: 'tcp-hello', step: 'server.close',
    ask: t(
      '客户端先关闭了，现在服务端也关闭。四次挥手结束后，哪一边的套接字停在 TIME_WAIT？',
      '客戶端先關閉了，現在服務端也關閉。四次揮手結束後，哪一邊的套接字停在 TIME_WAIT？',
      'The client closed first; now the server closes too. Once the teardown is over, whose socket waits in TIME_WAIT?',
    ),
    choices: WHO_TIME_WAIT,
    verdict: timeWaitVerdict,
  },
];

const handshakeQuestions: Question[] = [
  {
    id: 'tcp-handshake/segments', lesson: 'tcp-handshake', step: 'client.connect',
    ask: t(
      'connect() 建立连接：在数据之前，线路上会出现几个报文段？',
      'connect() 建立連線：在資料之前，線路上會出現幾個區段？',
      'connect() sets up the connection: how many segments cross the wire before any data?',
    ),
    choices: [t('1 个', '1 個', '1'), t('2 个', '2 個', '2'), t('3 个', '3 個', '3'), t('4 个', '4 個', '4')],
    verdict: (ev) => {
      const hs = handshakeSegments(ev);
      if (hs.length === 0) return { correct: null, seen: 'no SYN' };
      return { correct: choiceOf([1, 2, 3, 4], hs.length), seen: hs.map((s) => flagsText(s.flags)).join(', ') };
    },
  },
  {
    id: 'tcp-handshake/accept-wire', lesson: 'tcp-handshake', step: 'server.accept',
    ask: t(
      '服务端现在调用 accept()。它让线路上出现什么？',
      '服務端現在呼叫 accept()。它讓線路上出現什麼？',
      'The server calls accept() now. What does that put on the wire?',
    ),
    choices: [
      t('SYN+ACK', 'SYN+ACK', 'a SYN+ACK'),
      t('一个 ACK', '一個 ACK', 'an ACK'),
      t('什么也没有：握手早就由内核完成了', '什麼也沒有：握手早就由核心完成了', 'nothing: the kernel finished the handshake already'),
      t('FIN', 'FIN', 'a FIN'),
    ],
    verdict: (ev) => {
      const first = segments(ev)[0];
      if (!first) return { correct: 2, seen: '—' };
      const seen = flagsText(first.flags);
      if (first.flags.includes('FIN')) return { correct: 3, seen };
      if (first.flags.includes('SYN') && first.flags.includes('ACK')) return { correct: 0, seen };
      return { correct: first.flags.includes('ACK') && first.len === 0 ? 1 : null, seen: first.len > 0 ? `${seen} ${first.len} B` : seen };
    },
  },
];

const teardownQuestions: Question[] = [
  {
    id: 'tcp-teardown/recv-after-fin', lesson: 'tcp-teardown', step: 'client.recv',
    ask: t(
      '服务端发来 "bye" 以后就关闭了连接。客户端循环调用 recv(1024)：最后一次 recv() 返回什么？',
      '服務端送來 "bye" 以後就關閉了連線。客戶端迴圈呼叫 recv(1024)：最後一次 recv() 傳回什麼？',
      'The server sent "bye" and closed the connection. The client calls recv(1024) in a loop: what does its last recv() return?',
    ),
    choices: [
      t("空的 b''（0 字节）：对方关闭了", "空的 b''（0 位元組）：對方關閉了", "empty b'' (0 bytes): the peer closed"),
      t('一个错误（ECONNRESET）', '一個錯誤（ECONNRESET）', 'an error (ECONNRESET)'),
      t('不返回，一直等', '不返回，一直等', 'nothing: it waits forever'),
      t("又一次 b'bye'", "又一次 b'bye'", "b'bye' again"),
    ],
    verdict: (ev) => {
      const all = calls(ev, ['recv', 'recv_into']);
      const last = all.at(-1);
      if (!last) return unfinished(ev, ['recv', 'recv_into']).length > 0 ? { correct: 2, seen: 'recv() …' } : { correct: null, seen: 'no recv()' };
      const seen = all.map((c) => (c.error ? c.error.code : String(bytesOf(c)))).join(', ');
      if (last.error) return { correct: last.error.code === 'ECONNRESET' ? 1 : null, seen };
      const n = bytesOf(last);
      return { correct: n === 0 ? 0 : n !== undefined && n > 0 ? 3 : null, seen: `recv() → ${seen}` };
    },
  },
  {
    id: 'tcp-teardown/time-wait', lesson: 'tcp-teardown', step: 'client.close',
    ask: t(
      '这次是服务端先关闭的。客户端也关闭后，哪一边的套接字停在 TIME_WAIT？',
      '這次是服務端先關閉的。客戶端也關閉後，哪一邊的套接字停在 TIME_WAIT？',
      'This time the server closed first. Once the client closes too, whose socket waits in TIME_WAIT?',
    ),
    choices: WHO_TIME_WAIT,
    verdict: timeWaitVerdict,
  },
  {
    id: 'tcp-teardown/bind-again', lesson: 'tcp-teardown', step: 'server.restart',
    ask: t(
      '旧连接还在 TIME_WAIT。服务端不设 SO_REUSEADDR 就重新启动，bind(8989) 会怎样？',
      '舊連線還在 TIME_WAIT。服務端不設 SO_REUSEADDR 就重新啟動，bind(8989) 會怎樣？',
      'The old connection is still in TIME_WAIT. The server restarts without SO_REUSEADDR: what does bind(8989) do?',
    ),
    choices: [
      t('成功', '成功', 'it succeeds'),
      t('失败：EADDRINUSE', '失敗：EADDRINUSE', 'it fails: EADDRINUSE'),
      t('等 TIME_WAIT 结束后才返回', '等 TIME_WAIT 結束後才返回', 'it waits until TIME_WAIT is over'),
      t('失败：ECONNREFUSED', '失敗：ECONNREFUSED', 'it fails: ECONNREFUSED'),
    ],
    verdict: (ev) => {
      const bind = calls(ev, ['bind'])[0];
      if (!bind) return unfinished(ev, ['bind']).length > 0 ? { correct: 2, seen: 'bind() …' } : { correct: null, seen: 'no bind()' };
      if (!bind.error) return { correct: 0, seen: 'bind() → ok' };
      const code = bind.error.code;
      return { correct: code === 'EADDRINUSE' ? 1 : code === 'ECONNREFUSED' ? 3 : null, seen: code };
    },
  },
];

const refusedQuestions: Question[] = [
  {
    id: 'tcp-refused/syn-reply', lesson: 'tcp-refused', step: 'client.connect',
    ask: t(
      '8888 端口上没有服务端在监听。客户端的 SYN 会得到什么回答？',
      '8888 埠上沒有服務端在監聽。客戶端的 SYN 會得到什麼回答？',
      'Nobody listens on port 8888. What answer does the client’s SYN get?',
    ),
    choices: [
      t('SYN+ACK', 'SYN+ACK', 'SYN+ACK'),
      t('RST：这里没有这个连接', 'RST：這裡沒有這個連線', 'RST: no such connection here'),
      t('什么也没有，客户端一直重传直到超时', '什麼也沒有，客戶端一直重送直到逾時', 'nothing: the client retries until it times out'),
      t('一个 ACK', '一個 ACK', 'an ACK'),
    ],
    verdict: (ev) => {
      const v = synReplyVerdict(ev);
      // the same reader, with this question's order of choices
      const map: Record<number, number> = { 0: 0, 1: 3, 2: 2, 3: 1 };
      return { correct: v.correct === null ? null : map[v.correct] ?? null, seen: v.seen };
    },
  },
  {
    id: 'tcp-refused/close-wire', lesson: 'tcp-refused', step: 'client.close',
    ask: t(
      '连接从没建立过。客户端调用 close()，线路上出现什么？',
      '連線從沒建立過。客戶端呼叫 close()，線路上出現什麼？',
      'The connection never existed. The client calls close(): what goes on the wire?',
    ),
    choices: [
      t('什么也没有', '什麼也沒有', 'nothing'),
      t('一个 FIN', '一個 FIN', 'a FIN'),
      t('一个 RST', '一個 RST', 'a RST'),
      t('四次挥手', '四次揮手', 'a four-way teardown'),
    ],
    verdict: (ev) => {
      const segs = segments(ev);
      if (segs.length === 0) return { correct: 0, seen: '—' };
      const seen = segs.map((s) => flagsText(s.flags)).join(', ');
      if (segs.filter((s) => s.flags.includes('FIN')).length >= 2) return { correct: 3, seen };
      if (segs[0]!.flags.includes('FIN')) return { correct: 1, seen };
      if (segs[0]!.flags.includes('RST')) return { correct: 2, seen };
      return { correct: null, seen };
    },
  },
];

export const QUESTIONS_TCP: readonly Question[] = [...helloQuestions, ...handshakeQuestions, ...teardownQuestions, ...refusedQuestions];
