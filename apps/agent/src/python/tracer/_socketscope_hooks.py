"""SocketScope tracer: what is installed at start-up, before the program runs (README.md T12, T13, T17).

Rules it enforces:
- Nothing here imports a module the program could shadow: the socket patches are applied when the
  program's own `import socket` has loaded the standard library's socket module (a program named
  socket.py imports itself, as it would without the tracer, and is left untraced).
- input() reports its prompt, then reads stdin exactly as before.
- Tracebacks, printed by Python or by the program, show no frame of the tracer; an uncaught exception
  is sent to the agent before the hook that was there prints it, unchanged.
"""
import builtins
import sys

import _socketscope_trace as core

_MINE = core.MINE


# ---- after-import actions (T17) ---------------------------------------------------------------------

class _Loader(object):
    """The module's own loader, with our action run once the module has been executed."""

    def __init__(self, loader, name):
        self.loader, self.name = loader, name

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = self.loader  # the module sees its real loader, as without us
        if getattr(module, '__spec__', None) is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        _imported(self.name, module)

    def __getattr__(self, name):
        return getattr(self.loader, name)


class _AfterImport(object):
    """A meta-path finder that finds nothing itself: it asks the finders after it, as Python would, and
    wraps the loader of a module we wait for."""

    def find_spec(self, name, path=None, target=None):
        if name not in _actions:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, 'find_spec', None)
            if finder is self or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, 'exec_module'):
                    spec.loader = _Loader(spec.loader, name)
                return spec
        return None


_finder = _AfterImport()
_actions = {}


def _imported(name, module):
    action = _actions.pop(name, None)
    if not _actions and _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    if action is not None:
        _run(action, module)


def _run(action, module):
    try:
        action(module)
    except Exception:
        pass  # the program goes on untraced rather than broken


def _when_imported(name, action):
    if name in sys.modules:  # loaded before us (by Python, a .pth file, the machine's sitecustomize)
        _run(action, sys.modules[name])
    else:
        _actions[name] = action
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)


def _on_socket(module):
    lib = getattr(module, '__file__', None) or ''
    if not (core.STDLIB and lib.startswith(core.STDLIB)) or not isinstance(getattr(module, 'socket', None), type):
        return  # the program's own socket.py
    import select
    core.select = select.select
    core.load('_socketscope_calls')
    core.load('_socketscope_patch').patch_all()


def install():
    """At start-up: input() now, socket when the program imports it."""
    builtins.input = _input(builtins.input)
    _when_imported('socket', _on_socket)
    if sys.version_info < (3, 11):
        _when_imported('traceback', _hide_in_traceback_module)


def after_site():
    """After the machine's own sitecustomize ran, so that our hooks see an uncaught exception first."""
    global _prev_hook
    _prev_hook, sys.excepthook = sys.excepthook, _excepthook
    _when_imported('threading', _hook_threads)
    if 'socket' in _actions and 'socket' in sys.modules:  # the machine's sitecustomize imported it
        _imported('socket', sys.modules['socket'])


# ---- input() (T12) -----------------------------------------------------------------------------------

def _input(orig):
    state, hide_ = core, hide  # in a closure: input() in a __del__ at interpreter shutdown still works

    def input(*a):
        try:
            if state.tracing:
                try:
                    prompt = a[0] if a and isinstance(a[0], (str, int, float)) else ''
                    state.emit({'k': 'input', 'prompt': str(prompt)[:1024], 'src': state.where()})
                except Exception:
                    pass
            return orig(*a)
        except BaseException as e:
            hide_(e)
            raise

    for attr in ('__name__', '__qualname__', '__doc__', '__module__'):
        setattr(input, attr, getattr(orig, attr, None))
    input.__wrapped__ = orig
    return input


# ---- tracebacks (T13) ----------------------------------------------------------------------------------

def hide(e):
    """Take our frames off the head of an exception we re-raise. From 3.11 on a bare `raise` keeps the
    traceback it finds on the exception, so the program sees its own frames only; before 3.11 the
    traceback module and our hooks skip them instead (_hide_in_traceback_module, _strip_tb)."""
    try:
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_MINE):
            tb = tb.tb_next
        e.__traceback__ = tb
    except Exception:
        pass  # at interpreter shutdown our globals may be gone: the exception goes on as it is


def _strip_tb(tb):
    kept, n = [], 0
    while tb is not None:
        n += 1
        if not tb.tb_frame.f_code.co_filename.startswith(_MINE):
            kept.append(tb)
        tb = tb.tb_next
    if len(kept) == n:
        return kept[0] if kept else None
    new = None
    for t in reversed(kept):
        new = type(t)(new, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return new


def _strip_exc(exc):
    """Our frames off an exception, its causes, contexts and group members (for printing it)."""
    todo, seen = [exc], set()
    while todo:
        e = todo.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        e.__traceback__ = _strip_tb(e.__traceback__)
        todo += [e.__cause__, e.__context__]
        if isinstance(getattr(e, 'exceptions', None), tuple) and type(e).__name__.endswith('ExceptionGroup'):
            todo += list(e.exceptions)


def type_name(cls):
    """As Python's traceback writes it: ConnectionRefusedError, socket.gaierror."""
    mod, name = getattr(cls, '__module__', None), getattr(cls, '__qualname__', repr(cls))
    return name if mod in (None, 'builtins', '__main__') else mod + '.' + name


def _exc_message(value, tb, thread):
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        frames.append([core.absolute(code.co_filename), max(tb.tb_lineno or 0, 0), code.co_name[:256]])
        tb = tb.tb_next
    try:
        message = str(value)
    except Exception:
        message = ''
    msg = {'k': 'exc', 'type': type_name(type(value))[:256], 'message': message[:2000], 'frames': frames[-64:]}
    if thread is not None:
        msg['thread'] = thread[:128]
    return msg


_prev_hook = sys.__excepthook__
_prev_thread_hook = None


def _excepthook(etype, value, tb):
    try:
        tb = _strip_tb(tb)
        _strip_exc(value)
        if core.tracing and isinstance(value, BaseException):
            core.emit(_exc_message(value, tb, None))
    except Exception:
        pass
    _prev_hook(etype, value, tb)


def _hook_threads(threading):
    global _prev_thread_hook
    _prev_thread_hook, threading.excepthook = threading.excepthook, _thread_excepthook


def _thread_excepthook(args):
    try:
        tb = _strip_tb(args.exc_traceback)
        _strip_exc(args.exc_value)
        if core.tracing and isinstance(args.exc_value, BaseException) and args.exc_type is not SystemExit:
            name = args.thread.name if args.thread is not None else core.thread_name()
            core.emit(_exc_message(args.exc_value, tb, name))
        args = type(args)([args.exc_type, args.exc_value, tb, args.thread])
    except Exception:
        pass
    _prev_thread_hook(args)


def _hide_in_traceback_module(traceback):
    """Before 3.11 a re-raise keeps our frame on the traceback: the traceback module skips it."""
    walk = traceback.walk_tb

    def walk_tb(tb):
        for frame, line in walk(tb):
            if not frame.f_code.co_filename.startswith(_MINE):
                yield frame, line

    for attr in ('__name__', '__qualname__', '__doc__', '__module__'):
        setattr(walk_tb, attr, getattr(walk, attr, None))
    walk_tb.__wrapped__ = walk
    traceback.walk_tb = walk_tb
