"""
The kernel probe's helper: answers "what does the kernel hold for these sockets?" through the sock_diag
netlink interface (the one `ss` uses), which Node cannot open. A look then costs what it observes: a socket
whose 4-tuple is known is one hash lookup in the kernel, where reading /proc/net/tcp walks the kernel's
whole connection table (262144 buckets on a 24 GB machine) and prints every socket of the machine.

Rules it enforces:
- H1 It only asks (SOCK_DIAG_BY_FAMILY requests on its own netlink socket, and reads /proc/net/snmp's
  counters); it changes nothing, and sees only the network namespace it was started in (the agent's, or
  a lab host's: the agent starts one there through `ip netns exec`).
- H2 One request line in (JSON), one reply line out, in order; a request it cannot read or answer gets a
  reply with "error" and the helper keeps going.
- H3 It ends when its stdin closes (the agent ended, however it ended); SIGINT (a terminal's Ctrl-C to
  the agent's process group) is left to the agent.
- H4 Bounded: at most MAX_QUERIES queries per request, MAX_PORTS ports per filter, MAX_ROWS rows per reply.

Request: {"id": n, "q": [query...]}; a query is
  ["x", "tcp", family, local_ip, local_port, remote_ip or "", remote_port, ext]  one socket by its 4-tuple
  ["d", "tcp"|"udp", family, states, [sports], [dports], ext]  every socket whose local port is in sports
                                                                or remote port in dports (the kernel filters)
  ["s", what]                                                   the TCP connections opened so far
  family 4 or 6; ext 1 asks for TCP_INFO and the memory counters (ss -i -m).
Reply: {"id": n, "rows": [row...], "cpuUs": the helper's CPU time since its last reply}; a row is
  [proto, family, state, local_ip, local_port, remote_ip, remote_port, rqueue, wqueue, inode, drops, info]
  info: null or [rtt_us, cwnd, snd_wnd, rcv_space, rcvbuf, sndbuf] (a 0 means the kernel did not say).
  With ["s", what], "opens": PassiveOpens of /proc/net/snmp (this namespace's TCP counters: no server-side
  connection enters the kernel's table without moving it), + ActiveOpens if what & 1 (client side), +
  ListenOverflows of /proc/net/netstat if what & 2 (a handshake finished against a full accept queue: its
  request socket stays in SYN_RECV), + InSegs if what & 4 (on a lab host, whose namespace holds only the
  lab's sockets: a SYN that made a request socket moved it, PassiveOpens moves only at the final ACK);
  read before any dump of the request.
"""
import json
import os
import signal
import socket
import struct
import sys
import time

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
INET_DIAG_REQ_BYTECODE = 1
INET_DIAG_INFO = 2
INET_DIAG_SKMEMINFO = 7
BC_JMP = 1
BC_S_EQ = 11
BC_D_EQ = 12
NOCOOKIE = 0xFFFFFFFF
PROTO = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP}
FAMILY = {4: socket.AF_INET, 6: socket.AF_INET6}
# ask for TCP_INFO and the socket's memory counters (SK_MEMINFO_*: rcvbuf, sndbuf, drops)
EXT_INFO = (1 << (INET_DIAG_INFO - 1)) | (1 << (INET_DIAG_SKMEMINFO - 1))
EXT_MEM = 1 << (INET_DIAG_SKMEMINFO - 1)

MAX_QUERIES = 8192
MAX_PORTS = 2048
MAX_ROWS = 20000
# exact lookups sent per batch: each reply is a few hundred bytes, and a reply the receive buffer
# cannot hold is lost (the kernel answers a lookup without waiting for us)
BATCH = 64

NLH = struct.Struct("=IHHII")
REQ = struct.Struct("=BBBBI")
PORTS = struct.Struct(">HH")
TAIL = struct.Struct("=III")
MSG = struct.Struct("=BBBB")
MSG_TAIL = struct.Struct("=IIIII")
RTA = struct.Struct("=HH")
OP = struct.Struct("=BBH")
U32 = struct.Struct("=I")


def packed_ip(family, text):
    """The 16 bytes of an inet_diag_sockid address (IPv4 in the first 4)."""
    if not text:
        return b"\0" * 16
    raw = socket.inet_pton(FAMILY[family], text)
    return raw + b"\0" * (16 - len(raw))


def bytecode(sports, dports):
    """sport in sports or dport in dports, compiled as ss compiles `( sport = :P or dport = :Q ... )`."""
    leaves = [(BC_S_EQ, p) for p in sports] + [(BC_D_EQ, p) for p in dports]
    code = b""
    for op, port in reversed(leaves):
        # a leaf: on a match go on (to the JMP that ends the program: accept); else skip the JMP
        leaf = OP.pack(op, 8, 12) + OP.pack(0, 0, port)
        code = leaf if not code else leaf + OP.pack(BC_JMP, 4, len(code) + 4) + code
    return code


class Diag(object):
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        except OSError:
            pass
        self.sock.bind((0, 0))
        self.seq = 0

    def message(self, family, proto, states, ext, sockid, dump, code):
        self.seq = (self.seq + 1) & 0x7FFFFFFF
        body = REQ.pack(FAMILY[family], PROTO[proto], ext, 0, states) + sockid
        if code:
            body += RTA.pack(4 + len(code), INET_DIAG_REQ_BYTECODE) + code
        flags = NLM_F_REQUEST | (NLM_F_DUMP if dump else 0)
        return NLH.pack(NLH.size + len(body), SOCK_DIAG_BY_FAMILY, flags, self.seq, 0) + body, self.seq

    def messages(self, data):
        """(type, seq, payload) of each netlink message in one datagram."""
        off = 0
        while off + NLH.size <= len(data):
            length, kind, _flags, seq, _pid = NLH.unpack_from(data, off)
            if length < NLH.size:
                return
            yield kind, seq, data[off + NLH.size:off + length]
            off += (length + 3) & ~3

    def exact(self, queries, rows):
        """One socket per query, by its 4-tuple: a hash lookup in the kernel, no table walk."""
        for at in range(0, len(queries), BATCH):
            batch = queries[at:at + BATCH]
            out = []
            want = set()
            for q in batch:
                _, proto, fam, lip, lport, rip, rport, ext = q
                sockid = PORTS.pack(lport, rport) + packed_ip(fam, lip) + packed_ip(fam, rip) + TAIL.pack(0, NOCOOKIE, NOCOOKIE)
                msg, seq = self.message(fam, proto, 0xFFF, EXT_INFO if ext else 0, sockid, False, b"")
                out.append(msg)
                want.add(seq)
            self.sock.send(b"".join(out))
            # every lookup is answered: its socket, or an error (ENOENT: the kernel has no such socket)
            while want:
                data = self.sock.recv(1 << 20)
                for kind, seq, payload in self.messages(data):
                    if seq not in want:
                        continue  # a late answer to an earlier request that failed
                    want.discard(seq)
                    if kind == SOCK_DIAG_BY_FAMILY:
                        rows.append(row("tcp", payload))

    def dump(self, q, rows):
        """Every socket of a protocol and family the kernel's filter lets through."""
        _, proto, fam, states, sports, dports, ext = q
        sports = sports[:MAX_PORTS]
        dports = dports[:MAX_PORTS]
        sockid = PORTS.pack(0, 0) + b"\0" * 32 + TAIL.pack(0, NOCOOKIE, NOCOOKIE)
        code = bytecode(sports, dports) if sports or dports else b""
        wanted_ext = EXT_INFO if ext else 0
        if proto == "udp":
            wanted_ext |= EXT_MEM  # drops
        msg, seq = self.message(fam, proto, states, wanted_ext, sockid, True, code)
        self.sock.send(msg)
        while True:
            data = self.sock.recv(1 << 20)
            for kind, mseq, payload in self.messages(data):
                if mseq != seq:
                    continue
                if kind == NLMSG_DONE:
                    return
                if kind == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", payload)[0]
                    if err:
                        raise OSError(err, os.strerror(err))
                    return
                if len(rows) < MAX_ROWS:
                    rows.append(row(proto, payload))


def row(proto, p):
    family, state, _timer, _retrans = MSG.unpack_from(p, 0)
    sport, dport = PORTS.unpack_from(p, 4)
    af = socket.AF_INET if family == socket.AF_INET else socket.AF_INET6
    n = 4 if af == socket.AF_INET else 16
    lip = socket.inet_ntop(af, p[8:8 + n])
    rip = socket.inet_ntop(af, p[24:24 + n])
    _expires, rq, wq, _uid, inode = MSG_TAIL.unpack_from(p, 52)
    drops = None
    info = None
    tcpi = None
    mem = None
    off = 72
    while off + 4 <= len(p):
        alen, atype = RTA.unpack_from(p, off)
        if alen < 4:
            break
        if atype == INET_DIAG_INFO:
            tcpi = p[off + 4:off + alen]
        elif atype == INET_DIAG_SKMEMINFO:
            mem = p[off + 4:off + alen]
        off += (alen + 3) & ~3
    if mem is not None and len(mem) >= 36:
        drops = U32.unpack_from(mem, 32)[0]  # SK_MEMINFO_DROPS
    if tcpi is not None and len(tcpi) >= 100:
        # struct tcp_info (include/uapi/linux/tcp.h): rtt at 68, snd_cwnd at 80, rcv_space at 96, snd_wnd at 228
        rtt = U32.unpack_from(tcpi, 68)[0]
        cwnd = U32.unpack_from(tcpi, 80)[0]
        rcv_space = U32.unpack_from(tcpi, 96)[0]
        snd_wnd = U32.unpack_from(tcpi, 228)[0] if len(tcpi) >= 232 else 0
        rcvbuf = U32.unpack_from(mem, 4)[0] if mem is not None and len(mem) >= 16 else 0
        sndbuf = U32.unpack_from(mem, 12)[0] if mem is not None and len(mem) >= 16 else 0
        info = [rtt, cwnd, snd_wnd, rcv_space, rcvbuf, sndbuf]
    fam = 4 if af == socket.AF_INET else 6
    return [proto, fam, state, lip, sport, rip, dport, rq, wq, inode, drops, info]


def counters(path, prefix, names):
    """Named counters of a /proc/net/{snmp,netstat} section (small files: no table walk)."""
    with open(path, "rb") as f:
        lines = [line.split() for line in f.read().split(b"\n") if line.startswith(prefix)]
    head, values = lines[0], lines[1]
    return sum(int(values[head.index(n)]) for n in names)


def opens(what):
    n = counters("/proc/net/snmp", b"Tcp:", [b"PassiveOpens"] + ([b"ActiveOpens"] if what & 1 else []) + ([b"InSegs"] if what & 4 else []))
    if what & 2:
        n += counters("/proc/net/netstat", b"TcpExt:", [b"ListenOverflows"])
    return n


def answer(diag, req):
    queries = req["q"][:MAX_QUERIES]
    rows = []
    asked = [q for q in queries if q[0] == "s"]
    counted = opens(asked[0][1]) if asked else None
    diag.exact([q for q in queries if q[0] == "x"], rows)
    for q in queries:
        if q[0] == "d":
            diag.dump(q, rows)
    reply = {"id": req.get("id"), "rows": rows[:MAX_ROWS]}
    if counted is not None:
        reply["opens"] = counted
    return reply


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        diag = Diag()
    except OSError as e:
        sys.stderr.write("cannot open a netlink sock_diag socket: %s\n" % e)
        return 1
    read = sys.stdin.buffer.readline
    last = time.process_time()
    while True:
        line = read()
        if not line:
            return 0  # H3: the agent is gone
        req = None
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError("a request is an object")
            reply = answer(diag, req)
        except (OSError, ValueError, KeyError, IndexError, TypeError, struct.error) as e:
            reply = {"id": req.get("id") if isinstance(req, dict) else None, "error": "%s: %s" % (type(e).__name__, e)}
        # what this helper cost since its last answer, all of it (reading, encoding, writing included)
        now = time.process_time()
        reply["cpuUs"] = int((now - last) * 1e6)
        last = now
        data = (json.dumps(reply, separators=(",", ":")) + "\n").encode()
        while data:
            data = data[os.write(1, data):]


if __name__ == "__main__":
    sys.exit(main())
