import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@socketscope/shared';
import { pct, sleep } from './reliability-kit.ts';
import { Inbox } from './server-helpers.ts';
import { startSharedAgent } from './stalled-kit.ts';

/**
 * A class of 100 answering at once, through the share link (AN4–AN7 in src/server/answers/class-poll.ts):
 * the agent runs as `socketscope start --share` does, in its own process with its shipped node flags
 * (stalled-agent-child.ts); 100 students in another process (answers-class-child.ts), each on its own
 * loopback address, answer each question the moment it opens; the teacher keeps making a call every 20 ms
 * and times each reply. Every question's 100 answers must be counted, the teacher must hear of them in a
 * few coalesced messages, and the teacher's replies must stay quick. Every address is loopback.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLASS = path.join(ROOT, 'apps/agent/test/answers-class-child.ts');
const FULL = 'f'.repeat(64);
const VIEWER = 'v'.repeat(64);
const STUDENTS = 100;
const ROUNDS = 5;
const QUESTIONS = ['tcp-hello/syn-reply', 'tcp-hello/recv-bytes', 'tcp-refused/syn-reply', 'udp-echo/boundaries', 'tcp-echo/b-connects'];

const line = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} p95 ${pct(xs, 95).toFixed(1)} max ${Math.max(...xs).toFixed(1)} ms (${xs.length})`;

function classroom(): { ask<T>(m: object, op: string, ms: number): Promise<T>; stop(): void } {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CLASS], { cwd: ROOT, env: { ...process.env, SOCKETSCOPE_VIEWER_TOKEN: VIEWER }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    ask<T>(m: object, op: string, ms: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => { child.off('message', on); reject(new Error(`students: no ${op} in ${ms} ms`)); }, ms);
        const on = (r: { op: string; message?: string }) => {
          if (r.op !== op && r.op !== 'error') return;
          clearTimeout(timer);
          child.off('message', on);
          if (r.op === 'error') reject(new Error(`students: ${r.message}`)); else resolve(r as T);
        };
        child.on('message', on);
        child.send(m);
      });
    },
    stop() {
      if (child.connected) child.disconnect();
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    },
  };
}

describe('100 students answering at once', () => {
  it('every answer is counted, the teacher hears of them coalesced, and the teacher’s replies stay quick (p95 measured)', { timeout: 120_000 }, async () => {
    const agent = await startSharedAgent();
    const students = classroom();
    const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/ws?token=${FULL}`, { origin: `http://127.0.0.1:${agent.port}`, perMessageDeflate: false });
    const teacher = new Inbox(ws);
    let n = 0;
    const request = (msg: object): Promise<any> => {
      const id = `t${++n}`;
      ws.send(JSON.stringify({ ...msg, id }));
      return teacher.next((m) => m.t === 'reply' && m.re === id, 10_000);
    };
    const pings: { at: number; ms: number; ok: boolean }[] = [];
    const ping = { on: true };
    let pinger: Promise<void> = Promise.resolve();
    try {
      await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
      await teacher.next((m) => m.t === 'hello');
      ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
      await teacher.next((m) => m.t === 'synced');
      const u = (await request({ t: 'cmd', cmd: { op: 'udp.bind', port: 0 } })).result as { sock: string; local: string };
      const udpPort = Number(u.local.split(':').at(-1));
      // the teacher keeps working: a datagram every 20 ms, each reply timed
      pinger = (async () => {
        while (ping.on) {
          const at = performance.now();
          const r = await request({ t: 'cmd', cmd: { op: 'udp.sendto', sock: u.sock, port: udpPort, data: { text: 'ping' } } });
          pings.push({ at, ms: performance.now() - at, ok: r.ok });
          await sleep(20);
        }
      })();
      const opened = await students.ask<{ synced: number }>({ op: 'open', port: agent.port, n: STUDENTS }, 'opened', 60_000);
      expect(opened.synced).toBe(STUDENTS);
      await sleep(300);

      const windows: [number, number][] = [];
      const countedMs: number[] = [];
      const told: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const from = teacher.all.length;
        const t0 = performance.now();
        const open = await request({ t: 'poll', act: { op: 'open', question: QUESTIONS[r] } });
        expect(open.ok).toBe(true);
        const id = open.result.poll.id;
        const all = await teacher.next((m) => m.t === 'poll' && m.poll?.id === id && m.poll.answered === STUDENTS, 20_000);
        countedMs.push(performance.now() - t0);
        const choices = open.result.poll.choices as number;
        expect(all.poll.counts).toEqual(Array.from({ length: choices }, (_, c) => (c < 4 ? STUDENTS / 4 : 0)));
        await sleep(300);
        windows.push([t0, performance.now()]);
        told.push(teacher.all.slice(from).filter((m) => m.t === 'poll' && m.poll?.id === id).length);
        expect((await request({ t: 'poll', act: { op: 'close' } })).ok).toBe(true);
        expect((await request({ t: 'poll', act: { op: 'reveal', correct: 0, seen: 'x' } })).ok).toBe(true);
        await sleep(200);
      }
      ping.on = false;
      await pinger;
      const status = await students.ask<{ polls: Record<string, { ok: number; refused: string[]; ms: number[] }>; closed: number }>({ op: 'status' }, 'status', 10_000);
      const heap = await agent.heap();

      const during = pings.filter((p) => windows.some(([a, b]) => p.at >= a && p.at <= b)).map((p) => p.ms);
      const answerMs = Object.values(status.polls).flatMap((p) => p.ms);
      console.log(`answers-load: teacher replies during the bursts ${line(during)}; all replies ${line(pings.map((p) => p.ms))}`);
      console.log(`answers-load: a student's answer to its reply ${line(answerMs)}; open → 100 counted at the teacher ${countedMs.map((m) => m.toFixed(0)).join(', ')} ms; poll messages to the teacher per question ${told.join(', ')}; agent loop max ${heap?.loopMaxMs.toFixed(0)} ms, p99 ${heap?.loopP99Ms.toFixed(1)} ms`);

      expect(Object.keys(status.polls)).toHaveLength(ROUNDS);
      for (const p of Object.values(status.polls)) {
        expect(p.refused).toEqual([]);
        expect(p.ok).toBe(STUDENTS);
      }
      expect(status.closed).toBe(0);
      expect(pings.every((p) => p.ok)).toBe(true);
      expect(during.length).toBeGreaterThan(20);
      // AN7: a handful of count messages per question, not one per answer (the open's own message included)
      for (const k of told) expect(k).toBeLessThanOrEqual(12);
      // the teacher's page stays responsive while the class answers (typically a few ms on loopback)
      expect(pct(during, 95)).toBeLessThan(250);
      expect(Math.max(...during)).toBeLessThan(1000);
      expect(agent.alive()).toBe(true);
    } finally {
      ping.on = false;
      await pinger.catch(() => {});
      ws.close();
      students.stop();
      await agent.stop();
    }
  });
});
