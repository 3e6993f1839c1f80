import { blank, code, defineLesson, listing, note, t } from './build.ts';

/** Nobody listening: the hello client started before its server. */
export const tcpRefusedLesson = defineLesson({
  id: 'tcp-refused',
  title: t('没有人在监听', '沒有人在監聽', 'Nobody is listening'),
  summary: t(
    '学生最常见的错误之一：先运行了客户端，服务端还没启动。客户端内核向 127.0.0.1:8888 发出 SYN，那里没有监听套接字，对方内核立刻回一个 RST；connect() 失败，错误是 ECONNREFUSED（Python 里是 ConnectionRefusedError，[Errno 111]）。没有建立过连接，也就没有四次挥手。',
    '學生最常見的錯誤之一：先執行了客戶端，服務端還沒啟動。客戶端核心向 127.0.0.1:8888 送出 SYN，那裡沒有監聽套接字，對方核心立刻回一個 RST；connect() 失敗，錯誤是 ECONNREFUSED（Python 裡是 ConnectionRefusedError，[Errno 111]）。沒有建立過連線，也就沒有四次揮手。',
    'One of the most common student mistakes: the client runs before its server. The client’s kernel sends SYN to 127.0.0.1:8888, where no socket listens, and the kernel there answers at once with RST; connect() fails with ECONNREFUSED (in Python ConnectionRefusedError, [Errno 111]). No connection ever existed, so there is no teardown either.',
  ),
  proto: 'tcp',
  ports: [8888],
  facts: [1, 2, 6],
  listings: {
    client: listing('refused_client.py', [
      code('import socket'),
      blank(),
      note(0, '1. 创建套接字', '1. 建立套接字', '1. create a socket'),
      code('client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)', 'socket'),
      note(0, '2. 建立连接——但 8888 端口上没有服务端在监听', '2. 建立連線——但 8888 埠上沒有服務端在監聽', '2. connect — but no server listens on port 8888'),
      code('try:', 'connect'),
      code("    client.connect(('127.0.0.1', 8888))", 'connect'),
      code('except ConnectionRefusedError as e:', 'refused'),
      code("    print('connect() failed:', e)", 'refused'),
      note(0, '3. 关闭套接字', '3. 關閉套接字', '3. close'),
      code('client.close()', 'close'),
    ]),
  },
  steps: [
    {
      id: 'client.connect', role: 'client', client: ['socket', 'connect', 'refused'],
      explain: t(
        'connect()：客户端内核发出 SYN（SYN_SENT）。8888 端口上没有监听套接字，对方内核回 RST+ACK，意思是“这里没有这个连接”。connect() 立刻失败：ECONNREFUSED。没有重传，也没有等待——在回环接口上只需几微秒。',
        'connect()：客戶端核心送出 SYN（SYN_SENT）。8888 埠上沒有監聽套接字，對方核心回 RST+ACK，意思是「這裡沒有這個連線」。connect() 立刻失敗：ECONNREFUSED。沒有重送，也沒有等待——在回環介面上只需幾微秒。',
        'connect(): the client’s kernel sent SYN (SYN_SENT). No socket listens on port 8888, so the kernel there answered RST+ACK, meaning “no such connection here”. connect() failed at once with ECONNREFUSED — no retries, no waiting: on loopback it takes microseconds.',
      ),
    },
    {
      id: 'client.close', role: 'client', client: ['close'],
      explain: t(
        '关闭套接字。连接从未建立，所以线路上什么也不发：没有 FIN，没有 TIME_WAIT。先启动服务端，再启动客户端。',
        '關閉套接字。連線從未建立，所以線路上什麼也不送：沒有 FIN，沒有 TIME_WAIT。先啟動服務端，再啟動客戶端。',
        'The socket is closed. The connection never existed, so nothing goes on the wire: no FIN, no TIME_WAIT. Start the server first, then the client.',
      ),
    },
  ],
});
