"""Runs small programs under the tracer, the way the agent does, and collects what they say.

A program is written to a temporary folder and started with `<this python> -u <file>` in its own
process group, the tracer on PYTHONPATH, SOCKETSCOPE_TRACE_FD / SOCKETSCOPE_CONTROL_FD on pipes and
SOCKETSCOPE_PPID set to this process. Every wait is bounded; a program still running at the end is
killed with its group. Programs talk only to 127.0.0.1, on ports the kernel picks.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

TRACER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 15.0


class Program(object):
    """A program's source in a file; `line(tag)` is the line that ends with `# @tag`."""

    def __init__(self, folder, source, name='prog.py'):
        self.text = textwrap.dedent(source).lstrip('\n')
        self.path = os.path.join(folder, name)
        with open(self.path, 'w', encoding='utf-8') as f:
            f.write(self.text)

    def line(self, tag):
        for i, text in enumerate(self.text.splitlines(), 1):
            if text.rstrip().endswith('# @' + tag):
                return i
        raise KeyError(tag)


class Run(object):
    def __init__(self, program, args=(), traced=True, step=False, control=True, stdin=b'', env=None, ppid=None,
                 read_trace=True, nonblocking=False, read_delay=0.0):
        self.program = program
        self.messages = []
        self.raw = b''
        self._cond = threading.Condition()
        self._eof = False
        self._ctl_w = None
        run_env = dict(os.environ)
        for k in list(run_env):
            if k.startswith('SOCKETSCOPE_') or k.startswith('PYTHON'):
                del run_env[k]
        run_env['PYTHONDONTWRITEBYTECODE'] = '1'  # nothing written into the tracer's folder
        run_env.update(env or {})
        fds = []
        trace_r = None
        if traced:
            run_env['PYTHONPATH'] = os.pathsep.join([TRACER] + [p for p in [run_env.get('PYTHONPATH')] if p])
            trace_r, trace_w = os.pipe()
            os.set_blocking(trace_w, not nonblocking)  # shared with the program: its writes may be partial
            fds.append(trace_w)
            run_env['SOCKETSCOPE_TRACE_FD'] = str(trace_w)
            run_env['SOCKETSCOPE_PPID'] = str(os.getpid() if ppid is None else ppid)
            if control:
                ctl_r, self._ctl_w = os.pipe()
                fds.append(ctl_r)
                run_env['SOCKETSCOPE_CONTROL_FD'] = str(ctl_r)
            if step:
                run_env['SOCKETSCOPE_STEP'] = '1'
        self.proc = subprocess.Popen(
            [sys.executable, '-u', program.path] + list(args), env=run_env, pass_fds=fds,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=os.path.dirname(program.path), start_new_session=True)
        for fd in fds:
            os.close(fd)
        self._stdin = stdin
        self._read_delay = read_delay
        self._reader = None
        self.trace_r = trace_r  # the test's own to read and close when read_trace is False
        if trace_r is not None and read_trace:
            self._trace_r = trace_r
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()

    def _read(self):
        time.sleep(self._read_delay)  # a slow agent: the pipe fills
        buf = b''
        while True:
            try:
                chunk = os.read(self._trace_r, 65536)
            except OSError:
                chunk = b''
            if not chunk:
                break
            buf += chunk
            with self._cond:
                self.raw += chunk
                while b'\n' in buf:
                    line, buf = buf.split(b'\n', 1)
                    self.messages.append(json.loads(line.decode('ascii')))
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()
        os.close(self._trace_r)

    def wait_for(self, pred, timeout=TIMEOUT):
        """The first message (from the start) for which pred is true; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.messages:
                    if pred(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    raise AssertionError('no such message; got %r' % self.messages[-5:])
                self._cond.wait(left)

    def send(self, line):
        os.write(self._ctl_w, (line + '\n').encode())

    def close_control(self):
        if self._ctl_w is not None:
            os.close(self._ctl_w)
            self._ctl_w = None

    def finish(self, timeout=TIMEOUT):
        """Waits for the program to end; returns (exit code, stdout, stderr)."""
        try:
            out, err = self.proc.communicate(self._stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            out, err = self.proc.communicate()
            raise AssertionError('program did not finish in %ss: %r' % (timeout, err[-2000:]))
        finally:
            self.close_control()
        if self._reader is not None:
            self._reader.join(timeout)
        return self.proc.returncode, out, err

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass

    # ---- queries ----
    def calls(self, name=None):
        return [m for m in self.messages if m['k'] == 'call' and (name is None or m['call'] == name)]

    def begins(self, name=None):
        return [m for m in self.messages if m['k'] == 'begin' and (name is None or m['call'] == name)]

    def call(self, name, index=0):
        found = self.calls(name)
        if len(found) <= index:
            raise AssertionError('no call %s #%d in %r' % (name, index, [m['call'] for m in self.calls()]))
        return found[index]


class Folder(object):
    """A temporary folder for a test class's programs."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix='socketscope-tracer-')

    def program(self, source, name='prog.py'):
        return Program(self.path, source, name)

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


def run(folder, source, **kw):
    """Writes and runs a program to its end: (Program, Run, exit code, stdout, stderr)."""
    program = folder.program(source, kw.pop('name', 'prog.py'))
    r = Run(program, **kw)
    code, out, err = r.finish()
    return program, r, code, out, err
