import { blank, code, defineLesson, listing, note, t } from './build.ts';

/**
 * 四次挥手 and TIME_WAIT, with the tutorial's SO_REUSEADDR server on 8989 (listen(128)). The server
 * closes first, so TIME_WAIT holds the server's own port and a restart meets it.
 * Scenario: apps/agent/src/scenarios/tcp-teardown.ts.
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
      code('import time'),
      blank(),
      blank(),
      code('def start_server(reuse):'),
      note(4, '1. 创建套接字', '1. 建立套接字', '1. create a socket'),
      code('    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      code('    if reuse:', 'reuse'),
      note(8, 'SO_REUSEADDR 必须在 bind() 之前设置：端口上还有 TIME_WAIT 连接时也允许绑定', 'SO_REUSEADDR 必須在 bind() 之前設定：埠上還有 TIME_WAIT 連線時也允許綁定', 'SO_REUSEADDR, set before bind(): allows binding while TIME_WAIT connections hold the port'),
      code('        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)', 'reuse'),
      note(4, '2. 绑定端口号', '2. 綁定埠號', '2. bind the port'),
      code("    server.bind(('127.0.0.1', 8989))", 'bind'),
      note(4, '3. 设置监听', '3. 設定監聽', '3. listen'),
      code('    server.listen(128)', 'listen'),
      code('    return server'),
      blank(),
      blank(),
      code('server = start_server(reuse=True)', 'start'),
      note(0, '4. 等待接受连接请求', '4. 等待接受連線請求', '4. accept'),
      code('conn, addr = server.accept()', 'accept'),
      blank(),
      note(0, '说声再见', '說聲再見', 'say goodbye'),
      code("conn.send('bye'.encode('utf-8'))", 'send'),
      note(0, '这次服务端先关闭：它发出第一个 FIN', '這次服務端先關閉：它送出第一個 FIN', 'this time the server closes first: it sends the first FIN'),
      code('conn.close()', 'close'),
      code('server.close()', 'close'),
      note(0, '等客户端也关闭；我们这一端的连接进入 TIME_WAIT，仍占着 8989', '等客戶端也關閉；我們這一端的連線進入 TIME_WAIT，仍占著 8989', 'let the client close too; our end of the connection is now in TIME_WAIT, still holding 8989'),
      code('time.sleep(2)'),
      blank(),
      note(0, '立刻重启，不设置 SO_REUSEADDR', '立刻重新啟動，不設定 SO_REUSEADDR', 'restart at once, without SO_REUSEADDR'),
      code('try:', 'restart'),
      code('    server = start_server(reuse=False)', 'restart'),
      code("    print('restart without SO_REUSEADDR: ok (no TIME_WAIT left)')", 'restart'),
      code('    server.close()', 'restart'),
      code('except OSError as e:', 'restart'),
      code("    print('restart without SO_REUSEADDR failed:', e)", 'restart'),
      blank(),
      note(0, '设置 SO_REUSEADDR 再重启', '設定 SO_REUSEADDR 再重新啟動', 'restart with SO_REUSEADDR'),
      code('server = start_server(reuse=True)', 'restart-reuse'),
      code("print('restart with SO_REUSEADDR: ok')", 'restart-reuse'),
      note(0, '5. 关闭套接字', '5. 關閉套接字', '5. close'),
      code('server.close()', 'stop'),
    ]),
    client: listing('reuse_client.py', [
      code('import socket'),
      code('import time'),
      blank(),
      note(0, '1. 创建套接字', '1. 建立套接字', '1. create a socket'),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '2. 建立连接', '2. 建立連線', '2. connect'),
      code("client.connect(('127.0.0.1', 8989))", 'connect'),
      blank(),
      note(0, '3. 接收数据，直到 recv() 返回 b\'\'：服务端关闭了', '3. 接收資料，直到 recv() 傳回 b\'\'：服務端關閉了', '3. recv until recv() returns b\'\': the server has closed'),
      code('while True:', 'recv'),
      code('    data = client.recv(1024)', 'recv'),
      code("    print('recv() returned', data)", 'recv'),
      code('    if not data:', 'recv'),
      code('        break', 'recv'),
      note(0, '在 CLOSE_WAIT 里停一会儿（另开终端用 ss -tan 可以看到）', '在 CLOSE_WAIT 裡停一會兒（另開終端機用 ss -tan 可以看到）', 'stay in CLOSE_WAIT for a moment (ss -tan in another terminal shows it)'),
      code('time.sleep(1)', 'recv'),
      note(0, '4. 关闭套接字：发出我们这边的 FIN', '4. 關閉套接字：送出我們這邊的 FIN', '4. close: send our own FIN'),
      code('client.close()', 'close'),
    ]),
  },
  steps: [
    {
      id: 'server.listen', role: 'server', server: ['start', 'socket', 'reuse', 'bind', 'listen'],
      explain: t(
        '教程的 8989 服务端每次启动都在 bind() 之前设置 SO_REUSEADDR（原因在本课最后揭晓），然后绑定 127.0.0.1:8989，listen(128)：LISTEN。',
        '教程的 8989 服務端每次啟動都在 bind() 之前設定 SO_REUSEADDR（原因在本課最後揭曉），然後綁定 127.0.0.1:8989，listen(128)：LISTEN。',
        'The tutorial’s 8989 server sets SO_REUSEADDR before bind() every time it starts (the reason shows at the end of this lesson), then binds 127.0.0.1:8989 and listens with backlog 128: LISTEN.',
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
        '服务端先说 "bye"：3 个字节进入客户端的接收缓冲区，客户端程序还没有读。',
        '服務端先說 "bye"：3 個位元組進入客戶端的接收緩衝區，客戶端程式還沒有讀。',
        'The server says "bye" first: 3 bytes land in the client’s receive buffer; the client program has not read them yet.',
      ),
    },
    {
      id: 'server.close', role: 'server', server: ['close'],
      explain: t(
        '这次服务端先关闭。close() 让它的内核发出 FIN（第 1 次挥手），连接进入 FIN_WAIT1，直到客户端内核回 ACK（第 2 次）；客户端内核把这个 ACK 稍微推迟（延迟确认，几十毫秒），所以 FIN_WAIT1 看得见，然后是 FIN_WAIT2。客户端进入 CLOSE_WAIT：内核知道对方不再发送了，但客户端程序还没有关闭。监听套接字也关闭了：服务端程序结束了。',
        '這次服務端先關閉。close() 讓它的核心送出 FIN（第 1 次揮手），連線進入 FIN_WAIT1，直到客戶端核心回 ACK（第 2 次）；客戶端核心把這個 ACK 稍微延後（延遲確認，幾十毫秒），所以 FIN_WAIT1 看得見，然後是 FIN_WAIT2。客戶端進入 CLOSE_WAIT：核心知道對方不再發送了，但客戶端程式還沒有關閉。監聽套接字也關閉了：服務端程式結束了。',
        'This time the server closes first. close() made its kernel send FIN (teardown step 1): FIN_WAIT1 until the client’s kernel ACKs it (step 2). The client’s kernel holds that ACK back a little (delayed ACK, some tens of milliseconds), so FIN_WAIT1 is visible before FIN_WAIT2. The client is in CLOSE_WAIT: its kernel knows the peer has stopped sending, but the client program has not closed yet. The listening socket is closed too: the server program has ended.',
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
        'close() 发出客户端的 FIN（第 3 次挥手）：LAST_ACK；服务端内核回最后一个 ACK（第 4 次），客户端的套接字随即消失。服务端的连接现在处于 TIME_WAIT：先关闭的一方要等 2·MSL（Linux 上 60 秒），让这条连接迟到的报文段消亡，并在最后的 ACK 丢失时可以重发。这个 TIME_WAIT 套接字仍然占着 127.0.0.1:8989。',
        'close() 送出客戶端的 FIN（第 3 次揮手）：LAST_ACK；服務端核心回最後一個 ACK（第 4 次），客戶端的套接字隨即消失。服務端的連線現在處於 TIME_WAIT：先關閉的一方要等 2·MSL（Linux 上 60 秒），讓這條連線遲到的區段消亡，並在最後的 ACK 遺失時可以重送。這個 TIME_WAIT 套接字仍然占著 127.0.0.1:8989。',
        'close() sent the client’s FIN (step 3): LAST_ACK; the server’s kernel answered the last ACK (step 4) and the client’s socket is gone. The server’s connection is now in TIME_WAIT: the side that closed first waits 2·MSL (60 s on Linux) so late segments of this connection die out and its last ACK can be repeated if lost. This TIME_WAIT socket still holds 127.0.0.1:8989.',
      ),
    },
    {
      id: 'server.restart', role: 'server', server: ['restart', 'socket', 'bind'],
      explain: t(
        '不设置 SO_REUSEADDR 就重启：像这个 Python 服务端这样的程序会在 bind() 处失败，OSError: [Errno 98] Address already in use（EADDRINUSE），因为旧连接还在 TIME_WAIT 里占着端口 8989。SocketScope 代理运行在 Node 上，Node 给它绑定的每个 TCP 套接字都设置 SO_REUSEADDR，所以代理自己的 bind() 不会这样失败；bind 的结果会列出内核此刻在这个端口上持有的连接（TIME_WAIT），并说明没有 SO_REUSEADDR 的程序在这里会失败。',
        '不設定 SO_REUSEADDR 就重新啟動：像這個 Python 服務端這樣的程式會在 bind() 處失敗，OSError: [Errno 98] Address already in use（EADDRINUSE），因為舊連線還在 TIME_WAIT 裡占著埠 8989。SocketScope 代理程式執行在 Node 上，Node 給它綁定的每個 TCP 套接字都設定 SO_REUSEADDR，所以代理程式自己的 bind() 不會這樣失敗；bind 的結果會列出核心此刻在這個埠上持有的連線（TIME_WAIT），並說明沒有 SO_REUSEADDR 的程式在這裡會失敗。',
        'Restart without SO_REUSEADDR: a program like this Python server fails in bind() with OSError: [Errno 98] Address already in use (EADDRINUSE), because the old connection still holds port 8989 in TIME_WAIT. The SocketScope agent runs on Node, which sets SO_REUSEADDR on every TCP socket it binds, so the agent’s own bind() cannot fail this way; its bind result lists what the kernel held on the port at that moment (TIME_WAIT) and says that a program without SO_REUSEADDR would have failed here.',
      ),
    },
    {
      id: 'server.restart-reuseaddr', role: 'server', server: ['restart-reuse', 'socket', 'reuse', 'bind', 'listen'],
      explain: t(
        '在 bind() 之前设置了 SO_REUSEADDR，内核允许新的监听套接字绑定 8989，尽管 TIME_WAIT 还占着它。在 Linux 上，旧套接字也必须设置过 SO_REUSEADDR 才行——所以教程的服务端每次启动都设置它。',
        '在 bind() 之前設定了 SO_REUSEADDR，核心允許新的監聽套接字綁定 8989，儘管 TIME_WAIT 還占著它。在 Linux 上，舊套接字也必須設定過 SO_REUSEADDR 才行——所以教程的服務端每次啟動都設定它。',
        'With SO_REUSEADDR set before bind(), the kernel let the new listening socket bind 8989 although TIME_WAIT still holds it. On Linux the old socket must have had SO_REUSEADDR too — which is why the tutorial’s server sets it every time it starts.',
      ),
    },
    {
      id: 'server.stop', role: 'server', server: ['stop'],
      explain: t(
        '重启的服务端关闭了。TIME_WAIT 条目 60 秒后由内核自己清除。',
        '重新啟動的服務端關閉了。TIME_WAIT 項目 60 秒後由核心自己清除。',
        'The restarted server closed. The kernel removes the TIME_WAIT entry by itself after 60 s.',
      ),
    },
  ],
});
