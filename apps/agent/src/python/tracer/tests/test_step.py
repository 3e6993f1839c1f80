"""Step mode: paused begins, go / step / run on the control descriptor (README T8, T9)."""
import time
import unittest

import harness

QUIET = 0.3  # seconds in which a paused program must say nothing more


class Step(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = harness.Folder()

    @classmethod
    def tearDownClass(cls):
        cls.folder.remove()

    def start(self, source, **kw):
        program = self.folder.program(source)
        r = harness.Run(program, **kw)
        self.addCleanup(r.kill)
        return program, r

    def assertQuiet(self, r):
        before = len(r.messages)
        time.sleep(QUIET)
        self.assertEqual(len(r.messages), before, r.messages[before:])

    def paused(self, r, name):
        return r.wait_for(lambda m: m['k'] == 'begin' and m['call'] == name and m['paused'])

    def test_T9_each_call_waits_for_go_step_stays_and_run_leaves_step_mode(self):
        program, r = self.start('''
            import socket
            s = socket.socket()  # @socket
            s.bind(('127.0.0.1', 0))  # @bind
            s.listen()  # @listen
            s.close()  # @close
            print('done')
        ''', step=True)
        first = self.paused(r, 'socket')
        self.assertEqual((first['src'], first['sock']), ([program.path, program.line('socket')], None))
        self.assertEqual(first['args'], {'family': 'AF_INET', 'type': 'SOCK_STREAM', 'proto': 0})
        self.assertQuiet(r)
        self.assertEqual(r.calls(), [])
        r.send('go')
        bind = self.paused(r, 'bind')
        self.assertEqual(r.call('socket')['id'], first['id'])
        self.assertEqual((bind['sock'], bind['src'][1]), (1, program.line('bind')))
        r.send('step')  # already stepping: stay paused
        self.assertQuiet(r)
        self.assertEqual(r.calls('bind'), [])
        r.send('go')
        self.paused(r, 'listen')
        r.send('run')
        code, out, err = r.finish()
        self.assertEqual((code, out), (0, b'done\n'), err)
        self.assertEqual([m['call'] for m in r.begins()], ['socket', 'bind', 'listen'])
        self.assertEqual([m['call'] for m in r.calls()], ['socket', 'bind', 'listen', 'close'])

    def test_T9_a_paused_call_that_may_block_then_says_it_is_being_made(self):
        program, r = self.start('''
            import socket
            a, b = socket.socketpair()
            print(b.recv(10))  # @recv
        ''', step=True, stdin=b'')
        paused = self.paused(r, 'recv')
        self.assertEqual(paused['src'][1], program.line('recv'))
        r.send('go')
        making = r.wait_for(lambda m: m['k'] == 'begin' and m['call'] == 'recv' and not m['paused'])
        self.assertEqual(making['id'], paused['id'])
        self.assertEqual(r.calls('recv'), [])  # blocked: nobody sends
        r.kill()
        r.finish()

    def test_T9_step_and_run_arrive_while_the_program_runs(self):
        program, r = self.start('''
            import socket, time
            a, b = socket.socketpair()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                a.send(b'x')  # @send
                b.recv(1)
                time.sleep(0.01)
        ''')
        r.wait_for(lambda m: m['k'] == 'call' and m['call'] == 'recv')
        self.assertFalse(any(m.get('paused') for m in r.begins()))
        r.send('step')
        paused = r.wait_for(lambda m: m['k'] == 'begin' and m['paused'])
        self.assertQuiet(r)
        n = len(r.calls())
        r.send('run')
        r.wait_for(lambda m: m['k'] == 'call' and m['id'] > paused['id'] + 4)
        self.assertGreater(len(r.calls()), n)
        self.assertEqual(len([m for m in r.begins() if m['paused']]), 1)
        r.kill()
        r.finish()

    def test_T9_end_of_file_on_control_while_paused_kills_the_program(self):
        program, r = self.start('''
            import socket
            socket.socket()
            print('ran on')
        ''', step=True)
        self.paused(r, 'socket')
        r.close_control()
        code, out, err = r.finish(timeout=10)
        self.assertEqual((code, out), (-9, b''))

    def test_T9_threads_pause_one_call_at_a_time(self):
        program, r = self.start('''
            import socket, threading
            def work(n):
                s = socket.socket()
                s.settimeout(n)
                s.close()
            ts = [threading.Thread(target=work, args=(i,), name='t%d' % i) for i in (1, 2)]
            for t in ts: t.start()
            for t in ts: t.join()
            print('done')
        ''', step=True)
        for i in range(6):
            r.wait_for(lambda m: len([x for x in r.messages if x['k'] == 'begin']) == i + 1)
            time.sleep(0.05)
            self.assertEqual(len(r.begins()), i + 1)  # one paused call, the other thread waits unseen
            r.send('go')
        code, out, err = r.finish()
        self.assertEqual((code, out), (0, b'done\n'), err)
        self.assertEqual(len(r.calls()), 6)
        self.assertEqual(set(m['thread'] for m in r.calls()), {'t1', 't2'})
        # each call came after its own paused begin (the next thread's begin may come before it)
        for call in r.calls():
            begin = [m for m in r.begins() if m['id'] == call['id']][0]
            self.assertLess(r.messages.index(begin), r.messages.index(call))


if __name__ == '__main__':
    unittest.main()
