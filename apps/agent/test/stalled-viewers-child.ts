/**
 * The students of stalled-kit.ts, in a process of their own: when 100 pages read a few MB each at once,
 * parsing it must not delay the process that times the teacher's replies. Driven over IPC:
 *   {op: 'open', port, n}  → opens n read-only pages on the share address (127.0.0.2), each from its own
 *                            loopback address (127.0.1.i), as separate machines would; answers {op: 'opened'}
 *   {op: 'stall'}          → each syncs and stops reading at once (its TCP socket paused); {op: 'stalled'}
 *   {op: 'resume'}         → each reads again; {op: 'resumed'}
 *   {op: 'status'}         → {op: 'status', viewers: ViewerStatus[]}
 * Every address is loopback; the parent bounds every wait.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@socketscope/shared';

export interface ViewerStatus {
  lastSeq: number;
  gaps: { from: number; to: number }[];
  snapshots: number[];
  synced: number;
  events: number;
  /** characters of payload seen (api data b64, wire bytes): 0 while the teacher hides payloads */
  payloadChars: number;
  violations: string[];
  closed: string | null;
}

const VIEWER = process.env['SOCKETSCOPE_VIEWER_TOKEN'] ?? 'v'.repeat(64);
const SHARE_HOST = '127.0.0.2';
type Msg = { t: string; [k: string]: any };

class Viewer {
  status: ViewerStatus = { lastSeq: -1, gaps: [], snapshots: [], synced: 0, events: 0, payloadChars: 0, violations: [], closed: null };
  hellos = 0;
  private tcp: Socket | null = null;
  private allowJump = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('upgrade', (res) => { this.tcp = res.socket; });
    ws.on('message', (d: Buffer) => this.onMessage(String(d)));
    ws.on('close', (code: number, reason: Buffer) => { this.status.closed = `${code} ${String(reason)}`; });
    ws.on('error', () => { /* close follows */ });
  }

  static open(port: number, i: number): Promise<Viewer> {
    const ws = new WebSocket(`ws://${SHARE_HOST}:${port}/ws?token=${VIEWER}`, {
      origin: `http://${SHARE_HOST}:${port}`, perMessageDeflate: false, localAddress: `127.0.1.${1 + (i % 250)}`,
    });
    const v = new Viewer(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(v));
      ws.once('unexpected-response', (_q, res) => reject(new Error(`viewer refused ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  async syncThenStall(): Promise<void> {
    const end = Date.now() + 10_000;
    while (this.hellos === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    this.ws.send(JSON.stringify({ t: 'sync', protocolVersion: PROTOCOL_VERSION, since: this.status.lastSeq }));
    this.tcp!.pause();
  }

  resume(): void { this.tcp!.resume(); }

  private onMessage(text: string): void {
    const st = this.status;
    let m: Msg;
    try {
      m = JSON.parse(text) as Msg;
    } catch {
      st.violations.push('a frame that is not JSON');
      return;
    }
    switch (m.t) {
      case 'hello': this.hellos++; break;
      case 'snapshot': st.snapshots.push(m['atSeq'] as number); break;
      case 'gap':
        if (m['from'] !== st.lastSeq + 1) st.violations.push(`gap from ${m['from']} but last held is ${st.lastSeq}`);
        st.gaps.push({ from: m['from'], to: m['to'] });
        st.lastSeq = m['to'];
        break;
      case 'merged': this.allowJump += m['count'] as number; break;
      case 'synced': st.synced++; break;
      case 'events':
        for (const e of m['events'] as { seq: number; data?: { b64: string }; bytes?: string }[]) {
          if (e.seq <= st.lastSeq) st.violations.push(`seq ${e.seq} not above ${st.lastSeq}`);
          else if (e.seq > st.lastSeq + 1) {
            const jump = e.seq - st.lastSeq - 1;
            if (jump > this.allowJump) st.violations.push(`seq jumped from ${st.lastSeq} to ${e.seq} unannounced`);
            this.allowJump = Math.max(0, this.allowJump - jump);
          }
          st.lastSeq = Math.max(st.lastSeq, e.seq);
          st.events++;
          st.payloadChars += (e.data?.b64.length ?? 0) + (e.bytes?.length ?? 0);
        }
        break;
      case 'viewers': st.violations.push('a read-only page was told the viewer count'); break;
      default: break;
    }
    if (st.violations.length > 20) st.violations.length = 20;
  }
}

const viewers: Viewer[] = [];
const reply = (m: unknown) => process.send!(m);

process.on('message', (m: { op: string; port?: number; n?: number }) => {
  void (async () => {
    try {
      switch (m.op) {
        case 'open':
          for (let i = 0; i < m.n!; i += 20) {
            viewers.push(...await Promise.all(Array.from({ length: Math.min(20, m.n! - i) }, (_, k) => Viewer.open(m.port!, viewers.length + k))));
          }
          return reply({ op: 'opened', n: viewers.length });
        case 'stall':
          await Promise.all(viewers.map((v) => v.syncThenStall()));
          return reply({ op: 'stalled' });
        case 'resume':
          for (const v of viewers) v.resume();
          return reply({ op: 'resumed' });
        case 'status':
          return reply({ op: 'status', viewers: viewers.map((v) => v.status) });
        default:
          return reply({ op: 'error', message: `unknown op ${m.op}` });
      }
    } catch (e) {
      reply({ op: 'error', message: (e as Error).message });
    }
  })();
});
process.on('disconnect', () => {
  for (const v of viewers) v.ws.terminate();
  process.exit(0);
});
