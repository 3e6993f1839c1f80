import { blank, code, defineLesson, listing, note, t } from './build.ts';

/** No message boundaries (粘包), with the uppercase server on 12000. */
export const tcpStreamLesson = defineLesson({
  id: 'tcp-stream',
  title: t('字节流没有边界（粘包）', '位元組流沒有邊界（黏包）', 'A byte stream has no boundaries (粘包)'),
  summary: t(
    'TCP（SOCK_STREAM）是可靠、有序的字节流，但不保留消息边界。客户端两次 send()（"hello" 和 "world"），服务端一次 recv() 就读到了 b\'helloworld\'——这就是“粘包”；反过来，服务端一次 send() 的 10 个字节，客户端用 recv(4) 分三次才读完。需要“消息”的程序必须自己标出边界：长度前缀或分隔符。',
    'TCP（SOCK_STREAM）是可靠、有序的位元組流，但不保留訊息邊界。客戶端兩次 send()（"hello" 和 "world"），服務端一次 recv() 就讀到了 b\'helloworld\'——這就是「黏包」（粘包）；反過來，服務端一次 send() 的 10 個位元組，客戶端用 recv(4) 分三次才讀完。需要「訊息」的程式必須自己標出邊界：長度前綴或分隔符。',
    'TCP (SOCK_STREAM) is a reliable, ordered byte stream, but it keeps no message boundaries. The client calls send() twice ("hello", "world") and the server’s single recv() returns b\'helloworld\' — the “sticky packets” (粘包) students meet; the other way round, one send() of 10 bytes takes the client three recv(4) calls. A program that needs messages must mark them itself: a length prefix or a delimiter.',
  ),
  proto: 'tcp',
  ports: [12000],
  facts: [8, 10],
  listings: {
    server: listing('stream_server.py', [
      code('import socket'),
      code('import time'),
      blank(),
      code('server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      code("server.bind(('127.0.0.1', 12000))", 'bind'),
      code('server.listen(1)', 'listen'),
      code('conn, addr = server.accept()', 'accept'),
      blank(),
      note(0, '故意等一会儿：客户端的两次 send() 都已经到了接收缓冲区', '故意等一會兒：客戶端的兩次 send() 都已經到了接收緩衝區', 'wait a moment on purpose: both of the client’s sends are in the receive buffer by then'),
      code('time.sleep(0.5)'),
      note(0, '一次 recv() 读到两次 send() 的数据：b\'helloworld\'（粘包）', '一次 recv() 讀到兩次 send() 的資料：b\'helloworld\'（黏包）', 'one recv() gets the bytes of both sends: b\'helloworld\' (粘包)'),
      code('data = conn.recv(1024)', 'recv'),
      code("print('one recv() got:', data)", 'recv'),
      blank(),
      note(0, '一次 send() 发回 10 个字节', '一次 send() 送回 10 個位元組', 'one send() of 10 bytes back'),
      code('conn.send(data.upper())', 'send'),
      blank(),
      code('conn.close()', 'close'),
      code('server.close()', 'close'),
    ]),
    client: listing('stream_client.py', [
      code('import socket'),
      blank(),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      code("client.connect(('127.0.0.1', 12000))", 'connect'),
      blank(),
      note(0, '两次 send()，像是两条“消息”', '兩次 send()，像是兩條「訊息」', 'two send() calls, like two “messages”'),
      code("client.send(b'hello')", 'send'),
      code("client.send(b'world')", 'send'),
      blank(),
      note(0, 'recv(4) 最多返回 4 个字节：一次 send() 的 10 个字节要读三次', 'recv(4) 最多傳回 4 個位元組：一次 send() 的 10 個位元組要讀三次', 'recv(4) returns at most 4 bytes: one send() of 10 bytes takes three reads'),
      code("data = b''", 'recv'),
      code('while len(data) < 10:', 'recv'),
      code('    part = client.recv(4)', 'recv'),
      code("    print('recv(4) got:', part)", 'recv'),
      code('    data += part', 'recv'),
      blank(),
      code('client.close()', 'close'),
    ]),
  },
  steps: [
    {
      id: 'server.listen', role: 'server', server: ['socket', 'bind', 'listen'],
      explain: t('服务端在 12000 上 LISTEN。', '服務端在 12000 上 LISTEN。', 'The server is in LISTEN on 12000.'),
    },
    {
      id: 'client.connect', role: 'client', client: ['socket', 'connect'],
      explain: t('三次握手，客户端 ESTABLISHED。', '三次握手，客戶端 ESTABLISHED。', 'The three-way handshake; the client is ESTABLISHED.'),
    },
    {
      id: 'server.accept', role: 'server', server: ['accept'],
      explain: t('accept() 返回连接套接字。', 'accept() 傳回連線套接字。', 'accept() returned the connection socket.'),
    },
    {
      id: 'client.send', role: 'client', client: ['send'],
      explain: t(
        '两次 send()："hello"，然后 "world"。每次都把 5 个字节复制进发送缓冲区；内核可能用一个或两个报文段发出——无论怎样，在服务端的接收缓冲区里它们只是连在一起的 10 个字节：TCP 不保留消息边界。Recv-Q：10。',
        '兩次 send()："hello"，然後 "world"。每次都把 5 個位元組複製進發送緩衝區；核心可能用一個或兩個區段送出——無論怎樣，在服務端的接收緩衝區裡它們只是連在一起的 10 個位元組：TCP 不保留訊息邊界。Recv-Q：10。',
        'Two send() calls: "hello", then "world". Each copied 5 bytes into the send buffer; the kernel may send them in one segment or two — either way, in the server’s receive buffer they are just 10 bytes in a row: TCP keeps no message boundaries. Recv-Q: 10.',
      ),
    },
    {
      id: 'server.recv', role: 'server', server: ['recv'],
      explain: t(
        '一次 recv(1024) 返回 b\'helloworld\'：两次 send() 的字节一次全拿到了（粘包）。需要“消息”的程序必须自己标出边界，比如长度前缀或换行符。',
        '一次 recv(1024) 傳回 b\'helloworld\'：兩次 send() 的位元組一次全拿到了（黏包）。需要「訊息」的程式必須自己標出邊界，例如長度前綴或換行符號。',
        'One recv(1024) returned b\'helloworld\': the bytes of both sends at once (粘包). A program that needs messages must mark them itself, e.g. with a length prefix or a newline.',
      ),
    },
    {
      id: 'server.send', role: 'server', server: ['send'],
      explain: t(
        '一次 send() 发回 10 个字节 "HELLOWORLD"，作为一个报文段到达客户端的接收缓冲区。',
        '一次 send() 送回 10 個位元組 "HELLOWORLD"，作為一個區段到達客戶端的接收緩衝區。',
        'One send() of 10 bytes, "HELLOWORLD"; it reaches the client’s receive buffer as one segment.',
      ),
    },
    {
      id: 'client.recv', role: 'client', client: ['recv'],
      explain: t(
        'recv(4) 最多返回 4 个字节："HELL"、"OWOR"、"LD"——一次 send() 用了三次 recv()。第一次之前 Recv-Q 是 10；每次之间剩下的字节留在接收缓冲区里。',
        'recv(4) 最多傳回 4 個位元組："HELL"、"OWOR"、"LD"——一次 send() 用了三次 recv()。第一次之前 Recv-Q 是 10；每次之間剩下的位元組留在接收緩衝區裡。',
        'recv(4) returns at most 4 bytes: "HELL", "OWOR", "LD" — three recv() calls for one send(). Before the first, Recv-Q was 10; between calls the rest waits in the receive buffer.',
      ),
    },
    {
      // the client first: TIME_WAIT then holds the client's temporary port, not 12000, which the next lesson's
      // server (without SO_REUSEADDR) binds again at once
      id: 'close', role: 'both', server: ['close'], client: ['close'], order: ['client', 'server'],
      explain: t('两边关闭：客户端先关闭，四次挥手，客户端的连接停在 TIME_WAIT（占着它的临时端口，而不是 12000）。', '兩邊關閉：客戶端先關閉，四次揮手，客戶端的連線停在 TIME_WAIT（佔著它的臨時埠，而不是 12000）。', 'Both sides close, the client first: the four-way teardown, and the client’s connection stays in TIME_WAIT (holding its temporary port, not 12000).'),
    },
  ],
});
