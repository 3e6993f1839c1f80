/**
 * TCP_INFO details (rtt, cwnd, send window, receive space) and the buffer sizes (skmem) from `ss -tinm`, for the connections the probe
 * follows. /proc has no such fields and Node cannot call getsockopt(TCP_INFO), so this runs the system's
 * `ss` at a low rate (2 Hz), filtered to the ports of interest, and only where `ss` exists.
 */
import { execFile } from 'node:child_process';
import { endpoint, type ProbeStatus, type TcpInfo } from '@socketscope/shared';
import { rowKey } from './proc-parse.ts';

/** "127.0.0.1:80", "[::1]:80", "[::ffff:127.0.0.1]:80", "*:80" → normalised endpoint. */
function ssEndpoint(s: string): string | null {
  const i = s.lastIndexOf(':');
  if (i <= 0) return null;
  const host = s.slice(0, i).replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const port = Number(s.slice(i + 1));
  if (!Number.isInteger(port) || host === '*') return null;
  return endpoint(host, port);
}

function num(re: RegExp, line: string): number | undefined {
  const m = re.exec(line);
  return m ? Number(m[1]) : undefined;
}

/** Parses `ss -tinHn` output (a socket line, then an indented details line) into info by "local|remote". */
export function parseSsInfo(text: string): Map<string, TcpInfo> {
  const out = new Map<string, TcpInfo>();
  let key: string | null = null;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) {
      // State Recv-Q Send-Q Local Peer (the State column is absent when one state was asked for)
      const f = line.trim().split(/\s+/);
      const local = ssEndpoint(f[f.length - 2] ?? '');
      const peer = ssEndpoint(f[f.length - 1] ?? '');
      key = local && peer ? rowKey(local, peer) : null;
      continue;
    }
    if (!key) continue;
    const info: TcpInfo = {};
    const rtt = num(/\brtt:([\d.]+)\//, line);
    const cwnd = num(/\bcwnd:(\d+)/, line);
    const sndWnd = num(/\bsnd_wnd:(\d+)/, line);
    const rcvSpace = num(/\brcv_space:(\d+)/, line);
    // skmem:(r…,rb<receive buffer>,t…,tb<send buffer>,…): the buffer sizes, from `-m`
    const rcvBuf = num(/\bskmem:\([^)]*\brb(\d+)/, line);
    const sndBuf = num(/\bskmem:\([^)]*\btb(\d+)/, line);
    if (rtt !== undefined) info.rttMs = rtt;
    if (cwnd !== undefined) info.cwnd = cwnd;
    if (sndWnd !== undefined) info.sndWnd = sndWnd;
    if (rcvSpace !== undefined) info.rcvSpace = rcvSpace;
    if (rcvBuf !== undefined) info.rcvBuf = rcvBuf;
    if (sndBuf !== undefined) info.sndBuf = sndBuf;
    out.set(key, info);
    key = null;
  }
  return out;
}

/** At most this many ports go into one ss filter; more than that asks for every connected socket. */
const MAX_FILTER_PORTS = 32;
const SS_TIMEOUT_MS = 1000;

export class SsRunner {
  private state: 'unknown' | 'ok' | 'missing' | 'failed' = 'unknown';
  private reason = '';
  private running = false;

  status(): ProbeStatus {
    if (this.state === 'missing' || this.state === 'failed') {
      return { available: false, reason: this.reason, tool: 'ss', fix: { linux: 'install iproute2 (apt-get install iproute2)' } };
    }
    return { available: true, tool: 'ss -tin' };
  }

  get usable(): boolean {
    return this.state === 'unknown' || this.state === 'ok';
  }

  /** One ss run for connections on these local ports; null when ss is missing, busy or failed. */
  query(ports: number[]): Promise<Map<string, TcpInfo> | null> {
    if (!this.usable || this.running) return Promise.resolve(null);
    const uniq = [...new Set(ports)];
    const args = ['-tinmHn', 'state', 'connected'];
    if (uniq.length > 0 && uniq.length <= MAX_FILTER_PORTS) {
      args.push('(', ...uniq.flatMap((p, i) => [...(i ? ['or'] : []), 'sport', '=', `:${p}`]), ')');
    }
    this.running = true;
    return new Promise((resolve) => {
      execFile('ss', args, { timeout: SS_TIMEOUT_MS, maxBuffer: 4 << 20, encoding: 'latin1' }, (err, stdout) => {
        this.running = false;
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          this.state = code === 'ENOENT' ? 'missing' : 'failed';
          this.reason = code === 'ENOENT' ? '`ss` (iproute2) is not installed' : `ss failed: ${err.message.slice(0, 300)}`;
          return resolve(null);
        }
        this.state = 'ok';
        resolve(parseSsInfo(stdout));
      });
    });
  }
}
