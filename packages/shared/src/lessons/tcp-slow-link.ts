import { blank, code, defineLesson, listing, note, t } from './build.ts';

/**
 * A slow network, on the lab: 800 kbit/s (100,000 bytes a second) and 10 ms each way. The client sendall()s
 * 200,000 bytes through a small send buffer while the server reads as fast as it can: sendall() blocks for
 * 2–3 s because the link is slow, not because the reader is (tcp-buffers is the other cause).
 * The send buffer is fixed small so it stays full for the whole transfer (unset, Linux grows it, to ~80 KB
 * here, and sendall() returns well before the last bytes are through: measured 1.4 s of the 2 s). The
 * link's queue holds ~0.1 s of its rate, less than TCP puts in flight: a few segments are dropped there
 * (link.drop, reason queue) and retransmitted, which the explanations say. The server reads in one
 * recv(MSG_WAITALL), not a loop of recv(): a lesson's program is held before each call until a step
 * releases it, and a loop held between steps stops reading (measured: Recv-Q up to 94 KB), the opposite
 * of what the lesson shows; one call that waits in the kernel reads each segment as it arrives.
 */
export const tcpSlowLinkLesson = defineLesson({
  id: 'tcp-slow-link',
  title: t('慢速网络：发送缓冲区被填满', '慢速網路：發送緩衝區被填滿', 'A slow network fills the send buffer'),
  summary: t(
    '链路限速 800 kbit/s（每秒 100,000 字节），每个方向延迟 10 毫秒。客户端把发送缓冲区设得很小，用 sendall() 发送 200,000 字节；服务端在一次 recv(200000, MSG_WAITALL) 里一直读，字节一到就取走。发送缓冲区一下子就满了（Send-Q 停在几万字节），sendall() 阻塞 2 到 3 秒：字节只能按链路的速度离开，每收到一个 ACK 才腾出一点空间。链路的队列很短，客户端一次发出太多时，链路会丢掉几个报文段，客户端内核重传它们并放慢速度。服务端的接收缓冲区却几乎一直是空的（Recv-Q 接近 0），它通告的窗口也一直敞开——慢的是网络，不是读的一方。对比 send、recv 与内核缓冲区那一课：那里是读的一方不读。',
    '鏈路限速 800 kbit/s（每秒 100,000 位元組），每個方向延遲 10 毫秒。客戶端把發送緩衝區設得很小，用 sendall() 送出 200,000 位元組；服務端在一次 recv(200000, MSG_WAITALL) 裡一直讀，位元組一到就取走。發送緩衝區一下子就滿了（Send-Q 停在幾萬位元組），sendall() 阻塞 2 到 3 秒：位元組只能依鏈路的速度離開，每收到一個 ACK 才騰出一點空間。鏈路的佇列很短，客戶端一次送出太多時，鏈路會丟掉幾個區段，客戶端核心重傳它們並放慢速度。服務端的接收緩衝區卻幾乎一直是空的（Recv-Q 接近 0），它通告的視窗也一直敞開——慢的是網路，不是讀的一方。對比 send、recv 與核心緩衝區那一課：那裡是讀的一方不讀。',
    'The link is limited to 800 kbit/s (100,000 bytes a second), 10 ms each way. The client makes its send buffer small and sendall()s 200,000 bytes; the server keeps reading in one recv(200000, MSG_WAITALL), taking the bytes as soon as they arrive. The send buffer fills at once (Send-Q stays at tens of thousands of bytes) and sendall() blocks for 2–3 s: bytes can only leave at the link’s speed, and each ACK frees a little room. The link’s queue is short: when the client puts too much on the way, the link drops a few segments, and the client’s kernel retransmits them and slows down. The server’s receive buffer meanwhile stays almost empty (Recv-Q near 0) and the window it advertises stays open — the network is slow, not the reader. Compare the lesson on send, recv and the kernel’s buffers, where the reader did not read.',
  ),
  proto: 'tcp',
  ports: [12103],
  facts: [5, 10],
  lab: { delayMs: 10, rateKbit: 800 },
  listings: {
    server: listing('slow_link_server.py', [
      code('import socket'),
      code('import time'),
      blank(),
      code('server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      code("server.bind(('10.77.0.2', 12103))", 'bind'),
      code('server.listen(1)', 'listen'),
      code('conn, addr = server.accept()', 'accept'),
      blank(),
      note(0, '一直读：MSG_WAITALL 让 recv() 等到 200,000 字节全部到齐，内核每收到一段就立刻复制给它', '一直讀：MSG_WAITALL 讓 recv() 等到 200,000 位元組全部到齊，核心每收到一段就立刻複製給它', 'keep reading: with MSG_WAITALL recv() waits until all 200,000 bytes are here, and the kernel copies each piece to it as it arrives'),
      code('start = time.time()'),
      code('data = conn.recv(200000, socket.MSG_WAITALL)', 'recv'),
      code("print('received', len(data), 'bytes in %.1f s' % (time.time() - start))", 'recv'),
      code('conn.close()', 'close'),
      code('server.close()', 'close'),
    ]),
    client: listing('slow_link_client.py', [
      code('import socket'),
      code('import time'),
      blank(),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '小的发送缓冲区：8 KiB（Linux 会把它加倍）', '小的發送緩衝區：8 KiB（Linux 會把它加倍）', 'a small send buffer: 8 KiB (Linux doubles it)'),
      code('client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)', 'socket'),
      code("client.connect(('10.77.0.2', 12103))", 'connect'),
      blank(),
      note(0, '200,000 字节：这条链路每秒只能送 100,000 字节', '200,000 位元組：這條鏈路每秒只能送 100,000 位元組', '200,000 bytes: this link carries only 100,000 bytes a second'),
      code('start = time.time()'),
      code("client.sendall(b'x' * 200000)", 'send'),
      code("print('sendall() returned after %.1f s' % (time.time() - start))"),
      code('client.close()', 'close'),
    ]),
  },
  steps: [
    {
      id: 'server.listen', role: 'server', server: ['socket', 'bind', 'listen'],
      explain: t(
        '服务端在服务端主机上监听 10.77.0.2:12103。这条链路很慢：800 kbit/s，每秒最多 100,000 字节，一个 1500 字节的帧要 15 毫秒才能送完。',
        '服務端在服務端主機上監聽 10.77.0.2:12103。這條鏈路很慢：800 kbit/s，每秒最多 100,000 位元組，一個 1500 位元組的訊框要 15 毫秒才能送完。',
        'The server listens on 10.77.0.2:12103 on the server host. The link is slow: 800 kbit/s, at most 100,000 bytes a second; a 1500-byte frame takes 15 ms to go through.',
      ),
    },
    {
      id: 'client.connect', role: 'client', client: ['socket', 'connect'],
      explain: t(
        '客户端把 SO_SNDBUF 设成 8192（Linux 加倍成 16 KiB），然后连接：三次握手只有几个小报文段，很快就完成了。',
        '客戶端把 SO_SNDBUF 設成 8192（Linux 加倍成 16 KiB），然後連線：三次握手只有幾個小區段，很快就完成了。',
        'The client sets SO_SNDBUF to 8192 (Linux doubles it to 16 KiB) and connects: the handshake is a few small segments and is quickly done.',
      ),
    },
    {
      id: 'server.accept', role: 'server', server: ['accept'],
      explain: t(
        'accept() 返回连接套接字。服务端下一步就开始读。',
        'accept() 傳回連線套接字。服務端下一步就開始讀。',
        'accept() returned the connection socket. The server starts reading in the next step.',
      ),
    },
    {
      id: 'transfer', role: 'both', server: ['recv'], client: ['send'], order: ['server', 'client'],
      explain: t(
        'sendall() 把字节放进发送缓冲区，很快就满了：已发出未确认的字节也占着位置（Send-Q 停在几万字节）。链路每秒只送 100,000 字节，报文段每隔约 15 毫秒到达一个；每个 ACK 回来，内核才释放已确认的字节，sendall() 才能再放一点，于是阻塞 2 到 3 秒。链路队列放不下的报文段被丢掉，客户端内核重传，并减少在路上的数据（拥塞控制）。服务端 recv() 随到随取，Recv-Q 几乎是 0：慢的是网络，不是读的一方。',
        'sendall() 把位元組放進發送緩衝區，很快就滿了：已送出未確認的位元組也占著位置（Send-Q 停在幾萬位元組）。鏈路每秒只送 100,000 位元組，區段每隔約 15 毫秒到達一個；每個 ACK 回來，核心才釋放已確認的位元組，sendall() 才能再放一點，於是阻塞 2 到 3 秒。鏈路佇列放不下的區段被丟掉，客戶端核心重傳，並減少在路上的資料（壅塞控制）。服務端 recv() 隨到隨取，Recv-Q 幾乎是 0：慢的是網路，不是讀的一方。',
        'sendall() fills the send buffer fast: bytes sent but not yet acknowledged keep their place (Send-Q stays at tens of KB). The link carries 100,000 bytes/s, a segment every ~15 ms; only an ACK frees acknowledged bytes for sendall() to add more, so it blocks 2–3 s. What the link’s queue cannot hold is dropped (丢包); the client’s kernel resends it and keeps less data in flight (congestion control). The server’s recv() takes each segment as it comes, Recv-Q near 0: the network is slow, not the reader.',
      ),
    },
    {
      id: 'close', role: 'both', server: ['close'], client: ['close'], order: ['client', 'server'],
      explain: t(
        "客户端关闭：它的 FIN 排在发送缓冲区里最后的字节后面。服务端的 recv() 收齐 200,000 字节就返回了（2 到 3 秒），它关闭自己这一侧。",
        "客戶端關閉：它的 FIN 排在發送緩衝區裡最後的位元組後面。服務端的 recv() 收齊 200,000 位元組就返回了（2 到 3 秒），它關閉自己這一側。",
        "The client closes: its FIN goes after the last bytes still in its send buffer. The server’s recv() returned once all 200,000 bytes were there (after 2–3 s), and it closes its side.",
      ),
    },
  ],
});
