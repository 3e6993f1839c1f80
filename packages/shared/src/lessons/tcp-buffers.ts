import { blank, code, defineLesson, listing, note, t } from './build.ts';

/** How much the client sends: more than loopback's receive buffer plus the (auto-grown, 4 MiB max by default) send buffer hold. */
export const BUFFERS_BYTES = 6 * 1024 * 1024;

/** send/recv and the kernel buffers, on 8888 with a server that reads late. Scenario: apps/agent/src/scenarios/tcp-buffers.ts. */
export const tcpBuffersLesson = defineLesson({
  id: 'tcp-buffers',
  title: t('send、recv 与内核缓冲区', 'send、recv 與核心緩衝區', 'send, recv and the kernel’s buffers'),
  summary: t(
    'send() 并不把字节送上网络，它只把字节复制进内核的发送缓冲区；recv() 也不从网络取字节，它从内核的接收缓冲区里复制。这一课里客户端发送 6 MiB，而服务端暂时不读：服务端的接收缓冲区（Recv-Q）涨到一个平台，它通告的窗口缩小到 0，客户端的发送缓冲区（Send-Q）被填满，send() 阻塞。服务端开始读之后，窗口重新打开，一切又流动起来：应用 → 发送缓冲区 → 线路 → 接收缓冲区 → 应用。',
    'send() 並不把位元組送上網路，它只把位元組複製進核心的發送緩衝區；recv() 也不從網路取位元組，它從核心的接收緩衝區裡複製。這一課裡客戶端發送 6 MiB，而服務端暫時不讀：服務端的接收緩衝區（Recv-Q）漲到一個平台，它通告的視窗縮小到 0，客戶端的發送緩衝區（Send-Q）被填滿，send() 阻塞。服務端開始讀之後，視窗重新打開，一切又流動起來：應用程式 → 發送緩衝區 → 線路 → 接收緩衝區 → 應用程式。',
    'send() does not put bytes on the network: it copies them into the kernel’s send buffer (发送缓冲区); recv() does not take bytes from the network: it copies them out of the kernel’s receive buffer (接收缓冲区). Here the client sends 6 MiB while the server does not read yet: the server’s receive queue (Recv-Q) rises to a plateau, the window it advertises shrinks to zero, the client’s send queue (Send-Q) fills and send() blocks. Once the server reads, the window reopens and everything flows again: app → send buffer → wire → receive buffer → app.',
  ),
  proto: 'tcp',
  ports: [8888],
  facts: [5, 10],
  listings: {
    server: listing('buffers_server.py', [
      code('import socket'),
      code('import time'),
      blank(),
      code('SIZE = 6 * 1024 * 1024'),
      blank(),
      code('server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      code("server.bind(('127.0.0.1', 8888))", 'bind'),
      code('server.listen(128)', 'listen'),
      code('conn, addr = server.accept()', 'accept'),
      blank(),
      note(0, '先不调用 recv()：到达的字节留在内核的接收缓冲区里，窗口越来越小，直到 0', '先不呼叫 recv()：到達的位元組留在核心的接收緩衝區裡，視窗越來越小，直到 0', 'no recv() yet: arriving bytes stay in the kernel’s receive buffer and the window shrinks to 0'),
      code('time.sleep(3)', 'pause'),
      blank(),
      note(0, '现在开始读：每次 recv() 从接收缓冲区取出最多 65536 字节，窗口重新打开', '現在開始讀：每次 recv() 從接收緩衝區取出最多 65536 位元組，視窗重新打開', 'now read: each recv() takes at most 65536 bytes out of the receive buffer and the window reopens'),
      code('total = 0', 'recv'),
      code('while total < SIZE:', 'recv'),
      code('    data = conn.recv(65536)', 'recv'),
      code('    if not data:', 'recv'),
      code('        break', 'recv'),
      code('    total += len(data)', 'recv'),
      code("print('received', total, 'bytes')", 'recv'),
      blank(),
      code('conn.close()', 'close'),
      code('server.close()', 'close'),
    ]),
    client: listing('buffers_client.py', [
      code('import socket'),
      code('import time'),
      blank(),
      code('SIZE = 6 * 1024 * 1024'),
      blank(),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      code("client.connect(('127.0.0.1', 8888))", 'connect'),
      blank(),
      note(0, 'sendall() 反复调用 send()，直到每个字节都进了发送缓冲区；对方不读时它就阻塞', 'sendall() 反覆呼叫 send()，直到每個位元組都進了發送緩衝區；對方不讀時它就阻塞', 'sendall() calls send() until every byte is in the send buffer; it blocks while the peer does not read'),
      code('start = time.time()', 'send'),
      code("client.sendall(b'x' * SIZE)", 'send'),
      code("print('sendall() returned after %.1f s' % (time.time() - start))", 'send'),
      code('client.close()', 'close'),
    ]),
  },
  steps: [
    {
      id: 'server.listen', role: 'server', server: ['socket', 'bind', 'listen'],
      explain: t(
        '一个会接受连接、但暂时不读数据的服务端：LISTEN。',
        '一個會接受連線、但暫時不讀資料的服務端：LISTEN。',
        'A server that will accept a connection but not read from it for a while: LISTEN.',
      ),
    },
    {
      id: 'client.connect', role: 'client', client: ['socket', 'connect'],
      explain: t(
        '三次握手。握手时双方各自通告自己的接收窗口（以及窗口扩大因子）：对方最多可以先发这么多还没被确认的字节。',
        '三次握手。握手時雙方各自通告自己的接收視窗（以及視窗擴大因子）：對方最多可以先發這麼多還沒被確認的位元組。',
        'The three-way handshake. Each side announces its receive window (and window scale): how many unacknowledged bytes the other may send ahead.',
      ),
    },
    {
      id: 'server.accept', role: 'server', server: ['accept'],
      explain: t(
        'accept() 返回连接套接字——然后服务端就不管它了。',
        'accept() 傳回連線套接字——然後服務端就不管它了。',
        'accept() returned the connection socket — and then the server leaves it alone.',
      ),
    },
    {
      id: 'client.send', role: 'client', client: ['send'],
      explain: t(
        '客户端发送 6 MiB。只要发送缓冲区还有空间，send() 复制完就返回；内核在服务端窗口允许的范围内发出报文段，服务端内核把它们存进接收缓冲区，但没有人读：Recv-Q 涨到一个平台，服务端通告的窗口缩到 0（零窗口）；客户端的 Send-Q 被填满（内核会自动把它调大到几 MiB），然后 send() 阻塞——代理报告 blocked。Python 的 sendall() 此时就停在那里不动。',
        '客戶端發送 6 MiB。只要發送緩衝區還有空間，send() 複製完就返回；核心在服務端視窗允許的範圍內送出區段，服務端核心把它們存進接收緩衝區，但沒有人讀：Recv-Q 漲到一個平台，服務端通告的視窗縮到 0（零視窗）；客戶端的 Send-Q 被填滿（核心會自動把它調大到幾 MiB），然後 send() 阻塞——代理程式報告 blocked。Python 的 sendall() 此時就停在那裡不動。',
        'The client sends 6 MiB. While the send buffer has room, send() returns as soon as it has copied; the kernel sends segments as far as the server’s window allows and the server’s kernel stores them in the receive buffer, but nobody reads: Recv-Q rises to a plateau and the window the server advertises shrinks to 0 (zero window); the client’s Send-Q fills (the kernel grows it to a few MiB by itself) and then send() blocks — the agent reports “blocked”. A Python sendall() would simply sit there.',
      ),
    },
    {
      id: 'server.recv', role: 'server', server: ['recv'],
      explain: t(
        '服务端开始读：每次 recv() 从接收缓冲区复制出最多 64 KiB，内核重新打开窗口（窗口更新），客户端内核把发送缓冲区里等着的字节发出去，send() 继续（writable）。字节走过的路：应用 → 发送缓冲区 → 线路 → 接收缓冲区 → 应用。',
        '服務端開始讀：每次 recv() 從接收緩衝區複製出最多 64 KiB，核心重新打開視窗（視窗更新），客戶端核心把發送緩衝區裡等著的位元組送出去，send() 繼續（writable）。位元組走過的路：應用程式 → 發送緩衝區 → 線路 → 接收緩衝區 → 應用程式。',
        'The server reads: each recv() copies up to 64 KiB out of the receive buffer, the kernel reopens the window (window update), the client’s kernel sends what waited in its send buffer and send() goes on (“writable”). The bytes’ path: app → send buffer → wire → receive buffer → app.',
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
        '服务端关闭连接套接字和监听套接字，四次挥手结束。',
        '服務端關閉連線套接字和監聽套接字，四次揮手結束。',
        'The server closes its connection and listening sockets; the teardown completes.',
      ),
    },
  ],
});
