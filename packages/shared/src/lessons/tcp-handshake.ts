import { blank, code, defineLesson, listing, note, t } from './build.ts';

/** 三次握手, staged with the tutorial's uppercase server (TCP 12000, listen(1)). */
export const tcpHandshakeLesson = defineLesson({
  id: 'tcp-handshake',
  title: t('三次握手', '三次握手', 'The three-way handshake (三次握手)'),
  summary: t(
    '客户端的 connect() 让内核发出 SYN，服务端内核回 SYN+ACK，客户端内核再回 ACK：每个报文段都带着序号、确认号和选项（MSS、窗口扩大因子、SACK）。客户端经历 CLOSED → SYN_SENT → ESTABLISHED，服务端这一侧经历 LISTEN → SYN_RECV → ESTABLISHED——这一切在 accept() 之前就由内核完成了。accept() 只是取出做好的连接，并返回一个新的套接字；之后的数据都走这个新套接字，监听套接字从不收发数据。程序是教程里的大写服务端（端口 12000，listen(1)）。',
    '客戶端的 connect() 讓核心送出 SYN，服務端核心回 SYN+ACK，客戶端核心再回 ACK：每個區段都帶著序號、確認號和選項（MSS、視窗擴大因子、SACK）。客戶端經歷 CLOSED → SYN_SENT → ESTABLISHED，服務端這一側經歷 LISTEN → SYN_RECV → ESTABLISHED——這一切在 accept() 之前就由核心完成了。accept() 只是取出做好的連線，並傳回一個新的套接字；之後的資料都走這個新套接字，監聽套接字從不收發資料。程式是教程裡的大寫服務端（埠 12000，listen(1)）。',
    'The client’s connect() makes its kernel send SYN, the server’s kernel answers SYN+ACK and the client’s kernel sends ACK, each segment with its sequence and acknowledgement numbers and options (MSS, window scale, SACK). The client goes CLOSED → SYN_SENT → ESTABLISHED and the server side LISTEN → SYN_RECV → ESTABLISHED — all done by the kernels before accept() is called. accept() only takes the finished connection and returns a NEW socket; the data then flows on that socket, never on the listening one. The programs are the tutorial’s uppercase server (port 12000, listen(1)) and its client.',
  ),
  proto: 'tcp',
  ports: [12000],
  facts: [1, 3, 4, 6, 12],
  listings: {
    server: listing('upper_server.py', [
      code('import socket'),
      blank(),
      note(0, '1. 创建套接字', '1. 建立套接字', '1. create a socket'),
      code('server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '2. 绑定端口号', '2. 綁定埠號', '2. bind the port'),
      code("server.bind(('127.0.0.1', 12000))", 'bind'),
      note(0, '3. 设置监听：backlog 为 1，内核只替我们排队很少的已完成握手的连接', '3. 設定監聽：backlog 為 1，核心只替我們排隊很少的已完成握手的連線', '3. listen with backlog 1: the kernel queues very few finished connections for us'),
      code('server.listen(1)', 'listen'),
      code("print('the server is ready')"),
      blank(),
      note(0, '4. 等待接受连接请求：三次握手在这之前已经由内核完成', '4. 等待接受連線請求：三次握手在這之前已經由核心完成', '4. accept: the kernel finished the three-way handshake before this call'),
      code('conn, addr = server.accept()', 'accept'),
      code("print('listening socket:', server.getsockname())", 'accept'),
      code("print('new socket:', conn.getsockname(), '<->', conn.getpeername())", 'accept'),
      blank(),
      note(0, '5. 接收数据：在新套接字 conn 上，不是在监听套接字上', '5. 接收資料：在新套接字 conn 上，不是在監聽套接字上', '5. recv on the new socket conn, not on the listening socket'),
      code("sentence = conn.recv(1024).decode('utf-8')", 'recv'),
      note(0, '6. 发送数据：转成大写再发回去', '6. 發送資料：轉成大寫再送回去', '6. send it back in upper case'),
      code("conn.send(sentence.upper().encode('utf-8'))", 'send'),
      blank(),
      note(0, '7. 关闭套接字', '7. 關閉套接字', '7. close'),
      code('conn.close()', 'close'),
      code('server.close()', 'close'),
    ]),
    client: listing('upper_client.py', [
      code('import socket'),
      blank(),
      note(0, '1. 创建套接字：状态 CLOSED，还没有端口', '1. 建立套接字：狀態 CLOSED，還沒有埠', '1. create a socket: state CLOSED, no port yet'),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      code("print('before connect():', client.getsockname())", 'socket'),
      note(0, '2. 建立连接：内核选一个临时端口，发 SYN，收到 SYN+ACK 后回 ACK', '2. 建立連線：核心選一個臨時埠，送出 SYN，收到 SYN+ACK 後回 ACK', '2. connect: the kernel picks a temporary port, sends SYN, gets SYN+ACK, answers ACK'),
      code("client.connect(('127.0.0.1', 12000))", 'connect'),
      code("print('after connect():', client.getsockname())", 'connect'),
      note(0, '3. 发送数据', '3. 發送資料', '3. send'),
      code("client.send('hello, tcp'.encode('utf-8'))", 'send'),
      note(0, '4. 接收数据', '4. 接收資料', '4. recv'),
      code('modified = client.recv(1024)', 'recv'),
      code("print(modified.decode('utf-8'))", 'recv'),
      note(0, '5. 关闭套接字', '5. 關閉套接字', '5. close'),
      code('client.close()', 'close'),
    ]),
  },
  steps: [
    {
      id: 'server.listen', role: 'server', server: ['socket', 'bind', 'listen'],
      explain: t(
        '监听套接字进入 LISTEN。backlog 1 限制全连接队列：已经完成握手、还没被 accept() 取走的连接（Linux 允许 backlog+1 个）。线路上还没有任何报文段。',
        '監聽套接字進入 LISTEN。backlog 1 限制全連線佇列：已經完成握手、還沒被 accept() 取走的連線（Linux 允許 backlog+1 個）。線路上還沒有任何區段。',
        'The listening socket is in LISTEN. backlog 1 limits its accept queue: connections that finished the handshake but were not accept()ed yet (Linux admits backlog+1). Nothing is on the wire yet.',
      ),
    },
    {
      id: 'client.connect', role: 'client', client: ['socket', 'connect'],
      explain: t(
        'connect()：客户端内核选一个临时端口，发出 SYN（带初始序号 ISN 和选项 MSS、窗口扩大因子、SACK），进入 SYN_SENT。服务端内核回 SYN+ACK（它自己的 ISN，确认号 = 客户端 ISN+1），这个半连接处于 SYN_RECV（半连接队列）；客户端回 ACK，进入 ESTABLISHED；服务端收到 ACK 后这条连接也是 ESTABLISHED，并进入全连接队列。在回环接口上这只需几微秒，内核探测通常只能看到结果，三个报文段在线路层可以看到。',
        'connect()：客戶端核心選一個臨時埠，送出 SYN（帶初始序號 ISN 和選項 MSS、視窗擴大因子、SACK），進入 SYN_SENT。服務端核心回 SYN+ACK（它自己的 ISN，確認號 = 客戶端 ISN+1），這個半連線處於 SYN_RECV（半連線佇列）；客戶端回 ACK，進入 ESTABLISHED；服務端收到 ACK 後這條連線也是 ESTABLISHED，並進入全連線佇列。在回環介面上這只需幾微秒，核心探測通常只能看到結果，三個區段在線路層可以看到。',
        'connect(): the client’s kernel picked a temporary port and sent SYN (its initial sequence number and options: MSS, window scale, SACK permitted): SYN_SENT. The server’s kernel answered SYN+ACK (its own ISN, ack = client ISN+1) and held a half-open request in SYN_RECV; the client sent ACK and is ESTABLISHED; on that ACK the server side became ESTABLISHED too and went into the accept queue. On loopback this takes microseconds, so the kernel probe usually sees only the result; the wire layer shows all three segments.',
      ),
    },
    {
      id: 'server.accept', role: 'server', server: ['accept'],
      explain: t(
        'accept() 从全连接队列取出这条连接，返回一个新的套接字：本地 127.0.0.1:12000，对端是客户端的临时端口。监听套接字仍在 LISTEN，队列又空了；它从不收发数据。',
        'accept() 從全連線佇列取出這條連線，傳回一個新的套接字：本地 127.0.0.1:12000，對端是客戶端的臨時埠。監聽套接字仍在 LISTEN，佇列又空了；它從不收發資料。',
        'accept() took the connection from the accept queue and returned a NEW socket: local 127.0.0.1:12000, peer the client’s temporary port. The listening socket is still in LISTEN with an empty queue; it never carries data.',
      ),
    },
    {
      id: 'client.send', role: 'client', client: ['send'],
      explain: t(
        '"hello, tcp" 进入客户端的发送缓冲区，作为一个报文段发出，序号从 ISN+1 开始：它到达的是新套接字的接收缓冲区，不是监听套接字的。',
        '"hello, tcp" 進入客戶端的發送緩衝區，作為一個區段送出，序號從 ISN+1 開始：它到達的是新套接字的接收緩衝區，不是監聽套接字的。',
        '"hello, tcp" went into the client’s send buffer and out as one segment whose sequence numbers start at ISN+1: it lands in the new socket’s receive buffer, not the listener’s.',
      ),
    },
    {
      id: 'server.recv', role: 'server', server: ['recv'],
      explain: t(
        '服务端在新套接字上 recv()，从接收缓冲区取出这 10 个字节。',
        '服務端在新套接字上 recv()，從接收緩衝區取出這 10 個位元組。',
        'The server called recv() on the new socket and took the 10 bytes out of its receive buffer.',
      ),
    },
    {
      id: 'server.send', role: 'server', server: ['send'],
      explain: t(
        '大写后的 "HELLO, TCP" 从服务端的发送缓冲区发出；确认号告诉对方“你的 10 个字节我都收到了”。',
        '大寫後的 "HELLO, TCP" 從服務端的發送緩衝區送出；確認號告訴對方「你的 10 個位元組我都收到了」。',
        'The uppercased "HELLO, TCP" left the server’s send buffer; its acknowledgement number tells the client “I have your 10 bytes”.',
      ),
    },
    {
      id: 'client.recv', role: 'client', client: ['recv'],
      explain: t(
        '客户端从接收缓冲区取出回答。',
        '客戶端從接收緩衝區取出回答。',
        'The client took the answer out of its receive buffer.',
      ),
    },
    {
      id: 'close', role: 'both', server: ['close'], client: ['close'], order: ['client', 'server'],
      explain: t(
        '两边关闭：FIN、ACK、FIN、ACK（四次挥手，下一课细看）。先关闭的客户端最后停在 TIME_WAIT。',
        '兩邊關閉：FIN、ACK、FIN、ACK（四次揮手，下一課細看）。先關閉的客戶端最後停在 TIME_WAIT。',
        'Both sides closed: FIN, ACK, FIN, ACK (四次挥手, the next lesson looks closely). The client, which closed first, ends in TIME_WAIT.',
      ),
    },
  ],
});
