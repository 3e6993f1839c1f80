import net from 'node:net';
/**
 * The kernel layer from the kernel's tracepoints (kernel/ebpf-*.ts), on real sockets on loopback and in a
 * network namespace this test makes. Needs root, bpftrace and tracefs: where they are missing every test
 * here says SKIPPED and why.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommand, type SessionEvent } from '@socketscope/shared';
import { createAgent } from '../src/agent.ts';
import { tracepointStatus } from '../src/kernel/ebpf-script.ts';
import { cli, root, tsx } from './cli-kit.ts';

// the rest of the suite runs with the tracepoints off (vitest.config.ts); this file is where they are tested
delete process.env['SOCKETSCOPE_NO_EBPF'];

const tp = tracepointStatus();
const py = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', '1']).status === 0);
const cc = spawnSync('cc', ['--version']).status === 0;
const nft = spawnSync('nft', ['--version']).status === 0 && spawnSync('ip', ['-V']).status === 0;
if (!tp.available) console.warn(`SKIPPED kernel-ebpf tests: kernel tracepoints cannot run here: ${tp.reason}`);
if (tp.available && !cc) console.warn('SKIPPED kernel-ebpf watch test: no C compiler (cc)');
if (tp.available && !nft) console.warn('SKIPPED kernel-ebpf retransmission test: nft or ip missing');

const dir = mkdtempSync(path.join(tmpdir(), 'ss-ebpf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kernelTcp = (evs: SessionEvent[]) => evs.filter((e): e is Extract<SessionEvent, { type: 'kernel.tcp' }> => e.type === 'kernel.tcp');
const EXPECTED = ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT'];
/** the capture's clock is mapped to the session's through the wall clock: allow this much skew (µs) */
const SKEW_US = 1000;

describe.skipIf(!tp.available || !py)('kernel tracepoints', () => {
  it('run tcp-hello --json, five runs: every transition, at times consistent with the captured segments', () => {
    for (let run = 0; run < 5; run++) {
      const r = spawnSync(tsx, [cli, 'run', 'tcp-hello', '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const evs = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as SessionEvent);
      const k = kernelTcp(evs);
      const states = new Set(k.filter((e) => !e.gone).map((e) => e.state));
      for (const s of EXPECTED) expect(states, `run ${run + 1}: ${s} missing; saw ${[...states].join(',')}`).toContain(s);
      const exact = k.filter((e) => e.via === 'tracepoint');
      const synSent = exact.find((e) => e.state === 'SYN_SENT')!;
      const client = synSent.sock;
      const estClient = exact.find((e) => e.state === 'ESTABLISHED' && e.from === 'SYN_SENT' && e.sock === client)!;
      const segs = evs.filter((e): e is Extract<SessionEvent, { type: 'tcp.segment' }> => e.type === 'tcp.segment' && !e.inferred);
      const syn = segs.find((s) => s.flags.includes('SYN') && !s.flags.includes('ACK'));
      const synAck = segs.find((s) => s.flags.includes('SYN') && s.flags.includes('ACK'));
      if (!syn || !synAck) {
        console.warn('packet capture is off here: the times are checked against each other only');
      } else {
        // SYN_SENT before the SYN leaves; the client ESTABLISHED once the SYN+ACK arrived
        expect(synSent.kernelTs!).toBeLessThanOrEqual(syn.wireTs! + SKEW_US);
        expect(estClient.kernelTs!).toBeGreaterThanOrEqual(synAck.wireTs! - SKEW_US);
        const finSeg = segs.find((s) => s.flags.includes('FIN'))!;
        const fin1 = exact.find((e) => e.state === 'FIN_WAIT1')!;
        expect(fin1.kernelTs!).toBeLessThanOrEqual(finSeg.wireTs! + SKEW_US);
      }
      expect(synSent.kernelTs!).toBeLessThan(estClient.kernelTs!);
      const lastAck = exact.find((e) => e.state === 'LAST_ACK')!;
      expect(lastAck.kernelTs!).toBeGreaterThan(exact.find((e) => e.state === 'CLOSE_WAIT')!.kernelTs!);
    }
  }, 240_000);

  it('hello says which kernel source is active, and why not the other', async () => {
    const on = createAgent({ capture: 'off', log: () => {} });
    const off = createAgent({ capture: 'off', tracepoints: false, log: () => {} });
    try {
      expect(on.capabilities().kernelSource).toMatchObject({ active: 'tracepoints', tracepoints: { available: true } });
      const c = off.capabilities();
      expect(c.kernelSource?.active).toBe('proc');
      expect(c.kernelSource?.tracepoints.reason).toMatch(/turned off/);
      expect(c.kernel.available).toBe(true); // /proc stays the fallback
    } finally {
      await Promise.all([on.stop(), off.stop()]);
    }
  });

  it('the agent\'s own engine sockets: SYN_SENT and SYN_RECV, exact, with sock ids', async () => {
    const agent = createAgent({ capture: 'off', log: () => {} });
    const evs: SessionEvent[] = [];
    agent.session.subscribe((e) => evs.push(e));
    agent.start();
    try {
      expect(await agent.kernel!.ready!(15_000)).toBe(true);
      const exec = (cmd: unknown) => {
        const c = parseCommand(cmd);
        if (!c.ok) throw new Error(c.error);
        return agent.exec(c.cmd) as Promise<Record<string, unknown>>;
      };
      const l = await exec({ op: 'tcp.listen', port: 0 });
      const port = Number(String(l['local']).split(':').pop());
      await exec({ op: 'tcp.connect', port });
      await exec({ op: 'tcp.accept', sock: l['sock'] }).catch(() => undefined);
      await agent.kernel!.settled!();
      await new Promise((r) => setTimeout(r, 100));
      await agent.kernel!.settled!();
      const exact = kernelTcp(evs).filter((e) => e.via === 'tracepoint');
      expect(exact.find((e) => e.state === 'SYN_SENT')?.sock).toBeTruthy();
      expect(exact.find((e) => e.state === 'SYN_RECV')?.sock).toBeTruthy();
      expect(exact.find((e) => e.state === 'LISTEN')?.sock).toBe(l.sock);
    } finally {
      await agent.stop();
    }
  }, 30_000);

  it('a port probed free just before (bound, listened, closed by another program) is not drawn on our listener', async () => {
    const agent = createAgent({ capture: 'off', log: () => {} });
    const evs: SessionEvent[] = [];
    agent.session.subscribe((e) => evs.push(e));
    agent.start();
    try {
      expect(await agent.kernel!.ready!(15_000)).toBe(true);
      for (let i = 0; i < 5; i++) {
        // what a test's freePort() does: listen on port 0, read the port, close — then our listen takes it
        const port = await new Promise<number>((resolve) => {
          const probe = net.createServer().listen(0, '127.0.0.1', () => {
            const p = (probe.address() as net.AddressInfo).port;
            probe.close(() => resolve(p));
          });
        });
        const c = parseCommand({ op: 'tcp.listen', port });
        if (!c.ok) throw new Error(c.error);
        const l = await agent.exec(c.cmd) as { sock: string };
        await agent.kernel!.settled!();
        await new Promise((r) => setTimeout(r, 150));
        const mine = kernelTcp(evs).filter((e) => e.sock === l.sock);
        expect(mine.map((e) => e.state), `listener on ${port}`).not.toContain('CLOSE');
        expect(mine.some((e) => e.state === 'LISTEN')).toBe(true);
      }
    } finally {
      await agent.stop();
    }
  }, 40_000);

  it.skipIf(!cc)('watch mode: a C program\'s sends and receives, seen from the kernel (no source line)', async () => {
    const src = path.join(dir, 'srv.c');
    const bin = path.join(dir, 'csrv');
    writeFileSync(src, `#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1)) return 1;
  socklen_t n = sizeof a; getsockname(s, (struct sockaddr *)&a, &n);
  printf("%d\\n", ntohs(a.sin_port)); fflush(stdout);
  int c = accept(s, 0, 0); char buf[64];
  ssize_t r = recv(c, buf, sizeof buf, 0);
  send(c, "HELLO", 5, 0);
  (void)r; close(c); close(s); return 0;
}
`);
    execFileSync('cc', ['-O1', '-o', bin, src]);
    const agent = createAgent({ capture: 'off', log: () => {} });
    const evs: SessionEvent[] = [];
    agent.session.subscribe((e) => evs.push(e));
    agent.start();
    const child = spawn(bin, [], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      expect(await agent.kernel!.ready!(15_000)).toBe(true);
      const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      await agent.exec({ op: 'watch.add', port });
      execFileSync(py!, ['-c', `import socket\nc=socket.create_connection(('127.0.0.1',${port}))\nc.sendall(b'hi')\nprint(c.recv(16))\nc.close()`], { timeout: 5000 });
      await agent.kernel!.settled!();
      const calls = evs.filter((e): e is Extract<SessionEvent, { type: 'api.call' }> => e.type === 'api.call' && e.proc?.pid === child.pid);
      expect(calls.map((c) => `${c.call}:${c.data?.len}`)).toEqual(expect.arrayContaining(['recv:2', 'send:5']));
      for (const c of calls) {
        expect(c.seenBy).toBe('kernel');
        expect(c.src).toBeUndefined();
        expect(c.proc?.program).toBe('csrv');
        expect(c.local).toBe(`127.0.0.1:${port}`);
      }
    } finally {
      child.kill();
      await agent.stop();
    }
  }, 30_000);

  it.skipIf(!nft)('a SYN to a silently dropping port: the kernel\'s retransmission agrees with the captured SYNs', async () => {
    const ns = `ssebpf${process.pid}`;
    const port = 47000 + (process.pid % 1000);
    const sh = (args: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...args], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'add', ns]);
    const agent = createAgent({ capture: 'off', log: () => {} });
    const evs: SessionEvent[] = [];
    agent.session.subscribe((e) => evs.push(e));
    agent.start();
    try {
      sh(['ip', 'link', 'set', 'lo', 'up']);
      sh(['nft', `add table inet t; add chain inet t in { type filter hook input priority 0; }; add rule inet t in tcp dport ${port} drop`]);
      expect(await agent.kernel!.ready!(15_000)).toBe(true);
      await agent.exec({ op: 'watch.add', port });
      const dump = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', 'lo', '-n', '-l', '--immediate-mode', `tcp dst port ${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let captured = '';
      dump.stdout.on('data', (d: Buffer) => { captured += d.toString(); });
      await new Promise<void>((resolve) => dump.stderr.once('data', () => resolve()));
      // connect() gives up after 2.5 s: the SYN was sent once and retransmitted once (after ~1 s)
      spawnSync('ip', ['netns', 'exec', ns, py!, '-c', `import socket\ns=socket.socket()\ns.settimeout(2.5)\ntry: s.connect(('127.0.0.1',${port}))\nexcept Exception as e: print(e)`], { timeout: 6000 });
      await agent.kernel!.settled!();
      dump.kill('SIGINT');
      await new Promise((r) => dump.once('close', r));
      const syns = captured.split('\n').filter((l) => /Flags \[S\]/.test(l)).length;
      const retrans = evs.filter((e): e is Extract<SessionEvent, { type: 'kernel.notice' }> => e.type === 'kernel.notice' && e.what === 'retransmit' && e.remote === `127.0.0.1:${port}`);
      expect(syns).toBeGreaterThanOrEqual(2);
      expect(retrans.length).toBe(syns - 1);
      expect(retrans.every((e) => e.type === 'kernel.notice' && e.state === 'SYN_SENT')).toBe(true);
      const synSent = kernelTcp(evs).find((e) => e.via === 'tracepoint' && e.state === 'SYN_SENT' && e.remote === `127.0.0.1:${port}`);
      expect(synSent).toBeTruthy();
      expect(retrans[0]!.kernelTs! - synSent!.kernelTs!).toBeGreaterThan(900_000); // the kernel's initial RTO, 1 s
    } finally {
      await agent.stop();
      spawnSync('ip', ['netns', 'del', ns]);
    }
  }, 30_000);
});
