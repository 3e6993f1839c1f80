/**
 * The kernel probe on the lab's hosts (lab/attach.ts): one sock_diag helper per host, started in that
 * host's network namespace through its wrap (`ip netns exec`), so a lab socket is looked at as a loopback
 * one is — exact lookups, walks only when the host's own open counters moved, TCP_INFO with the look —
 * instead of reading each host's /proc/<pid>/net/{tcp,tcp6,udp,udp6}, which walks the kernel's whole
 * connection hash table (shared by every namespace) once per file per host: 8 walks a look.
 * Rules:
 * - H1 Every host's helper is asked the same look at once; the rows go into one look (the hosts' addresses
 *   differ: 10.77.0.1, 10.77.0.2). A look is answered by all hosts or by none (null: the probe reads the
 *   hosts' /proc for that look), so a socket is never reported gone because one host did not answer.
 * - H2 The helpers are diag-helper.ts's (D1–D3): a host whose helper fails for good makes the probe read
 *   /proc on the hosts from then on (until the next useHosts), and status() says why.
 */
import type { ProbeStatus, TcpInfo } from '@socketscope/shared';
import { SockDiag, SOCK_DIAG_TOOL } from './diag-helper.ts';
import { DiagReader, type DiagContext, type DiagLookResult } from './diag-look.ts';
import type { Look } from './look.ts';

/** A lab host as the probe sees it: its /proc/<pid>/net (the fallback) and how to run a program there. */
export interface ProbeHost {
  name: string;
  procNet: string;
  /** the argv that runs argv on this host (lab.wrap); without it the host is read from /proc only */
  wrap?: (argv: string[]) => string[];
}

export class HostReaders {
  readonly dirs: string[];
  private readonly readers: { name: string; diag: SockDiag; reader: DiagReader }[];

  /** `off`: why the helpers must not run (the probe's sockDiag: false) */
  constructor(readonly hosts: ProbeHost[], off?: string) {
    this.dirs = hosts.map((h) => h.procNet);
    this.readers = hosts.map((h) => {
      const diag = new SockDiag(off ?? (h.wrap ? undefined : 'no way to run it on this host'), h.wrap);
      return { name: h.name, diag, reader: new DiagReader(diag) };
    });
  }

  get ready(): boolean { return this.readers.length > 0 && this.readers.every((r) => r.diag.ready); }
  get usable(): boolean { return this.readers.length > 0 && this.readers.every((r) => r.diag.usable); }
  /** the helpers' pids, for the cost figures */
  get pids(): number[] { return this.readers.flatMap((r) => (r.diag.pid ? [r.diag.pid] : [])); }
  /** walks so far, all hosts */
  get walks(): number { return this.readers.reduce((n, r) => n + r.reader.walks, 0); }

  status(): ProbeStatus {
    const bad = this.readers.find((r) => !r.diag.usable);
    if (bad) return { ...bad.diag.status(), reason: `${bad.name} host: ${bad.diag.status().reason ?? '?'}` };
    return { available: true, tool: `${SOCK_DIAG_TOOL}, on each lab host` };
  }

  /** starts every helper; resolves once all are ready (true) or ms passed / one failed (false) */
  async start(ms: number): Promise<boolean> {
    for (const r of this.readers) r.diag.start();
    const ok = await Promise.all(this.readers.map((r) => r.diag.whenReady(ms)));
    return ok.every(Boolean);
  }

  /** H1: one look on every host; null when one could not answer */
  async read(look: Look, ctx: DiagContext, info: boolean): Promise<DiagLookResult | null> {
    const got = await Promise.all(this.readers.map((r) => r.reader.read(look, ctx, info, true)));
    if (got.some((g) => g === null)) return null;
    const res: DiagLookResult = { info: new Map<string, TcpInfo>(), helperUs: 0, mainUs: 0, walked: false };
    for (const g of got as DiagLookResult[]) {
      for (const [k, v] of g.info) res.info.set(k, v);
      res.helperUs += g.helperUs;
      res.mainUs += g.mainUs;
      res.walked ||= g.walked;
    }
    return res;
  }

  stop(): void {
    for (const r of this.readers) r.diag.stop();
  }
}
