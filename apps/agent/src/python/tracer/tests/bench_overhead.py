"""What the tracer costs (README "Overhead"): `python3 bench_overhead.py` from this folder.

Runs a 10,000-call loop (5,000 send + 5,000 recv of one byte over a loopback TCP connection) with and
without the tracer, its messages read (and parsed) by this process as the agent would, best of five runs
each; and the start-up of an empty program. Prints microseconds per call — wall time, and the program's
own CPU time, which a busy machine disturbs less — and milliseconds of start-up. Not a test: timings
depend on the machine, so nothing here passes or fails.
"""
import sys
import time

import harness

LOOP = '''
import socket, time
srv = socket.create_server(('127.0.0.1', 0))
c = socket.create_connection(srv.getsockname())
s, _ = srv.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
N = 5000
t, cpu = time.perf_counter(), time.process_time()
for i in range(N):
    c.send(b'x')
    s.recv(1)
print((time.perf_counter() - t) / (2 * N) * 1e6, (time.process_time() - cpu) / (2 * N) * 1e6)
'''


def best(folder, source, traced, runs=5):
    program = folder.program(source, 'bench_loop.py')
    results = []
    for _ in range(runs):
        r = harness.Run(program, traced=traced)
        code, out, err = r.finish(timeout=120)
        if code != 0:
            raise SystemExit(err.decode(errors='replace'))
        results.append(tuple(float(x) for x in out.split()))
    return min(w for w, c in results), min(c for w, c in results), len(r.messages)


def startup(folder, traced, runs=10):
    program = folder.program('pass\n', 'empty.py')
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        harness.Run(program, traced=traced).finish()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def main():
    folder = harness.Folder()
    try:
        wall, cpu, _ = best(folder, LOOP, False)
        wall_t, cpu_t, messages = best(folder, LOOP, True)
        print('Python %d.%d.%d, %d messages' % (sys.version_info[:3] + (messages,)))
        print('send/recv loop, us per call: wall %.1f untraced, %.1f traced (+%.1f); '
              'the program\'s CPU %.1f, %.1f (+%.1f)' % (wall, wall_t, wall_t - wall, cpu, cpu_t, cpu_t - cpu))
        print('empty program start-up: %.0f ms untraced, %.0f ms traced'
              % (startup(folder, False), startup(folder, True)))
    finally:
        folder.remove()


if __name__ == '__main__':
    main()
