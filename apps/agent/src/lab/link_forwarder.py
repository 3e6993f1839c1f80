"""The lab's link: moves Ethernet frames between the two veth ends in the link namespace, late or never.

Why user space: this kernel has no netem, and a packet nftables drops is dropped without a word to anyone.
Here every frame passes one loop that knows why it did not arrive, so every drop is reported (README.md).

  python3 link_forwarder.py <client-side ifname> <server-side ifname>

Rules (tests: tests/test_forwarder.py, apps/agent/test/lab-*.test.ts; the Node side: forwarder.ts):
F1 A frame received on one end is sent on the other after delay (+ jitter, uniform in +-jitter, which may
   reorder frames as a real path does); without jitter the frames of one direction keep their order even
   when the delay is lowered.
F2 Only IPv4 TCP and UDP frames are ever lost; ARP and the rest are only delayed. `loss` drops each frame
   with that probability (reason loss); a one-shot drops the first frame from that side that matches it
   (reason oneshot); the kernel refusing the frame on the way out (the rate limit's queue is full: ENOBUFS,
   EAGAIN) is reason queue, as is going over MAX_HELD frames held.
F3 Every dropped TCP/UDP frame is one JSON line on stdout: {"k":"drop", "t": CLOCK_MONOTONIC ns, "dir":
   "c2s"|"s2c", "reason", "proto", "src", "dst", "len" (payload bytes), "flags", "seq"}; a held one (F6)
   the same with "k":"hold" and "holdMs"; "ready" once both ends are bound; "stats" when asked; "error"
   for a control line it cannot use.
F4 Control lines (JSON) on stdin: {"op":"set", "delayMs", "jitterMs", "lossPct", "seed"?},
   {"op":"oneshot", "from":"client"|"server", "match":"data"|"syn"|"any", "proto"?:"tcp"|"udp",
   "holdMs"?: 1..MAX_HOLD_MS}, {"op":"clear"} (every armed one-shot disarmed), {"op":"stats"}. EOF on stdin (the agent is gone, however it went) ends the
   forwarder.
F5 Frames the kernel dropped before the forwarder could read them (its receive buffer overran: the machine
   was too busy) cannot be told one by one; once a second their count is one line {"k":"overrun", "dir",
   "count"}, so a loss nobody chose is never silent.
F6 A one-shot with holdMs does not lose its frame: it is sent holdMs after the link's delay (no jitter),
   and the frames of its direction behind it keep their own times, so they overtake it (a reordering
   made on purpose, the same every run). It is not a drop; it is told as a "hold" line.
Standard library only, Python 3.6 or newer.
"""
import errno
import heapq
import json
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_IGNORE_OUTGOING = 23
PACKET_OUTGOING = 4
PACKET_STATISTICS = 6
MAX_HELD = 20000
MAX_ONESHOTS = 16
MAX_HOLD_MS = 5000
BURST = 64
MS = 1000000
# in TCP_FLAGS order (packages/shared primitives.ts)
FLAG_BITS = (('SYN', 0x02), ('ACK', 0x10), ('FIN', 0x01), ('RST', 0x04), ('PSH', 0x08), ('URG', 0x20),
             ('ECE', 0x40), ('CWR', 0x80))
DIRS = {'client': 'c2s', 'server': 's2c'}

try:
    monotonic_ns = time.monotonic_ns
except AttributeError:  # Python 3.6
    def monotonic_ns():
        return int(time.monotonic() * 1e9)


def parse(frame):
    """What a frame is, if it is an IPv4 TCP segment or UDP datagram; None for anything else."""
    if len(frame) < 34:
        return None
    off = 14
    ethertype = struct.unpack_from('!H', frame, 12)[0]
    if ethertype == 0x8100 and len(frame) >= 38:
        ethertype = struct.unpack_from('!H', frame, 16)[0]
        off = 18
    if ethertype != 0x0800 or frame[off] >> 4 != 4:
        return None
    ihl = (frame[off] & 15) * 4
    total = struct.unpack_from('!H', frame, off + 2)[0]
    first_fragment = struct.unpack_from('!H', frame, off + 6)[0] & 0x1fff == 0
    proto = frame[off + 9]
    src = socket.inet_ntoa(bytes(frame[off + 12:off + 16]))
    dst = socket.inet_ntoa(bytes(frame[off + 16:off + 20]))
    l4 = off + ihl
    if proto == 6 and first_fragment and len(frame) >= l4 + 20:
        sport, dport, seq, _ack, word = struct.unpack_from('!HHIIH', frame, l4)
        doff = (word >> 12) * 4
        return {'proto': 'tcp', 'src': '%s:%d' % (src, sport), 'dst': '%s:%d' % (dst, dport),
                'len': max(0, total - ihl - doff), 'flags': [n for n, b in FLAG_BITS if word & b], 'seq': seq}
    if proto == 17 and first_fragment and len(frame) >= l4 + 8:
        sport, dport, ulen = struct.unpack_from('!HHH', frame, l4)
        return {'proto': 'udp', 'src': '%s:%d' % (src, sport), 'dst': '%s:%d' % (dst, dport), 'len': max(0, ulen - 8)}
    return None


def matches(shot, info):
    if info is None or (shot.get('proto') and shot['proto'] != info['proto']):
        return False
    match = shot.get('match', 'data')
    if match == 'any':
        return True
    if match == 'syn':
        return info['proto'] == 'tcp' and 'SYN' in info['flags']
    return info['len'] > 0  # data: a segment that carries bytes, or any datagram (even an empty one counts)


class Link(object):
    """F1, F2: what happens to one frame. No I/O, so the tests can drive it with their own clock."""

    def __init__(self, rng=None):
        self.rng = rng or random.Random()
        self.delay_ns = 0
        self.jitter_ns = 0
        self.loss = 0.0
        self.shots = {'c2s': [], 's2c': []}
        self.last_due = {'c2s': 0, 's2c': 0}

    def set(self, delay_ms=0, jitter_ms=0, loss_pct=0, seed=None):
        self.delay_ns = int(max(0, delay_ms) * 1e6)
        self.jitter_ns = int(max(0, min(jitter_ms, delay_ms)) * 1e6)
        self.loss = max(0.0, min(100.0, loss_pct)) / 100.0
        if seed is not None:
            self.rng.seed(seed)

    def arm(self, side, match='data', proto=None, hold_ms=None):
        shots = self.shots[DIRS[side]]
        if len(shots) >= MAX_ONESHOTS:
            raise ValueError('at most %d one-shot drops may wait at once' % MAX_ONESHOTS)
        shot = {'match': match, 'proto': proto}
        if hold_ms:
            shot['hold_ns'] = int(hold_ms * 1e6)
        shots.append(shot)

    def disarm(self):
        """F4 clear: the one-shots still waiting are forgotten; how many there were."""
        n = len(self.shots['c2s']) + len(self.shots['s2c'])
        self.shots = {'c2s': [], 's2c': []}
        return n

    def decide(self, direction, info, now):
        """('drop', reason), ('send', due time in ns) or ('hold', due time in ns) (F6)."""
        if info is not None:
            shots = self.shots[direction]
            for i, shot in enumerate(shots):
                if matches(shot, info):
                    del shots[i]
                    if 'hold_ns' in shot:
                        # F6: last_due is left alone, so the frames behind it are not held with it
                        return ('hold', now + self.delay_ns + shot['hold_ns'])
                    return ('drop', 'oneshot')
            if self.loss > 0 and self.rng.random() < self.loss:
                return ('drop', 'loss')
        delay = self.delay_ns
        if self.jitter_ns:
            delay += int(self.rng.uniform(-self.jitter_ns, self.jitter_ns))
            return ('send', now + max(0, delay))
        due = max(now + delay, self.last_due[direction])
        self.last_due[direction] = due
        return ('send', due)


def say(obj):
    sys.stdout.write(json.dumps(obj, separators=(',', ':')) + '\n')
    sys.stdout.flush()


def report(direction, reason, info, now):
    if info is not None:
        say(dict(info, k='drop', t=now, dir=direction, reason=reason))


def open_end(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    try:
        s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    except OSError:
        pass  # before Linux 4.20: outgoing frames are skipped by their packet type instead
    for opt, size in ((getattr(socket, 'SO_RCVBUFFORCE', 33), 8 << 20), (getattr(socket, 'SO_SNDBUFFORCE', 32), 8 << 20)):
        try:
            s.setsockopt(socket.SOL_SOCKET, opt, size)
        except OSError:
            pass  # not root: the default buffers
    s.bind((name, 0))
    s.setblocking(False)
    return s


class Forwarder(object):
    def __init__(self, client_if, server_if):
        self.link = Link()
        self.ends = {'c2s': (open_end(client_if), client_if), 's2c': (open_end(server_if), server_if)}
        self.out = {'c2s': self.ends['s2c'][0], 's2c': self.ends['c2s'][0]}
        self.held = []  # heap of (due, n, direction, frame, info)
        self.n = 0
        self.fwd = {'c2s': 0, 's2c': 0}
        self.drops = {'loss': 0, 'oneshot': 0, 'queue': 0}
        self.holds = 0
        self.control = b''

    def drop(self, direction, reason, info, now):
        self.drops[reason] += 1
        report(direction, reason, info, now)

    def receive(self, direction):
        sock, name = self.ends[direction]
        for _ in range(BURST):
            try:
                frame, addr = sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            if addr[0] != name or addr[2] == PACKET_OUTGOING:
                continue
            now = monotonic_ns()
            info = parse(frame)
            verdict, value = self.link.decide(direction, info, now)
            if verdict == 'drop':
                self.drop(direction, value, info, now)
            elif len(self.held) >= MAX_HELD:
                self.drop(direction, 'queue', info, now)
            else:
                if verdict == 'hold':
                    self.holds += 1
                    say(dict(info, k='hold', t=now, dir=direction, holdMs=(value - now - self.link.delay_ns) / 1e6))
                self.n += 1
                heapq.heappush(self.held, (value, self.n, direction, frame, info))

    def flush(self, now):
        while self.held and self.held[0][0] <= now:
            _due, _n, direction, frame, info = heapq.heappop(self.held)
            try:
                self.out[direction].send(frame)
                self.fwd[direction] += 1
            except OSError as e:
                if e.errno not in (errno.ENOBUFS, errno.EAGAIN, errno.EWOULDBLOCK):
                    raise
                self.drop(direction, 'queue', info, now)

    def command(self, line):
        c = None
        try:
            c = json.loads(line)
            op = c.get('op')
            if op == 'set':
                self.link.set(float(c.get('delayMs', 0)), float(c.get('jitterMs', 0)), float(c.get('lossPct', 0)), c.get('seed'))
            elif op == 'oneshot':
                if c.get('from') not in DIRS or c.get('match', 'data') not in ('data', 'syn', 'any') or c.get('proto') not in (None, 'tcp', 'udp'):
                    raise ValueError('oneshot needs from client|server, match data|syn|any, proto tcp|udp')
                hold = c.get('holdMs')
                if hold is not None and (isinstance(hold, bool) or not isinstance(hold, (int, float)) or not 1 <= hold <= MAX_HOLD_MS):
                    raise ValueError('holdMs is a number of ms from 1 to %d' % MAX_HOLD_MS)
                self.link.arm(c['from'], c.get('match', 'data'), c.get('proto'), hold)
            elif op == 'clear':
                self.link.disarm()
            elif op == 'stats':
                say({'k': 'stats', 'fwd': self.fwd, 'drops': self.drops, 'held': len(self.held), 'holds': self.holds})
            else:
                raise ValueError('unknown op %r' % (op,))
            if 'ack' in c:
                say({'k': 'ack', 'ack': c['ack']})
        except (ValueError, TypeError, AttributeError) as e:
            say({'k': 'error', 'message': str(e)[:300], 'ack': c.get('ack') if isinstance(c, dict) else None})

    def read_control(self):
        """False at EOF (F4)."""
        try:
            chunk = os.read(0, 65536)
        except (BlockingIOError, InterruptedError):
            return True
        if not chunk:
            return False
        self.control += chunk
        while b'\n' in self.control:
            line, self.control = self.control.split(b'\n', 1)
            if line.strip():
                self.command(line.decode('utf-8', 'replace'))
        self.control = self.control[-65536:]
        return True

    def overruns(self):
        """F5: the kernel's count of frames it dropped for us since the last look (reading resets it)."""
        for direction, (sock, _name) in self.ends.items():
            _packets, drops = struct.unpack('II', sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
            if drops:
                say({'k': 'overrun', 'dir': direction, 'count': drops})

    def run(self):
        os.set_blocking(0, False)
        socks = {self.ends[d][0].fileno(): d for d in self.ends}
        say({'k': 'ready', 'pid': os.getpid()})
        next_look = monotonic_ns()
        while True:
            now = monotonic_ns()
            self.flush(now)
            if now >= next_look:
                self.overruns()
                next_look = now + 1000 * MS
            timeout = (next_look - now) / 1e9
            if self.held:
                timeout = min(timeout, max(0.0, (self.held[0][0] - now) / 1e9))
            readable, _, _ = select.select([0] + list(socks), [], [], timeout)
            for fd in readable:
                if fd == 0:
                    if not self.read_control():
                        return
                else:
                    self.receive(socks[fd])


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: link_forwarder.py <client-side ifname> <server-side ifname>\n')
        return 2
    try:
        fwd = Forwarder(argv[1], argv[2])
    except OSError as e:
        say({'k': 'error', 'message': 'cannot open the link ends: %s' % e, 'fatal': True})
        return 1
    try:
        fwd.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
