import { blank, code, defineLesson, listing, note, t } from './build.ts';

/**
 * 四次挥手 and TIME_WAIT, with the tutorial's SO_REUSEADDR server on 8989 (listen(128)). The server
 * closes first, so TIME_WAIT holds the server's own port and the same program, restarted, meets it: without
 * --reuse bind() fails (EADDRINUSE), with it the bind succeeds. Linux lets a SO_REUSEADDR bind past a
 * TIME_WAIT socket only when that socket had SO_REUSEADDR too, hence the first run's --reuse.
 */
export const tcpTeardownLesson = defineLesson({
  id: 'tcp-teardown',
  title: t('四次挥手与 TIME_WAIT', '四次揮手與 TIME_WAIT', 'The four-way teardown (四次挥手) and TIME_WAIT'),
  summary: t(
    '这次服务端先关闭：FIN、ACK、FIN、ACK。先关闭的一方经历 FIN_WAIT1 → FIN_WAIT2 → TIME_WAIT，另一方经历 CLOSE_WAIT → LAST_ACK；客户端的 recv() 返回 b\'\'，这就是它得知对方关闭的方式。服务端的连接随后在 TIME_WAIT 里停留 60 秒，仍然占着端口 8989：此时不设置 SO_REUSEADDR 就重启服务端，bind() 会失败（EADDRINUSE）；设置了 SO_REUSEADDR 则可以立即重启。',
    '這次服務端先關閉：FIN、ACK、FIN、ACK。先關閉的一方經歷 FIN_WAIT1 → FIN_WAIT2 → TIME_WAIT，另一方經歷 CLOSE_WAIT → LAST_ACK；客戶端的 recv() 傳回 b\'\'，這就是它得知對方關閉的方式。服務端的連線隨後在 TIME_WAIT 裡停留 60 秒，仍然占著埠 8989：此時不設定 SO_REUSEADDR 就重新啟動服務端，bind() 會失敗（EADDRINUSE）；設定了 SO_REUSEADDR 則可以立即重新啟動。',
    'This time the server closes first: FIN, ACK, FIN, ACK. The side that closes first goes FIN_WAIT1 → FIN_WAIT2 → TIME_WAIT, the other CLOSE_WAIT → LAST_ACK, and the client’s recv() returns b\'\' — that is how it learns the peer closed. The server’s connection then stays in TIME_WAIT for 60 s, still holding port 8989: a server restarted now without SO_REUSEADDR fails in bind() with EADDRINUSE; with SO_REUSEADDR it starts at once.',
  ),
  proto: 'tcp',
  ports: [8989],
  facts: [6, 7, 8],
  listings: {
    server: listing('reuse_server.py', [
      code('import socket'),
      code('import sys'),
      blank(),
      note(0, '用 python3 reuse_server.py --reuse 启动时，在 bind() 之前设置 SO_REUSEADDR', '用 python3 reuse_server.py --reuse 啟動時，在 bind() 之前設定 SO_REUSEADDR', 'started as python3 reuse_server.py --reuse, it sets SO_REUSEADDR before bind()'),
      code("reuse = '--reuse' in sys.argv"),
      blank(),
      note(0, '1. 创建套接字', '1. 建立套接字', '1. create a socket'),
      code('server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      code('if reuse:'),
      note(4, 'SO_REUSEADDR：端口上还有 TIME_WAIT 连接时也允许绑定', 'SO_REUSEADDR：埠上還有 TIME_WAIT 連線時也允許綁定', 'SO_REUSEADDR: allow the bind while TIME_WAIT connections still hold the port'),
      code('    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)', 'reuse'),
      note(0, '2. 绑定端口号：没有 SO_REUSEADDR 时，这里可能失败（EADDRINUSE）', '2. 綁定埠號：沒有 SO_REUSEADDR 時，這裡可能失敗（EADDRINUSE）', '2. bind the port: without SO_REUSEADDR this may fail (EADDRINUSE)'),
      code("server.bind(('127.0.0.1', 8989))", 'bind'),
      note(0, '3. 设置监听', '3. 設定監聽', '3. listen'),
      code('server.listen(128)', 'listen'),
      code("print('listening on 127.0.0.1:8989, SO_REUSEADDR', 'on' if reuse else 'off')", 'listen'),
      blank(),
      note(0, '4. 等待接受连接请求', '4. 等待接受連線請求', '4. accept'),
      code('conn, addr = server.accept()', 'accept'),
      note(0, '说声再见', '說聲再見', 'say goodbye'),
      code("conn.send('bye'.encode('utf-8'))", 'send'),
      blank(),
      note(0, '5. 关闭套接字：这次服务端先关闭，它发出第一个 FIN', '5. 關閉套接字：這次服務端先關閉，它送出第一個 FIN', '5. close: this time the server closes first and sends the first FIN'),
      code('conn.close()', 'close'),
      code('server.close()', 'close'),
    ]),
    client: listing('reuse_client.py', [
      code('import socket'),
      blank(),
      note(0, '1. 创建套接字', '1. 建立套接字', '1. create a socket'),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '2. 建立连接', '2. 建立連線', '2. connect'),
      code("client.connect(('127.0.0.1', 8989))", 'connect'),
      blank(),
      note(0, "3. 接收数据，直到 recv() 返回 b''：服务端关闭了", "3. 接收資料，直到 recv() 傳回 b''：服務端關閉了", "3. recv until recv() returns b'': the server has closed"),
      code('while True:'),
      code('    data = client.recv(1024)', 'recv'),
      code("    print('recv() returned', data)", 'recv'),
      code('    if not data:'),
      code('        break'),
      blank(),
      note(0, '4. 关闭套接字：发出我们这边的 FIN', '4. 關閉套接字：送出我們這邊的 FIN', '4. close: send our own FIN'),
      code('client.close()', 'close'),
    ]),
  },
  runs: [
    { id: 'server', listing: 'server', args: ['--reuse'] },
    { id: 'client', listing: 'client' },
    { id: 'restart', listing: 'server' },
    { id: 'restart-reuse', listing: 'server', args: ['--reuse'] },
  ],
  steps: [
    {
      id: 'server.listen', role: 'server', server: ['socket', 'reuse', 'bind', 'listen'],
      explain: t(
        '服务端以 --reuse 启动：它在 bind() 之前设置 SO_REUSEADDR（原因在本课最后揭晓），然后绑定 127.0.0.1:8989，listen(128)：LISTEN。',
        '服務端以 --reuse 啟動：它在 bind() 之前設定 SO_REUSEADDR（原因在本課最後揭曉），然後綁定 127.0.0.1:8989，listen(128)：LISTEN。',
        'The server is started with --reuse: it sets SO_REUSEADDR before bind() (the reason shows at the end of this lesson), binds 127.0.0.1:8989 and listens with backlog 128: LISTEN.',
      ),
    },
    {
      id: 'client.connect', role: 'client', client: ['socket', 'connect'],
      explain: t(
        '三次握手：SYN、SYN+ACK、ACK，客户端进入 ESTABLISHED。',
        '三次握手：SYN、SYN+ACK、ACK，客戶端進入 ESTABLISHED。',
        'The three-way handshake: SYN, SYN+ACK, ACK; the client is ESTABLISHED.',
      ),
    },
    {
      id: 'server.accept', role: 'server', server: ['accept'],
      explain: t(
        'accept() 返回这条连接的套接字，两端都是 ESTABLISHED。',
        'accept() 傳回這條連線的套接字，兩端都是 ESTABLISHED。',
        'accept() returned the connection’s socket; both ends are ESTABLISHED.',
      ),
    },
    {
      id: 'server.send', role: 'server', server: ['send'],
      explain: t(
        '服务端先说 "bye"：3 个字节进入客户端的接收缓冲区（Recv-Q 3），客户端程序还没有读。',
        '服務端先說 "bye"：3 個位元組進入客戶端的接收緩衝區（Recv-Q 3），客戶端程式還沒有讀。',
        'The server says "bye" first: 3 bytes land in the client’s receive buffer (Recv-Q 3); the client program has not read them yet.',
      ),
    },
    {
      id: 'server.close', role: 'server', server: ['close'],
      explain: t(
        '这次服务端先关闭。conn.close() 让它的内核发出 FIN（第 1 次挥手）：FIN_WAIT1，直到客户端内核回 ACK（第 2 次；这个 ACK 可能被推迟几十毫秒），然后是 FIN_WAIT2。客户端进入 CLOSE_WAIT：内核知道对方不再发送了，但客户端程序还没有关闭（Recv-Q 里是 "bye" 的 3 个字节，FIN 也算 1）。监听套接字也关闭了，服务端程序已经结束——它的连接却还留在内核里。',
        '這次服務端先關閉。conn.close() 讓它的核心送出 FIN（第 1 次揮手）：FIN_WAIT1，直到客戶端核心回 ACK（第 2 次；這個 ACK 可能被延後幾十毫秒），然後是 FIN_WAIT2。客戶端進入 CLOSE_WAIT：核心知道對方不再發送了，但客戶端程式還沒有關閉（Recv-Q 裡是 "bye" 的 3 個位元組，FIN 也算 1）。監聽套接字也關閉了，服務端程式已經結束——它的連線卻還留在核心裡。',
        'This time the server closes first. conn.close() made its kernel send FIN (teardown step 1): FIN_WAIT1 until the client’s kernel ACKs it (step 2; that ACK may be delayed by tens of ms), then FIN_WAIT2. The client is in CLOSE_WAIT: its kernel knows the peer has stopped sending, but the client program has not closed yet (its Recv-Q holds the 3 bytes of "bye", and the FIN counts as 1). The listening socket is closed too and the server program has ended — yet its connection is still in the kernel.',
      ),
    },
    {
      id: 'client.recv', role: 'client', client: ['recv'],
      explain: t(
        '第一次 recv() 返回 b\'bye\'，下一次返回 b\'\'（0 字节）：程序就是这样得知对方发来了 FIN。在它调用 close() 之前，客户端一直停在 CLOSE_WAIT——忘记 close() 的程序会留下一堆 CLOSE_WAIT。',
        '第一次 recv() 傳回 b\'bye\'，下一次傳回 b\'\'（0 位元組）：程式就是這樣得知對方送來了 FIN。在它呼叫 close() 之前，客戶端一直停在 CLOSE_WAIT——忘記 close() 的程式會留下一堆 CLOSE_WAIT。',
        'The first recv() returned b\'bye\', the next b\'\' (0 bytes): that is how a program learns the peer sent FIN. Until it calls close() the client stays in CLOSE_WAIT — a program that forgets close() leaves CLOSE_WAIT sockets behind.',
      ),
    },
    {
      id: 'client.close', role: 'client', client: ['close'],
      explain: t(
        'close() 发出客户端的 FIN（第 3 次挥手），服务端内核回最后一个 ACK（第 4 次），客户端的套接字随即消失。服务端的连接现在处于 TIME_WAIT：先关闭的一方要等 2·MSL（Linux 上 60 秒），让这条连接迟到的报文段消亡，并在最后的 ACK 丢失时可以重发。这个 TIME_WAIT 连接仍然占着 127.0.0.1:8989。',
        'close() 送出客戶端的 FIN（第 3 次揮手），服務端核心回最後一個 ACK（第 4 次），客戶端的套接字隨即消失。服務端的連線現在處於 TIME_WAIT：先關閉的一方要等 2·MSL（Linux 上 60 秒），讓這條連線遲到的區段消亡，並在最後的 ACK 遺失時可以重送。這個 TIME_WAIT 連線仍然占著 127.0.0.1:8989。',
        'close() sent the client’s FIN (step 3), the server’s kernel answered the last ACK (step 4) and the client’s socket is gone. The server’s connection is now in TIME_WAIT: the side that closed first waits 2·MSL (60 s on Linux) so late segments of this connection die out and its last ACK can be repeated if lost. This TIME_WAIT connection still holds 127.0.0.1:8989.',
      ),
    },
    {
      id: 'server.restart', role: 'server', runs: { restart: ['socket', 'bind'] },
      explain: t(
        '立刻重启服务端，这次不加 --reuse：bind() 失败，OSError: [Errno 98] Address already in use（EADDRINUSE），因为旧连接还在 TIME_WAIT 里占着端口 8989。程序因为这个异常结束了。',
        '立刻重新啟動服務端，這次不加 --reuse：bind() 失敗，OSError: [Errno 98] Address already in use（EADDRINUSE），因為舊連線還在 TIME_WAIT 裡占著埠 8989。程式因為這個例外結束了。',
        'The server is restarted at once, this time without --reuse: bind() fails with OSError: [Errno 98] Address already in use (EADDRINUSE), because the old connection still holds port 8989 in TIME_WAIT. The program ends on that exception.',
      ),
    },
    {
      id: 'server.restart-reuseaddr', role: 'server', runs: { 'restart-reuse': ['socket', 'reuse', 'bind', 'listen'] },
      explain: t(
        '再以 --reuse 重启：在 bind() 之前设置了 SO_REUSEADDR，内核允许新的监听套接字绑定 8989，尽管 TIME_WAIT 还占着它：LISTEN。在 Linux 上，旧连接的套接字也必须设置过 SO_REUSEADDR 才行——所以第一次启动时也加了 --reuse，教程的服务端每次启动都设置它。新服务端在 accept() 里等一个不会再来的客户端，课程结束时把它停掉。',
        '再以 --reuse 重新啟動：在 bind() 之前設定了 SO_REUSEADDR，核心允許新的監聽套接字綁定 8989，儘管 TIME_WAIT 還占著它：LISTEN。在 Linux 上，舊連線的套接字也必須設定過 SO_REUSEADDR 才行——所以第一次啟動時也加了 --reuse，教程的服務端每次啟動都設定它。新服務端在 accept() 裡等一個不會再來的客戶端，課程結束時把它停掉。',
        'Restarted again with --reuse: SO_REUSEADDR was set before bind(), so the kernel let the new listening socket bind 8989 although TIME_WAIT still holds it: LISTEN. On Linux the old connection’s socket must have had SO_REUSEADDR too — which is why the first start used --reuse as well, and why the tutorial’s server sets it every time. The new server waits in accept() for a client that will not come; the lesson stops it at the end.',
      ),
    },
  ],
});
