"""The traced program behaves as it would without the tracer (README T1-T4, T12-T15)."""
import os
import select
import signal
import subprocess
import sys
import time
import unittest

import harness


def both(folder, source, **kw):
    """Runs a program untraced, then traced: ((code, out, err) untraced, (code, out, err) traced, Run, Program)."""
    program = folder.program(source)
    plain = harness.Run(program, traced=False, stdin=kw.get('stdin', b''), env=kw.get('env')).finish()
    r = harness.Run(program, **kw)
    return plain, r.finish(), r, program


def state(pid):
    """The process's state letter, or None once it is gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0]
    except OSError:
        return None


def wait_dead(pid, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state(pid) in (None, 'Z'):
            return True
        time.sleep(0.02)
    return False


class Program(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = harness.Folder()

    @classmethod
    def tearDownClass(cls):
        cls.folder.remove()

    def test_T15_same_stdout_stderr_and_exit_code_and_no_extra_thread(self):
        plain, traced, r, _ = both(self.folder, '''
            import os, socket, sys, threading
            a, b = socket.socketpair()
            a.sendall(b'bytes')
            print(b.recv(10), threading.active_count(), len(os.listdir('/proc/self/task')))
            print('to stderr', file=sys.stderr)
            sys.exit(3)
        ''')
        self.assertEqual(plain, traced)
        self.assertEqual(traced[0], 3)
        self.assertEqual(traced[1], b"b'bytes' 1 1\n")
        self.assertTrue(r.calls('recv'))

    def test_T15_socket_calls_in_a_del_at_interpreter_shutdown_behave_the_same(self):
        plain, traced, r, _ = both(self.folder, '''
            import socket
            class Client:
                def __init__(self):
                    self.a, self.b = socket.socketpair()
                def __del__(self):
                    self.a.sendall(b'bye')
                    print(self.b.recv(3))
                    self.a.close()
            keep = Client()
            keep.cycle = keep
        ''')
        self.assertEqual(plain, traced)
        self.assertEqual(traced, (0, b"b'bye'\n", b''))

    def test_T13_an_uncaught_exception_is_sent_and_printed_without_tracer_frames(self):
        plain, traced, r, program = both(self.folder, '''
            import socket
            def connect(port):
                s = socket.socket()
                try:
                    s.connect(('127.0.0.1', port))  # @connect
                except ConnectionRefusedError as e:
                    raise RuntimeError('nobody there') from e  # @raise
            closed = socket.socket()
            closed.bind(('127.0.0.1', 0))
            connect(closed.getsockname()[1])  # @call
        ''')
        self.assertEqual(plain[0], 1)
        self.assertEqual(plain, traced)  # same bytes on stderr: no tracer frame, nothing added
        self.assertNotIn(b'_socketscope', traced[2])
        exc = r.wait_for(lambda m: m['k'] == 'exc')
        self.assertEqual(exc['type'], 'RuntimeError')
        self.assertEqual(exc['message'], 'nobody there')
        self.assertEqual(exc['frames'], [[program.path, program.line('call'), '<module>'],
                                         [program.path, program.line('raise'), 'connect']])
        self.assertNotIn('thread', exc)

    def test_T13_tracebacks_the_program_prints_itself_have_no_tracer_frame(self):
        plain, traced, r, _ = both(self.folder, '''
            import logging, socket, sys, traceback
            closed = socket.socket()
            closed.bind(('127.0.0.1', 0))
            try:
                socket.create_connection(closed.getsockname())
            except OSError as e:
                print(type(e).__name__, e.errno, e.args)
                traceback.print_exc(file=sys.stdout)
                logging.exception('connect failed')
            try:
                socket.getaddrinfo('127.0.0.1', 'no-such-service-here')
            except socket.gaierror as e:
                print(e.errno)
                print(''.join(traceback.format_exception(*sys.exc_info())))
        ''')
        self.assertEqual(plain, traced)
        self.assertEqual(traced[0], 0)
        self.assertNotIn(b'_socketscope', traced[1] + traced[2])
        gai = [m for m in r.calls('getaddrinfo') if m['error']][-1]
        self.assertEqual((gai['error']['type'], gai['error']['code']), ('socket.gaierror', 'EAI_SERVICE'))

    def test_T13_an_exception_that_ends_a_thread_is_sent_with_its_name(self):
        plain, traced, r, program = both(self.folder, '''
            import socket, threading
            closed = socket.socket()
            closed.bind(('127.0.0.1', 0))
            def work():
                socket.socket().connect(closed.getsockname())  # @connect
            t = threading.Thread(target=work, name='worker')
            t.start(); t.join()
            print('main goes on')
        ''')
        self.assertEqual(plain, traced)
        self.assertEqual(traced[1], b'main goes on\n')
        exc = r.wait_for(lambda m: m['k'] == 'exc')
        self.assertEqual((exc['type'], exc['thread']), ('ConnectionRefusedError', 'worker'))
        self.assertEqual(exc['frames'][-1], [program.path, program.line('connect'), 'work'])

    def test_T12_input_sends_its_prompt_and_reads_stdin_unchanged(self):
        plain, traced, r, program = both(self.folder, '''
            name = input('你的名字: ')  # @input
            print('hello', name)
            input()  # @again
        ''', stdin='小明\n'.encode('utf-8'), env={'PYTHONIOENCODING': 'utf-8'})
        self.assertEqual(plain, traced)  # ends in EOFError, printed the same
        self.assertEqual(traced[0], 1)
        self.assertIn('hello 小明'.encode('utf-8'), traced[1])
        inputs = [m for m in r.messages if m['k'] == 'input']
        self.assertEqual(inputs, [{'k': 'input', 'prompt': '你的名字: ', 'src': [program.path, program.line('input')]},
                                  {'k': 'input', 'prompt': '', 'src': [program.path, program.line('again')]}])
        self.assertEqual(r.wait_for(lambda m: m['k'] == 'exc')['type'], 'EOFError')

    def test_T4_closing_the_trace_pipe_early_lets_the_program_finish(self):
        program = self.folder.program('''
            import socket, time
            a, b = socket.socketpair()
            for i in range(3000):
                a.sendall(b'x' * 100)
                b.recv(100)
                if i == 0:
                    time.sleep(0.3)
            print('done')
        ''')
        r = harness.Run(program, read_trace=False)
        got, deadline = b'', time.monotonic() + harness.TIMEOUT
        while b'"call"' not in got and time.monotonic() < deadline:
            if select.select([r.trace_r], [], [], 0.1)[0]:
                got += os.read(r.trace_r, 65536)
        os.close(r.trace_r)
        code, out, err = r.finish()
        self.assertIn(b'"k":"hello"', got)
        self.assertEqual((code, out, err), (0, b'done\n', b''))

    def test_T4_a_full_non_blocking_trace_pipe_loses_and_splits_nothing(self):
        program, r, code, out, err = harness.run(self.folder, '''
            import socket
            a, b = socket.socketpair()
            for i in range(100):
                a.sendall(bytes([i]) * 4000)
                b.recv(4000)
            print('done')
        ''', nonblocking=True, read_delay=0.5)
        self.assertEqual((code, out), (0, b'done\n'), err)
        self.assertEqual(len(r.calls('recv')), 100)  # each line parsed whole (harness: json.loads)
        self.assertEqual([m['data']['b64'][:4] for m in r.calls('sendall')][:3], ['AAAA', 'AQEB', 'AgIC'])
        self.assertGreater(len(r.raw), 65536 * 2)  # more than the pipe holds: writes waited for room

    def test_T2_the_environment_is_left_as_it_would_be(self):
        extra = os.path.join(self.folder.path, 'extra')
        os.makedirs(extra, exist_ok=True)
        plain, traced, r, _ = both(self.folder, '''
            import os, subprocess, sys
            print(sorted(k for k in os.environ if k.startswith('SOCKETSCOPE')))
            print(os.environ.get('PYTHONPATH'))
            print([p for p in sys.path if os.path.isfile(os.path.join(p or '.', '_socketscope_trace.py'))])
            code = 'import sys, os; print("_socketscope_trace" in sys.modules, sorted(os.listdir("/proc/self/fd")))'
            print(subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE).stdout.decode().strip())
        ''', env={'PYTHONPATH': extra})
        self.assertEqual(plain, traced)
        self.assertEqual(traced[1].splitlines()[:3], [b'[]', extra.encode(), b'[]'])
        self.assertEqual(r.messages[0]['k'], 'hello')

    def test_T1_without_the_trace_variable_nothing_is_patched(self):
        program = self.folder.program('''
            import socket, sys, _socket
            print('_socketscope_trace' in sys.modules, socket.socket.connect is _socket.socket.connect)
        ''')
        code, out, err = harness.Run(program, traced=False, env={'PYTHONPATH': harness.TRACER}).finish()
        self.assertEqual((code, out, err), (0, b'False True\n', b''))

    def test_T1_the_machines_own_sitecustomize_still_runs(self):
        other = os.path.join(self.folder.path, 'site-other')
        os.makedirs(other, exist_ok=True)
        with open(os.path.join(other, 'sitecustomize.py'), 'w') as f:
            f.write('import builtins\nbuiltins.OTHER_SITE = "ran"\n')
        program = self.folder.program('''
            import builtins, sys
            print(getattr(builtins, 'OTHER_SITE', None), sys.modules['sitecustomize'].__file__)
        ''')
        expected = ('ran %s\n' % os.path.join(other, 'sitecustomize.py')).encode()
        for traced in (True, False):
            env = {'PYTHONPATH': other if traced else harness.TRACER + os.pathsep + other}
            code, out, err = harness.Run(program, traced=traced, env=env).finish()
            self.assertEqual((code, out, err), (0, expected, b''), traced)

    def test_T17_a_program_named_like_a_module_the_tracer_uses_imports_itself_as_without_it(self):
        for name in ('threading.py', 'json.py', 'select.py', 'socket.py'):
            module = name[:-3]
            alone = os.path.join(self.folder.path, module)  # a folder of its own: it shadows `module` there
            os.makedirs(alone, exist_ok=True)
            program = harness.Program(alone, '''
                import sys
                import %s
                print(__name__, %s.__file__ == __file__, sorted(sys.modules).count('%s'))
            ''' % (module, module, module), name)
            plain = harness.Run(program, traced=False).finish()
            traced = harness.Run(program).finish()
            self.assertEqual(plain, traced, name)
        self.assertIn(b'__main__ True', plain[1])  # socket.py (Python itself never loads socket first)
        # a program that does use the real socket module is traced
        program, r, code, out, err = harness.run(self.folder, '''
            import json, socket
            socket.socket().close()
        ''', name='prog.py')
        self.assertEqual(len(r.calls('socket')), 1, err)

    def test_T3_a_program_whose_agent_already_died_does_not_run(self):
        program = self.folder.program('''
            print('ran')
        ''')
        r = harness.Run(program, ppid=1)
        code, out, err = r.finish()
        self.assertEqual((code, out), (-signal.SIGKILL, b''))

    def test_T3_the_program_dies_with_its_parent(self):
        program = self.folder.program('''
            import time
            time.sleep(30)
        ''')
        middle = self.folder.program('''
            import os, subprocess, sys, time
            r, w = os.pipe()
            env = dict(os.environ, PYTHONPATH=sys.argv[1], SOCKETSCOPE_TRACE_FD=str(w),
                       SOCKETSCOPE_PPID=str(os.getpid()))
            p = subprocess.Popen([sys.executable, '-u', sys.argv[2]], env=env, pass_fds=[w], start_new_session=True)
            os.read(r, 4096)  # its hello: the tracer is running
            print(p.pid, flush=True)
            time.sleep(30)
        ''', name='middle.py')
        m = subprocess.Popen([sys.executable, middle.path, harness.TRACER, program.path], stdout=subprocess.PIPE,
                             start_new_session=True)
        try:
            ready = select.select([m.stdout], [], [], harness.TIMEOUT)[0]
            self.assertTrue(ready, 'middle process did not start the program')
            pid = int(m.stdout.readline())
            self.assertEqual(state(pid) in (None, 'Z'), False)
            m.kill()
            m.wait()
            self.assertTrue(wait_dead(pid), 'the program outlived its parent')
        finally:
            m.kill()
            m.wait()
            m.stdout.close()

    def test_T9_end_of_file_on_control_kills_the_programs_group(self):
        program = self.folder.program('''
            import socket, subprocess, sys, time
            child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])
            print(child.pid, flush=True)
            a, b = socket.socketpair()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                a.send(b'x')
                b.recv(1)
                time.sleep(0.01)
        ''')
        r = harness.Run(program)
        r.wait_for(lambda m: m['k'] == 'call' and m['call'] == 'recv')
        r.close_control()
        code, out, err = r.finish(timeout=10)
        self.assertEqual(code, -signal.SIGKILL)
        self.assertTrue(wait_dead(int(out.split()[0])), 'a process of its group survived')

    def test_T14_a_forked_child_is_traced_with_its_pid(self):
        program, r, code, out, err = harness.run(self.folder, '''
            import os, socket
            a, b = socket.socketpair()
            pid = os.fork()
            if pid == 0:
                a.sendall(b'from child')  # @child
                os._exit(0)
            os.waitpid(pid, 0)
            print(b.recv(100), pid)  # @parent
        ''')
        self.assertEqual(code, 0, err)
        child = int(out.split()[-1])
        hellos = [m for m in r.messages if m['k'] == 'hello']
        self.assertEqual([(h['pid'], h['ppid']) for h in hellos], [(r.proc.pid, os.getpid()), (child, r.proc.pid)])
        sendall = r.call('sendall')
        self.assertEqual((sendall['pid'], sendall['src']), (child, [program.path, program.line('child')]))
        self.assertNotIn('pid', r.call('recv'))


if __name__ == '__main__':
    unittest.main()
