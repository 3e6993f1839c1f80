import type { SessionEvent } from '../protocol/events.ts';
import { t } from './build.ts';
import { bytesOf, calls, choiceOf, segments, textOf, unfinished } from './questions-facts.ts';
import { recvBytesVerdict } from './questions-tcp.ts';
import type { Question, Verdict } from './questions.ts';

/**
 * The questions of the data lessons: tcp-buffers, tcp-stream, tcp-echo, udp-echo (questions.ts says what a
 * question is). Every verdict reads the step's events; nothing here knows an answer in advance.
 */

const RECV_WAITS = t('不返回，一直等', '不返回，一直等', 'none yet: it waits');

/** sendall() of 1 MiB to a reader that sleeps: returns at once / waits on a zero window / drops / reset. */
function bulkSendVerdict(events: readonly SessionEvent[]): Verdict {
  const segs = segments(events);
  if (segs.some((s) => s.flags.includes('RST'))) return { correct: 3, seen: 'RST' };
  const zero = segs.some((s) => s.win === 0);
  const sends = ['send', 'sendall'];
  if (unfinished(events, sends).length > 0) return { correct: 1, seen: zero ? 'win 0, sendall() …' : 'sendall() …' };
  const done = calls(events, sends).at(-1);
  if (!done) return { correct: null, seen: 'no sendall()' };
  return { correct: done.error ? null : 0, seen: done.error ? done.error.code : `${done.call}() → ${bytesOf(done) ?? '?'}` };
}

const buffersQuestions: Question[] = [
  {
    id: 'tcp-buffers/sendall', lesson: 'tcp-buffers', step: 'client.send',
    ask: t(
      '客户端用 sendall() 发 1 MiB，而服务端在 sleep，一个字节也不读。会发生什么？',
      '客戶端用 sendall() 送 1 MiB，而服務端在 sleep，一個位元組也不讀。會發生什麼？',
      'The client sendall()s 1 MiB while the server sleeps and reads nothing. What happens?',
    ),
    choices: [
      t('sendall() 立刻返回：字节已经发出去了', 'sendall() 立刻返回：位元組已經送出去了', 'sendall() returns at once: the bytes are on their way'),
      t('接收窗口降到 0，sendall() 停下来等', '接收視窗降到 0，sendall() 停下來等', 'the receive window falls to 0 and sendall() waits'),
      t('放不下的字节被内核丢掉', '放不下的位元組被核心丟掉', 'the kernel throws away what does not fit'),
      t('连接被重置（RST）', '連線被重設（RST）', 'the connection is reset (RST)'),
    ],
    verdict: bulkSendVerdict,
  },
  {
    id: 'tcp-buffers/first-recv', lesson: 'tcp-buffers', step: 'server.recv',
    ask: t(
      '服务端醒来，第一次调用 recv(65536)。它返回多少个字节？',
      '服務端醒來，第一次呼叫 recv(65536)。它傳回多少個位元組？',
      'The server wakes up and calls recv(65536) for the first time. How many bytes does it return?',
    ),
    choices: [t('65536', '65536', '65536'), t('1024', '1024', '1024'), t('1048576（全部 1 MiB）', '1048576（全部 1 MiB）', '1048576 (the whole MiB)'), RECV_WAITS],
    verdict: (ev) => recvBytesVerdict(ev, [65536, 1024, 1 << 20], 3),
  },
];

const streamQuestions: Question[] = [
  {
    id: 'tcp-stream/one-recv', lesson: 'tcp-stream', step: 'server.recv',
    ask: t(
      "客户端用两次 send() 发了 b'hello' 和 b'world'。服务端的一次 recv(1024) 得到什么？",
      "客戶端用兩次 send() 送了 b'hello' 和 b'world'。服務端的一次 recv(1024) 得到什麼？",
      "The client sent b'hello' and b'world' with two send() calls. What does the server’s one recv(1024) get?",
    ),
    choices: [
      t("b'hello'（5 字节）", "b'hello'（5 位元組）", "b'hello' (5 bytes)"),
      t("b'helloworld'（10 字节）", "b'helloworld'（10 位元組）", "b'helloworld' (10 bytes)"),
      t("b'world'（5 字节）", "b'world'（5 位元組）", "b'world' (5 bytes)"),
      t('1024 个字节', '1024 個位元組', '1024 bytes'),
    ],
    verdict: (ev) => {
      const first = calls(ev, ['recv', 'recv_into'])[0];
      if (!first) return { correct: null, seen: 'no recv()' };
      const n = bytesOf(first);
      const text = textOf(first);
      const seen = text !== undefined ? `b'${text}'` : `recv() → ${n ?? first.error?.code ?? '?'}`;
      if (n === 10) return { correct: 1, seen };
      if (n === 1024) return { correct: 3, seen };
      // 5 bytes: TCP keeps the order, so without the bytes (hidden) they are the first five
      if (n === 5) return { correct: text === 'world' ? 2 : text === undefined || text === 'hello' ? 0 : null, seen };
      return { correct: null, seen };
    },
  },
  {
    id: 'tcp-stream/recv4-calls', lesson: 'tcp-stream', step: 'client.recv',
    ask: t(
      '服务端回了 10 个字节。客户端用 recv(4) 循环读，直到凑满 10 个字节：要调用几次 recv(4)？',
      '服務端回了 10 個位元組。客戶端用 recv(4) 迴圈讀，直到湊滿 10 個位元組：要呼叫幾次 recv(4)？',
      'The server answered with 10 bytes. The client reads with recv(4) in a loop until it has all 10: how many recv(4) calls does it take?',
    ),
    choices: [t('1 次', '1 次', '1'), t('2 次', '2 次', '2'), t('3 次', '3 次', '3'), t('10 次', '10 次', '10')],
    verdict: (ev) => {
      const got = calls(ev, ['recv', 'recv_into']).filter((c) => (bytesOf(c) ?? 0) > 0);
      if (got.length === 0) return { correct: null, seen: 'no recv()' };
      return { correct: choiceOf([1, 2, 3, 10], got.length), seen: got.map((c) => bytesOf(c)).join(' + ') };
    },
  },
];

const echoQuestions: Question[] = [
  {
    id: 'tcp-echo/b-connects', lesson: 'tcp-echo', step: 'client-b.connect',
    ask: t(
      '服务端正忙着服务客户端 A（只有一个任务）。客户端 B 现在 connect()，会怎样？',
      '服務端正忙著服務客戶端 A（只有一個任務）。客戶端 B 現在 connect()，會怎樣？',
      'The server is busy with client A (a single task). Client B calls connect() now: what happens?',
    ),
    choices: [
      t('立刻成功：内核替服务端完成握手', '立刻成功：核心替服務端完成握手', 'it succeeds at once: the kernel does the handshake for the server'),
      t('被拒绝：ECONNREFUSED', '被拒絕：ECONNREFUSED', 'it is refused: ECONNREFUSED'),
      t('一直等到服务端调用 accept()', '一直等到服務端呼叫 accept()', 'it waits until the server calls accept()'),
      t('超时：ETIMEDOUT', '逾時：ETIMEDOUT', 'it times out: ETIMEDOUT'),
    ],
    verdict: (ev) => {
      const c = calls(ev, ['connect', 'connect_ex'])[0];
      if (!c) return unfinished(ev, ['connect', 'connect_ex']).length > 0 ? { correct: 2, seen: 'connect() …' } : { correct: null, seen: 'no connect()' };
      if (!c.error) return { correct: 0, seen: 'connect() → ok' };
      return { correct: c.error.code === 'ECONNREFUSED' ? 1 : c.error.code === 'ETIMEDOUT' ? 3 : null, seen: c.error.code };
    },
  },
  {
    id: 'tcp-echo/recv-after-close', lesson: 'tcp-echo', step: 'server.recv-a-end',
    ask: t(
      '客户端 A 关闭了套接字。服务端在 A 的套接字上的下一次 recv(1024) 返回什么？',
      '客戶端 A 關閉了套接字。服務端在 A 的套接字上的下一次 recv(1024) 傳回什麼？',
      'Client A closed its socket. What does the server’s next recv(1024) on A’s socket return?',
    ),
    choices: [
      t("空的 b''（0 字节）：循环结束", "空的 b''（0 位元組）：迴圈結束", "empty b'' (0 bytes): the loop ends"),
      t('一个错误', '一個錯誤', 'an error'),
      t('不返回，一直等', '不返回，一直等', 'nothing: it waits forever'),
      t('A 的那句话又来一遍', 'A 的那句話又來一遍', 'A’s text again'),
    ],
    verdict: (ev) => {
      const c = calls(ev, ['recv', 'recv_into'])[0];
      if (!c) return unfinished(ev, ['recv', 'recv_into']).length > 0 ? { correct: 2, seen: 'recv() …' } : { correct: null, seen: 'no recv()' };
      if (c.error) return { correct: 1, seen: c.error.code };
      const n = bytesOf(c);
      return { correct: n === 0 ? 0 : n !== undefined && n > 0 ? 3 : null, seen: `recv(1024) → ${n ?? '?'}` };
    },
  },
  {
    id: 'tcp-echo/b-waiting-bytes', lesson: 'tcp-echo', step: 'server.recv-b',
    ask: t(
      'B 的 12 个字节在服务端 accept() 它之前很久就到了。现在服务端的 recv(1024) 返回多少个字节？',
      'B 的 12 個位元組在服務端 accept() 它之前很久就到了。現在服務端的 recv(1024) 傳回多少個位元組？',
      'B’s 12 bytes arrived long before the server accept()ed B. How many bytes does the server’s recv(1024) return now?',
    ),
    choices: [t('12：一直在接收缓冲区里', '12：一直在接收緩衝區裡', '12: they waited in the receive buffer'), t('0：早就丢了', '0：早就丟了', '0: they were lost meanwhile'), t('1024', '1024', '1024'), RECV_WAITS],
    verdict: (ev) => recvBytesVerdict(ev, [12, 0, 1024], 3),
  },
];

const udpQuestions: Question[] = [
  {
    id: 'udp-echo/first-sendto', lesson: 'udp-echo', step: 'client.sendto',
    ask: t(
      "客户端的第一次 sendto(b'hello')：线路上出现什么？",
      "客戶端的第一次 sendto(b'hello')：線路上出現什麼？",
      "The client’s first sendto(b'hello'): what goes on the wire?",
    ),
    choices: [
      t('先握手（SYN、SYN+ACK、ACK），再是数据', '先握手（SYN、SYN+ACK、ACK），再是資料', 'a handshake (SYN, SYN+ACK, ACK), then the data'),
      t('只有一个数据报', '只有一個資料報', 'just one datagram'),
      t('什么也没有，等服务端调用 recvfrom()', '什麼也沒有，等服務端呼叫 recvfrom()', 'nothing until the server calls recvfrom()'),
      t('一个数据报，再加一个确认', '一個資料報，再加一個確認', 'a datagram and an acknowledgement'),
    ],
    verdict: (ev) => {
      if (segments(ev).some((s) => s.flags.includes('SYN'))) return { correct: 0, seen: 'SYN' };
      const dgrams = ev.filter((e) => e.type === 'udp.datagram');
      if (dgrams.length === 0) return { correct: 2, seen: '—' };
      return { correct: dgrams.length === 1 ? 1 : 3, seen: dgrams.map((d) => (d.type === 'udp.datagram' ? `UDP ${d.len} B` : '')).join(', ') };
    },
  },
  {
    id: 'udp-echo/boundaries', lesson: 'udp-echo', step: 'boundaries',
    ask: t(
      "客户端用两次 sendto() 发了 b'one' 和 b'two'。服务端的第一次 recvfrom(1024) 得到什么？",
      "客戶端用兩次 sendto() 送了 b'one' 和 b'two'。服務端的第一次 recvfrom(1024) 得到什麼？",
      "The client sent b'one' and b'two' with two sendto() calls. What does the server’s first recvfrom(1024) get?",
    ),
    choices: [
      t("b'one'（3 字节）：一个数据报就是一条消息", "b'one'（3 位元組）：一個資料報就是一則訊息", "b'one' (3 bytes): one datagram is one message"),
      t("b'onetwo'（6 字节）", "b'onetwo'（6 位元組）", "b'onetwo' (6 bytes)"),
      t('1024 个字节', '1024 個位元組', '1024 bytes'),
      RECV_WAITS,
    ],
    verdict: (ev) => recvBytesVerdict(ev, [3, 6, 1024], 3),
  },
  {
    id: 'udp-echo/survivors', lesson: 'udp-echo', step: 'server.drain',
    ask: t(
      '服务端睡觉时，200 个 1000 字节的数据报涌向只有 2 KiB 的接收缓冲区。服务端醒来能读到几个？',
      '服務端睡覺時，200 個 1000 位元組的資料報湧向只有 2 KiB 的接收緩衝區。服務端醒來能讀到幾個？',
      'While the server slept, 200 datagrams of 1000 bytes hit a 2 KiB receive buffer. How many will the server read when it wakes?',
    ),
    choices: [
      t('全部 200 个', '全部 200 個', 'all 200'),
      t('只有几个：其余的被内核丢掉了', '只有幾個：其餘的被核心丟掉了', 'only a few: the kernel dropped the rest'),
      t('一个也没有', '一個也沒有', 'none'),
      t('大约 100 个', '大約 100 個', 'about 100'),
    ],
    verdict: (ev) => {
      const read = calls(ev, ['recvfrom', 'recv', 'recvfrom_into', 'recv_into']).filter((c) => !c.error && (bytesOf(c) ?? 0) > 0).length;
      const correct = read >= 200 ? 0 : read === 0 ? 2 : read <= 20 ? 1 : read >= 80 && read <= 120 ? 3 : null;
      return { correct, seen: `${read} / 200` };
    },
  },
];

export const QUESTIONS_DATA: readonly Question[] = [...buffersQuestions, ...streamQuestions, ...echoQuestions, ...udpQuestions];
