import { blank, code, defineLesson, listing, note, t } from './build.ts';

/**
 * The handshake and the teardown slowed down (LESSONS.md: tcp-handshake, tcp-teardown, delayed): 100 ms each
 * way, so every state that waits for the peer lasts at least a round trip, and the first SYN is lost, so the
 * client's kernel sends it again after its initial retransmission timeout (1 s) and connect() takes ~1.2 s.
 */
export const tcpDelayedLesson = defineLesson({
  id: 'tcp-delayed',
  title: t('慢动作的三次握手与四次挥手', '慢動作的三次握手與四次揮手', 'The handshake and the teardown in slow motion'),
  summary: t(
    '链路每个方向延迟 100 毫秒，一个来回 200 毫秒：在回环接口上一闪而过的状态现在都停得住。第一个 SYN 在链路上丢了，客户端内核 1 秒后重传它，SYN_SENT 因此持续约 1.2 秒；服务端的 SYN_RECV 持续一个来回（200 毫秒）。关闭时，先关闭的客户端在 FIN_WAIT1 停至少一个来回，然后在 FIN_WAIT2 等服务端关闭；服务端在 CLOSE_WAIT 等自己的程序关闭，然后在 LAST_ACK 停一个来回，客户端最后进入 TIME_WAIT。',
    '鏈路每個方向延遲 100 毫秒，一個來回 200 毫秒：在回環介面上一閃而過的狀態現在都停得住。第一個 SYN 在鏈路上遺失了，客戶端核心 1 秒後重傳它，SYN_SENT 因此持續約 1.2 秒；服務端的 SYN_RECV 持續一個來回（200 毫秒）。關閉時，先關閉的客戶端在 FIN_WAIT1 停至少一個來回，然後在 FIN_WAIT2 等服務端關閉；服務端在 CLOSE_WAIT 等自己的程式關閉，然後在 LAST_ACK 停一個來回，客戶端最後進入 TIME_WAIT。',
    'The link delays every packet 100 ms each way, 200 ms a round trip: states that flash by on loopback now stay long enough to see. The first SYN is lost on the link and the client’s kernel sends it again 1 s later, so SYN_SENT lasts about 1.2 s; the server’s SYN_RECV lasts one round trip (200 ms). When closing, the client, which closes first, stays in FIN_WAIT1 for at least a round trip, then in FIN_WAIT2 until the server closes; the server waits in CLOSE_WAIT for its own program to close, then in LAST_ACK for a round trip, and the client ends in TIME_WAIT.',
  ),
  proto: 'tcp',
  ports: [12102],
  facts: [6],
  lab: { delayMs: 100 },
  listings: {
    server: listing('slow_server.py', [
      code('import socket'),
      blank(),
      code('server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      code("server.bind(('10.77.0.2', 12102))", 'bind'),
      code('server.listen(1)', 'listen'),
      code('conn, addr = server.accept()', 'accept'),
      blank(),
      code('data = conn.recv(1024)', 'recv'),
      code("print('received:', data)", 'recv'),
      blank(),
      note(0, "客户端先关闭：它的 FIN 到了之后，recv() 返回 b''", "客戶端先關閉：它的 FIN 到了之後，recv() 傳回 b''", "the client closes first: once its FIN has arrived, recv() returns b''"),
      code("print('then:', conn.recv(1024))", 'close'),
      code('conn.close()', 'close'),
      code('server.close()', 'close'),
    ]),
    client: listing('slow_client.py', [
      code('import socket'),
      code('import time'),
      blank(),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      code('start = time.time()'),
      code("client.connect(('10.77.0.2', 12102))", 'connect'),
      code("print('connect() took %.0f ms' % ((time.time() - start) * 1000))", 'connect'),
      blank(),
      code("client.send(b'hello over a slow link')", 'send'),
      blank(),
      code('client.close()', 'close'),
    ]),
  },
  steps: [
    {
      id: 'server.listen', role: 'server', server: ['socket', 'bind', 'listen'],
      explain: t(
        '服务端在服务端主机上监听 10.77.0.2:12102。这次链路每个方向延迟 100 毫秒：任何一个报文段从一台主机到另一台都要 100 毫秒，一问一答至少 200 毫秒。',
        '服務端在服務端主機上監聽 10.77.0.2:12102。這次鏈路每個方向延遲 100 毫秒：任何一個區段從一台主機到另一台都要 100 毫秒，一問一答至少 200 毫秒。',
        'The server listens on 10.77.0.2:12102 on the server host. This time the link delays every packet 100 ms each way: any segment takes 100 ms from one host to the other, a question and its answer at least 200 ms.',
      ),
    },
    {
      id: 'client.connect', role: 'client', client: ['socket', 'connect'], link: [{ from: 'client', match: 'syn' }],
      explain: t(
        'connect() 发出 SYN，客户端进入 SYN_SENT，链路却把 SYN 丢了。没有回答，客户端内核等满初始重传超时（1 秒）才重传 SYN。100 毫秒后它到达，服务端回 SYN+ACK，请求处于 SYN_RECV；再过 100 毫秒客户端收到，回 ACK，进入 ESTABLISHED，connect() 返回：共约 1.2 秒。ACK 又走 100 毫秒，服务端才 ESTABLISHED：SYN_RECV 持续一个来回（200 毫秒）。',
        'connect() 送出 SYN，客戶端進入 SYN_SENT，鏈路卻把 SYN 丟了。沒有回答，客戶端核心等滿初始重傳逾時（1 秒）才重傳 SYN。100 毫秒後它到達，服務端回 SYN+ACK，請求處於 SYN_RECV；再過 100 毫秒客戶端收到，回 ACK，進入 ESTABLISHED，connect() 返回：共約 1.2 秒。ACK 又走 100 毫秒，服務端才 ESTABLISHED：SYN_RECV 持續一個來回（200 毫秒）。',
        'connect() sends SYN (client in SYN_SENT) and the link loses it. No answer comes, so the client’s kernel waits out its initial retransmission timeout (1 s) and sends the SYN again. It arrives 100 ms later; the server answers SYN+ACK and holds the request in SYN_RECV. 100 ms on, the client answers ACK, is ESTABLISHED and connect() returns: about 1.2 s in all. The ACK takes 100 ms more: SYN_RECV lasted one round trip (200 ms).',
      ),
    },
    {
      id: 'server.accept', role: 'server', server: ['accept'],
      explain: t(
        '握手一完成 accept() 就返回（connect() 还在等重传的 SYN 的回答时，accept() 也跟着等）：握手由两边的内核完成，accept() 只是取走做好的连接。',
        '握手一完成 accept() 就返回（connect() 還在等重傳的 SYN 的回答時，accept() 也跟著等）：握手由兩邊的核心完成，accept() 只是取走做好的連線。',
        'accept() returns as soon as the handshake is complete (while connect() still waits for the answer to the retransmitted SYN, accept() waits too): the kernels do the handshake; accept() only takes the finished connection.',
      ),
    },
    {
      id: 'client.send', role: 'client', client: ['send'],
      explain: t(
        'send() 立刻返回：22 个字节进了发送缓冲区（Send-Q 22）。它们在链路上走 100 毫秒，服务端内核确认，这个 ACK 再走 100 毫秒：在此之前它们一直留在客户端的发送缓冲区里，以备重传。',
        'send() 立刻返回：22 個位元組進了發送緩衝區（Send-Q 22）。它們在鏈路上走 100 毫秒，服務端核心確認，這個 ACK 再走 100 毫秒：在此之前它們一直留在客戶端的發送緩衝區裡，以備重傳。',
        'send() returns at once: 22 bytes are in the send buffer (Send-Q 22). They travel the link for 100 ms, the server’s kernel acknowledges them and that ACK travels another 100 ms: until it arrives they stay in the client’s send buffer, in case they must be sent again.',
      ),
    },
    {
      id: 'server.recv', role: 'server', server: ['recv'],
      explain: t(
        '服务端的 recv() 从接收缓冲区取出这 22 个字节。',
        '服務端的 recv() 從接收緩衝區取出這 22 個位元組。',
        'The server’s recv() takes the 22 bytes out of its receive buffer.',
      ),
    },
    {
      id: 'client.close', role: 'client', client: ['close'],
      explain: t(
        '客户端先关闭：发出 FIN（第 1 次挥手），进入 FIN_WAIT1，停至少一个来回（200 毫秒；服务端内核还可能把 ACK 推迟几十毫秒），直到这个 ACK（第 2 次挥手）回来，然后进入 FIN_WAIT2。服务端这一侧收到 FIN 就进入 CLOSE_WAIT：内核知道对方不再发送了，但服务端程序还没有关闭它的套接字。两边都会这样停着，直到服务端程序关闭。',
        '客戶端先關閉：送出 FIN（第 1 次揮手），進入 FIN_WAIT1，停至少一個來回（200 毫秒；服務端核心還可能把 ACK 延後幾十毫秒），直到這個 ACK（第 2 次揮手）回來，然後進入 FIN_WAIT2。服務端這一側收到 FIN 就進入 CLOSE_WAIT：核心知道對方不再發送了，但服務端程式還沒有關閉它的套接字。兩邊都會這樣停著，直到服務端程式關閉。',
        'The client closes first: it sends FIN (teardown step 1) and is in FIN_WAIT1 for at least a round trip (200 ms; the server’s kernel may also delay its ACK by tens of ms), until that ACK (step 2) comes back; then it is in FIN_WAIT2. The server side went to CLOSE_WAIT when the FIN arrived: its kernel knows the peer has stopped sending, but the server program has not closed its socket. Both stay like this until the server program closes.',
      ),
    },
    {
      id: 'server.close', role: 'server', server: ['close'],
      explain: t(
        "服务端的 recv() 返回 b''（FIN 早就到了），然后 close()：发出自己的 FIN（第 3 次挥手），进入 LAST_ACK，停一个来回（200 毫秒）等客户端的最后一个 ACK（第 4 次挥手）。客户端收到 FIN 就进入 TIME_WAIT，并在那里停留 60 秒。",
        "服務端的 recv() 傳回 b''（FIN 早就到了），然後 close()：送出自己的 FIN（第 3 次揮手），進入 LAST_ACK，停一個來回（200 毫秒）等客戶端的最後一個 ACK（第 4 次揮手）。客戶端收到 FIN 就進入 TIME_WAIT，並在那裡停留 60 秒。",
        "The server’s recv() returns b'' (the FIN arrived long ago), then close() sends its own FIN (teardown step 3): LAST_ACK for a round trip (200 ms), waiting for the client’s last ACK (step 4). On the FIN the client went to TIME_WAIT, where it stays for 60 s.",
      ),
    },
  ],
});
