import { blank, code, defineLesson, listing, note, t } from './build.ts';

/**
 * UDP is not reliable, on the lab (20 ms each way): five numbered datagrams, one sendto() per line so the
 * link's one-shots hit the right one: #2 is lost, #4 is held back 80 ms so #5 (sent right after it, in the
 * same step) overtakes it. The server reads only after all were sent, with a timeout, and prints the order
 * it got them in and which never came. Nobody retransmits. The timeout is short (0.2 s) because a run's
 * programs still blocked in a call a while after the last step are stopped (lesson-run L5), summary unprinted.
 */
export const udpLossLesson = defineLesson({
  id: 'udp-loss',
  title: t('UDP 不可靠：丢包与乱序', 'UDP 不可靠：遺失與亂序', 'UDP is not reliable: loss and reordering'),
  summary: t(
    '同一条链路（每个方向延迟 20 毫秒），这次用 UDP。客户端用五次 sendto() 发出五个编号的数据报。链路丢掉第 2 个，并把第 4 个扣住 80 毫秒，紧跟其后的第 5 个就先到了。服务端的 recvfrom() 按到达的顺序返回：1、3、5、4；第 2 个永远不会出现——没有确认，没有重传，发送方也不知道。要可靠、要顺序，UDP 程序得自己做。',
    '同一條鏈路（每個方向延遲 20 毫秒），這次用 UDP。客戶端用五次 sendto() 送出五個編號的資料包。鏈路丟掉第 2 個，並把第 4 個扣住 80 毫秒，緊跟其後的第 5 個就先到了。服務端的 recvfrom() 依到達的順序傳回：1、3、5、4；第 2 個永遠不會出現——沒有確認，沒有重傳，發送方也不知道。要可靠、要順序，UDP 程式得自己做。',
    'The same link (20 ms each way), this time with UDP. The client sends five numbered datagrams with five sendto() calls. The link loses #2 and holds #4 back 80 ms, so #5, sent right after it, arrives first. The server’s recvfrom() returns them in the order they arrived: 1, 3, 5, 4; #2 never shows up — no acknowledgement, no retransmission (重传), and the sender never learns. A UDP program that needs reliability or order must build it itself.',
  ),
  proto: 'udp',
  ports: [12101],
  facts: [9],
  lab: { delayMs: 20 },
  listings: {
    server: listing('udp_loss_server.py', [
      code('import socket'),
      blank(),
      code('server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)', 'socket'),
      code("server.bind(('10.77.0.2', 12101))", 'bind'),
      blank(),
      note(0, '数据报都发完之后才开始读；0.2 秒内再没有新的数据报就不等了（一个来回才 40 毫秒）', '資料包都送完之後才開始讀；0.2 秒內再沒有新的資料包就不等了（一個來回才 40 毫秒）', 'read only after all were sent; stop waiting when none comes for 0.2 s (a round trip is 40 ms)'),
      code('server.settimeout(0.2)', 'recvfrom'),
      code('order = []'),
      code('while True:'),
      code('    try:'),
      code('        data, addr = server.recvfrom(1024)', 'recvfrom'),
      code('    except socket.timeout:'),
      code('        break'),
      code("    print('recvfrom() returned', data)"),
      code('    order.append(int(data.split()[1]))'),
      blank(),
      code("print('arrived in this order:', order)"),
      code("print('never arrived:', [n for n in range(1, 6) if n not in order])"),
      code('server.close()', 'close'),
    ]),
    client: listing('udp_loss_client.py', [
      code('import socket'),
      blank(),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)', 'socket'),
      code("server_addr = ('10.77.0.2', 12101)", 'socket'),
      blank(),
      note(0, '五个数据报，每个 sendto() 一个，按编号发出', '五個資料包，每個 sendto() 一個，依編號送出', 'five datagrams, one sendto() each, in numbered order'),
      code("client.sendto(b'datagram 1', server_addr)", 'send1'),
      code("client.sendto(b'datagram 2', server_addr)", 'send2'),
      code("client.sendto(b'datagram 3', server_addr)", 'send3'),
      code("client.sendto(b'datagram 4', server_addr)", 'send4'),
      code("client.sendto(b'datagram 5', server_addr)", 'send5'),
      blank(),
      code('client.close()', 'close'),
    ]),
  },
  steps: [
    {
      id: 'server.bind', role: 'server', server: ['socket', 'bind'],
      explain: t(
        '服务端主机上的 UDP 套接字绑定 10.77.0.2:12101。它先不读：到达的数据报在它的接收缓冲区里排队。',
        '服務端主機上的 UDP 套接字綁定 10.77.0.2:12101。它先不讀：到達的資料包在它的接收緩衝區裡排隊。',
        'The UDP socket on the server host binds 10.77.0.2:12101. It does not read yet: datagrams that arrive queue in its receive buffer.',
      ),
    },
    {
      id: 'client.socket', role: 'client', client: ['socket'],
      explain: t(
        '客户端主机（10.77.0.1）上的 UDP 套接字。没有 connect()，没有握手。',
        '客戶端主機（10.77.0.1）上的 UDP 套接字。沒有 connect()，沒有握手。',
        'The UDP socket on the client host (10.77.0.1). No connect(), no handshake.',
      ),
    },
    {
      id: 'send1', role: 'client', client: ['send1'],
      explain: t(
        '第 1 个数据报：20 毫秒后到达服务端主机，进入接收缓冲区。',
        '第 1 個資料包：20 毫秒後到達服務端主機，進入接收緩衝區。',
        'Datagram 1: it reaches the server host 20 ms later and waits in the receive buffer.',
      ),
    },
    {
      id: 'send2', role: 'client', client: ['send2'], link: [{ from: 'client', match: 'data', proto: 'udp' }],
      explain: t(
        '第 2 个数据报离开了客户端主机（客户端这一侧能抓到它），链路却把它丢了（丢包）：服务端主机上什么也没到。客户端的 sendto() 照样成功返回——内核把它交出去就算完成了；没有确认，所以没有人知道它丢了，也没有人重传。',
        '第 2 個資料包離開了客戶端主機（客戶端這一側抓得到它），鏈路卻把它丟了（遺失）：服務端主機上什麼也沒到。客戶端的 sendto() 照樣成功返回——核心把它交出去就算完成了；沒有確認，所以沒有人知道它遺失了，也沒有人重傳。',
        'Datagram 2 left the client host (the client side’s capture has it), but the link lost it (丢包): nothing reached the server host. The client’s sendto() returned success all the same — for the kernel, handing it out is the end of the job; there is no acknowledgement, so nobody knows it was lost and nobody sends it again.',
      ),
    },
    {
      id: 'send3', role: 'client', client: ['send3'],
      explain: t(
        '第 3 个数据报正常到达。接收缓冲区里现在是 1 和 3。',
        '第 3 個資料包正常到達。接收緩衝區裡現在是 1 和 3。',
        'Datagram 3 arrives normally. The receive buffer now holds 1 and 3.',
      ),
    },
    {
      id: 'send45', role: 'client', client: ['send4', 'send5'], link: [{ from: 'client', match: 'data', proto: 'udp', holdMs: 80 }],
      explain: t(
        '第 4、5 个数据报紧接着发出。链路把第 4 个多扣住 80 毫秒，第 5 个先到了服务端主机（乱序）。UDP 没有序号，服务端内核不会重新排序：谁先到，谁先进接收缓冲区。',
        '第 4、5 個資料包緊接著送出。鏈路把第 4 個多扣住 80 毫秒，第 5 個先到了服務端主機（亂序）。UDP 沒有序號，服務端核心不會重新排序：誰先到，誰先進接收緩衝區。',
        'Datagrams 4 and 5 go out one right after the other. The link holds #4 back 80 ms more, so #5 reaches the server host first (乱序, reordered). UDP has no sequence numbers and the server’s kernel does not reorder anything: first to arrive, first in the receive buffer.',
      ),
    },
    {
      id: 'server.recvfrom', role: 'server', server: ['recvfrom'],
      explain: t(
        '服务端现在读：recvfrom() 依次返回 1、3、5、4——到达的顺序，不是发送的顺序。第五次 recvfrom() 又等了 0.2 秒（链路一个来回的五倍），超时了：第 2 个永远不会来，没有人会再发它。边界倒是保留了：每次 recvfrom() 正好一个完整的数据报。',
        '服務端現在讀：recvfrom() 依次傳回 1、3、5、4——到達的順序，不是送出的順序。第五次 recvfrom() 又等了 0.2 秒（鏈路一個來回的五倍），逾時了：第 2 個永遠不會來，沒有人會再送它。邊界倒是保留了：每次 recvfrom() 正好一個完整的資料包。',
        'Now the server reads: recvfrom() returns 1, 3, 5, 4 — the order they arrived in, not the order they were sent. The fifth recvfrom() waits 0.2 s more (five round trips of the link) and times out: #2 will never come, nobody sends it again. The boundaries, though, are kept: each recvfrom() returns exactly one whole datagram.',
      ),
    },
    {
      id: 'close', role: 'both', server: ['close'], client: ['close'],
      explain: t(
        '两边关闭，线路上什么也没有。同样的丢包和延迟，TCP 会重传、会排好顺序；UDP 把数据报原样交出，可靠和顺序要由程序自己负责。',
        '兩邊關閉，線路上什麼也沒有。同樣的遺失和延遲，TCP 會重傳、會排好順序；UDP 把資料包原樣交出，可靠和順序要由程式自己負責。',
        'Both sides close; nothing goes on the wire. On the same lossy, delaying link TCP retransmits and puts bytes back in order; UDP hands over datagrams as they come, and reliability and order are the program’s own job.',
      ),
    },
  ],
});
