"""The forwarder's decisions (link_forwarder.py F1, F2, F6), without sockets: frames built here, a clock given.
Run: python3 -m unittest discover -s apps/agent/src/lab/tests (apps/agent/test/lab-forwarder.test.ts does).
The frames really moving between namespaces are the integration tests' (apps/agent/test/lab-*.test.ts)."""
import os
import random
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import link_forwarder as lf  # noqa: E402

MS = 1000000


def ipv4(proto, payload, src='10.77.0.1', dst='10.77.0.2', frag=0):
    total = 20 + len(payload)
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, total, 1, frag, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return b'\x02\x77\x00\x00\x00\x02\x02\x77\x00\x00\x00\x01\x08\x00' + hdr + payload


def tcp(flags, data=b'', seq=1000, sport=40000, dport=9000):
    return ipv4(6, struct.pack('!HHIIHHHH', sport, dport, seq, 0, (5 << 12) | flags, 65535, 0, 0) + data)


def udp(data=b'', sport=40000, dport=9999):
    return ipv4(17, struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data)


ARP = b'\xff' * 6 + b'\x02\x77\x00\x00\x00\x01' + b'\x08\x06' + b'\x00' * 28


class Parse(unittest.TestCase):
    def test_tcp_segment_with_its_flags_in_tcp_flags_order_and_payload_length(self):
        p = lf.parse(tcp(0x18, b'hello', seq=4242))
        self.assertEqual(p, {'proto': 'tcp', 'src': '10.77.0.1:40000', 'dst': '10.77.0.2:9000', 'len': 5,
                             'flags': ['ACK', 'PSH'], 'seq': 4242})

    def test_syn(self):
        self.assertEqual(lf.parse(tcp(0x02))['flags'], ['SYN'])

    def test_udp_datagram(self):
        self.assertEqual(lf.parse(udp(b'abc')), {'proto': 'udp', 'src': '10.77.0.1:40000', 'dst': '10.77.0.2:9999', 'len': 3})

    def test_arp_short_frames_and_later_fragments_are_not_tcp_or_udp(self):
        self.assertIsNone(lf.parse(ARP))
        self.assertIsNone(lf.parse(b'\x00' * 20))
        self.assertIsNone(lf.parse(ipv4(17, b'\x00' * 16, frag=185)))


class Decide(unittest.TestCase):
    def link(self, **kw):
        link = lf.Link(random.Random(1))
        link.set(**kw)
        return link

    def test_f1_delay(self):
        self.assertEqual(self.link(delay_ms=100).decide('c2s', lf.parse(udp()), 5 * MS), ('send', 105 * MS))

    def test_f1_order_kept_when_the_delay_is_lowered(self):
        link = self.link(delay_ms=100)
        first = link.decide('c2s', lf.parse(udp()), 0)[1]
        link.set(delay_ms=10)
        second = link.decide('c2s', lf.parse(udp()), 1 * MS)[1]
        self.assertGreaterEqual(second, first)
        # the other direction has its own order
        self.assertEqual(link.decide('s2c', lf.parse(udp()), 1 * MS), ('send', 11 * MS))

    def test_f1_jitter_stays_within_its_bounds_and_may_reorder(self):
        link = self.link(delay_ms=50, jitter_ms=20)
        dues = [link.decide('c2s', lf.parse(udp()), i * 1000)[1] - i * 1000 for i in range(2000)]
        self.assertTrue(all(30 * MS <= d <= 70 * MS for d in dues))
        absolute = [d + i * 1000 for i, d in enumerate(dues)]
        self.assertNotEqual(absolute, sorted(absolute))

    def test_jitter_is_never_more_than_the_delay(self):
        link = self.link(delay_ms=5, jitter_ms=50)
        self.assertTrue(all(link.decide('c2s', None, 0)[1] >= 0 for _ in range(500)))

    def test_f2_loss_rate(self):
        link = self.link(loss_pct=2, seed=7)
        lost = sum(1 for _ in range(20000) if link.decide('c2s', lf.parse(tcp(0x10, b'x')), 0)[0] == 'drop')
        self.assertTrue(300 <= lost <= 500, lost)

    def test_f2_only_tcp_and_udp_are_lost(self):
        link = self.link(loss_pct=100)
        self.assertEqual(link.decide('c2s', None, 0)[0], 'send')  # ARP and the rest: parse() gave None
        self.assertEqual(link.decide('c2s', lf.parse(udp(b'x')), 0), ('drop', 'loss'))

    def test_f2_oneshot_takes_the_next_data_frame_from_that_side_only(self):
        link = self.link()
        link.arm('client', 'data')
        self.assertEqual(link.decide('s2c', lf.parse(tcp(0x18, b'x')), 0)[0], 'send')  # the other side
        self.assertEqual(link.decide('c2s', lf.parse(tcp(0x10)), 0)[0], 'send')  # a bare ACK carries no data
        self.assertEqual(link.decide('c2s', lf.parse(tcp(0x18, b'x')), 0), ('drop', 'oneshot'))
        self.assertEqual(link.decide('c2s', lf.parse(tcp(0x18, b'y')), 0)[0], 'send')  # once

    def test_oneshot_syn_proto_and_any(self):
        link = self.link()
        link.arm('client', 'syn')
        link.arm('server', 'any', 'udp')
        self.assertEqual(link.decide('c2s', lf.parse(udp(b'x')), 0)[0], 'send')
        self.assertEqual(link.decide('c2s', lf.parse(tcp(0x02)), 0), ('drop', 'oneshot'))
        self.assertEqual(link.decide('s2c', lf.parse(tcp(0x12)), 0)[0], 'send')
        self.assertEqual(link.decide('s2c', lf.parse(udp()), 0), ('drop', 'oneshot'))

    def test_f6_a_held_frame_is_sent_hold_ms_after_the_delay_and_not_lost(self):
        link = self.link(delay_ms=20)
        self.assertEqual(link.decide('c2s', lf.parse(udp(b'1')), 0), ('send', 20 * MS))
        link.arm('client', 'data', 'udp', 300)  # the next one
        self.assertEqual(link.decide('c2s', lf.parse(udp(b'2')), 1 * MS), ('hold', 321 * MS))
        # the frames behind it keep their own times: they overtake it
        self.assertEqual(link.decide('c2s', lf.parse(udp(b'3')), 2 * MS), ('send', 22 * MS))
        self.assertEqual(link.decide('c2s', lf.parse(udp(b'4')), 3 * MS), ('send', 23 * MS))
        self.assertEqual(link.shots['c2s'], [])

    def test_f6_a_held_frame_is_not_lost_to_the_loss_rate(self):
        link = self.link(loss_pct=100)
        link.arm('server', 'any', hold_ms=5)
        self.assertEqual(link.decide('s2c', lf.parse(tcp(0x10)), 0), ('hold', 5 * MS))
        self.assertEqual(link.decide('s2c', lf.parse(tcp(0x10)), 0), ('drop', 'loss'))

    def test_f4_clear_disarms_every_waiting_oneshot(self):
        link = self.link()
        link.arm('client', 'data')
        link.arm('server', 'syn')
        self.assertEqual(link.disarm(), 2)
        self.assertEqual(link.decide('c2s', lf.parse(udp(b'x')), 0)[0], 'send')
        self.assertEqual(link.decide('s2c', lf.parse(tcp(0x02)), 0)[0], 'send')

    def test_oneshots_are_bounded(self):
        link = self.link()
        for _ in range(lf.MAX_ONESHOTS):
            link.arm('client')
        self.assertRaises(ValueError, link.arm, 'client')


class FakeEnd(object):
    """An AF_PACKET end without a socket: frames to receive, and the frames sent."""

    def __init__(self, name, frames=()):
        self.name = name
        self.frames = list(frames)
        self.sent = []

    def recvfrom(self, _size):
        if not self.frames:
            raise BlockingIOError()
        return self.frames.pop(0), (self.name, 0x0800, 0, 1, b'')

    def send(self, frame):
        self.sent.append(frame)
        return len(frame)


class Control(unittest.TestCase):
    def setUp(self):
        self.said = []
        self.saved = lf.say
        lf.say = self.said.append
        self.fwd = lf.Forwarder.__new__(lf.Forwarder)
        self.fwd.link = lf.Link(random.Random(1))
        self.fwd.fwd = {'c2s': 0, 's2c': 0}
        self.fwd.drops = {'loss': 0, 'oneshot': 0, 'queue': 0}
        self.fwd.holds = 0
        self.fwd.held = []
        self.fwd.n = 0

    def tearDown(self):
        lf.say = self.saved

    def test_f4_set_is_acknowledged(self):
        self.fwd.command('{"op":"set","delayMs":100,"jitterMs":0,"lossPct":2,"ack":3}')
        self.assertEqual((self.fwd.link.delay_ns, self.fwd.link.loss), (100 * MS, 0.02))
        self.assertEqual(self.said, [{'k': 'ack', 'ack': 3}])

    def test_f4_a_bad_line_is_an_error_and_changes_nothing(self):
        for line in ('not json', '[1]', '{"op":"oneshot","from":"nobody","ack":4}', '{"op":"explode","ack":5}'):
            self.fwd.command(line)
        self.assertEqual([m['k'] for m in self.said], ['error'] * 4)
        self.assertEqual(self.said[2]['ack'], 4)
        self.assertEqual(self.fwd.link.shots, {'c2s': [], 's2c': []})

    def test_f4_oneshot_with_hold_ms_is_checked_and_acknowledged(self):
        for bad in ('0', '5001', '"300"', 'true', '[1]'):
            self.fwd.command('{"op":"oneshot","from":"client","holdMs":%s,"ack":1}' % bad)
        self.assertEqual([m['k'] for m in self.said], ['error'] * 5)
        self.assertEqual(self.fwd.link.shots['c2s'], [])
        del self.said[:]
        self.fwd.command('{"op":"oneshot","from":"client","match":"data","proto":"udp","holdMs":250,"ack":2}')
        self.assertEqual(self.said, [{'k': 'ack', 'ack': 2}])
        self.assertEqual(self.fwd.link.shots['c2s'], [{'match': 'data', 'proto': 'udp', 'hold_ns': 250 * MS}])

    def test_f6_five_datagrams_the_second_held_leave_as_1_3_4_5_2_told_as_a_hold_not_a_drop(self):
        client_end = FakeEnd('to-client', [udp(b'1')])
        server_end = FakeEnd('to-server')
        self.fwd.ends = {'c2s': (client_end, 'to-client'), 's2c': (server_end, 'to-server')}
        self.fwd.out = {'c2s': server_end, 's2c': client_end}
        self.fwd.link.set(delay_ms=10)
        self.fwd.receive('c2s')
        self.fwd.command('{"op":"oneshot","from":"client","proto":"udp","holdMs":200}')
        client_end.frames = [udp(str(i).encode()) for i in range(2, 6)]
        self.fwd.receive('c2s')
        self.fwd.flush(lf.monotonic_ns() + 10 ** 12)
        self.assertEqual([f[-1:] for f in server_end.sent], [b'1', b'3', b'4', b'5', b'2'])
        self.assertEqual(self.fwd.drops, {'loss': 0, 'oneshot': 0, 'queue': 0})
        self.assertEqual([m['k'] for m in self.said], ['hold'])
        self.assertEqual((self.said[0]['dir'], self.said[0]['len'], self.said[0]['holdMs']), ('c2s', 1, 200))
        self.fwd.command('{"op":"stats"}')
        self.assertEqual((self.said[-1]['holds'], self.said[-1]['fwd']), (1, {'c2s': 5, 's2c': 0}))


if __name__ == '__main__':
    unittest.main()
