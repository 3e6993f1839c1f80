import { blank, code, defineLesson, listing, note, t } from './build.ts';

/**
 * TCP is reliable, on the lab (20 ms each way): the link loses the first segment of a burst (the ones
 * behind it bring duplicate ACKs, and the sender retransmits at once: fast retransmit), then the only
 * segment of a small send (nothing behind it, so no duplicate ACK: it is sent again after the timeout).
 * The server checks what its recv() calls returned: every byte, in order, no gap.
 */
export const tcpLossLesson = defineLesson({
  id: 'tcp-loss',
  title: t('TCP 是可靠的：丢包与重传', 'TCP 是可靠的：遺失與重傳', 'TCP is reliable: loss and retransmission'),
  summary: t(
    '两台主机之间的链路每个方向延迟 20 毫秒，并且会按要求丢掉一个报文段。客户端一口气发出 8000 字节（几个报文段同时在路上），链路丢掉第一个：后面的报文段照样到达，服务端内核每收到一个就重复确认同一个序号（重复 ACK），客户端内核据此立刻重传丢失的那个（快速重传）。然后客户端只发一小段，它也丢了：没有后续报文段，就没有重复 ACK，客户端内核要等重传计时器超时（至少 200 毫秒）才重传（超时重传）。服务端程序的 recv() 从来看不到空洞或乱序：缺的字节补上之前它什么也拿不到，补上之后拿到的字节完整、按顺序——它自己检查并打印出来。',
    '兩台主機之間的鏈路每個方向延遲 20 毫秒，並且會依要求丟掉一個區段。客戶端一口氣送出 8000 位元組（幾個區段同時在路上），鏈路丟掉第一個：後面的區段照樣到達，服務端核心每收到一個就重複確認同一個序號（重複 ACK），客戶端核心據此立刻重傳遺失的那個（快速重傳）。然後客戶端只送一小段，它也遺失了：沒有後續區段，就沒有重複 ACK，客戶端核心要等重傳計時器逾時（至少 200 毫秒）才重傳（逾時重傳）。服務端程式的 recv() 從來看不到空洞或亂序：缺的位元組補上之前它什麼也拿不到，補上之後拿到的位元組完整、依順序——它自己檢查並印出來。',
    'The link between the two hosts delays every packet 20 ms each way and loses one segment when told to. The client sends 8000 bytes at once (several segments in flight) and the link loses the first: the ones behind it still arrive, the server’s kernel acknowledges the same sequence number again for each (duplicate ACKs), and from those the client’s kernel retransmits the lost one at once (fast retransmit, 重传). Then the client sends one small piece alone, and it is lost too: nothing follows it, so there is no duplicate ACK, and the client’s kernel retransmits it only when its retransmission timer expires (at least 200 ms). The server program’s recv() never sees a gap or a reordering: until the missing bytes are filled in it gets nothing, then every byte, in order — it checks so and prints it.',
  ),
  proto: 'tcp',
  ports: [12100],
  facts: [10],
  lab: { delayMs: 20 },
  listings: {
    server: listing('loss_server.py', [
      code('import socket'),
      blank(),
      note(0, '客户端要发的 8000 字节：1000 行编号，每行 8 字节', '客戶端要送的 8000 位元組：1000 行編號，每行 8 位元組', 'the 8000 bytes the client sends: 1000 numbered lines of 8 bytes'),
      code("EXPECTED = b''.join(b'%07d\\n' % i for i in range(1000))"),
      blank(),
      code('server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '服务端主机的地址：客户端在链路的另一头', '服務端主機的位址：客戶端在鏈路的另一頭', 'the server host’s address: the client is at the other end of the link'),
      code("server.bind(('10.77.0.2', 12100))", 'bind'),
      code('server.listen(1)', 'listen'),
      code('conn, addr = server.accept()', 'accept'),
      blank(),
      note(0, 'recv() 只交出按顺序到齐的字节：中间缺一段时，后面的字节留在内核里等', 'recv() 只交出依順序到齊的位元組：中間缺一段時，後面的位元組留在核心裡等', 'recv() hands over only bytes that arrived in order: while a piece is missing, the ones after it wait in the kernel'),
      code("data = b''"),
      code('while len(data) < len(EXPECTED):'),
      code('    chunk = conn.recv(65536)', 'recv'),
      code("    print('recv() returned', len(chunk), 'bytes')", 'recv'),
      code('    data += chunk'),
      code("print('all 8000 bytes, in order, no gap:', data == EXPECTED)"),
      blank(),
      code('last = conn.recv(1024)', 'recv-last'),
      code("print('then:', last)", 'recv-last'),
      blank(),
      code('conn.close()', 'close'),
      code('server.close()', 'close'),
    ]),
    client: listing('loss_client.py', [
      code('import socket'),
      blank(),
      code("DATA = b''.join(b'%07d\\n' % i for i in range(1000))"),
      blank(),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      code("client.connect(('10.77.0.2', 12100))", 'connect'),
      blank(),
      note(0, '一次交出 8000 字节：内核把它们切成几个报文段，一起发出去', '一次交出 8000 位元組：核心把它們切成幾個區段，一起送出去', 'hand over 8000 bytes at once: the kernel cuts them into several segments and sends them together'),
      code('client.sendall(DATA)', 'burst'),
      blank(),
      note(0, '只发一小段：它后面没有别的报文段', '只送一小段：它後面沒有別的區段', 'one small piece alone: no segment follows it'),
      code("client.send(b'the end\\n')", 'last'),
      blank(),
      code('client.close()', 'close'),
    ]),
  },
  steps: [
    {
      id: 'server.listen', role: 'server', server: ['socket', 'bind', 'listen'],
      explain: t(
        '服务端在服务端主机上绑定 10.77.0.2:12100 并监听。客户端在另一台主机（10.77.0.1）上，两者之间是一条每个方向延迟 20 毫秒的链路：一个来回 40 毫秒。',
        '服務端在服務端主機上綁定 10.77.0.2:12100 並監聽。客戶端在另一台主機（10.77.0.1）上，兩者之間是一條每個方向延遲 20 毫秒的鏈路：一個來回 40 毫秒。',
        'The server binds 10.77.0.2:12100 on the server host and listens. The client is on the other host (10.77.0.1); between them is a link that delays every packet 20 ms each way: 40 ms a round trip.',
      ),
    },
    {
      id: 'client.connect', role: 'client', client: ['socket', 'connect'],
      explain: t(
        '三次握手穿过链路：connect() 大约一个来回（40 毫秒）后返回。握手时双方通告 MSS 1460：这条链路的 MTU 是 1500，一个报文段最多带 1448 字节数据（另有 12 字节时间戳选项）。',
        '三次握手穿過鏈路：connect() 大約一個來回（40 毫秒）後返回。握手時雙方通告 MSS 1460：這條鏈路的 MTU 是 1500，一個區段最多帶 1448 位元組資料（另有 12 位元組時間戳選項）。',
        'The three-way handshake crosses the link: connect() returns after about one round trip (40 ms). Both sides announce MSS 1460: the link’s MTU is 1500, and a segment carries at most 1448 bytes of data (12 more go to the timestamp option).',
      ),
    },
    {
      id: 'server.accept', role: 'server', server: ['accept'],
      explain: t(
        'accept() 返回连接套接字。',
        'accept() 傳回連線套接字。',
        'accept() returned the connection socket.',
      ),
    },
    {
      id: 'burst', role: 'both', server: ['recv'], client: ['burst'], order: ['server', 'client'],
      link: [{ from: 'client', match: 'data' }],
      explain: t(
        '客户端的 8000 字节被切成 6 个报文段（5 × 1448 + 760）一起发出，链路丢掉了第一个（丢包）。后面 5 个照样到达，服务端内核把它们放进乱序队列，recv() 却拿不到：第 0 字节还没到，Recv-Q 仍是 0。每到一个，服务端就回一个确认号不变的 ACK（重复 ACK，附带 SACK）。客户端内核看到重复 ACK，不等计时器就重传第一个报文段（快速重传）。空洞补上，recv() 一次返回全部 8000 字节：完整、按顺序。',
        '客戶端的 8000 位元組被切成 6 個區段（5 × 1448 + 760）一起送出，鏈路丟掉了第一個（遺失）。後面 5 個照樣到達，服務端核心把它們放進亂序佇列，recv() 卻拿不到：第 0 位元組還沒到，Recv-Q 仍是 0。每到一個，服務端就回一個確認號不變的 ACK（重複 ACK，附帶 SACK）。客戶端核心看到重複 ACK，不等計時器就重傳第一個區段（快速重傳）。空洞補上，recv() 一次傳回全部 8000 位元組：完整、依順序。',
        'The client’s 8000 bytes leave as 6 segments (5 × 1448 + 760); the link loses the first (丢包). The other 5 arrive and wait in the server kernel’s out-of-order queue: byte 0 is missing, so recv() gets nothing and Recv-Q stays 0. Each one is answered by a duplicate ACK (same ack number, with SACK). Seeing them, the client’s kernel resends the first segment at once (fast retransmit). The gap is filled: recv() returns all 8000 bytes, complete and in order.',
      ),
    },
    {
      id: 'timeout', role: 'both', server: ['recv', 'recv-last'], client: ['last'], order: ['server', 'client'],
      link: [{ from: 'client', match: 'data' }],
      explain: t(
        '这一次只发一个 8 字节的报文段，链路又把它丢了。它后面什么也没有，服务端收不到任何东西，也就没有重复 ACK：客户端内核只能等重传计时器（RTO，在 Linux 上至少 200 毫秒，这里约 250–300 毫秒）超时，然后重传（超时重传）。比快速重传慢得多。服务端的 recv() 一直等着，直到重传的报文段到达才返回 b\'the end\\n\'。',
        '這一次只送一個 8 位元組的區段，鏈路又把它丟了。它後面什麼也沒有，服務端收不到任何東西，也就沒有重複 ACK：客戶端核心只能等重傳計時器（RTO，在 Linux 上至少 200 毫秒，這裡約 250–300 毫秒）逾時，然後重傳（逾時重傳）。比快速重傳慢得多。服務端的 recv() 一直等著，直到重傳的區段到達才傳回 b\'the end\\n\'。',
        'This time a single 8-byte segment goes out, and the link loses it again. Nothing follows it, so the server receives nothing and sends no duplicate ACK: the client’s kernel can only wait for its retransmission timer (RTO: at least 200 ms on Linux, about 250–300 ms here) to expire, then send it again (a timeout retransmission) — much slower than a fast retransmit. The server’s recv() keeps waiting until the retransmitted segment arrives, then returns b\'the end\\n\'.',
      ),
    },
    {
      id: 'close', role: 'both', server: ['close'], client: ['close'], order: ['client', 'server'],
      explain: t(
        '两边关闭：四次挥手，每个报文段都要走过 20 毫秒的链路。TCP 保证了：应用程序收到的字节和发出的完全一样，丢包和重传都由内核处理，程序自己一行代码也没写。',
        '兩邊關閉：四次揮手，每個區段都要走過 20 毫秒的鏈路。TCP 保證了：應用程式收到的位元組和送出的完全一樣，遺失和重傳都由核心處理，程式自己一行程式碼也沒寫。',
        'Both sides close: the four-way teardown (四次挥手), every segment crossing the 20 ms link. TCP made sure the program received exactly the bytes that were sent; the loss and the retransmissions were handled by the kernels, without a line of the program’s own.',
      ),
    },
  ],
});
