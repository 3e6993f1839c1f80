/**
 * A class of students for answers-load.test.ts, in a process of its own (so their 100 sockets do not
 * delay the process that times the teacher's replies). Driven over IPC:
 *   {op: 'open', port, n}  → n read-only pages on the share address (127.0.0.2), each from its own loopback
 *                            address (127.0.1.i) as separate devices would, each synced; answers {op: 'opened'}
 *   {op: 'status'}         → {op: 'status', polls: {[pollId]: {ok, refused, ms: number[]}}, closed}
 * Every page answers each question the moment it is told the question is open, all at once: choice i % 4.
 * Every address is loopback; the parent bounds every wait.
 */
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@socketscope/shared';

const VIEWER = process.env['SOCKETSCOPE_VIEWER_TOKEN'] ?? 'v'.repeat(64);
const SHARE_HOST = '127.0.0.2';

interface PollTally { ok: number; refused: string[]; ms: number[] }
const polls: Record<string, PollTally> = {};
let closed = 0;

class Student {
  private answered = new Set<string>();
  private sent = new Map<string, { poll: string; at: number }>();
  synced = false;

  constructor(readonly ws: WebSocket, readonly i: number) {
    ws.on('message', (d: Buffer) => this.onMessage(String(d)));
    ws.on('close', () => { closed++; });
    ws.on('error', () => { /* close follows */ });
  }

  static open(port: number, i: number): Promise<Student> {
    const ws = new WebSocket(`ws://${SHARE_HOST}:${port}/ws?token=${VIEWER}`, {
      origin: `http://${SHARE_HOST}:${port}`, perMessageDeflate: false, localAddress: `127.0.1.${1 + (i % 250)}`,
    });
    const s = new Student(ws, i);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(s));
      ws.once('unexpected-response', (_q, res) => reject(new Error(`student refused ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  private onMessage(text: string): void {
    const m = JSON.parse(text) as { t: string; [k: string]: any };
    if (m.t === 'hello') this.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: null }));
    else if (m.t === 'synced') this.synced = true;
    else if (m.t === 'poll' && m['poll']?.phase === 'open' && !this.answered.has(m['poll'].id)) {
      const poll = m['poll'].id as string;
      this.answered.add(poll);
      const id = `s${this.i}-${poll}`;
      this.sent.set(id, { poll, at: performance.now() });
      this.ws.send(JSON.stringify({ t: 'answer', id, poll, choice: this.i % 4, student: `student-${this.i}-${process.pid}` }));
    } else if (m.t === 'reply') {
      const s = this.sent.get(m['re']);
      if (!s) return;
      this.sent.delete(m['re']);
      const tally = (polls[s.poll] ??= { ok: 0, refused: [], ms: [] });
      if (m['ok']) tally.ok++;
      else tally.refused.push(String(m['error']?.code));
      tally.ms.push(performance.now() - s.at);
    }
  }
}

const students: Student[] = [];

process.on('message', (msg: { op: string; port?: number; n?: number }) => {
  void (async () => {
    try {
      if (msg.op === 'open') {
        const opened = await Promise.all(Array.from({ length: msg.n! }, (_, i) => Student.open(msg.port!, i)));
        students.push(...opened);
        const end = Date.now() + 20_000;
        while (students.some((s) => !s.synced) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        process.send!({ op: 'opened', synced: students.filter((s) => s.synced).length });
      } else if (msg.op === 'status') {
        process.send!({ op: 'status', polls, closed });
      }
    } catch (e) {
      process.send!({ op: 'error', message: (e as Error).message });
    }
  })();
});

process.on('disconnect', () => {
  for (const s of students) s.ws.terminate();
  process.exit(0);
});
