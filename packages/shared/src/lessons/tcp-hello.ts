import { blank, code, defineLesson, listing, note, t } from './build.ts';

/** The tutorial's first program: a hello exchange on 127.0.0.1:8888. */
export const tcpHelloLesson = defineLesson({
  id: 'tcp-hello',
  title: t('TCP 你好：一问一答', 'TCP 你好：一問一答', 'TCP hello: one question, one answer'),
  summary: t(
    '服务端按 创建套接字 → 绑定端口号 → 设置监听 → 等待接受连接请求 → 接收数据 → 发送数据 → 关闭套接字 的顺序运行，客户端按 创建套接字 → 建立连接 → 发送数据 → 接收数据 → 关闭套接字 运行。每一步都点亮它执行的那一行代码，同时可以看到内核里的状态和线路上的报文段：connect() 时的三次握手，每个方向各一个数据报文段，最后客户端先关闭引起的四次挥手。',
    '服務端依 建立套接字 → 綁定埠號 → 設定監聽 → 等待接受連線請求 → 接收資料 → 發送資料 → 關閉套接字 的順序執行，客戶端依 建立套接字 → 建立連線 → 發送資料 → 接收資料 → 關閉套接字 執行。每一步都點亮它執行的那一行程式碼，同時可以看到核心裡的狀態和線路上的區段：connect() 時的三次握手，每個方向各一個資料區段，最後客戶端先關閉引起的四次揮手。',
    'The server runs create socket → bind the port → listen → accept → recv → send → close, the client runs create socket → connect → send → recv → close. Each step lights the line of code it executes while the kernel states and the segments on the wire appear beside it: the three-way handshake (三次握手) inside connect(), one data segment each way, and the four-way teardown (四次挥手) that starts because the client closes first.',
  ),
  proto: 'tcp',
  ports: [8888],
  facts: [1, 2, 3, 4, 5, 6, 8, 12],
  listings: {
    server: listing('hello_server.py', [
      code('import socket'),
      blank(),
      note(0, '1. 创建套接字：AF_INET 表示 IPv4，SOCK_STREAM 表示 TCP', '1. 建立套接字：AF_INET 表示 IPv4，SOCK_STREAM 表示 TCP', '1. create a socket: AF_INET means IPv4, SOCK_STREAM means TCP'),
      code('server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '2. 绑定端口号：只在本机地址 127.0.0.1 上等待', '2. 綁定埠號：只在本機位址 127.0.0.1 上等待', '2. bind the port: wait on this machine’s own address only'),
      code("server.bind(('127.0.0.1', 8888))", 'bind'),
      note(0, '3. 设置监听：最多 128 个连接可以排队等待 accept()', '3. 設定監聽：最多 128 個連線可以排隊等待 accept()', '3. listen: up to 128 connections may wait for accept()'),
      code('server.listen(128)', 'listen'),
      code("print('waiting on 127.0.0.1:8888')"),
      blank(),
      note(0, '4. 等待接受连接请求：accept() 返回一个新的套接字，只和这个客户端通信', '4. 等待接受連線請求：accept() 傳回一個新的套接字，只和這個客戶端通訊', '4. accept: accept() returns a NEW socket that talks to this client only'),
      code('conn, addr = server.accept()', 'accept'),
      code("print('client:', addr)"),
      blank(),
      note(0, '5. 接收数据：最多 1024 字节，得到的是 bytes', '5. 接收資料：最多 1024 位元組，得到的是 bytes', '5. recv: at most 1024 bytes; the result is bytes'),
      code('data = conn.recv(1024)', 'recv'),
      code("print('received:', data.decode('utf-8'))", 'recv'),
      blank(),
      note(0, '6. 发送数据：文字先编码成 bytes', '6. 發送資料：文字先編碼成 bytes', '6. send: text must be encoded to bytes first'),
      code("conn.send('hi, client'.encode('utf-8'))", 'send'),
      blank(),
      note(0, '7. 关闭套接字：先关和客户端通信的套接字，再关监听套接字', '7. 關閉套接字：先關和客戶端通訊的套接字，再關監聽套接字', '7. close: first the socket for this client, then the listening socket'),
      code('conn.close()', 'close'),
      code('server.close()', 'close'),
    ]),
    client: listing('hello_client.py', [
      code('import socket'),
      blank(),
      note(0, '1. 创建套接字', '1. 建立套接字', '1. create a socket'),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '2. 建立连接：三次握手就发生在 connect() 里面', '2. 建立連線：三次握手就發生在 connect() 裡面', '2. connect: the three-way handshake happens inside connect()'),
      code("client.connect(('127.0.0.1', 8888))", 'connect'),
      note(0, '3. 发送数据', '3. 發送資料', '3. send'),
      code("client.send('hello'.encode('utf-8'))", 'send'),
      note(0, '4. 接收数据', '4. 接收資料', '4. recv'),
      code('data = client.recv(1024)', 'recv'),
      code("print('received:', data.decode('utf-8'))", 'recv'),
      note(0, '5. 关闭套接字', '5. 關閉套接字', '5. close'),
      code('client.close()', 'close'),
    ]),
  },
  steps: [
    {
      id: 'server.listen', role: 'server', server: ['socket', 'bind', 'listen'],
      explain: t(
        'socket() 创建套接字，bind() 绑定 127.0.0.1:8888，listen(128) 让内核替它接受连接：内核状态 LISTEN。线路上还什么都没有发生。',
        'socket() 建立套接字，bind() 綁定 127.0.0.1:8888，listen(128) 讓核心替它接受連線：核心狀態 LISTEN。線路上還什麼都沒有發生。',
        'socket() made a socket, bind() gave it 127.0.0.1:8888 and listen(128) told the kernel to accept connections for it: its state is LISTEN. Nothing has happened on the wire yet.',
      ),
    },
    {
      id: 'client.connect', role: 'client', client: ['socket', 'connect'],
      explain: t(
        'connect() 让客户端内核发出 SYN，服务端内核回 SYN+ACK，客户端内核再回 ACK（三次握手）。客户端进入 ESTABLISHED 后 connect() 才返回。服务端程序还没有调用 accept()：握手是内核自己完成的。',
        'connect() 讓客戶端核心送出 SYN，服務端核心回 SYN+ACK，客戶端核心再回 ACK（三次握手）。客戶端進入 ESTABLISHED 後 connect() 才返回。服務端程式還沒有呼叫 accept()：握手是核心自己完成的。',
        'connect() made the client’s kernel send SYN; the server’s kernel answered SYN+ACK and the client’s kernel sent ACK (三次握手, the three-way handshake). connect() returned once the client was ESTABLISHED. The server program has not called accept() yet: the kernels did the handshake on their own.',
      ),
    },
    {
      id: 'server.accept', role: 'server', server: ['accept'],
      explain: t(
        'accept() 从监听套接字的全连接队列里取出已经握手完成的连接，返回一个新的套接字：本地端口仍是 8888，对端是客户端的地址。监听套接字继续保持 LISTEN，它从不收发数据。',
        'accept() 從監聽套接字的全連線佇列裡取出已經握手完成的連線，傳回一個新的套接字：本地埠仍是 8888，對端是客戶端的位址。監聽套接字繼續保持 LISTEN，它從不收發資料。',
        'accept() took the finished connection from the listener’s accept queue and returned a NEW socket: local port still 8888, the client’s address as its peer. The listening socket stays in LISTEN and never carries data.',
      ),
    },
    {
      id: 'client.send', role: 'client', client: ['send'],
      explain: t(
        'send() 只是把 5 个字节 "hello" 复制进内核的发送缓冲区就返回了；随后内核把它们作为一个 PSH+ACK 报文段发出，服务端内核确认（ACK）并把它们放进接收缓冲区——这时服务端还没有调用 recv()。',
        'send() 只是把 5 個位元組 "hello" 複製進核心的發送緩衝區就返回了；隨後核心把它們作為一個 PSH+ACK 區段送出，服務端核心確認（ACK）並把它們放進接收緩衝區——這時服務端還沒有呼叫 recv()。',
        'send() only copied the 5 bytes "hello" into the kernel’s send buffer (发送缓冲区) and returned; the kernel then sent them as one PSH+ACK segment, and the server’s kernel acknowledged them and put them in its receive buffer (接收缓冲区) — before the server has called recv().',
      ),
    },
    {
      id: 'server.recv', role: 'server', server: ['recv'],
      explain: t(
        'recv(1024) 从内核的接收缓冲区里复制出已经到达的 5 个字节（最多 1024），Recv-Q 回到 0。decode() 把 bytes 变回文字。',
        'recv(1024) 從核心的接收緩衝區裡複製出已經到達的 5 個位元組（最多 1024），Recv-Q 回到 0。decode() 把 bytes 變回文字。',
        'recv(1024) copied the 5 bytes that had arrived out of the kernel’s receive buffer (at most 1024); Recv-Q is back to 0. decode() turns the bytes back into text.',
      ),
    },
    {
      id: 'server.send', role: 'server', server: ['send'],
      explain: t(
        '回答先编码成 bytes，再复制进服务端的发送缓冲区；内核把它作为一个报文段发给客户端，客户端内核回 ACK。',
        '回答先編碼成 bytes，再複製進服務端的發送緩衝區；核心把它作為一個區段送給客戶端，客戶端核心回 ACK。',
        'The answer was encoded to bytes and copied into the server’s send buffer; the kernel sent it as one segment and the client’s kernel acknowledged it.',
      ),
    },
    {
      id: 'client.recv', role: 'client', client: ['recv'],
      explain: t(
        '回答早已在客户端的接收缓冲区里等着；recv() 把它复制出来。',
        '回答早已在客戶端的接收緩衝區裡等著；recv() 把它複製出來。',
        'The answer was already waiting in the client’s receive buffer; recv() copied it out.',
      ),
    },
    {
      id: 'client.close', role: 'client', client: ['close'],
      explain: t(
        'close() 让客户端内核发出 FIN，服务端内核回 ACK（四次挥手的前两步）。客户端先是 FIN_WAIT1，收到这个 ACK（内核可能把它推迟几十毫秒）后是 FIN_WAIT2；服务端的连接进入 CLOSE_WAIT，等它的程序也关闭。',
        'close() 讓客戶端核心送出 FIN，服務端核心回 ACK（四次揮手的前兩步）。客戶端先是 FIN_WAIT1，收到這個 ACK（核心可能把它延後幾十毫秒）後是 FIN_WAIT2；服務端的連線進入 CLOSE_WAIT，等它的程式也關閉。',
        'close() made the client’s kernel send FIN and the server’s kernel ACKed it (the first half of 四次挥手). The client is in FIN_WAIT1 until that ACK comes (the kernel may delay it by tens of ms), then FIN_WAIT2; the server’s connection is in CLOSE_WAIT, waiting for its program to close too.',
      ),
    },
    {
      id: 'server.close', role: 'server', server: ['close'],
      explain: t(
        '服务端关闭连接套接字：它的内核发出 FIN（LAST_ACK），客户端回最后一个 ACK 后进入 TIME_WAIT——先关闭的一方要在这里等 2·MSL（Linux 上 60 秒）。监听套接字也关闭了。',
        '服務端關閉連線套接字：它的核心送出 FIN（LAST_ACK），客戶端回最後一個 ACK 後進入 TIME_WAIT——先關閉的一方要在這裡等 2·MSL（Linux 上 60 秒）。監聽套接字也關閉了。',
        'The server closed its connection socket: its kernel sent FIN (LAST_ACK), the client answered the last ACK and entered TIME_WAIT — the side that closes first waits there for 2·MSL (60 s on Linux). The listening socket is closed too.',
      ),
    },
  ],
});
