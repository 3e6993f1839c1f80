"""SocketScope tracer: what each traced call reports (README.md T7, T10, T11).

For every call: its arguments (names from the socket module's constants), and after it returns its
result, the bytes it moved, the addresses it established, the socket it created. Socket ids are the
tracer's own small integers, given the first time it sees a socket object. Nothing here calls a traced
method: addresses are read with the C methods of _socket.socket directly.
"""
import binascii
import errno
import itertools
import os
import socket
import weakref

import _socket

import _socketscope_hooks as hooks
import _socketscope_trace as core

PREVIEW = 3072  # bytes of a send/recv shown (base64); the length is always whole

_ids = itertools.count(1)
_socks = weakref.WeakKeyDictionary()  # socket object -> _Sock, gone with the socket
_b64 = binascii.b2a_base64
_getsockname = _socket.socket.getsockname
_getpeername = _socket.socket.getpeername
_fileno = _socket.socket.fileno
_INET = (socket.AF_INET, getattr(socket, 'AF_INET6', -1))
_DEFAULT_BACKLOG = min(socket.SOMAXCONN, 128)  # what listen() uses when given none


class _Sock(object):
    __slots__ = ('id', 'fd', 'ino', 'family', 'type', 'inet', 'json')

    def render(self):
        """Its fields of a message, as JSON, kept until they change (close)."""
        self.json = '"sock":%d,"fd":%d,"ino":%s,"family":%s,"type":%s' % (
            self.id, self.fd, core.to_json(self.ino), core.to_json(self.family), core.to_json(self.type))


def _name(enum_cls, value):
    """The socket module's name of a constant ("AF_INET"); its number, as text, if it has none."""
    try:
        return enum_cls(value).name
    except (ValueError, TypeError):
        return str(value) if isinstance(value, int) else None


def sock_rec(sock):
    """The tracer's record of a socket object: id, fd and inode (read once), family and type names."""
    r = _socks.get(sock)
    if r is None:
        r = _Sock()
        r.id = next(_ids)
        r.fd = _fileno(sock)
        r.ino = None
        if r.fd >= 0:
            try:
                r.ino = os.fstat(r.fd).st_ino
            except OSError:
                pass
        family = sock.family
        r.family, r.type = _name(socket.AddressFamily, family), _name(socket.SocketKind, sock.type)
        r.inet = family in _INET
        r.render()
        _socks[sock] = r
    return r


def endpoint(addr):
    """"127.0.0.1:5000", "[::1]:8888"; an IPv4-mapped address as its IPv4 one. None for what is not IP."""
    if type(addr) is not tuple or len(addr) < 2:
        return None
    host, port = addr[0], addr[1]
    if not isinstance(host, str) or not isinstance(port, int):
        return None
    if host.startswith('::ffff:') and '.' in host:
        host = host[7:]
    ep = ('[%s]:%d' if ':' in host else '%s:%d') % (host, port)
    return ep if len(ep) <= 64 else None


def _local(sock, rec):
    if rec is None or not rec.inet:
        return None
    try:
        return endpoint(_getsockname(sock))
    except Exception:
        return None


def _remote(sock, rec):
    if rec is None or not rec.inet:
        return None
    try:
        return endpoint(_getpeername(sock))
    except Exception:
        return None


def data_of(buf, n):
    """The bytes moved: their full length, and base64 of the first PREVIEW of them."""
    mv = memoryview(buf)
    if mv.itemsize != 1 or mv.ndim != 1:
        mv = mv.cast('B')
    if n is None:
        n = mv.nbytes
    return {'len': n, 'b64': _b64(mv[:min(n, PREVIEW)], newline=False).decode('ascii'), 'truncated': n > PREVIEW}


# ---- errors (T10) -------------------------------------------------------------------------------------

_EAI = {}
for _n in dir(socket):
    if _n.startswith('EAI_') and isinstance(getattr(socket, _n), int):
        _EAI.setdefault(getattr(socket, _n), _n)


def error_of(e):
    num = e.errno if isinstance(e, OSError) and isinstance(e.errno, int) else None
    code = None
    if num is not None:
        code = _EAI.get(num) if isinstance(e, socket.gaierror) else errno.errorcode.get(num)
    if code is None:
        if isinstance(e, socket.timeout):
            code = 'ETIMEDOUT'
        elif isinstance(e, BlockingIOError):
            code = 'EAGAIN'
        else:
            code = type(e).__name__
    try:
        message = str(e)
    except Exception:
        message = ''
    return {'type': hooks.type_name(type(e))[:128], 'errno': num, 'code': code[:64], 'message': message[:2000]}


# ---- arguments: fn(sock, args, kwargs) -> dict ---------------------------------------------------------

def _text(x):
    if isinstance(x, str):
        return x[:256]
    if isinstance(x, (bytes, bytearray)):
        return bytes(x[:256]).decode('utf-8', 'replace')
    return x if x is None or isinstance(x, int) else repr(x)[:256]


def _arg(a, kw, i, name, default=None):
    return a[i] if len(a) > i else kw.get(name, default)


def _address(addr):
    if isinstance(addr, tuple) and len(addr) >= 2:
        return {'host': _text(addr[0]), 'port': _text(addr[1])}
    return {'path': _text(addr)}  # AF_UNIX and the like


def _with_flags(d, a, i):
    if len(a) > i:
        d['flags'] = a[i]
    return d


def _constants(prefix):
    out = {}
    for n in sorted(dir(socket)):
        v = getattr(socket, n)
        # SO_J1939_* (CAN) and SO_VM_* (vsock) belong to other levels and share SO_'s numbers
        if n.startswith(prefix) and not n.startswith(('SO_J1939_', 'SO_VM_')) and isinstance(v, int):
            out.setdefault(int(v), n)
    return out


_LEVELS = {}
_OPTIONS = {}
for _level, _prefix in (('SOL_SOCKET', 'SO_'), ('IPPROTO_TCP', 'TCP_'), ('IPPROTO_UDP', 'UDP_'),
                        ('IPPROTO_IP', 'IP_'), ('IPPROTO_IPV6', 'IPV6_')):
    if hasattr(socket, _level):
        _LEVELS.setdefault(int(getattr(socket, _level)), _level)
        _OPTIONS[int(getattr(socket, _level))] = _constants(_prefix)
_SHUT = {socket.SHUT_RD: 'SHUT_RD', socket.SHUT_WR: 'SHUT_WR', socket.SHUT_RDWR: 'SHUT_RDWR'}


def _a_socket(s, a, kw):
    family, kind, proto = _arg(a, kw, 0, 'family', -1), _arg(a, kw, 1, 'type', -1), _arg(a, kw, 2, 'proto', -1)
    return {'family': _name(socket.AddressFamily, socket.AF_INET if family == -1 else family),
            'type': _name(socket.SocketKind, socket.SOCK_STREAM if kind == -1 else kind),
            'proto': 0 if proto == -1 else proto}


def _a_none(s, a, kw):
    return {}


def _a_address(s, a, kw):
    return _address(a[0]) if a else {}


def _a_listen(s, a, kw):
    return {'backlog': a[0] if a else _DEFAULT_BACKLOG}


def _a_send(s, a, kw):
    return _with_flags({}, a, 1)


def _a_sendto(s, a, kw):
    if len(a) < 2:
        return {}
    return _with_flags(_address(a[-1]), a, 1) if len(a) > 2 else _address(a[-1])


def _a_recv(s, a, kw):
    return _with_flags({'bufsize': a[0]}, a, 1) if a else {}


def _a_recv_into(s, a, kw):
    nbytes = _arg(a, kw, 1, 'nbytes', 0)
    if not nbytes:
        nbytes = memoryview(_arg(a, kw, 0, 'buffer')).nbytes
    d = {'nbytes': nbytes}
    flags = _arg(a, kw, 2, 'flags')
    if flags is not None:
        d['flags'] = flags
    return d


def _a_setsockopt(s, a, kw):
    level, option = a[0], a[1]
    d = {'level': _LEVELS.get(level, level), 'option': _OPTIONS.get(level, {}).get(option, option)}
    value = a[2] if len(a) > 2 else None
    d['value'] = value if value is None or isinstance(value, int) else data_of(value, None)
    if len(a) > 3:
        d['optlen'] = a[3]
    return d


def _a_shutdown(s, a, kw):
    return {'how': _SHUT.get(a[0], a[0])} if a else {}


def _a_settimeout(s, a, kw):
    return {'timeout': a[0]} if a else {}


def _a_setblocking(s, a, kw):
    return {'flag': a[0]} if a else {}


def _a_getaddrinfo(s, a, kw):
    return {'host': _text(_arg(a, kw, 0, 'host')), 'port': _text(_arg(a, kw, 1, 'port'))}


def _a_gethostbyname(s, a, kw):
    return {'host': _text(a[0])} if a else {}


# ---- after the call: fn(out, sock, rec, args, kwargs, result, before) -> the socket's record ------------
# `out` takes the message's result, data, local, remote and new, where the call has them.

def _r_socket(m, sock, rec, a, kw, res, before):
    return sock_rec(sock)


def _r_local(m, sock, rec, a, kw, res, before):
    m['local'] = _local(sock, rec)
    return rec


def _r_connect(m, sock, rec, a, kw, res, before):
    m['result'] = res  # connect_ex: the errno; connect: None
    if not res:
        m['local'], m['remote'] = _local(sock, rec), _remote(sock, rec)
    return rec


def _r_accept(m, sock, rec, a, kw, res, before):
    conn, addr = res
    new = sock_rec(conn)
    m['local'], m['remote'] = _local(conn, new), endpoint(addr) or _remote(conn, new)
    m['new'] = {'sock': new.id, 'fd': new.fd, 'ino': new.ino, 'local': m['local'], 'remote': m['remote']}
    return rec


def _r_send(m, sock, rec, a, kw, res, before):
    m['result'], m['data'] = res, data_of(a[0], res)
    return rec


def _r_sendall(m, sock, rec, a, kw, res, before):
    m['data'] = data_of(a[0], None)
    return rec


def _r_sendto(m, sock, rec, a, kw, res, before):
    m['result'], m['data'] = res, data_of(a[0], res)
    m['local'], m['remote'] = _local(sock, rec), endpoint(a[-1]) if rec.inet else None
    return rec


def _r_recv(m, sock, rec, a, kw, res, before):
    m['result'], m['data'] = len(res), data_of(res, len(res))
    return rec


def _r_recv_into(m, sock, rec, a, kw, res, before):
    m['result'], m['data'] = res, data_of(_arg(a, kw, 0, 'buffer'), res)
    return rec


def _r_recvfrom(m, sock, rec, a, kw, res, before):
    data, addr = res
    m['result'], m['data'] = len(data), data_of(data, len(data))
    m['local'], m['remote'] = _local(sock, rec), endpoint(addr)
    return rec


def _r_recvfrom_into(m, sock, rec, a, kw, res, before):
    n, addr = res
    m['result'], m['data'] = n, data_of(_arg(a, kw, 0, 'buffer'), n)
    m['local'], m['remote'] = _local(sock, rec), endpoint(addr)
    return rec


def _b_close(sock, rec):
    return _local(sock, rec), _remote(sock, rec)


def _r_close(m, sock, rec, a, kw, res, before):
    m['local'], m['remote'] = before
    rec.fd = -1
    rec.render()
    return rec


def _r_getaddrinfo(m, sock, rec, a, kw, res, before):
    seen = []
    for entry in res:
        ep = endpoint(entry[4])
        if ep is not None and ep not in seen:
            seen.append(ep)
            if len(seen) == 16:
                break
    m['result'] = seen
    return rec


def _r_gethostbyname(m, sock, rec, a, kw, res, before):
    m['result'] = res
    return rec


# name -> (may block, arguments, after the call, before the call). Methods of socket.socket, except
# "socket" (its __init__) and the two module functions getaddrinfo and gethostbyname. "may block" is
# READS for a call that cannot block once its socket is readable, WRITES for one that cannot block when
# its socket is writable and it sends little (then they get no begin, T8).
READS = 'until readable'
WRITES = 'until writable'
CALLS = {
    'socket': (False, _a_socket, _r_socket, None),
    'bind': (False, _a_address, _r_local, None),
    'listen': (False, _a_listen, _r_local, None),
    'accept': (READS, _a_none, _r_accept, None),
    'connect': (True, _a_address, _r_connect, None),
    'connect_ex': (True, _a_address, _r_connect, None),
    'send': (WRITES, _a_send, _r_send, None),
    'sendall': (WRITES, _a_send, _r_sendall, None),
    'sendto': (WRITES, _a_sendto, _r_sendto, None),
    'recv': (READS, _a_recv, _r_recv, None),
    'recv_into': (READS, _a_recv_into, _r_recv_into, None),
    'recvfrom': (READS, _a_recv, _r_recvfrom, None),
    'recvfrom_into': (READS, _a_recv_into, _r_recvfrom_into, None),
    'setsockopt': (False, _a_setsockopt, None, None),
    'shutdown': (False, _a_shutdown, None, None),
    'close': (False, _a_none, _r_close, _b_close),
    'settimeout': (False, _a_settimeout, None, None),
    'setblocking': (False, _a_setblocking, None, None),
    'getaddrinfo': (True, _a_getaddrinfo, _r_getaddrinfo, None),
    'gethostbyname': (True, _a_gethostbyname, _r_gethostbyname, None),
}
FUNCTIONS = ('getaddrinfo', 'gethostbyname')
