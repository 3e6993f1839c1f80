import { blank, code, defineLesson, listing, note, t } from './build.ts';

/**
 * send/recv and the kernel buffers, on 8888 with a server that reads late. Both programs ask for small
 * buffers (SO_RCVBUF / SO_SNDBUF, which Linux doubles), so 1 MiB is many times what the two buffers hold (64 KiB each, doubled: on loopback, whose MSS is 64 KiB, smaller buffers often never advertise a window of exactly 0)
 * and sendall() blocks at once; the step plan holds the reader before recv() while the client sends.
 */
export const tcpBuffersLesson = defineLesson({
  id: 'tcp-buffers',
  title: t('send、recv 与内核缓冲区', 'send、recv 與核心緩衝區', 'send, recv and the kernel’s buffers'),
  summary: t(
    'send() 并不把字节送上网络，它只把字节复制进内核的发送缓冲区；recv() 也不从网络取字节，它从内核的接收缓冲区里复制。这一课里两边都把缓冲区设得很小，客户端用 sendall() 发送 1 MiB，而服务端暂时不读：服务端的接收缓冲区（Recv-Q）涨到一个平台，它通告的窗口缩小到 0，客户端的发送缓冲区（Send-Q）被填满，sendall() 阻塞。服务端开始读之后，窗口重新打开，一切又流动起来：应用 → 发送缓冲区 → 线路 → 接收缓冲区 → 应用。',
    'send() 並不把位元組送上網路，它只把位元組複製進核心的發送緩衝區；recv() 也不從網路取位元組，它從核心的接收緩衝區裡複製。這一課裡兩邊都把緩衝區設得很小，客戶端用 sendall() 發送 1 MiB，而服務端暫時不讀：服務端的接收緩衝區（Recv-Q）漲到一個平台，它通告的視窗縮小到 0，客戶端的發送緩衝區（Send-Q）被填滿，sendall() 阻塞。服務端開始讀之後，視窗重新打開，一切又流動起來：應用程式 → 發送緩衝區 → 線路 → 接收緩衝區 → 應用程式。',
    'send() does not put bytes on the network: it copies them into the kernel’s send buffer (发送缓冲区); recv() does not take bytes from the network: it copies them out of the kernel’s receive buffer (接收缓冲区). Here both programs ask for small buffers and the client sendall()s 1 MiB while the server does not read yet: the server’s receive queue (Recv-Q) rises to a plateau, the window it advertises shrinks to zero, the client’s send queue (Send-Q) fills and sendall() blocks. Once the server reads, the window reopens and everything flows again: app → send buffer → wire → receive buffer → app.',
  ),
  proto: 'tcp',
  ports: [8888],
  facts: [5, 10],
  listings: {
    server: listing('buffers_server.py', [
      code('import socket'),
      code('import time'),
      blank(),
      code('SIZE = 1024 * 1024'),
      blank(),
      code('server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '固定的小接收缓冲区：64 KiB（Linux 会把它加倍；不设置时它会自动长到几 MiB）。在 listen() 之前设置：accept() 返回的套接字继承它', '固定的小接收緩衝區：64 KiB（Linux 會把它加倍；不設定時它會自動長到幾 MiB）。在 listen() 之前設定：accept() 傳回的套接字繼承它', 'a fixed, small receive buffer: 64 KiB (Linux doubles it; unset, it grows to several MiB), set before listen(): the socket accept() returns inherits it'),
      code('server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)', 'socket'),
      code("server.bind(('127.0.0.1', 8888))", 'bind'),
      code('server.listen(128)', 'listen'),
      code('conn, addr = server.accept()', 'accept'),
      blank(),
      note(0, '先不调用 recv()：到达的字节留在内核的接收缓冲区里，窗口越来越小，直到 0', '先不呼叫 recv()：到達的位元組留在核心的接收緩衝區裡，視窗越來越小，直到 0', 'no recv() yet: arriving bytes stay in the kernel’s receive buffer and the window shrinks to 0'),
      code('time.sleep(1)'),
      blank(),
      note(0, '现在开始读：每次 recv() 从接收缓冲区取出最多 65536 字节，窗口重新打开', '現在開始讀：每次 recv() 從接收緩衝區取出最多 65536 位元組，視窗重新打開', 'now read: each recv() takes at most 65536 bytes out of the receive buffer and the window reopens'),
      code('total = 0'),
      code('while total < SIZE:'),
      code('    data = conn.recv(65536)', 'recv'),
      code('    if not data:'),
      code('        break'),
      code('    total += len(data)'),
      code("print('received', total, 'bytes')"),
      blank(),
      code('conn.close()', 'close'),
      code('server.close()', 'close'),
    ]),
    client: listing('buffers_client.py', [
      code('import socket'),
      code('import time'),
      blank(),
      code('SIZE = 1024 * 1024'),
      blank(),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '固定的小发送缓冲区：64 KiB（Linux 会把它加倍）', '固定的小發送緩衝區：64 KiB（Linux 會把它加倍）', 'a fixed, small send buffer: 64 KiB (Linux doubles it)'),
      code('client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)', 'socket'),
      code("client.connect(('127.0.0.1', 8888))", 'connect'),
      blank(),
      note(0, 'sendall() 反复调用 send()，直到每个字节都进了发送缓冲区；对方不读时它就阻塞', 'sendall() 反覆呼叫 send()，直到每個位元組都進了發送緩衝區；對方不讀時它就阻塞', 'sendall() calls send() until every byte is in the send buffer; it blocks while the peer does not read'),
      code('start = time.time()'),
      code("client.sendall(b'x' * SIZE)", 'send'),
      code("print('sendall() returned after %.1f s' % (time.time() - start))"),
      code('client.close()', 'close'),
    ]),
  },
  steps: [
    {
      id: 'server.listen', role: 'server', server: ['socket', 'bind', 'listen'],
      explain: t(
        '服务端在 bind() 之前把 SO_RCVBUF 设成 65536（Linux 实际给它加倍），然后 LISTEN。它会接受连接，但暂时不读数据。',
        '服務端在 bind() 之前把 SO_RCVBUF 設成 65536（Linux 實際給它加倍），然後 LISTEN。它會接受連線，但暫時不讀資料。',
        'The server sets SO_RCVBUF to 65536 before bind() (Linux doubles it) and goes to LISTEN. It will accept a connection but not read from it for a while.',
      ),
    },
    {
      id: 'client.connect', role: 'client', client: ['socket', 'connect'],
      explain: t(
        '客户端把 SO_SNDBUF 设成 65536，然后连接：三次握手。握手时双方各自通告自己的接收窗口：对方最多可以先发这么多还没被确认的字节。服务端的窗口很小，因为它的接收缓冲区很小。',
        '客戶端把 SO_SNDBUF 設成 65536，然後連線：三次握手。握手時雙方各自通告自己的接收視窗：對方最多可以先發這麼多還沒被確認的位元組。服務端的視窗很小，因為它的接收緩衝區很小。',
        'The client sets SO_SNDBUF to 65536, then connects: the three-way handshake. Each side announces its receive window — how many unacknowledged bytes the other may send ahead. The server’s window is small because its receive buffer is.',
      ),
    },
    {
      id: 'server.accept', role: 'server', server: ['accept'],
      explain: t(
        'accept() 返回连接套接字——然后服务端就不管它了：程序停在 recv() 之前。',
        'accept() 傳回連線套接字——然後服務端就不管它了：程式停在 recv() 之前。',
        'accept() returned the connection socket — and then the server leaves it alone: the program waits before recv().',
      ),
    },
    {
      id: 'client.send', role: 'client', client: ['send'],
      explain: t(
        'sendall() 要把 1 MiB 放进发送缓冲区。内核在服务端窗口允许的范围内发出报文段，服务端内核把它们存进接收缓冲区，但没有人读：Recv-Q 停在约 128 KiB，服务端通告的窗口变成 0（零窗口）；客户端的 Send-Q 也满了，sendall() 阻塞在那里——它的调用还没有返回。',
        'sendall() 要把 1 MiB 放進發送緩衝區。核心在服務端視窗允許的範圍內送出區段，服務端核心把它們存進接收緩衝區，但沒有人讀：Recv-Q 停在約 128 KiB，服務端通告的視窗變成 0（零視窗）；客戶端的 Send-Q 也滿了，sendall() 阻塞在那裡——它的呼叫還沒有返回。',
        'sendall() has 1 MiB to put into the send buffer. The kernel sent segments as far as the server’s window allowed and the server’s kernel stored them in the receive buffer, but nobody reads: Recv-Q stops at about 128 KiB and the window the server advertises is 0 (zero window); the client’s Send-Q is full too, and sendall() is blocked — its call has not returned.',
      ),
    },
    {
      id: 'server.recv', role: 'server', server: ['recv'],
      explain: t(
        '服务端开始读：每次 recv(65536) 从接收缓冲区里最多复制出 64 KiB，内核重新打开窗口（窗口更新），客户端内核把发送缓冲区里等着的字节发出去，sendall() 得以继续，最后返回。服务端读满 1 MiB。字节走过的路：应用 → 发送缓冲区 → 线路 → 接收缓冲区 → 应用。',
        '服務端開始讀：每次 recv(65536) 從接收緩衝區裡最多複製出 64 KiB，核心重新打開視窗（視窗更新），客戶端核心把發送緩衝區裡等著的位元組送出去，sendall() 得以繼續，最後返回。服務端讀滿 1 MiB。位元組走過的路：應用程式 → 發送緩衝區 → 線路 → 接收緩衝區 → 應用程式。',
        'The server reads: each recv(65536) copies at most 64 KiB out of the receive buffer, the kernel reopens the window (window update), the client’s kernel sends what waited in its send buffer, and sendall() goes on and finally returns. The server reads all 1 MiB. The bytes’ path: app → send buffer → wire → receive buffer → app.',
      ),
    },
    {
      id: 'client.close', role: 'client', client: ['close'],
      explain: t(
        '所有字节都送到了，客户端关闭：FIN。',
        '所有位元組都送到了，客戶端關閉：FIN。',
        'Every byte has arrived; the client closes: FIN.',
      ),
    },
    {
      id: 'server.close', role: 'server', server: ['close'],
      explain: t(
        '服务端关闭连接套接字和监听套接字，四次挥手结束；先关闭的客户端停在 TIME_WAIT。',
        '服務端關閉連線套接字和監聽套接字，四次揮手結束；先關閉的客戶端停在 TIME_WAIT。',
        'The server closes its connection and listening sockets; the teardown completes and the client, which closed first, is in TIME_WAIT.',
      ),
    },
  ],
});
