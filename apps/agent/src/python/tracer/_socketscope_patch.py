"""SocketScope tracer: the patches, in place on socket.socket and the socket module (README.md T5, T8),
applied once the program has imported the standard library's socket module (T17).

Rules it enforces:
- Every patched call the program makes is reported once: a `begin` before a call that may block (and,
  in step mode, a paused one before any call), a `call` after it. A patched call made while another is
  in progress on the same thread (accept() making its socket, close() inside a traced call) is not.
- The real method runs with the program's own arguments; its result is returned and its exception
  re-raised untouched, with the tracer's frames taken off the traceback where Python allows it.
- Any failure of the tracer's own falls back to the plain call.
"""
import functools
import itertools
import socket

import _socket

import _socketscope_calls as calls
import _socketscope_hooks as hooks
import _socketscope_trace as core

_call_ids = itertools.count(1)
_gettimeout = _socket.socket.gettimeout
_tls = core.tls
_str = core.json_str
_select = core.select
# The two messages of a call, written out by hand around the fields that vary: half the cost of encoding
# a dict of them (T4, T15)
_BEGIN = '{"k":"begin","id":%d,"call":"%s",%s,"args":%s,"src":[%s,%d],"thread":%s,"t":%d,"paused":%s}'
_CALL = ('{"k":"call","id":%d,"call":"%s",%s,"args":%s,"src":[%s,%d],"thread":%s,"t0":%d,"t1":%d,'
         '"result":%s,"error":%s,"local":%s,"remote":%s,"data":%s,"new":%s}')
_NO_SOCK = '"sock":null,"fd":null,"ino":null,"family":null,"type":null'


# A read that would wait is given GRACE_S for its data to come before it is reported as waiting: on
# loopback the peer's bytes arrive microseconds after its send(), and a begin message for every such
# recv() was a third of the tracer's cost in an echo loop. A wait shorter than a millisecond is not one
# a class can see; a longer one is reported GRACE_S late, and its call's duration still counts it.
GRACE_S = 0.001


# A send of at most this much into a writable socket returns without waiting for the peer.
SMALL_SEND = 16 * 1024


def _may_block(kind, sock, rec, a):
    if sock is None:
        return True
    timeout = _gettimeout(sock)
    if timeout == 0.0:
        return False  # non-blocking: it returns at once, or raises BlockingIOError
    if kind is calls.READS and 0 <= rec.fd < 1024:
        # data (or a connection) already waiting, or coming within the grace (never half a short timeout)
        grace = GRACE_S if timeout is None else min(GRACE_S, timeout / 4)
        return not _select((rec.fd,), (), (), grace)[0]
    if kind is calls.WRITES and 0 <= rec.fd < 1024:
        try:
            small = len(a[0]) <= SMALL_SEND
        except Exception:
            small = False
        return not (small and _select((), (rec.fd,), (), 0)[1])
    return True


def _traced(spec, sock, a, kw, tls):
    name, orig, blocking, argfn, after, before = spec
    tls.busy = True
    try:
        try:
            if not core.stepping:
                core.poll_control()
            cid = next(_call_ids)
            src = core.where()
            head = (cid, name)
            rec = None if sock is None or name == 'socket' else calls.sock_rec(sock)
            args = core.to_json(argfn(sock, a, kw))
            ctx = (args, _str(src[0]), src[1], _str(core.thread_name()))
            extra = before(sock, rec) if before is not None else None
            if core.stepping:
                core.pause(_BEGIN % (head + (_sock_json(rec),) + ctx + (core.now(), 'true')))
            now = core.now
            t0 = now()  # before the grace of _may_block: a call's duration counts all of its wait
            if blocking and _may_block(blocking, sock, rec, a):
                core.emit(_BEGIN % (head + (_sock_json(rec),) + ctx + (now(), 'false')))
        except Exception:
            return orig(*a, **kw) if sock is None else orig(sock, *a, **kw)
        try:
            res = orig(*a, **kw) if sock is None else orig(sock, *a, **kw)
        except BaseException as e:
            try:
                t1 = now()
                core.emit(_call_json(head, rec, ctx, t0, t1, {'error': calls.error_of(e)}))
            except Exception:
                pass
            raise
        try:
            t1 = now()
            out = {}
            if after is not None:
                rec = after(out, sock, rec, a, kw, res, extra)
            core.emit(_call_json(head, rec, ctx, t0, t1, out))
        except Exception:
            pass
        return res
    finally:
        tls.busy = False


def _sock_json(rec):
    # a begin says only which socket; socket()'s has none yet
    return '"sock":null' if rec is None else '"sock":%d' % rec.id


def _value(x):
    return 'null' if x is None else '%d' % x if type(x) is int else core.to_json(x)


def _text(x):
    return 'null' if x is None else _str(x)


def _data(d):
    if d is None:
        return 'null'
    return '{"len":%d,"b64":"%s","truncated":%s}' % (d['len'], d['b64'], 'true' if d['truncated'] else 'false')


def _call_json(head, rec, ctx, t0, t1, out):
    get = out.get
    return _CALL % (head + (rec.json if rec is not None else _NO_SOCK,) + ctx + (
        t0, t1, _value(get('result')), _value(get('error')), _text(get('local')), _text(get('remote')),
        _data(get('data')), _value(get('new'))))


# The wrappers keep what they use in closures: a socket closed by a __del__ at interpreter shutdown,
# after module globals were cleared, still gets the plain call.

def _method(name, orig):
    spec, state, traced, tls, hide = (name, orig) + calls.CALLS[name], core, _traced, _tls, hooks.hide

    def traced_method(self, *a, **kw):
        try:
            if not state.tracing or getattr(tls, 'busy', False):
                return orig(self, *a, **kw)
            return traced(spec, self, a, kw, tls)
        except BaseException as e:
            hide(e)
            raise

    return functools.update_wrapper(traced_method, orig)


def _init(orig):
    spec, state, traced, tls, hide = ('socket', orig) + calls.CALLS['socket'], core, _traced, _tls, hooks.hide

    def __init__(self, *a, **kw):
        try:
            # socket(fileno=…) (accept, fromfd, dup, socketpair) wraps a socket that exists: not a socket() call
            wraps_existing = (a[3] if len(a) > 3 else kw.get('fileno')) is not None
            if not state.tracing or getattr(tls, 'busy', False) or wraps_existing:
                return orig(self, *a, **kw)
            return traced(spec, self, a, kw, tls)
        except BaseException as e:
            hide(e)
            raise

    return functools.update_wrapper(__init__, orig)


def _function(name, orig):
    spec, state, traced, tls, hide = (name, orig) + calls.CALLS[name], core, _traced, _tls, hooks.hide

    def traced_function(*a, **kw):
        try:
            if not state.tracing or getattr(tls, 'busy', False):
                return orig(*a, **kw)
            return traced(spec, None, a, kw, tls)
        except BaseException as e:
            hide(e)
            raise

    return functools.update_wrapper(traced_function, orig)


def patch_all():
    cls = socket.socket
    for name in calls.CALLS:
        if name == 'socket':
            cls.__init__ = _init(cls.__init__)
        elif name in calls.FUNCTIONS:
            setattr(socket, name, _function(name, getattr(socket, name)))
        else:
            setattr(cls, name, _method(name, getattr(cls, name)))
