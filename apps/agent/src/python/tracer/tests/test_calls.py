"""What the tracer reports for real socket calls on loopback (README T5-T8, T10, T11, T16)."""
import base64
import os
import socket
import sys
import unittest

import harness


class Calls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = harness.Folder()

    @classmethod
    def tearDownClass(cls):
        cls.folder.remove()

    def run_ok(self, source, **kw):
        program, r, code, out, err = harness.run(self.folder, source, **kw)
        self.assertEqual(code, 0, err.decode(errors='replace'))
        return program, r, out

    def assertSrc(self, msg, program, tag):
        self.assertEqual(msg['src'], [program.path, program.line(tag)], msg)

    def test_T6_T10_a_tcp_exchange_reports_each_call_with_its_line(self):
        program, r, out = self.run_ok('''
            import socket, threading
            srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # @socket
            srv.bind(('127.0.0.1', 0))  # @bind
            srv.listen(5)  # @listen
            port = srv.getsockname()[1]
            def serve():
                conn, addr = srv.accept()  # @accept
                data = conn.recv(1024)  # @recv
                conn.send(data.upper())  # @send
                conn.close()  # @close
            t = threading.Thread(target=serve, name='server')
            t.start()
            cli = socket.socket()
            cli.connect(('127.0.0.1', port))  # @connect
            cli.sendall(b'hello')  # @sendall
            print(cli.recv(1024).decode())
            cli.close()
            t.join()
            srv.close()
        ''')
        self.assertEqual(out, b'HELLO\n')
        hello = r.messages[0]
        self.assertEqual(hello['k'], 'hello')
        self.assertEqual(hello['pid'], r.proc.pid)
        self.assertEqual(hello['ppid'], os.getpid())
        for name in ('socket', 'bind', 'listen', 'accept', 'recv', 'send', 'connect', 'sendall'):
            self.assertSrc(r.call(name), program, name)
        sock = r.call('socket')
        self.assertEqual((sock['family'], sock['type']), ('AF_INET', 'SOCK_STREAM'))
        self.assertEqual(sock['args'], {'family': 'AF_INET', 'type': 'SOCK_STREAM', 'proto': 0})
        self.assertEqual(sock['sock'], 1)
        self.assertTrue(sock['fd'] > 2 and sock['ino'] > 0)
        bind = r.call('bind')
        port = int(bind['local'].rsplit(':', 1)[1])
        self.assertEqual(bind['args'], {'host': '127.0.0.1', 'port': 0})
        self.assertEqual(r.call('listen')['args'], {'backlog': 5})
        connect = r.call('connect')
        self.assertEqual(connect['remote'], '127.0.0.1:%d' % port)
        accept = r.call('accept')
        self.assertEqual(accept['sock'], 1)
        self.assertIsNone(accept['result'])
        new = accept['new']
        self.assertEqual((new['local'], new['remote']), ('127.0.0.1:%d' % port, connect['local']))
        self.assertNotIn(new['sock'], (1, connect['sock']))
        recv = r.call('recv')
        self.assertEqual(recv['sock'], new['sock'])
        self.assertEqual(recv['thread'], 'server')
        self.assertEqual(recv['args'], {'bufsize': 1024})
        self.assertEqual((recv['result'], recv['data']), (5, {'len': 5, 'b64': 'aGVsbG8=', 'truncated': False}))
        self.assertEqual(r.call('send')['result'], 5)
        self.assertEqual(r.call('sendall')['thread'], 'MainThread')
        close = [m for m in r.calls('close') if m['sock'] == new['sock']][0]
        self.assertSrc(close, program, 'close')
        self.assertEqual(close['fd'], -1)
        self.assertEqual((close['local'], close['remote']), (new['local'], new['remote']))
        ids = [m['id'] for m in r.calls()]
        self.assertEqual(sorted(ids), list(range(1, len(ids) + 1)))
        for m in r.calls():
            self.assertTrue(0 < m['t0'] <= m['t1'], m)
            self.assertIsNone(m['error'])

    def test_T8_a_blocking_accept_and_recv_have_a_begin_before_their_call(self):
        program, r, out = self.run_ok('''
            import socket, threading, time
            srv = socket.socket()
            srv.bind(('127.0.0.1', 0))
            srv.listen()
            def client():
                time.sleep(0.3)
                c = socket.create_connection(srv.getsockname())
                time.sleep(0.3)
                c.sendall(b'late')
                c.close()
            threading.Thread(target=client).start()
            conn, _ = srv.accept()  # @accept
            print(conn.recv(100))  # @recv
            conn.close()
            srv.close()
        ''')
        for name in ('accept', 'recv'):
            begin, call = r.begins(name)[0], r.call(name)
            self.assertEqual(begin['id'], call['id'])
            self.assertIs(begin['paused'], False)
            self.assertSrc(begin, program, name)
            self.assertLess(r.messages.index(begin), r.messages.index(call))
            # the wait is reported inside the call, after at most the grace (T8), and the call's time counts it all
            self.assertLessEqual(call['t0'], begin['t'])
            self.assertLessEqual(begin['t'] - call['t0'], 50 * 1000 * 1000)
            self.assertGreater(call['t1'] - call['t0'], 100 * 1000 * 1000)  # it blocked ~0.3 s
        self.assertEqual(r.call('listen')['args'], {'backlog': min(128, __import__('socket').SOMAXCONN)})
        self.assertEqual(r.begins('bind'), [])

    def test_T8_no_begin_for_a_recv_whose_data_is_already_there_nor_for_a_non_blocking_socket(self):
        program, r, out = self.run_ok('''
            import socket, time
            a, b = socket.socketpair()
            a.sendall(b'x')
            time.sleep(0.05)
            b.recv(1)  # @ready
            b.setblocking(False)
            try:
                b.recv(1)  # @nonblocking
            except BlockingIOError:
                print('EAGAIN')
        ''')
        self.assertEqual(out, b'EAGAIN\n')
        # a small sendall into a writable socket cannot wait: no begin either
        self.assertEqual([m['call'] for m in r.begins()], [])
        failed = r.call('recv', 1)
        self.assertSrc(failed, program, 'nonblocking')
        self.assertEqual(failed['error']['code'], 'EAGAIN')
        self.assertEqual(failed['error']['type'], 'BlockingIOError')
        self.assertEqual(r.call('setblocking')['args'], {'flag': False})
        self.assertEqual(r.call('recv')['family'], 'AF_UNIX')
        self.assertIsNone(r.call('recv')['local'])

    def test_T8_a_send_that_may_wait_has_a_begin(self):
        program, r, out = self.run_ok('''
            import socket
            a, b = socket.socketpair()
            a.send(b'y')  # @small
            a.sendall(b'x' * 100000)  # @big
            print(len(b.recv(10)))
        ''')
        self.assertEqual([m['call'] for m in r.begins()], ['sendall'])
        self.assertSrc(r.begins('sendall')[0], program, 'big')

    def test_T5_from_socket_import_star_is_traced(self):
        program, r, out = self.run_ok('''
            from socket import *
            s = socket(AF_INET, SOCK_DGRAM)  # @socket
            s.bind(('127.0.0.1', 0))
            s.sendto(b'ping', s.getsockname())  # @sendto
            data, addr = s.recvfrom(100)  # @recvfrom
            s.close()
        ''')
        self.assertSrc(r.call('socket'), program, 'socket')
        self.assertEqual(r.call('socket')['type'], 'SOCK_DGRAM')
        local = r.call('bind')['local']
        sendto = r.call('sendto')
        self.assertSrc(sendto, program, 'sendto')
        self.assertEqual(sendto['args'], {'host': '127.0.0.1', 'port': int(local.rsplit(':', 1)[1])})
        self.assertEqual((sendto['result'], sendto['local'], sendto['remote']), (4, local, local))
        recvfrom = r.call('recvfrom')
        self.assertSrc(recvfrom, program, 'recvfrom')
        self.assertEqual((recvfrom['result'], recvfrom['remote'], recvfrom['local']), (4, local, local))
        self.assertEqual(base64.b64decode(recvfrom['data']['b64']), b'ping')

    def test_T5_create_connection_reports_its_lookup_socket_and_connect_on_the_programs_line(self):
        program, r, out = self.run_ok('''
            import socket
            srv = socket.create_server(('127.0.0.1', 0))  # @server
            c = socket.create_connection(srv.getsockname(), timeout=5)  # @cc
            c.close()
            srv.close()
        ''')
        for name in ('getaddrinfo', 'socket', 'settimeout', 'connect'):
            self.assertSrc(r.calls(name)[-1], program, 'cc')
        gai = r.call('getaddrinfo')
        port = int(r.call('bind')['local'].rsplit(':', 1)[1])
        self.assertEqual(gai['args'], {'host': '127.0.0.1', 'port': port})
        self.assertEqual(gai['result'], ['127.0.0.1:%d' % port])
        self.assertEqual(r.calls('settimeout')[-1]['args'], {'timeout': 5})
        for name in ('socket', 'bind', 'listen'):
            self.assertSrc(r.call(name), program, 'server')
        opts = [m['args'] for m in r.calls('setsockopt')]
        self.assertIn({'level': 'SOL_SOCKET', 'option': 'SO_REUSEADDR', 'value': 1}, opts)
        self.assertEqual(len(r.calls('socket')), 2)  # accept()'s inner socket is never a socket() call

    def test_T5_socketserver_tcpserver_and_makefile(self):
        program, r, out = self.run_ok('''
            import socket, socketserver, threading
            class Upper(socketserver.StreamRequestHandler):
                def handle(self):
                    line = self.rfile.readline()  # @readline
                    self.wfile.write(line.upper())  # @write
            server = socketserver.TCPServer(('127.0.0.1', 0), Upper)  # @server
            t = threading.Thread(target=server.handle_request)  # @thread
            t.start()
            with socket.create_connection(server.server_address) as c:  # @with
                f = c.makefile('rwb')
                f.write(b'abc\\n')
                f.flush()  # @flush
                print(f.readline())  # @clientread
                f.close()
            t.join()
            server.server_close()
        ''')
        self.assertEqual(out, b"b'ABC\\n'\n")
        for name in ('socket', 'bind', 'listen'):
            self.assertSrc(r.call(name), program, 'server')
        self.assertEqual(r.call('listen')['args'], {'backlog': 5})
        recv_into = r.calls('recv_into')
        self.assertSrc(recv_into[0], program, 'readline')
        self.assertEqual(base64.b64decode(recv_into[0]['data']['b64']), b'abc\n')
        self.assertEqual(recv_into[0]['args'], {'nbytes': 8192})
        self.assertSrc(recv_into[-1], program, 'clientread')
        self.assertSrc(r.call('send'), program, 'flush')  # BufferedWriter -> SocketIO.write -> send
        self.assertSrc(r.call('sendall'), program, 'write')  # socketserver's wfile writes with sendall
        # the server's shutdown and close happen inside socketserver, on the thread's outermost frame
        self.assertEqual(r.call('shutdown')['args'], {'how': 'SHUT_WR'})
        self.assertTrue(r.call('accept')['src'][0].endswith('threading.py'), r.call('accept')['src'])
        # the `with` block's close: the program's line, the connection's socket
        client = r.calls('connect')[0]['sock']
        closes = [m for m in r.calls('close') if m['sock'] == client]
        self.assertEqual(len(closes), 1)
        self.assertEqual(closes[0]['src'][0], program.path)
        self.assertIn(closes[0]['src'][1], range(program.line('with'), program.line('clientread') + 2))

    def test_T16_a_threading_server_with_two_clients_names_its_threads(self):
        program, r, out = self.run_ok('''
            import socket, socketserver, threading
            class Echo(socketserver.BaseRequestHandler):
                def handle(self):
                    self.request.sendall(self.request.recv(100))  # @echo
            server = socketserver.ThreadingTCPServer(('127.0.0.1', 0), Echo)
            server.daemon_threads = False
            t = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, name='acceptor')
            t.start()
            a = socket.create_connection(server.server_address)
            b = socket.create_connection(server.server_address)
            a.sendall(b'one'); b.sendall(b'two')
            print(a.recv(10), b.recv(10))
            a.close(); b.close()
            server.shutdown(); server.server_close(); t.join()
        ''')
        self.assertEqual(out, b"b'one' b'two'\n")
        echoes = [m for m in r.calls('recv') if m['src'] == [program.path, program.line('echo')]]
        self.assertEqual(len(echoes), 2)
        names = set(m['thread'] for m in echoes)
        self.assertEqual(len(names), 2, names)
        self.assertNotIn('MainThread', names)
        self.assertEqual(set(m['thread'] for m in r.calls('accept')), {'acceptor'})

    def test_T11_a_partial_send_reports_what_the_kernel_took(self):
        program, r, out = self.run_ok('''
            import socket
            srv = socket.create_server(('127.0.0.1', 0))
            c = socket.socket()
            c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # @sndbuf
            c.connect(srv.getsockname())
            peer, _ = srv.accept()
            c.setblocking(False)
            data = bytes(range(256)) * 16384
            sent = c.send(data)  # @send
            print(sent < len(data))
            try:
                while True:
                    c.send(data)  # @more
            except BlockingIOError as e:
                print('full', e.errno)
            c.close(); peer.close(); srv.close()
        ''')
        self.assertEqual(out.splitlines()[0], b'True')
        send = r.call('send')
        self.assertSrc(send, program, 'send')
        self.assertEqual(send['data']['len'], send['result'])
        self.assertLess(send['result'], 256 * 16384)
        self.assertTrue(send['data']['truncated'])
        self.assertEqual(base64.b64decode(send['data']['b64']), (bytes(range(256)) * 12)[:3072])
        full = r.calls('send')[-1]
        self.assertEqual((full['error']['code'], full['error']['errno'], full['data']), ('EAGAIN', 11, None))
        self.assertEqual(r.begins('send'), [])  # non-blocking: no begin
        sndbuf = r.call('setsockopt', 1)  # after create_server's SO_REUSEADDR
        self.assertEqual(sndbuf['args'], {'level': 'SOL_SOCKET', 'option': 'SO_SNDBUF', 'value': 4096})
        self.assertSrc(sndbuf, program, 'sndbuf')

    def test_T10_refused_address_in_use_and_reset_are_reported_and_reraised(self):
        program, r, out = self.run_ok('''
            import socket, struct
            closed = socket.socket(); closed.bind(('127.0.0.1', 0))
            port = closed.getsockname()[1]   # bound, not listening: connecting is refused
            c = socket.socket()
            try:
                c.connect(('127.0.0.1', port))  # @refused
            except ConnectionRefusedError as e:
                print('refused', e.errno)
            print('ex', socket.socket().connect_ex(('127.0.0.1', port)))  # @ex
            other = socket.socket()
            try:
                other.bind(('127.0.0.1', port))  # @inuse
            except OSError as e:
                print('inuse', e.errno)
            srv = socket.create_server(('127.0.0.1', 0))
            c2 = socket.create_connection(srv.getsockname())
            peer, _ = srv.accept()
            peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            peer.close()   # linger 0: RST
            try:
                c2.recv(10)  # @reset
            except ConnectionResetError as e:
                print('reset', e.errno)
        ''')
        self.assertEqual(out, b'refused 111\nex 111\ninuse 98\nreset 104\n')
        refused = r.call('connect')
        self.assertSrc(refused, program, 'refused')
        self.assertEqual(refused['error'], {'type': 'ConnectionRefusedError', 'errno': 111, 'code': 'ECONNREFUSED',
                                            'message': '[Errno 111] Connection refused'})
        self.assertEqual((r.call('connect_ex')['result'], r.call('connect_ex')['error']), (111, None))
        inuse = [m for m in r.calls('bind') if m['error']][0]
        self.assertSrc(inuse, program, 'inuse')
        self.assertEqual((inuse['error']['code'], inuse['error']['type']), ('EADDRINUSE', 'OSError'))
        reset = [m for m in r.calls('recv') if m['error']][0]
        self.assertSrc(reset, program, 'reset')
        self.assertEqual(reset['error']['code'], 'ECONNRESET')
        linger = [m for m in r.calls('setsockopt') if m['args']['option'] == 'SO_LINGER'][0]
        self.assertEqual(linger['args']['value']['len'], 8)

    def test_T11_gbk_bytes_travel_as_they_are(self):
        program, r, out = self.run_ok('''
            import socket
            a, b = socket.socketpair()
            a.sendall('你好，世界'.encode('gbk'))
            print(b.recv(100).decode('gbk'))
        ''', env={'PYTHONIOENCODING': 'utf-8'})
        self.assertEqual(out.decode('utf-8'), '你好，世界\n')
        for name in ('sendall', 'recv'):
            self.assertEqual(base64.b64decode(r.call(name)['data']['b64']), '你好，世界'.encode('gbk'))

    def test_T10_a_timeout_is_reported_as_ETIMEDOUT_and_reraised(self):
        program, r, out = self.run_ok('''
            import socket
            a, b = socket.socketpair()
            b.settimeout(0.2)
            try:
                b.recv(10)  # @recv
            except socket.timeout as e:
                print(type(e).__name__, e.args)
            print(socket.gethostbyname('127.0.0.1'))  # @ghbn
        ''')
        recv = r.call('recv')
        self.assertSrc(recv, program, 'recv')
        error = recv['error']
        self.assertEqual((error['code'], error['errno'], error['message']), ('ETIMEDOUT', None, 'timed out'))
        self.assertIn(error['type'], ('socket.timeout', 'TimeoutError'))  # an alias of TimeoutError from 3.10
        self.assertEqual(len(r.begins('recv')), 1)
        ghbn = r.call('gethostbyname')
        self.assertEqual((ghbn['args'], ghbn['result']), ({'host': '127.0.0.1'}, '127.0.0.1'))
        self.assertSrc(ghbn, program, 'ghbn')

    @unittest.skipIf(not socket.has_ipv6, 'no IPv6')
    def test_T11_ipv6_endpoints_and_ipv4_mapped_addresses(self):
        try:
            probe = socket.socket(socket.AF_INET6)
            probe.bind(('::1', 0))
            probe.close()
        except OSError as e:  # said loudly: a skipped test must not look like a passed one
            sys.stderr.write('SKIPPED ipv6 endpoints: cannot bind ::1 here (%s)\n' % e)
            self.skipTest('cannot bind ::1: %s' % e)
        program, r, out = self.run_ok('''
            import socket
            six = socket.create_server(('::1', 0), family=socket.AF_INET6)
            c = socket.create_connection(six.getsockname()[:2])
            conn, _ = six.accept()
            mapped = socket.socket(socket.AF_INET6)
            mapped.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            mapped.bind(('::ffff:127.0.0.1', 0))
            mapped.listen()
            c4 = socket.create_connection(('127.0.0.1', mapped.getsockname()[1]))
            conn4, _ = mapped.accept()
        ''')
        port6 = int(r.call('bind')['local'].rsplit(':', 1)[1])
        self.assertEqual(r.call('bind')['local'], '[::1]:%d' % port6)
        self.assertEqual(r.call('socket')['family'], 'AF_INET6')
        first, second = r.calls('accept')
        self.assertEqual(first['local'], '[::1]:%d' % port6)
        self.assertTrue(first['remote'].startswith('[::1]:'))
        self.assertTrue(second['local'].startswith('127.0.0.1:'), second)  # ::ffff:127.0.0.1 written as IPv4
        self.assertEqual(second['remote'], r.calls('connect')[-1]['local'])
        opt = [m for m in r.calls('setsockopt') if m['args']['level'] == 'IPPROTO_IPV6'][-1]  # create_server's first
        self.assertEqual(opt['args'], {'level': 'IPPROTO_IPV6', 'option': 'IPV6_V6ONLY', 'value': 0})

    def test_T7_a_socket_first_seen_on_another_call_gets_an_id_then(self):
        program, r, out = self.run_ok('''
            import socket
            a, b = socket.socketpair()
            c = socket.fromfd(a.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(2.5)
            c.close(); a.close(); b.close()
        ''')
        self.assertEqual(r.calls('socket'), [])
        st = r.call('settimeout')
        self.assertEqual((st['sock'], st['args']), (1, {'timeout': 2.5}))
        self.assertEqual([m['sock'] for m in r.calls('close')], [1, 2, 3])


if __name__ == '__main__':
    unittest.main()
