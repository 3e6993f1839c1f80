"""SocketScope's Python tracer: tells the agent that runs a program about each socket call it makes.

Rules it enforces (README.md T1..T17, quoted by tests/):
- It never changes what the program does: the same output, exit code and exceptions (the same objects,
  re-raised), no threads, nothing written to stdout or stderr. A failure of its own makes an untraced call.
- At start-up it imports nothing the program could shadow with a file of its own (socket.py, json.py …):
  only modules Python has already loaded or builds in. The socket patches wait for the program's own
  `import socket` (T17).
- It writes only to the descriptor the agent gave it (SOCKETSCOPE_TRACE_FD) and reads only the agent's
  control descriptor; it deletes its variables and keeps its descriptors from programs this one starts.
- The program does not outlive the agent: parent-death signal, and the control descriptor closing.
"""
import _thread
import os
import sys
import time

try:
    from _json import encode_basestring_ascii as json_str
except ImportError:  # a Python built without _json: slower, same text
    def json_str(s):
        return '"' + ''.join(c if ' ' <= c < '\x7f' and c not in '"\\' else '\\u%04x' % ord(c) for c in s) + '"'

HERE = os.path.dirname(os.path.abspath(__file__))
MINE = tuple({HERE + os.sep, os.path.realpath(HERE) + os.sep})
_ENV = ('SOCKETSCOPE_TRACE_FD', 'SOCKETSCOPE_CONTROL_FD', 'SOCKETSCOPE_STEP', 'SOCKETSCOPE_PPID')
_SIGKILL = 9  # Linux's number; the signal module is not needed for it
_PR_SET_PDEATHSIG = 1

tracing = False    # False for good once the trace descriptor fails (T4)
stepping = False   # pause before each call (T9)
tls = _thread._local()  # tls.busy: this thread is inside a traced call (T5)
now = getattr(time, 'monotonic_ns', None)  # absent before 3.7, where start() only tidies up
select = None      # select.select, once the program has imported socket (which imports select)
_out = -1          # trace descriptor
_ctl = None        # control descriptor, None when there is none
_ctl_buf = b''
_leader = False    # this process leads its group, so the group is the program's (T9)
_pid_tag = None    # a forked child's pid, put on each of its messages (T14)
_hello_due = False
_prctl = None
_cwd0 = os.getcwd()
_files = {}        # co_filename -> absolute path if the program's, else False (T6)
_wlock = _thread.allocate_lock()
_ctl_lock = _thread.allocate_lock()
_gate = _thread.allocate_lock()  # one paused call at a time, whatever the thread (T9)


# ---- start-up (T1, T2, T3) -------------------------------------------------------------------------

def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def start():
    """Called by sitecustomize.py when SOCKETSCOPE_TRACE_FD is set."""
    env = {k: os.environ.pop(k, None) for k in _ENV}
    try:
        _start(env)
    finally:
        _forget_tracer_dir()


def _start(env):
    global _leader
    trace_fd, ctl_fd = _int(env['SOCKETSCOPE_TRACE_FD']), _int(env['SOCKETSCOPE_CONTROL_FD'])
    fds = [fd for fd in (trace_fd, ctl_fd) if fd is not None and fd > 2]
    for fd in fds:
        try:
            os.set_inheritable(fd, False)
        except OSError:
            pass
    _set_pdeathsig()
    ppid = _int(env['SOCKETSCOPE_PPID'])
    if ppid is not None and os.getppid() != ppid:
        os.kill(os.getpid(), _SIGKILL)  # the agent died before we could ask to die with it
    if sys.version_info < (3, 8) or trace_fd not in fds:
        for fd in fds:
            _close(fd)
        return
    _leader = os.getpgrp() == os.getpid()
    _install(trace_fd, ctl_fd if ctl_fd in fds else None, env['SOCKETSCOPE_STEP'] == '1')


def _forget_tracer_dir():
    """Programs this one starts, and its own sys.path, look as they would without the tracer."""
    sys.path[:] = [p for p in sys.path if not (isinstance(p, str) and _is_here(p))]
    parts = os.environ.get('PYTHONPATH', '').split(os.pathsep)
    kept = [p for p in parts if p and not _is_here(p)]
    if kept:
        os.environ['PYTHONPATH'] = os.pathsep.join(kept)
    else:
        os.environ.pop('PYTHONPATH', None)


def _is_here(path):
    try:
        return os.path.samefile(path, HERE)
    except (OSError, ValueError):
        return False


def _close(fd):
    try:
        os.close(fd)
    except OSError:
        pass


def _set_pdeathsig():
    global _prctl
    if _prctl is None:
        try:
            import ctypes
            fn = ctypes.CDLL(None, use_errno=True).prctl
            fn.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
            fn.restype = ctypes.c_int
            _prctl = fn
        except Exception:  # no ctypes (or not Linux): go on without; README T3
            _prctl = False
    if _prctl:
        _prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)


def _install(trace_fd, ctl_fd, step):
    global tracing, _out, _ctl, stepping
    _out, _ctl = trace_fd, ctl_fd
    stepping = step and ctl_fd is not None
    import _socketscope_hooks
    _socketscope_hooks.install()
    os.register_at_fork(before=_fork_before, after_in_parent=_fork_parent, after_in_child=_fork_child)
    tracing = True
    emit(_hello())


def load(name):
    """One of our modules, from this folder: it is no longer on sys.path once the program runs (T2)."""
    module = sys.modules.get(name)
    if module is None:
        import importlib.util
        spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + '.py'))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return module


def after_site():
    """Called by sitecustomize.py after the machine's own sitecustomize ran."""
    if tracing:
        import _socketscope_hooks
        _socketscope_hooks.after_site()


def _hello():
    return {'k': 'hello', 'pid': os.getpid(), 'ppid': os.getppid(), 'python': '%d.%d.%d' % sys.version_info[:3],
            'executable': sys.executable, 't': now()}


# ---- the channel (T4) ------------------------------------------------------------------------------

def to_json(x):
    """JSON text of what messages hold (dicts, lists, str, int, float, bool, None); anything else as text."""
    t = type(x)
    if t is str:
        return json_str(x)
    if x is None:
        return 'null'
    if t is bool:
        return 'true' if x else 'false'
    if t is dict:
        return '{' + ','.join([json_str(str(k)) + ':' + to_json(v) for k, v in x.items()]) + '}'
    if t is list or t is tuple:
        return '[' + ','.join([to_json(v) for v in x]) + ']'
    if isinstance(x, int):
        return '%d' % x
    if isinstance(x, float):
        return repr(float(x)) if x - x == 0 else json_str(repr(x))  # NaN and infinities are not JSON
    if isinstance(x, (bytes, bytearray)):
        return json_str(bytes(x[:256]).decode('utf-8', 'replace'))
    return json_str(x if isinstance(x, str) else repr(x)[:256])


def emit(msg):
    """Send one message: a dict, or a JSON object's text. One write of the whole line, under a lock."""
    global tracing, _hello_due
    line = msg if type(msg) is str else to_json(msg)
    if _pid_tag is not None:
        line = line[:-1] + ',"pid":%d}' % _pid_tag
    data = (line + '\n').encode()
    with _wlock:
        if not tracing:
            return
        if _hello_due:
            _hello_due = False
            data = (to_json(_hello()) + '\n').encode() + data
        try:
            n = os.write(_out, data)
            if n < len(data):
                _write_rest(data, n)
        except BlockingIOError:
            _write_rest(data, 0)
        except OSError:
            tracing = False  # the agent stopped listening: the program goes on, untraced


def _write_rest(data, done):
    """After a partial write (a full pipe, or a non-blocking descriptor): the rest, as the pipe drains."""
    global tracing
    view = memoryview(data)[done:]
    try:
        while view:
            try:
                view = view[os.write(_out, view):]
            except BlockingIOError:
                if select is not None:
                    select([], [_out], [])
                else:
                    time.sleep(0.001)
    except OSError:
        tracing = False


# ---- control: go / step / run (T9) ------------------------------------------------------------------

def _read_control(block):
    global _ctl_buf
    if not select([_ctl], [], [], None if block else 0)[0]:
        return
    try:
        chunk = os.read(_ctl, 256)
    except BlockingIOError:
        return
    except OSError:
        chunk = b''
    if not chunk:
        _agent_gone()
    _ctl_buf += chunk


def _next_line():
    global _ctl_buf
    i = _ctl_buf.find(b'\n')
    if i < 0:
        return None
    line, _ctl_buf = _ctl_buf[:i].strip(), _ctl_buf[i + 1:]
    return line


def _apply_lines():
    """Lines that came while nothing was paused: a "go" then refers to nothing and is dropped."""
    global stepping
    line = _next_line()
    while line is not None:
        if line == b'step':
            stepping = True
        elif line == b'run':
            stepping = False
        line = _next_line()


# A "step" from the page is read at the next call at least POLL_NS after the last look: a select() per
# call was a tenth of the tracer's cost in a tight loop, and 20 ms is well below what a person notices.
POLL_NS = 20_000_000
_next_poll = 0


def poll_control():
    global _next_poll
    t = now()
    if t < _next_poll:
        return
    _next_poll = t + POLL_NS
    if _ctl is None or select is None or not _ctl_lock.acquire(False):
        return
    try:
        _read_control(False)
        _apply_lines()
    finally:
        _ctl_lock.release()


def pause(begin):
    """Step mode: say where the program is (`begin`: the message's text), wait for "go" or "run"."""
    global stepping
    with _gate, _ctl_lock:
        _apply_lines()
        if not stepping or not tracing or select is None:
            return
        emit(begin)
        while tracing:
            line = _next_line()
            if line is None:
                _read_control(True)
            elif line == b'go':
                return
            elif line == b'run':
                stepping = False
                return


def _agent_gone():
    if _leader:
        os.killpg(os.getpgrp(), _SIGKILL)
    os.kill(os.getpid(), _SIGKILL)


# ---- fork (T14) ------------------------------------------------------------------------------------

def _fork_before():
    _wlock.acquire()


def _fork_parent():
    _wlock.release()


def _fork_child():
    global _wlock, _ctl_lock, _gate, _ctl, _ctl_buf, stepping, _pid_tag, _hello_due
    _wlock, _ctl_lock, _gate = _thread.allocate_lock(), _thread.allocate_lock(), _thread.allocate_lock()
    if _ctl is not None:
        _close(_ctl)  # the parent alone takes the agent's go/step/run; a child is never paused
    _ctl, _ctl_buf, stepping = None, b'', False
    _pid_tag, _hello_due = os.getpid(), True  # the hello goes with the child's first message, if any
    try:
        _set_pdeathsig()
    except Exception:
        pass


# ---- where: the program's line (T6) ----------------------------------------------------------------

def _stdlib():
    # the standard library is where os.py is (sysconfig's 'stdlib'); not importing sysconfig keeps T17
    home = os.path.dirname(getattr(os, '__file__', None) or '')
    return tuple({home + os.sep, os.path.realpath(home) + os.sep}) if home else ()


STDLIB = _stdlib()
_SITE_DIRS = (os.sep + 'site-packages' + os.sep, os.sep + 'dist-packages' + os.sep)


def absolute(filename):
    if filename.startswith('<'):
        return filename
    return os.path.normpath(os.path.join(_cwd0, filename))


def _program_file(filename):
    """The absolute file name if code there is the program's (not ours, not the standard library's)."""
    if filename.startswith('<'):
        return False if filename.startswith('<frozen') else filename
    path = absolute(filename)
    if path.startswith(MINE):
        return False
    for lib in STDLIB:
        # site-packages inside the standard library's folder (pyenv, a plain build) count as the program's
        if path.startswith(lib) and not any(d in path[len(lib) - 1:] for d in _SITE_DIRS):
            return False
    return path


def where():
    """[file, line] of the innermost frame that is the program's; else the outermost frame."""
    f = sys._getframe(1)
    last = f
    while f is not None:
        fn = f.f_code.co_filename
        path = _files.get(fn)
        if path is None:
            if len(_files) > 5000:
                _files.clear()
            path = _files[fn] = _program_file(fn)
        if path:
            return [path, max(f.f_lineno or 0, 0)]
        last, f = f, f.f_back
    return [absolute(last.f_code.co_filename), max(last.f_lineno or 0, 0)]


def thread_name():
    # a program that never imported threading has its main thread only
    current = getattr(sys.modules.get('threading'), 'current_thread', None)
    return current().name[:128] if current is not None else 'MainThread'
