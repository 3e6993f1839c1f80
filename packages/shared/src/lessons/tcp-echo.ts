import { blank, code, defineLesson, listing, note, t, type StepSource } from './build.ts';

/** The tutorial's echo server on 9999 (listen(5)), single task, two clients. */

/** The client steps are the same program run twice (A and B): the same lines, said once per client. */
function clientSteps(who: 'a' | 'b', name: 'A' | 'B'): Record<'connect' | 'send' | 'recv' | 'close', StepSource> {
  const id = `client-${who}`;
  /** A is the run `client`, B the same listing run again as `client2` */
  const on = (marks: string[]): Pick<StepSource, 'client' | 'runs'> => (who === 'a' ? { client: marks } : { runs: { client2: marks } });
  return {
    connect: {
      id: `${id}.connect`, role: 'client', ...on(['socket', 'connect']),
      explain: who === 'a'
        ? t('客户端 A 连接：三次握手，ESTABLISHED。', '客戶端 A 連線：三次握手，ESTABLISHED。', 'Client A connects: the three-way handshake, ESTABLISHED.')
        : t(
          '客户端 B（同一个程序的第二次运行）在服务端忙着 A 的时候连接：内核自己完成三次握手（不需要 accept()），B 是 ESTABLISHED，这条连接在监听套接字的全连接队列里等待 accept()（accept-q 1）。B 的 connect() 已经返回——B 看不出来根本没人在为它服务。',
          '客戶端 B（同一個程式的第二次執行）在服務端忙著 A 的時候連線：核心自己完成三次握手（不需要 accept()），B 是 ESTABLISHED，這條連線在監聽套接字的全連線佇列裡等待 accept()（accept-q 1）。B 的 connect() 已經返回——B 看不出來根本沒人在為它服務。',
          'Client B (the same program, run a second time) connects while the server is busy with A: the kernel completes the handshake on its own (no accept() needed), B is ESTABLISHED and the connection waits in the listener’s accept queue (accept-q 1). B’s connect() has returned — B cannot tell that nobody is serving it.',
        ),
    },
    send: {
      id: `${id}.send`, role: 'client', ...on(['send']),
      explain: who === 'a'
        ? t('A 发送 "hello from A"。', 'A 發送 "hello from A"。', 'A sends "hello from A".')
        : t(
          'B 发送 "hello from B"：服务端内核确认（ACK）并把这 12 个字节存进 B 那条还在全连接队列里、没被 accept() 的连接的接收缓冲区。B 的 send() 已经返回，它的 Send-Q 是 0。在服务端接受 B 之前，没有人会读这些字节。',
          'B 發送 "hello from B"：服務端核心確認（ACK）並把這 12 個位元組存進 B 那條還在全連線佇列裡、沒被 accept() 的連線的接收緩衝區。B 的 send() 已經返回，它的 Send-Q 是 0。在服務端接受 B 之前，沒有人會讀這些位元組。',
          'B sends "hello from B": the server’s kernel ACKs the 12 bytes and keeps them in the receive buffer of B’s connection, still in the accept queue, not yet accept()ed. B’s send() has returned and its Send-Q is 0. Nobody will read those bytes until the server accepts B.',
        ),
    },
    recv: {
      id: `${id}.recv`, role: 'client', ...on(['recv']),
      explain: who === 'a'
        ? t('A 收到了回显。', 'A 收到了回顯。', 'A got its echo.')
        : t(
          'B 的回答直到现在——A 结束之后——才到；recv() 把它取出来。多任务的服务端（每个客户端一个线程或进程）会立刻回答它。',
          'B 的回答直到現在——A 結束之後——才到；recv() 把它取出來。多工的服務端（每個客戶端一個執行緒或行程）會立刻回答它。',
          'B’s answer came only now — after A was done — and recv() takes it out. A multi-task server (a thread or process per client) would have answered at once.',
        ),
    },
    close: {
      id: `${id}.close`, role: 'client', ...on(['close']),
      explain: t(`${name} 收到了回显，关闭套接字：它的内核发出 FIN。`, `${name} 收到了回顯，關閉套接字：它的核心送出 FIN。`, `${name} has its echo and closes its socket: its kernel sends FIN.`),
    },
  };
}

function serverSteps(who: 'a' | 'b', name: 'A' | 'B'): Record<'recv' | 'send' | 'end' | 'close', StepSource> {
  return {
    recv: {
      id: `server.recv-${who}`, role: 'server', server: ['recv'],
      explain: who === 'a'
        ? t('服务端在 A 的套接字上 recv()，拿到 A 的字节（B 的字节原地不动）。', '服務端在 A 的套接字上 recv()，拿到 A 的位元組（B 的位元組原地不動）。', 'The server’s recv() on A’s socket returned A’s bytes (B’s stay where they are).')
        : t('B 的字节一直就在内核的接收缓冲区里：recv() 立刻返回它们。', 'B 的位元組一直就在核心的接收緩衝區裡：recv() 立刻傳回它們。', 'B’s bytes were in the kernel’s receive buffer all along: recv() returned them at once.'),
    },
    send: {
      id: `server.send-${who}`, role: 'server', server: ['send'],
      explain: t(`原样发回给 ${name}。`, `原樣送回給 ${name}。`, `The same bytes go back to ${name}.`),
    },
    end: {
      id: `server.recv-${who}-end`, role: 'server', server: ['recv'],
      explain: t(
        `recv() 返回 b''（0 字节）：这是 ${name} 的 FIN。if not data: break 结束内层循环。`,
        `recv() 傳回 b''（0 位元組）：這是 ${name} 的 FIN。if not data: break 結束內層迴圈。`,
        `recv() returned b'' (0 bytes): that is ${name}’s FIN. if not data: break ends the inner loop.`,
      ),
    },
    close: {
      id: `server.close-${who}`, role: 'server', server: ['close-conn'],
      explain: t(
        `conn.close()：服务端对 ${name} 发出 FIN，${name} 那一端进入 TIME_WAIT。`,
        `conn.close()：服務端對 ${name} 送出 FIN，${name} 那一端進入 TIME_WAIT。`,
        `conn.close(): the server’s FIN to ${name}; ${name}’s end goes to TIME_WAIT.`,
      ),
    },
  };
}

const A = clientSteps('a', 'A');
const B = clientSteps('b', 'B');
const SA = serverSteps('a', 'A');
const SB = serverSteps('b', 'B');

export const tcpEchoLesson = defineLesson({
  id: 'tcp-echo',
  title: t('回显服务端与多个客户端', '回顯服務端與多個客戶端', 'An echo server and several clients'),
  summary: t(
    '教程的回显服务端（端口 9999，listen(5)）是单任务的：它 accept() 一个客户端，在循环里 recv() 和 send()，直到 recv() 返回 b\'\'（客户端关闭），然后才回到 accept()。监听套接字只负责接受连接，每个客户端都有自己的套接字。客户端 B 在服务端忙着 A 时连接：握手由内核完成，B 发出的字节躺在内核的接收缓冲区里，直到 A 结束、服务端接受 B。',
    '教程的回顯服務端（埠 9999，listen(5)）是單工的：它 accept() 一個客戶端，在迴圈裡 recv() 和 send()，直到 recv() 傳回 b\'\'（客戶端關閉），然後才回到 accept()。監聽套接字只負責接受連線，每個客戶端都有自己的套接字。客戶端 B 在服務端忙著 A 時連線：握手由核心完成，B 送出的位元組躺在核心的接收緩衝區裡，直到 A 結束、服務端接受 B。',
    'The tutorial’s echo server (port 9999, listen(5)) is single-task: it accept()s one client and loops on recv() and send() until recv() returns b\'\' (the client closed), and only then goes back to accept(). The listening socket only accepts; every client gets its own socket. Client B connects while the server is busy with A: the kernel does the handshake, and B’s bytes lie in the kernel’s receive buffer until A is done and the server accepts B.',
  ),
  proto: 'tcp',
  ports: [9999],
  facts: [3, 4, 5, 8, 11],
  listings: {
    server: listing('echo_server.py', [
      code('import socket'),
      blank(),
      note(0, '1. 创建套接字', '1. 建立套接字', '1. create a socket'),
      code('server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '2. 绑定端口号', '2. 綁定埠號', '2. bind the port'),
      code("server.bind(('127.0.0.1', 9999))", 'bind'),
      note(0, '3. 设置监听：最多 5 个连接排队等待 accept()', '3. 設定監聽：最多 5 個連線排隊等待 accept()', '3. listen: up to 5 connections may wait for accept()'),
      code('server.listen(5)', 'listen'),
      blank(),
      note(0, '单任务：一次只服务一个客户端。这里服务两个客户端后结束（常见的写法是 while True: 一直服务下去）', '單工：一次只服務一個客戶端。這裡服務兩個客戶端後結束（常見的寫法是 while True: 一直服務下去）', 'single task: one client at a time. This one serves two clients, then ends (the usual form, while True:, serves forever)'),
      code('for n in range(2):'),
      note(4, '4. 等待接受连接请求', '4. 等待接受連線請求', '4. accept'),
      code('    conn, addr = server.accept()', 'accept'),
      code("    print('serving', addr)", 'accept'),
      code('    while True:'),
      note(8, '5. 接收数据', '5. 接收資料', '5. recv'),
      code('        data = conn.recv(1024)', 'recv'),
      note(8, "收到 b''：客户端关闭了，结束这个循环", "收到 b''：客戶端關閉了，結束這個迴圈", "b'' means the client closed: leave this loop"),
      code('        if not data:'),
      code('            break'),
      note(8, '6. 发送数据：原样发回', '6. 發送資料：原樣送回', '6. send the same bytes back'),
      code('        conn.send(data)', 'send'),
      code('    conn.close()', 'close-conn'),
      code("    print('done with', addr)", 'close-conn'),
      blank(),
      note(0, '7. 关闭监听套接字', '7. 關閉監聽套接字', '7. close the listening socket'),
      code('server.close()', 'stop'),
    ]),
    client: listing('echo_client.py', [
      code('import socket'),
      code('import sys'),
      blank(),
      note(0, '要发送的文字来自命令行：python3 echo_client.py "hello from A"', '要發送的文字來自命令列：python3 echo_client.py "hello from A"', 'the text to send comes from the command line: python3 echo_client.py "hello from A"'),
      code("text = sys.argv[1] if len(sys.argv) > 1 else 'hello'"),
      blank(),
      note(0, '1. 创建套接字', '1. 建立套接字', '1. create a socket'),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '2. 建立连接', '2. 建立連線', '2. connect'),
      code("client.connect(('127.0.0.1', 9999))", 'connect'),
      note(0, '3. 发送数据', '3. 發送資料', '3. send'),
      code("client.send(text.encode('utf-8'))", 'send'),
      note(0, '4. 接收数据', '4. 接收資料', '4. recv'),
      code('data = client.recv(1024)', 'recv'),
      code("print(data.decode('utf-8'))", 'recv'),
      note(0, '5. 关闭套接字', '5. 關閉套接字', '5. close'),
      code('client.close()', 'close'),
    ]),
  },
  runs: [
    { id: 'server', listing: 'server' },
    { id: 'client', listing: 'client', args: ['hello from A'] },
    { id: 'client2', listing: 'client', args: ['hello from B'] },
  ],
  steps: [
    {
      id: 'server.listen', role: 'server', server: ['socket', 'bind', 'listen'],
      explain: t(
        'listen(5)：已完成握手的连接最多可以有 5 个排队等待 accept()（Linux 实际允许 backlog+1 个）。',
        'listen(5)：已完成握手的連線最多可以有 5 個排隊等待 accept()（Linux 實際允許 backlog+1 個）。',
        'listen(5): about 5 connections that finished the handshake may wait for accept() (Linux admits backlog+1).',
      ),
    },
    A.connect,
    {
      id: 'server.accept-a', role: 'server', server: ['accept'],
      explain: t(
        'accept() 返回 A 的套接字。从现在起，单任务的服务端待在 A 的内层循环里，A 结束之前不会再调用 accept()。',
        'accept() 傳回 A 的套接字。從現在起，單工的服務端待在 A 的內層迴圈裡，A 結束之前不會再呼叫 accept()。',
        'accept() returned A’s socket. From now on the single-task server stays in A’s inner loop and will not call accept() again until A is done.',
      ),
    },
    B.connect,
    B.send,
    A.send,
    SA.recv,
    SA.send,
    A.recv,
    A.close,
    SA.end,
    SA.close,
    {
      id: 'server.accept-b', role: 'server', server: ['accept'],
      explain: t(
        '回到 accept()：B 的连接从它连接起就一直在队列里等；accept() 立刻返回它的套接字（accept-q 回到 0），新套接字的 Recv-Q 里已经有 B 的 12 个字节。',
        '回到 accept()：B 的連線從它連線起就一直在佇列裡等；accept() 立刻傳回它的套接字（accept-q 回到 0），新套接字的 Recv-Q 裡已經有 B 的 12 個位元組。',
        'Back at accept(): B’s connection has waited in the queue since it connected; accept() returns its socket at once (accept-q back to 0), and the new socket’s Recv-Q already holds B’s 12 bytes.',
      ),
    },
    SB.recv,
    SB.send,
    B.recv,
    B.close,
    SB.end,
    SB.close,
    {
      id: 'server.close', role: 'server', server: ['stop'],
      explain: t(
        '服务完两个客户端，服务端离开循环，关闭监听套接字，程序结束。',
        '服務完兩個客戶端，服務端離開迴圈，關閉監聽套接字，程式結束。',
        'With its two clients served, the server leaves its loop, closes the listening socket and ends.',
      ),
    },
  ],
});
